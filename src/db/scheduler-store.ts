// The scheduler's table access: the bulk read a pass plans from (as named rows), the slice journal and step claims
// in reminder_log, the outbox wave of a slice, the recovery of a dead pass's claims, and the small lookups for office
// and unit recipients. The pass itself (src/scheduler/) decides; this module only reads and writes.
import { and, between, eq, gt, inArray, isNotNull, like, lt, lte, sql } from 'drizzle-orm';
import { shanghaiDate } from '../domain/dates.js';
import type { OutboundMessage } from '../domain/types.js';
import type { Db } from './client.js';
import { auditInsert } from './audit.js';
import { insertRowsQueries, maxBoundParams, rawRowsQuery, rawRunQuery, readRows, runBatch } from './batch.js';
import { outboxInsertMany } from './outbox-store.js';
import { assignments, chats, people, plans, reminderLog, roles, schedulerSlices, tasks, units } from './schema.js';

// --- the bulk read ---------------------------------------------------------------------------------------------
// Rows come back as arrays straight from SQLite (no per-row objects from the ORM) and are handed out as named
// rows through ONE view object per iteration, refilled for each row: a read of 100,000 assignments allocates
// nothing per row here. A view is valid until the next step of its iteration: copy what you keep.

export interface OpenAssignmentRow {
  id: number;
  taskId: number;
  unitId: number;
  state: string;
  percent: number;
  extendedTo: string | null;
  lastReportAt: number | null;
}

export interface ActiveTaskRow {
  id: number;
  code: string;
  title: string;
  planId: number;
}

export interface DeadlineRow {
  taskId: number;
  kind: string;
  dueDate: string | null;
  recurrence: string | null;
  label: string;
}

export interface StepLogRow {
  assignmentId: number;
  stepKey: string;
  plannedAt: number;
  dueDate: string | null;
  escalationLevel: number;
}

export interface ContactRow {
  unitId: number;
  personId: number;
  openId: string;
  name: string | null;
}

const OPEN_SQL = `('not_started', 'in_progress')`;

const LOG_COLUMNS = 'assignment_id, step_key, planned_at, due_date, escalation_level';

/**
 * Named rows over a bulk read's arrays: the iterator hands out one view, refilled from each array, in one reused
 * result object, so iterating allocates nothing per row beyond what the underlying read yields.
 */
function namedRows<T extends object, R extends unknown[]>(rows: Iterable<unknown[]>, view: () => T, fill: (v: T, r: R) => void): Iterable<T> {
  return {
    [Symbol.iterator](): Iterator<T> {
      const inner = rows[Symbol.iterator]();
      const v = view();
      const step: IteratorYieldResult<T> = { value: v, done: false };
      return {
        next(): IteratorResult<T> {
          const r = inner.next();
          if (r.done) return { value: undefined, done: true };
          fill(v, r.value as R);
          return step;
        },
      };
    },
  };
}

const openAssignmentRows = (rows: Iterable<unknown[]>) =>
  namedRows<OpenAssignmentRow, [number, number, number, string, number, string | null, number | null]>(
    rows,
    () => ({ id: 0, taskId: 0, unitId: 0, state: '', percent: 0, extendedTo: null, lastReportAt: null }),
    (v, r) => {
      v.id = r[0];
      v.taskId = r[1];
      v.unitId = r[2];
      v.state = r[3];
      v.percent = r[4];
      v.extendedTo = r[5];
      v.lastReportAt = r[6];
    },
  );

const activeTaskRows = (rows: Iterable<unknown[]>) =>
  namedRows<ActiveTaskRow, [number, string, string, number]>(
    rows,
    () => ({ id: 0, code: '', title: '', planId: 0 }),
    (v, r) => {
      v.id = r[0];
      v.code = r[1];
      v.title = r[2];
      v.planId = r[3];
    },
  );

const deadlineRows = (rows: Iterable<unknown[]>) =>
  namedRows<DeadlineRow, [number, string, string | null, string | null, string]>(
    rows,
    () => ({ taskId: 0, kind: '', dueDate: null, recurrence: null, label: '' }),
    (v, r) => {
      v.taskId = r[0];
      v.kind = r[1];
      v.dueDate = r[2];
      v.recurrence = r[3];
      v.label = r[4];
    },
  );

const stepLogRows = (rows: Iterable<unknown[]>) =>
  namedRows<StepLogRow, [number, string, number, string | null, number]>(
    rows,
    () => ({ assignmentId: 0, stepKey: '', plannedAt: 0, dueDate: null, escalationLevel: 0 }),
    (v, r) => {
      v.assignmentId = r[0];
      v.stepKey = r[1];
      v.plannedAt = r[2];
      v.dueDate = r[3];
      v.escalationLevel = r[4];
    },
  );

/** The iterables hand out a reused view per row (see above): copy fields while iterating, never keep the row. */
export interface PlanningRows {
  /** Open assignments (not started, in progress), without joins. */
  assignments: Iterable<OpenAssignmentRow>;
  /** Active tasks (a suspended task is not reminded). */
  tasks: Iterable<ActiveTaskRow>;
  deadlines: Iterable<DeadlineRow>;
  units: Array<{ id: number; name: string }>;
  /** Unit contacts with an open_id (one row per role: a person may appear twice for one unit). */
  contacts: ContactRow[];
}

/** One bulk read of the open assignments, active tasks, deadlines, units and contacts (each read once). */
export async function readPlanningRows(db: Db): Promise<PlanningRows> {
  const [[asgRows, taskRows, dlRows], unitRows, contactRows] = await Promise.all([
    readRows(db, [
      {
        columns: 'id, task_id, unit_id, state, percent, extended_to, last_report_at',
        table: 'assignments',
        // `+state`: most assignments are open, so reading each id range whole beats a lookup through the state index.
        where: `+state in ${OPEN_SQL}`,
        chunkBits: 13,
      },
      // Titles are free text: 512 rows a chunk leaves ~4 KB per row under D1's 2 MB per value.
      { columns: 'id, code, title, plan_id', table: 'tasks', where: `state = 'active'`, chunkBits: 9 },
      { columns: 'task_id, kind, due_date, recurrence, label', table: 'deadlines', chunkBits: 9 },
    ]),
    db.select({ id: units.id, name: units.name }).from(units),
    db
      .select({ unitId: roles.unitId, personId: people.id, openId: people.openId, name: people.name })
      .from(roles)
      .innerJoin(people, eq(people.id, roles.personId))
      .where(and(eq(roles.role, 'contact'), isNotNull(people.openId))),
  ]);
  return {
    assignments: openAssignmentRows(asgRows!),
    tasks: activeTaskRows(taskRows!),
    deadlines: deadlineRows(dlRows!),
    units: unitRows,
    contacts: contactRows as ContactRow[],
  };
}

/**
 * The reminder_log rows a planner can look at: global steps (assignment 0), and of open assignments those of the
 * given due dates or step keys. Steps of done assignments, of past deadlines and of past periods never matter
 * again. The lists travel as one JSON parameter each (D1 allows 100 bound parameters).
 */
export async function readOpenStepLog(db: Db, dueDates: string[], stepKeys: string[]): Promise<Iterable<StepLogRow>> {
  const [rows] = await readRows(db, [
    {
      columns: LOG_COLUMNS,
      // A scan with a primary-key probe per candidate row: cheaper than SQLite's plan for `assignment_id in (…)`,
      // which looks up each open assignment's rows one by one.
      table: 'reminder_log',
      where: `assignment_id = 0
          or ((due_date in (select value from json_each(?)) or step_key in (select value from json_each(?)))
            and exists (select 1 from assignments a where a.id = assignment_id and a.state in ${OPEN_SQL}))`,
      params: [JSON.stringify(dueDates), JSON.stringify(stepKeys)],
      chunkBits: 13,
    },
  ]);
  return stepLogRows(rows!);
}

export interface PendingClaimRow {
  id: number;
  taskId: number;
  unitId: number;
  percent: number;
  claimedAt: number;
  lastReportAt: number | null;
}

/** Completion claims awaiting the office's check. */
export async function readPendingClaims(db: Db): Promise<PendingClaimRow[]> {
  const rows = await db
    .select({
      id: assignments.id, taskId: assignments.taskId, unitId: assignments.unitId, percent: assignments.percent,
      claimedAt: assignments.claimedAt, lastReportAt: assignments.lastReportAt,
    })
    .from(assignments)
    .where(and(eq(assignments.state, 'claimed'), isNotNull(assignments.claimedAt)));
  return rows as PendingClaimRow[];
}

/** The re-check steps already planned for assignments still awaiting the office. */
export async function readRecheckSteps(db: Db): Promise<Iterable<StepLogRow>> {
  const [rows] = await readRows(db, [
    {
      columns: LOG_COLUMNS,
      table: 'reminder_log',
      where: `step_key like 'recheck:%' and exists (select 1 from assignments a where a.id = assignment_id and a.state = 'claimed')`,
      chunkBits: 13,
    },
  ]);
  return stepLogRows(rows!);
}

// --- recipients --------------------------------------------------------------------------------------------------

/** The office chat(s) registered with 本群设为办公室群. */
export async function readOfficeChats(db: Db): Promise<string[]> {
  const groups = await db.select({ chatId: chats.chatId }).from(chats).where(eq(chats.purpose, 'office'));
  return groups.map((g) => g.chatId);
}

/** Office members with an open_id (one row per role). */
export async function readOfficeMembers(db: Db): Promise<Array<{ openId: string; name: string | null }>> {
  const rows = await db
    .select({ openId: people.openId, name: people.name })
    .from(roles)
    .innerJoin(people, eq(people.id, roles.personId))
    .where(and(eq(roles.role, 'office'), isNotNull(people.openId)));
  return rows as Array<{ openId: string; name: string | null }>;
}

/** Units with a registered group (本群设为 <单位>群), the first chat of each. */
export async function readUnitGroups(db: Db): Promise<Map<number, string>> {
  const rows = await db.select({ chatId: chats.chatId, unitId: chats.unitId }).from(chats).where(eq(chats.purpose, 'unit'));
  const out = new Map<number, string>();
  for (const r of rows) if (r.unitId && !out.has(r.unitId)) out.set(r.unitId, r.chatId);
  return out;
}

export async function readPlanName(db: Db, planId: number): Promise<{ code: string; title: string } | undefined> {
  const [p] = await db.select({ code: plans.code, title: plans.title }).from(plans).where(eq(plans.id, planId));
  return p;
}

export interface NoContactStepRow {
  assignmentId: number;
  dueDate: string | null;
  code: string;
  unitId: number;
  unit: string;
}

/** Steps that found no contact (`no_contact:*`) planned in (since, at], of assignments still open. */
export async function readNoContactSteps(db: Db, since: number, at: number): Promise<NoContactStepRow[]> {
  return db
    .select({ assignmentId: reminderLog.assignmentId, dueDate: reminderLog.dueDate, code: tasks.code, unitId: units.id, unit: units.name })
    .from(reminderLog)
    .innerJoin(assignments, eq(assignments.id, reminderLog.assignmentId))
    .innerJoin(tasks, eq(tasks.id, assignments.taskId))
    .innerJoin(units, eq(units.id, assignments.unitId))
    .where(
      and(
        like(reminderLog.stepKey, 'no_contact:%'),
        gt(reminderLog.plannedAt, since),
        lte(reminderLog.plannedAt, at),
        inArray(assignments.state, ['not_started', 'in_progress']),
      ),
    );
}

// --- slices: claims, their journal row, their outbox wave ------------------------------------------------------

/** A step to claim in reminder_log (a planned action has these fields). */
export interface StepClaim {
  assignmentId: number;
  stepKey: string;
  kind: string;
  dueDate?: string | null;
  escalationLevel?: number;
}

export interface ClaimedStep {
  id: number;
  assignmentId: number;
  stepKey: string;
}

export interface OpenedSlice {
  sliceId: number;
  /** The claims this slice won (a concurrent pass's claim makes ours return nothing). */
  claimed: ClaimedStep[];
}

/**
 * Claim `steps` (planned at `at`) in one batch with the slice's journal row (see schedulerSlices): the row is
 * written with the claims and deleted with the messages, so if the process dies in between, the next pass finds it
 * and gives the claims back. `createdAt` is real time, never the pass's instant.
 */
export async function openSlice(db: Db, at: number, createdAt: number, steps: readonly StepClaim[]): Promise<OpenedSlice> {
  // In index order: neighbouring claims land on the same B-tree pages, so a slice dirties (and commits) far fewer
  // pages than claims in planning order would, which for a unit's periodic requests are spread over every page.
  const claimRows = steps
    .map((a) => [
      a.assignmentId, a.stepKey, a.kind, 'dueDate' in a ? a.dueDate : null, 'escalationLevel' in a ? a.escalationLevel : 0,
    ] as [number, string, string, string | null, number])
    .sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0));
  const claimQueries = insertRowsQueries(
    db,
    {
      table: 'reminder_log',
      columns: ['assignment_id', 'step_key', 'kind', 'due_date', 'escalation_level'],
      constants: { planned_at: at },
      tail: 'on conflict do nothing returning id, assignment_id, step_key',
    },
    claimRows,
  );
  const journal = [
    rawRowsQuery(
      db,
      sql`insert into scheduler_slices (planned_at, first_claim_id, created_at)
        values (${at}, (select coalesce(max(id), 0) + 1 from reminder_log), ${createdAt}) returning id`,
    ),
    // Nothing else writes inside this batch's transaction: the newest journal row is this one.
    rawRunQuery(
      db,
      sql`update scheduler_slices set last_claim_id = (select coalesce(max(id), 0) from reminder_log)
        where id = (select max(id) from scheduler_slices)`,
    ),
  ];
  const written = await runBatch(db, [journal[0], ...claimQueries, journal[1]]);
  const sliceId = (written[0] as Array<[number]>)[0]![0];
  const claimed: ClaimedStep[] = [];
  for (let i = 1; i <= claimQueries.length; i++) {
    for (const [id, assignmentId, stepKey] of written[i] as Array<[number, number, string]>) claimed.push({ id, assignmentId, stepKey });
  }
  return { sliceId, claimed };
}

/** Close a slice that won no claims. */
export async function closeEmptySlice(db: Db, sliceId: number): Promise<void> {
  await runBatch(db, [closeSliceQuery(db, sliceId)]);
}

const closeSliceQuery = (db: Db, sliceId: number) => rawRunQuery(db, sql`delete from scheduler_slices where id = ${sliceId}`);

/**
 * Queue a slice's messages, audit it (one entry per committed slice saying what it queued) and close its journal
 * row, in one batch. Returns the outbox rows inserted (a message already queued under its key is not).
 */
export async function commitSlice(
  db: Db,
  at: number,
  sliceId: number,
  messages: OutboundMessage[],
  detail: { steps: number; byKind: Record<string, number> },
): Promise<Array<{ id: number; dedupeKey: string }>> {
  const queries = outboxInsertMany(db, messages, at);
  const outboxQueries = queries.length;
  queries.push(
    auditInsert(db, {
      at, actor: 'scheduler', channel: 'system', action: 'reminder.batch', entity: 'scheduler', entityId: shanghaiDate(at),
      detail: { plannedAt: at, steps: detail.steps, byKind: detail.byKind, messages: messages.length },
    }),
    closeSliceQuery(db, sliceId),
  );
  const inserted = (await runBatch(db, queries)).slice(0, outboxQueries).flat() as Array<[number, string]>;
  return inserted.map(([id, dedupeKey]) => ({ id, dedupeKey }));
}

/** Give a slice's claims back (with its journal row, in one commit), so the next pass plans those steps again. */
export async function giveBackSlice(db: Db, sliceId: number, claimIds: number[]): Promise<void> {
  const step = maxBoundParams(db) - 10;
  const giveBack = [];
  for (let i = 0; i < claimIds.length; i += step) giveBack.push(db.delete(reminderLog).where(inArray(reminderLog.id, claimIds.slice(i, i + step))));
  await runBatch(db, [...giveBack, closeSliceQuery(db, sliceId)]);
}

/**
 * Give back the claims of slices whose journal row is older than `before` (their pass died between committing the
 * claims and queueing the messages), with an audit entry, in one batch. Returns how many slices and claims.
 */
export async function giveBackDeadSlices(db: Db, now: number, before: number): Promise<{ slices: number; claims: number }> {
  const dead = await db.select().from(schedulerSlices).where(lt(schedulerSlices.createdAt, before));
  if (dead.length === 0) return { slices: 0, claims: 0 };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const queries: any[] = dead.flatMap((d) => [
    db
      .delete(reminderLog)
      .where(and(between(reminderLog.id, d.firstClaimId, d.lastClaimId ?? d.firstClaimId - 1), eq(reminderLog.plannedAt, d.plannedAt)))
      .returning({ id: reminderLog.id }),
    db.delete(schedulerSlices).where(eq(schedulerSlices.id, d.id)),
  ]);
  queries.push(
    auditInsert(db, {
      at: now, actor: 'scheduler', channel: 'system', action: 'reminder.recovered', entity: 'scheduler',
      entityId: shanghaiDate(dead[0]!.plannedAt),
      detail: { slices: dead.map(({ plannedAt, firstClaimId, lastClaimId, createdAt }) => ({ plannedAt, firstClaimId, lastClaimId, createdAt })) },
    }),
  );
  const results = await runBatch(db, queries);
  const claims = results.slice(0, -1).filter((_, i) => i % 2 === 0).reduce((n: number, r) => n + (r as unknown[]).length, 0);
  return { slices: dead.length, claims };
}
