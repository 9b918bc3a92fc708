// The plan's tables (plans, units, tasks, deadlines, assignments, targets): the state the plan diff
// (src/domain/plan-diff.ts) reads, the writer of its change set (one atomic db.batch on both drivers), a stored plan
// read back as a PlanFile (the base a table import is merged into), and the small plan look-ups of imports/exports.
import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { DeadlineSpec, PlanFile } from '../domain/plan-file.js';
import type { PlanAuditEvent, PlanChangeSet, PlanState } from '../domain/plan-diff.js';
import { auditInsertMany, type AuditEntry } from './audit.js';
import { runBatch } from './batch.js';
import type { Db } from './client.js';
import { assignments, deadlines, extensionRequests, plans, progressReports, targets, tasks, units } from './schema.js';

export interface StoredPlanOptions {
  /** Include withdrawn tasks (default: active tasks only). */
  includeWithdrawn?: boolean;
}

/** The stored plan `code` as a PlanFile with every unit in the database, or null when there is no such plan. */
export async function readStoredPlan(db: Db, code: string, opts: StoredPlanOptions = {}): Promise<PlanFile | null> {
  const [plan] = await db.select().from(plans).where(eq(plans.code, code));
  if (!plan) return null;
  const unitRows = await db.select().from(units).orderBy(asc(units.id));
  const unitName = new Map(unitRows.map((u) => [u.id, u.name]));
  const taskRows = await db.select().from(tasks).where(eq(tasks.planId, plan.id)).orderBy(asc(tasks.id));
  const dl = await db
    .select({ d: deadlines })
    .from(deadlines)
    .innerJoin(tasks, eq(tasks.id, deadlines.taskId))
    .where(eq(tasks.planId, plan.id))
    .orderBy(asc(deadlines.id));
  const as = await db
    .select({ a: assignments })
    .from(assignments)
    .innerJoin(tasks, eq(tasks.id, assignments.taskId))
    .where(eq(tasks.planId, plan.id))
    .orderBy(asc(assignments.id));
  const targetRows = await db.select().from(targets).where(eq(targets.planId, plan.id)).orderBy(asc(targets.id));
  const dlByTask = group(dl.map((r) => r.d), (d) => d.taskId);
  const asByTask = group(as.map((r) => r.a), (a) => a.taskId);
  const codeById = new Map(taskRows.map((t) => [t.id, t.code]));
  const roleOrder = (r: string) => (r === 'lead' ? 0 : 1);
  return {
    code: plan.code,
    title: plan.title,
    ...(plan.issuer ? { issuer: plan.issuer } : {}),
    ...(plan.source ? { source: plan.source } : {}),
    chapters: plan.outline,
    units: unitRows.map((u) => ({ name: u.name, kind: u.kind as PlanFile['units'][number]['kind'], aliases: u.aliases })),
    tasks: taskRows
      .filter((t) => opts.includeWithdrawn || t.state !== 'withdrawn')
      .map((t) => ({
        code: t.code,
        title: t.title,
        text: t.sourceText,
        ...(t.note ? { note: t.note } : {}),
        deadlines: (dlByTask.get(t.id) ?? []).map(
          (d): DeadlineSpec => ({
            kind: d.kind as DeadlineSpec['kind'],
            ...(d.dueDate ? { dueDate: d.dueDate } : {}),
            ...(d.recurrence ? { recurrence: d.recurrence as DeadlineSpec['recurrence'] } : {}),
            label: d.label,
            ...(d.what ? { what: d.what } : {}),
          }),
        ),
        assignments: (asByTask.get(t.id) ?? [])
          .sort((a, b) => roleOrder(a.role) - roleOrder(b.role) || a.id - b.id)
          .map((a) => ({ unit: unitName.get(a.unitId) ?? String(a.unitId), role: a.role as 'lead' | 'co', proposed: a.proposed })),
      })),
    targets: targetRows.map((t) => ({
      code: t.code,
      ...(t.taskId && codeById.get(t.taskId) ? { taskCode: codeById.get(t.taskId)! } : {}),
      indicator: t.indicator,
      aliases: t.aliases,
      comparator: t.comparator as PlanFile['targets'][number]['comparator'],
      value: t.value,
      ...(t.unit ? { unit: t.unit } : {}),
      year: t.year,
      ...(t.scope ? { scope: t.scope } : {}),
      ...(t.sourceText ? { sourceText: t.sourceText } : {}),
    })),
  };
}

function group<T>(rows: T[], key: (r: T) => number): Map<number, T[]> {
  const m = new Map<number, T[]>();
  for (const r of rows) {
    const l = m.get(key(r));
    if (l) l.push(r);
    else m.set(key(r), [r]);
  }
  return m;
}

/** True when the database holds any plan. */
export async function hasAnyPlan(db: Db): Promise<boolean> {
  const [row] = await db.select({ n: sql<number>`count(*)` }).from(plans);
  return Number(row?.n ?? 0) > 0;
}

/** The codes of every stored plan. */
export async function listPlanCodes(db: Db): Promise<string[]> {
  return (await db.select({ code: plans.code }).from(plans)).map((p) => p.code);
}

/** The code of the first stored plan (lowest id), or null when there is none. */
export async function firstPlanCode(db: Db): Promise<string | null> {
  const [first] = await db.select({ code: plans.code }).from(plans).orderBy(asc(plans.id)).limit(1);
  return first?.code ?? null;
}

/** The id of plan `code`, or undefined. */
export async function planIdOf(db: Db, code: string): Promise<number | undefined> {
  const [planRow] = await db.select({ id: plans.id }).from(plans).where(eq(plans.code, code));
  return planRow?.id;
}

/** Every unit's name by id. */
export async function unitNamesById(db: Db): Promise<Map<number, string>> {
  return new Map((await db.select({ id: units.id, name: units.name }).from(units)).map((u) => [u.id, u.name]));
}

/** Every stored unit (all columns). */
export async function listUnits(db: Db) {
  return db.select().from(units);
}

/** Plan `code`'s stored rows, every unit and the next free ids: what diffPlan compares a plan file with. */
export async function readPlanState(db: Db, code: string): Promise<PlanState> {
  const [existingPlan] = await db.select().from(plans).where(eq(plans.code, code));
  const dbUnits = await db.select().from(units);
  const planId = existingPlan?.id;
  const dbTasks = planId ? await db.select().from(tasks).where(eq(tasks.planId, planId)) : [];
  const dbDeadlines = planId
    ? await db
        .select({ d: deadlines })
        .from(deadlines)
        .innerJoin(tasks, eq(deadlines.taskId, tasks.id))
        .where(eq(tasks.planId, planId))
        .orderBy(deadlines.id)
    : [];
  const dbAssignments = planId
    ? await db
        .select({
          a: assignments,
          reports: sql<number>`(select count(*) from ${progressReports} where ${progressReports.assignmentId} = ${assignments.id})`,
          extensions: sql<number>`(select count(*) from ${extensionRequests} where ${extensionRequests.assignmentId} = ${assignments.id})`,
        })
        .from(assignments)
        .innerJoin(tasks, eq(assignments.taskId, tasks.id))
        .where(eq(tasks.planId, planId))
        .orderBy(assignments.id)
    : [];
  const dbTargets = planId ? await db.select().from(targets).where(eq(targets.planId, planId)) : [];
  // New plans, units and tasks get explicit ids so their children in the same batch can name them. Only imports
  // insert these rows; if another import raced us, the batch fails on the primary key and writes nothing.
  const maxId = async (table: typeof plans | typeof units | typeof tasks) =>
    Number((await db.select({ m: sql<number>`coalesce(max(${table.id}), 0)` }).from(table))[0]?.m ?? 0);
  const nextUnitId = (await maxId(units)) + 1;
  const nextTaskId = (await maxId(tasks)) + 1;
  const nextPlanId = planId ?? (await maxId(plans)) + 1;
  return {
    plan: existingPlan,
    units: dbUnits,
    tasks: dbTasks,
    deadlines: dbDeadlines.map((r) => r.d),
    assignments: dbAssignments,
    targets: dbTargets,
    nextPlanId,
    nextUnitId,
    nextTaskId,
  };
}

/** Who makes a change, for its audit rows. */
export interface ChangeAuthor {
  now: number;
  actor: string;
  channel: string;
  personId?: number | null;
}

/** D1 allows 100 bound parameters per statement; leave headroom. */
const PARAM_BUDGET = 90;

function chunks<T>(rows: T[], paramsPerRow: number): T[][] {
  const size = Math.max(1, Math.floor(PARAM_BUDGET / paramsPerRow));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/**
 * Write a plan change set (from diffPlan) in one atomic batch, dependencies first; on any error nothing is written.
 * A UNIQUE conflict (another import raced this one) becomes a Chinese error that says to run the import again.
 */
export async function writePlanChanges(db: Db, c: PlanChangeSet, by: ChangeAuthor): Promise<void> {
  const { now } = by;
  const statements: unknown[] = [];
  if (c.planInsert) statements.push(db.insert(plans).values({ id: c.planId, ...c.planInsert, createdAt: now, updatedAt: now }));
  for (const u of c.unitUpdates) statements.push(db.update(units).set(u.set).where(eq(units.id, u.id)));
  if (c.planUpdate) statements.push(db.update(plans).set({ ...c.planUpdate, updatedAt: now }).where(eq(plans.id, c.planId)));
  // New units go in before anything that references them.
  for (const part of chunks(c.unitInserts, 5)) {
    statements.push(
      db.insert(units).values(part.map((u) => ({ id: u.id, name: u.name, kind: u.kind, aliases: u.aliases, createdAt: now }))),
    );
  }
  for (const t of c.taskUpdates) statements.push(db.update(tasks).set({ ...t.set, updatedAt: now }).where(eq(tasks.id, t.id)));
  for (const a of c.assignmentRoleUpdates) {
    statements.push(db.update(assignments).set({ role: a.role, updatedAt: now }).where(eq(assignments.id, a.id)));
  }
  const newTaskRows = c.taskInserts.map((t) => ({ ...t, state: 'active', createdAt: now, updatedAt: now }));
  for (const part of chunks(newTaskRows, 12)) statements.push(db.insert(tasks).values(part));
  for (const part of chunks(c.taskWithdrawIds, 1)) {
    statements.push(db.update(tasks).set({ state: 'withdrawn', updatedAt: now }).where(inArray(tasks.id, part)));
  }
  for (const part of chunks(c.deadlineDeleteTaskIds, 1)) statements.push(db.delete(deadlines).where(inArray(deadlines.taskId, part)));
  for (const part of chunks(c.deadlineInserts, 8)) {
    statements.push(
      db.insert(deadlines).values(part),
    );
  }
  for (const part of chunks(c.assignmentDeleteIds, 1)) statements.push(db.delete(assignments).where(inArray(assignments.id, part)));
  for (const part of chunks(c.assignmentConfirmIds, 1)) {
    statements.push(db.update(assignments).set({ proposed: false, updatedAt: now }).where(inArray(assignments.id, part)));
  }
  for (const part of chunks(c.assignmentInserts, 9)) {
    statements.push(
      db.insert(assignments).values(
        part.map((r) => ({
          taskId: r.taskId,
          unitId: r.unitId,
          role: r.role,
          proposed: r.proposed,
          state: 'not_started',
          percent: 0,
          createdAt: now,
          updatedAt: now,
        })),
      ),
    );
  }
  for (const part of chunks(c.targetInserts, 14)) statements.push(db.insert(targets).values(part));
  // Target updates may point at tasks inserted by this batch: they run after the inserts.
  for (const t of c.targetUpdates) statements.push(db.update(targets).set(t.set).where(eq(targets.id, t.id)));
  // Audit rows last: their entity ids may be subqueries on the rows inserted above.
  statements.push(...auditInsertMany(db, c.audit.map((e) => auditEntry(e, by))));
  try {
    await runBatch(db, statements);
  } catch (err) {
    if (/UNIQUE constraint failed/i.test((err as Error).message)) {
      throw new Error(
        `写入时与数据库中的其他改动冲突（${(err as Error).message}），未写入任何数据。请重新运行导入；如仍失败，请联系维护人员。`,
      );
    }
    throw err;
  }
}

function auditEntry(e: PlanAuditEvent, by: ChangeAuthor) {
  const base = { at: by.now, actor: by.actor, channel: by.channel, personId: by.personId ?? null, action: e.action, entity: e.entity, detail: e.detail };
  if (e.entityId !== null && typeof e.entityId === 'object') {
    const { taskId, unitId } = e.entityId.assignmentOf;
    return {
      ...base,
      entityId: sql`(select cast(id as text) from ${assignments} where ${assignments.taskId} = ${taskId} and ${assignments.unitId} = ${unitId})`,
    };
  }
  return { ...base, entityId: e.entityId } as AuditEntry;
}
