// The plan loader: upsert a PlanFile into the database (plan, units, tasks, deadlines, assignments, targets) and
// report what changed. Re-applying a revised plan updates in place; progress is never dropped.
import { eq, inArray, sql, type SQL } from 'drizzle-orm';
import { auditInsertMany, type AuditEntry } from '../db/audit.js';
import { runBatch } from '../db/batch.js';
import type { Db } from '../db/client.js';
import {
  assignments,
  deadlines,
  extensionRequests,
  plans,
  progressReports,
  targets,
  tasks,
  units,
  type PlanOutline,
} from '../db/schema.js';
import { deadlineKey } from '../domain/deadline-text.js';
import { planFile, type DeadlineSpec, type PlanFile, type TargetSpec } from '../domain/plan-file.js';
import { createUnitResolver, normalizeUnitName } from '../domain/unit-names.js';
import { DubanError } from '../domain/errors.js';

export interface ApplyPlanOptions {
  now: number;
  /** Audit actor: 'cli' | 'system' | 'person:<id>' … */
  actor: string;
  channel: string;
  personId?: number | null;
  /** Compute the report but write nothing. */
  dryRun?: boolean;
  /**
   * Withdraw stored tasks the file does not list (default true: a plan file is the whole plan). A table import
   * passes false unless the office asked for `--withdraw-missing`: a table may hold only some tasks.
   */
  withdrawMissing?: boolean;
}

export interface AssignmentChange {
  task: string;
  unit: string;
  role: 'lead' | 'co';
}

export interface PlanChangeReport {
  planCode: string;
  planTitle: string;
  dryRun: boolean;
  planCreated: boolean;
  /** Plan fields changed (title, issuer, source, outline). */
  planUpdated: string[];
  unitsAdded: string[];
  unitsUpdated: Array<{ unit: string; fields: string[] }>;
  tasksAdded: string[];
  tasksUpdated: Array<{ task: string; fields: string[] }>;
  tasksWithdrawn: string[];
  /** Active tasks the file does not list, left as they are (withdrawMissing false). */
  tasksMissing: string[];
  /** Withdrawn tasks on which progress had been reported (kept, with their reports). */
  withdrawnWithProgress: string[];
  tasksRestored: string[];
  deadlinesChanged: Array<{ task: string; before: string[]; after: string[] }>;
  assignmentsAdded: AssignmentChange[];
  assignmentsRemoved: AssignmentChange[];
  /** Dropped by the file but kept because progress was reported on them. */
  assignmentsKept: Array<AssignmentChange & { reports: number }>;
  assignmentsConfirmed: AssignmentChange[];
  assignmentsRoleChanged: Array<AssignmentChange & { from: 'lead' | 'co' }>;
  targetsAdded: string[];
  targetsUpdated: Array<{ target: string; fields: string[] }>;
  /** Number of tasks in the file. */
  taskCount: number;
  /** True when anything was (or, in a dry run, would be) written. */
  changed: boolean;
}

export class PlanValidationError extends DubanError {
  constructor(readonly issues: string[]) {
    super('plan_invalid', `计划文件有误，未写入任何数据：\n${issues.map((i) => `  - ${i}`).join('\n')}`, {
      hint: '请逐条改正计划文件后重新载入；改正前数据库保持原样。',
    });
  }
}

/** D1 allows 100 bound parameters per statement; leave headroom. */
const PARAM_BUDGET = 90;

function chunks<T>(rows: T[], paramsPerRow: number): T[][] {
  const size = Math.max(1, Math.floor(PARAM_BUDGET / paramsPerRow));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

const clean = (s: string | null | undefined) => {
  const t = (s ?? '').trim();
  return t === '' ? null : t;
};

function splitCode(code: string) {
  const [chapter, section, seq] = code.split('.').map(Number) as [number, number, number];
  return { chapter, section, seq };
}

function roleZh(role: string) {
  return role === 'lead' ? '牵头' : '配合';
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

type UnitRef = { id: number; name: string };

/**
 * Upsert `input` (a PlanFile or raw JSON) into the database. Matches plan by code, units by name or alias,
 * tasks by code within the plan, targets by code. A task missing from the file is withdrawn (kept with its
 * history); an assignment missing from the file is deleted only when nothing was reported on it.
 * All writes go in one atomic batch: on any error nothing is written.
 */
export async function applyPlan(db: Db, input: PlanFile | unknown, opts: ApplyPlanOptions): Promise<PlanChangeReport> {
  const parsed = planFile.safeParse(input);
  if (!parsed.success) {
    throw new PlanValidationError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(根)'}：${i.message}`),
    );
  }
  const plan = parsed.data;
  const { now } = opts;
  const audit: Array<Parameters<typeof auditInsertMany>[1][number]> = [];
  const au = (e: Omit<AuditEntry, 'at' | 'actor' | 'channel' | 'personId' | 'entityId'> & { entityId?: string | number | SQL | null }) =>
    audit.push({ ...e, at: now, actor: opts.actor, channel: opts.channel, personId: opts.personId ?? null } as AuditEntry);

  // ---- bulk reads --------------------------------------------------------------------------------------------
  const [existingPlan] = await db.select().from(plans).where(eq(plans.code, plan.code));
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
  let nextUnitId = (await maxId(units)) + 1;
  let nextTaskId = (await maxId(tasks)) + 1;
  const newPlanId = planId ?? (await maxId(plans)) + 1;

  // ---- validation (everything checked before anything is written) -------------------------------------------
  const issues: string[] = [];
  const seenTask = new Map<string, number>();
  plan.tasks.forEach((t, i) => {
    if (seenTask.has(t.code)) issues.push(`tasks[${i}]：任务编号 ${t.code} 与 tasks[${seenTask.get(t.code)}] 重复`);
    else seenTask.set(t.code, i);
  });
  const seenUnit = new Map<string, number>();
  plan.units.forEach((u, i) => {
    const k = normalizeUnitName(u.name);
    if (seenUnit.has(k)) issues.push(`units[${i}]：单位 ${u.name} 重复`);
    else seenUnit.set(k, i);
  });
  const seenTarget = new Set<string>();
  for (const t of plan.targets) {
    if (seenTarget.has(t.code)) issues.push(`targets：指标编号 ${t.code} 重复`);
    seenTarget.add(t.code);
    if (t.taskCode && !seenTask.has(t.taskCode) && !dbTasks.some((d) => d.code === t.taskCode))
      issues.push(`targets：指标 ${t.code} 所属任务 ${t.taskCode} 不存在`);
  }

  // ---- units ----------------------------------------------------------------------------------------------------
  const dbResolver = createUnitResolver(dbUnits);
  const unitsAdded: Array<PlanFile['units'][number] & { id: number }> = [];
  const unitsUpdated: PlanChangeReport['unitsUpdated'] = [];
  const statements: unknown[] = [];
  // Every unit the plan can name: existing units plus the file's new ones; resolved by name or alias.
  const resolvable: Array<{ name: string; aliases: string[]; ref: UnitRef }> = [];
  for (const u of plan.units) {
    const match = dbResolver.resolve(u.name) ?? u.aliases.map((a) => dbResolver.resolve(a)).find(Boolean);
    if (!match) {
      const id = nextUnitId++;
      unitsAdded.push({ ...u, id });
      resolvable.push({ name: u.name, aliases: u.aliases, ref: { id, name: u.name } });
      continue;
    }
    const fields: string[] = [];
    const set: Partial<typeof units.$inferInsert> = {};
    if (match.kind !== u.kind) {
      fields.push('kind');
      set.kind = u.kind;
    }
    // Aliases accumulate: a name people used once keeps working.
    const known = new Set([match.name, ...match.aliases].map(normalizeUnitName));
    const extra = [u.name, ...u.aliases].filter((a) => !known.has(normalizeUnitName(a)));
    if (extra.length) {
      fields.push('aliases');
      set.aliases = [...match.aliases, ...new Set(extra)];
    }
    if (fields.length) {
      unitsUpdated.push({ unit: match.name, fields });
      statements.push(db.update(units).set(set).where(eq(units.id, match.id)));
      au({ action: 'unit.update', entity: 'unit', entityId: match.id, detail: { ...set, before: { kind: match.kind, aliases: match.aliases } } });
    }
    resolvable.push({ name: u.name, aliases: u.aliases, ref: { id: match.id, name: match.name } });
  }
  for (const u of dbUnits) resolvable.push({ name: u.name, aliases: u.aliases, ref: { id: u.id, name: u.name } });
  const resolver = createUnitResolver(resolvable);

  // ---- plan -------------------------------------------------------------------------------------------------------
  const outline: PlanOutline = plan.chapters;
  const planUpdated: string[] = [];
  const planIdExpr = newPlanId;
  if (!existingPlan) {
    statements.unshift(
      db.insert(plans).values({
        id: newPlanId,
        code: plan.code,
        title: plan.title,
        issuer: plan.issuer ?? null,
        source: plan.source ?? null,
        outline,
        createdAt: now,
        updatedAt: now,
      }),
    );
    au({ action: 'plan.create', entity: 'plan', entityId: newPlanId, detail: { code: plan.code, title: plan.title } });
  } else {
    const set: Partial<typeof plans.$inferInsert> = {};
    if (existingPlan.title !== plan.title) set.title = plan.title;
    if ((existingPlan.issuer ?? null) !== (plan.issuer ?? null)) set.issuer = plan.issuer ?? null;
    if ((existingPlan.source ?? null) !== (plan.source ?? null)) set.source = plan.source ?? null;
    if (!sameJson(existingPlan.outline, outline)) set.outline = outline;
    planUpdated.push(...Object.keys(set));
    if (planUpdated.length) {
      statements.push(db.update(plans).set({ ...set, updatedAt: now }).where(eq(plans.id, existingPlan.id)));
      au({ action: 'plan.update', entity: 'plan', entityId: existingPlan.id, detail: { fields: planUpdated } });
    }
  }

  // New units go in before anything that references them.
  for (const part of chunks(unitsAdded, 5)) {
    statements.push(
      db.insert(units).values(part.map((u) => ({ id: u.id, name: u.name, kind: u.kind, aliases: u.aliases, createdAt: now }))),
    );
  }
  for (const u of unitsAdded) {
    au({ action: 'unit.create', entity: 'unit', entityId: u.id, detail: { name: u.name, kind: u.kind } });
  }
  const unitIdExpr = (ref: UnitRef): number => ref.id;

  // ---- tasks ------------------------------------------------------------------------------------------------------
  const dbTaskByCode = new Map(dbTasks.map((t) => [t.code, t]));
  const deadlinesByTask = new Map<number, Array<typeof deadlines.$inferSelect>>();
  for (const { d } of dbDeadlines) {
    const list = deadlinesByTask.get(d.taskId) ?? [];
    list.push(d);
    deadlinesByTask.set(d.taskId, list);
  }
  const assignmentsByTask = new Map<number, Array<(typeof dbAssignments)[number]>>();
  for (const row of dbAssignments) {
    const list = assignmentsByTask.get(row.a.taskId) ?? [];
    list.push(row);
    assignmentsByTask.set(row.a.taskId, list);
  }
  const unitNameById = new Map(dbUnits.map((u) => [u.id, u.name]));
  const newTaskIds = new Map<string, number>();
  const taskIdExpr = (code: string): number => {
    const id = dbTaskByCode.get(code)?.id ?? newTaskIds.get(code);
    if (id === undefined) throw new Error(`task ${code} has no id yet`);
    return id;
  };

  const report: PlanChangeReport = {
    planCode: plan.code,
    planTitle: plan.title,
    dryRun: !!opts.dryRun,
    planCreated: !existingPlan,
    planUpdated,
    unitsAdded: unitsAdded.map((u) => u.name),
    unitsUpdated,
    tasksAdded: [],
    tasksUpdated: [],
    tasksWithdrawn: [],
    tasksMissing: [],
    withdrawnWithProgress: [],
    tasksRestored: [],
    deadlinesChanged: [],
    assignmentsAdded: [],
    assignmentsRemoved: [],
    assignmentsKept: [],
    assignmentsConfirmed: [],
    assignmentsRoleChanged: [],
    targetsAdded: [],
    targetsUpdated: [],
    taskCount: plan.tasks.length,
    changed: false,
  };

  const newTaskRows: Array<typeof tasks.$inferInsert> = [];
  const newDeadlineRows: Array<{ taskId: number; d: DeadlineSpec }> = [];
  const deadlineDeleteTaskIds: number[] = [];
  const newAssignmentRows: Array<{ taskId: number; unitId: number; role: string; proposed: boolean }> = [];
  const assignmentDeleteIds: number[] = [];
  const assignmentConfirmIds: number[] = [];
  const withdrawIds: number[] = [];

  for (const t of plan.tasks) {
    // Resolve this task's units; a unit named twice keeps its first role (lead is listed first).
    const wanted = new Map<string, { ref: UnitRef; role: 'lead' | 'co'; proposed: boolean }>();
    for (const a of t.assignments) {
      const hit = resolver.resolve(a.unit);
      if (!hit) {
        const hint = resolver.suggest(a.unit);
        issues.push(`任务 ${t.code}：单位“${a.unit}”不在单位名单中${hint.length ? `，是否是：${hint.join('、')}？` : ''}`);
        continue;
      }
      const key = hit.ref.id !== null ? `id:${hit.ref.id}` : `new:${hit.ref.name}`;
      if (!wanted.has(key)) wanted.set(key, { ref: hit.ref, role: a.role, proposed: a.proposed });
    }
    const { chapter, section, seq } = splitCode(t.code);
    const existing = dbTaskByCode.get(t.code);
    if (!existing) {
      report.tasksAdded.push(t.code);
      newTaskIds.set(t.code, nextTaskId++);
      newTaskRows.push({
        id: newTaskIds.get(t.code)!,
        planId: planIdExpr,
        code: t.code,
        chapter,
        section,
        seq,
        title: t.title.trim(),
        sourceText: t.text.trim(),
        note: clean(t.note),
        state: 'active',
        createdAt: now,
        updatedAt: now,
      });
      for (const d of t.deadlines) newDeadlineRows.push({ taskId: taskIdExpr(t.code), d });
      for (const w of wanted.values()) {
        newAssignmentRows.push({ taskId: taskIdExpr(t.code), unitId: unitIdExpr(w.ref), role: w.role, proposed: w.proposed });
      }
      au({
        action: 'task.create',
        entity: 'task',
        entityId: taskIdExpr(t.code),
        detail: {
          code: t.code,
          title: t.title,
          deadlines: t.deadlines.map((d) => d.label + (d.what ?? '')),
          assignments: [...wanted.values()].map((w) => ({ unit: w.ref.name, role: w.role, proposed: w.proposed })),
        },
      });
      continue;
    }

    // Existing task: compare fields.
    const set: Partial<typeof tasks.$inferInsert> = {};
    const fields: string[] = [];
    if (existing.title.trim() !== t.title.trim()) (set.title = t.title.trim()), fields.push('title');
    if (existing.sourceText.trim() !== t.text.trim()) (set.sourceText = t.text.trim()), fields.push('text');
    if (clean(existing.note) !== clean(t.note)) (set.note = clean(t.note)), fields.push('note');
    if (existing.state === 'withdrawn') {
      set.state = 'active';
      report.tasksRestored.push(t.code);
    }
    if (fields.length) report.tasksUpdated.push({ task: t.code, fields });
    if (fields.length || set.state) {
      statements.push(db.update(tasks).set({ ...set, updatedAt: now }).where(eq(tasks.id, existing.id)));
      au({
        action: set.state ? 'task.restore' : 'task.update',
        entity: 'task',
        entityId: existing.id,
        detail: { code: t.code, fields, before: Object.fromEntries(Object.keys(set).map((k) => [k, existing[k as keyof typeof existing]])), after: set },
      });
    }

    // Deadlines: compared by meaning, replaced as a whole when they differ.
    const oldDl = deadlinesByTask.get(existing.id) ?? [];
    const oldKeys = oldDl.map((d) => deadlineKey(d as DeadlineSpec)).sort();
    const newKeys = t.deadlines.map((d) => deadlineKey(d)).sort();
    if (!sameJson(oldKeys, newKeys)) {
      const before = oldDl.map((d) => d.label + (d.what ?? ''));
      const after = t.deadlines.map((d) => d.label + (d.what ?? ''));
      report.deadlinesChanged.push({ task: t.code, before, after });
      if (oldDl.length) deadlineDeleteTaskIds.push(existing.id);
      for (const d of t.deadlines) newDeadlineRows.push({ taskId: existing.id, d });
      au({ action: 'task.deadlines', entity: 'task', entityId: existing.id, detail: { code: t.code, before, after } });
    }

    // Assignments.
    const have = assignmentsByTask.get(existing.id) ?? [];
    const haveByUnit = new Map(have.map((r) => [`id:${r.a.unitId}`, r]));
    for (const [key, w] of wanted) {
      const row = haveByUnit.get(key);
      const change: AssignmentChange = { task: t.code, unit: w.ref.name, role: w.role };
      if (!row) {
        report.assignmentsAdded.push(change);
        newAssignmentRows.push({ taskId: existing.id, unitId: unitIdExpr(w.ref), role: w.role, proposed: w.proposed });
        au({
          action: 'assignment.create',
          entity: 'assignment',
          entityId: sql`(select cast(id as text) from ${assignments} where ${assignments.taskId} = ${existing.id} and ${assignments.unitId} = ${unitIdExpr(w.ref)})`,
          detail: { task: t.code, unit: w.ref.name, role: w.role, proposed: w.proposed },
        });
        continue;
      }
      if (row.a.role !== w.role) {
        report.assignmentsRoleChanged.push({ ...change, from: row.a.role as 'lead' | 'co' });
        statements.push(db.update(assignments).set({ role: w.role, updatedAt: now }).where(eq(assignments.id, row.a.id)));
        au({ action: 'assignment.role', entity: 'assignment', entityId: row.a.id, detail: { task: t.code, unit: w.ref.name, from: row.a.role, to: w.role } });
      }
      // Confirmation is one-way: a later file that still marks it proposed does not un-confirm it.
      if (row.a.proposed && !w.proposed) {
        report.assignmentsConfirmed.push(change);
        assignmentConfirmIds.push(row.a.id);
        au({ action: 'assignment.confirm', entity: 'assignment', entityId: row.a.id, detail: { task: t.code, unit: w.ref.name, role: w.role } });
      }
    }
    for (const row of have) {
      if (wanted.has(`id:${row.a.unitId}`)) continue;
      const change: AssignmentChange = { task: t.code, unit: unitNameById.get(row.a.unitId) ?? String(row.a.unitId), role: row.a.role as 'lead' | 'co' };
      const used = Number(row.reports) > 0 || Number(row.extensions) > 0 || row.a.percent > 0 || row.a.state !== 'not_started';
      if (used) {
        report.assignmentsKept.push({ ...change, reports: Number(row.reports) });
        continue;
      }
      report.assignmentsRemoved.push(change);
      assignmentDeleteIds.push(row.a.id);
      au({ action: 'assignment.delete', entity: 'assignment', entityId: row.a.id, detail: { ...change } });
    }
  }

  // Tasks the file no longer lists are withdrawn, never deleted.
  for (const t of dbTasks) {
    if (seenTask.has(t.code) || t.state === 'withdrawn') continue;
    if (opts.withdrawMissing === false) {
      report.tasksMissing.push(t.code);
      continue;
    }
    report.tasksWithdrawn.push(t.code);
    if ((assignmentsByTask.get(t.id) ?? []).some((r) => Number(r.reports) > 0)) report.withdrawnWithProgress.push(t.code);
    withdrawIds.push(t.id);
    au({ action: 'task.withdraw', entity: 'task', entityId: t.id, detail: { code: t.code } });
  }

  // ---- targets ----------------------------------------------------------------------------------------------------
  const dbTargetByCode = new Map(dbTargets.map((t) => [t.code, t]));
  const targetRow = (t: TargetSpec) => ({
    indicator: t.indicator,
    aliases: t.aliases,
    comparator: t.comparator,
    value: t.value,
    unit: t.unit ?? null,
    year: t.year,
    scope: t.scope ?? null,
    sourceText: t.sourceText ?? null,
  });
  const newTargetRows: Array<typeof targets.$inferInsert> = [];
  // Target updates may point at tasks inserted by this batch: they run after the inserts.
  const late: unknown[] = [];
  for (const t of plan.targets) {
    const existing = dbTargetByCode.get(t.code);
    const row = targetRow(t);
    const taskKnown = t.taskCode && (dbTaskByCode.has(t.taskCode) || newTaskIds.has(t.taskCode));
    if (t.taskCode && !taskKnown) continue; // already reported as an issue above
    const taskId = t.taskCode ? taskIdExpr(t.taskCode) : null;
    if (!existing) {
      report.targetsAdded.push(t.code);
      newTargetRows.push({ planId: planIdExpr, taskId, code: t.code, ...row });
      au({ action: 'target.create', entity: 'target', entityId: null, detail: { code: t.code, ...row } });
      continue;
    }
    const fields: string[] = (Object.keys(row) as Array<keyof typeof row>).filter((k) => !sameJson(existing[k] ?? null, row[k]));
    const existingTaskCode = existing.taskId ? dbTasks.find((d) => d.id === existing.taskId)?.code : undefined;
    if ((existingTaskCode ?? null) !== (t.taskCode ?? null)) fields.push('taskCode');
    if (fields.length) {
      report.targetsUpdated.push({ target: t.code, fields });
      late.push(db.update(targets).set({ ...row, taskId }).where(eq(targets.id, existing.id)));
      au({ action: 'target.update', entity: 'target', entityId: existing.id, detail: { code: t.code, fields } });
    }
  }

  if (issues.length) throw new PlanValidationError(issues);

  report.changed =
    report.planCreated ||
    [
      planUpdated,
      report.unitsAdded,
      unitsUpdated,
      report.tasksAdded,
      report.tasksUpdated,
      report.tasksWithdrawn,
      report.tasksRestored,
      report.deadlinesChanged,
      report.assignmentsAdded,
      report.assignmentsRemoved,
      report.assignmentsConfirmed,
      report.assignmentsRoleChanged,
      report.targetsAdded,
      report.targetsUpdated,
    ].some((l) => l.length > 0);
  if (opts.dryRun || !report.changed) return report;

  // ---- statements, in dependency order ------------------------------------------------------------------------
  for (const part of chunks(newTaskRows, 12)) statements.push(db.insert(tasks).values(part));
  for (const part of chunks(withdrawIds, 1)) {
    statements.push(db.update(tasks).set({ state: 'withdrawn', updatedAt: now }).where(inArray(tasks.id, part)));
  }
  for (const part of chunks(deadlineDeleteTaskIds, 1)) statements.push(db.delete(deadlines).where(inArray(deadlines.taskId, part)));
  for (const part of chunks(newDeadlineRows, 8)) {
    statements.push(
      db.insert(deadlines).values(
        part.map(({ taskId, d }) => ({
          taskId,
          kind: d.kind,
          dueDate: d.dueDate ?? null,
          recurrence: d.recurrence ?? null,
          label: d.label,
          what: d.what ?? null,
        })),
      ),
    );
  }
  for (const part of chunks(assignmentDeleteIds, 1)) statements.push(db.delete(assignments).where(inArray(assignments.id, part)));
  for (const part of chunks(assignmentConfirmIds, 1)) {
    statements.push(db.update(assignments).set({ proposed: false, updatedAt: now }).where(inArray(assignments.id, part)));
  }
  for (const part of chunks(newAssignmentRows, 9)) {
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
  for (const part of chunks(newTargetRows, 14)) statements.push(db.insert(targets).values(part));
  statements.push(...late);
  // Audit rows last: their entity ids are subqueries on the rows inserted above.
  au({
    action: existingPlan ? 'plan.reimport' : 'plan.load',
    entity: 'plan',
    entityId: newPlanId,
    detail: summarizeReport(report),
  });
  statements.push(...auditInsertMany(db, audit));
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
  return report;
}

/** Counts of a report, for the audit log and logs. */
export function summarizeReport(r: PlanChangeReport): Record<string, number | string | boolean> {
  return {
    plan: r.planCode,
    planCreated: r.planCreated,
    unitsAdded: r.unitsAdded.length,
    unitsUpdated: r.unitsUpdated.length,
    tasksAdded: r.tasksAdded.length,
    tasksUpdated: r.tasksUpdated.length,
    tasksWithdrawn: r.tasksWithdrawn.length,
    tasksMissing: r.tasksMissing.length,
    tasksRestored: r.tasksRestored.length,
    deadlinesChanged: r.deadlinesChanged.length,
    assignmentsAdded: r.assignmentsAdded.length,
    assignmentsRemoved: r.assignmentsRemoved.length,
    assignmentsKept: r.assignmentsKept.length,
    assignmentsConfirmed: r.assignmentsConfirmed.length,
    assignmentsRoleChanged: r.assignmentsRoleChanged.length,
    targetsAdded: r.targetsAdded.length,
    targetsUpdated: r.targetsUpdated.length,
  };
}

const FIELD_ZH: Record<string, string> = {
  title: '标题',
  text: '任务内容',
  note: '备注',
  kind: '类型',
  aliases: '别名',
  issuer: '印发单位',
  source: '来源',
  outline: '篇章目录',
  indicator: '指标',
  comparator: '比较符',
  value: '目标值',
  unit: '单位',
  year: '年份',
  scope: '范围',
  sourceText: '原文',
  taskCode: '所属任务',
};

/** The change report as Chinese lines for the operator. Long lists are cut to `limit` items each. */
export function formatPlanReport(r: PlanChangeReport, limit = 20): string[] {
  const lines: string[] = [];
  const head = r.dryRun ? '【试运行，未写入】' : '';
  const list = (items: string[]) =>
    items.length > limit ? `${items.slice(0, limit).join('、')} 等 ${items.length} 项` : items.join('、');
  const f = (fields: string[]) => fields.map((x) => FIELD_ZH[x] ?? x).join('、');
  lines.push(`${head}计划 ${r.planCode}《${r.planTitle}》：${r.planCreated ? '新建' : '更新'}，文件共 ${r.taskCount} 项任务。`);
  if (!r.changed) {
    lines.push(r.dryRun ? '与数据库一致，导入不会改变任何数据。' : '与数据库一致，没有变化。');
  }
  if (r.planUpdated.length) lines.push(`计划信息变更：${f(r.planUpdated)}`);
  if (r.unitsAdded.length) lines.push(`新增单位 ${r.unitsAdded.length} 个：${list(r.unitsAdded)}`);
  if (r.unitsUpdated.length) lines.push(`单位信息更新 ${r.unitsUpdated.length} 个：${list(r.unitsUpdated.map((u) => `${u.unit}（${f(u.fields)}）`))}`);
  if (r.tasksAdded.length) lines.push(`新增任务 ${r.tasksAdded.length} 项：${list(r.tasksAdded)}`);
  if (r.tasksUpdated.length) lines.push(`修改任务 ${r.tasksUpdated.length} 项：${list(r.tasksUpdated.map((t) => `${t.task}（${f(t.fields)}）`))}`);
  if (r.tasksRestored.length) lines.push(`恢复此前撤销的任务 ${r.tasksRestored.length} 项：${list(r.tasksRestored)}`);
  if (r.tasksWithdrawn.length)
    lines.push(`撤销任务 ${r.tasksWithdrawn.length} 项（文件中已没有；任务和进度记录都保留，可再次导入恢复）：${list(r.tasksWithdrawn)}`);
  if (r.tasksMissing.length)
    lines.push(
      `文件中没有的任务 ${r.tasksMissing.length} 项保持不变（未撤销）。如要撤销文件中没有的任务，加 --withdraw-missing（将撤销 ${r.tasksMissing.length} 项：${list(r.tasksMissing)}）。`,
    );
  if (r.withdrawnWithProgress.length)
    lines.push(`注意：其中 ${r.withdrawnWithProgress.length} 项已有进度报送：${list(r.withdrawnWithProgress)}。如果是漏填，请补回后重新导入。`);
  if (r.deadlinesChanged.length)
    lines.push(
      `完成时限变更 ${r.deadlinesChanged.length} 项：${list(r.deadlinesChanged.map((d) => `${d.task}（${d.before.join('；') || '无'} → ${d.after.join('；') || '无'}）`))}`,
    );
  const ac = (a: AssignmentChange) => `${a.task} ${a.unit}（${roleZh(a.role)}）`;
  if (r.assignmentsAdded.length) lines.push(`新增分工 ${r.assignmentsAdded.length} 条：${list(r.assignmentsAdded.map(ac))}`);
  if (r.assignmentsRoleChanged.length)
    lines.push(`分工角色变更 ${r.assignmentsRoleChanged.length} 条：${list(r.assignmentsRoleChanged.map((a) => `${a.task} ${a.unit}（${roleZh(a.from)}→${roleZh(a.role)}）`))}`);
  if (r.assignmentsConfirmed.length) lines.push(`确认分工 ${r.assignmentsConfirmed.length} 条：${list(r.assignmentsConfirmed.map(ac))}`);
  if (r.assignmentsRemoved.length) lines.push(`删除分工 ${r.assignmentsRemoved.length} 条（均无进度报送）：${list(r.assignmentsRemoved.map(ac))}`);
  if (r.assignmentsKept.length)
    lines.push(
      `注意：文件中已去掉但已有进度报送、因此保留的分工 ${r.assignmentsKept.length} 条：${list(r.assignmentsKept.map((a) => `${ac(a)} 已报送 ${a.reports} 次`))}。如确需取消，请在机器人中办理。`,
    );
  if (r.targetsAdded.length) lines.push(`新增指标 ${r.targetsAdded.length} 个：${list(r.targetsAdded)}`);
  if (r.targetsUpdated.length) lines.push(`修改指标 ${r.targetsUpdated.length} 个：${list(r.targetsUpdated.map((t) => `${t.target}（${f(t.fields)}）`))}`);
  return lines;
}

