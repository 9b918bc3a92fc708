// The plan diff, pure: the stored state of one plan + an incoming PlanFile → the change set to write (rows to add,
// update, withdraw, delete), the audit entries that record it, the operator's change report and the problems that
// stop the load. No I/O: src/db/plan-store.ts reads the state and writes the change set; src/plans/load.ts runs them.
import { deadlineKey } from './deadline-text.js';
import type { DeadlineSpec, PlanFile, TargetSpec } from './plan-file.js';
import { createUnitResolver, normalizeUnitName } from './unit-names.js';

// ---- the stored state the diff reads (the columns it compares; store rows may carry more) ----------------------

export interface StoredPlanRow {
  id: number;
  code: string;
  title: string;
  issuer: string | null;
  source: string | null;
  outline: unknown;
}
export interface StoredUnitRow {
  id: number;
  name: string;
  kind: string;
  aliases: string[];
}
export interface StoredTaskRow {
  id: number;
  code: string;
  title: string;
  sourceText: string;
  note: string | null;
  state: string;
}
export interface StoredDeadlineRow {
  taskId: number;
  kind: string;
  dueDate: string | null;
  recurrence: string | null;
  label: string;
  what: string | null;
}
export interface StoredAssignmentRow {
  id: number;
  taskId: number;
  unitId: number;
  role: string;
  proposed: boolean;
  percent: number;
  state: string;
}
export interface StoredTargetRow extends TargetValues {
  id: number;
  code: string;
  taskId: number | null;
}

/** Everything the diff needs of the database: the plan (if stored), its rows, every unit, and the next free ids. */
export interface PlanState {
  plan: StoredPlanRow | undefined;
  units: StoredUnitRow[];
  tasks: StoredTaskRow[];
  /** The plan's deadlines in id order. */
  deadlines: StoredDeadlineRow[];
  /** The plan's assignments in id order, with how many progress reports and extension requests each has. */
  assignments: Array<{ a: StoredAssignmentRow; reports: number; extensions: number }>;
  targets: StoredTargetRow[];
  /** max(id) + 1 of plans, units and tasks: new rows get explicit ids so their children in one batch can name them. */
  nextPlanId: number;
  nextUnitId: number;
  nextTaskId: number;
}

// ---- what the diff produces ------------------------------------------------------------------------------------

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

/**
 * One audit entry of the change (who/when/channel are added by the writer). `assignmentOf` names an assignment
 * inserted by the same batch, whose id is known only once it is written.
 */
export interface PlanAuditEvent {
  action: string;
  entity: string;
  entityId: number | null | { assignmentOf: { taskId: number; unitId: number } };
  detail: Record<string, unknown>;
}

export interface PlanRowValues {
  code: string;
  title: string;
  issuer: string | null;
  source: string | null;
  outline: PlanFile['chapters'];
}
export type PlanFieldSet = Partial<Pick<PlanRowValues, 'title' | 'issuer' | 'source' | 'outline'>>;
export interface NewUnit {
  id: number;
  name: string;
  kind: string;
  aliases: string[];
}
export interface NewTask {
  id: number;
  planId: number;
  code: string;
  chapter: number;
  section: number;
  seq: number;
  title: string;
  sourceText: string;
  note: string | null;
}
export type TaskFieldSet = { title?: string; sourceText?: string; note?: string | null; state?: 'active' };
export interface TargetValues {
  indicator: string;
  aliases: string[];
  comparator: string;
  value: number;
  unit: string | null;
  year: number;
  scope: string | null;
  sourceText: string | null;
}

/**
 * The writes of one plan load, as data. The writer applies them in this order (dependencies first): plan insert,
 * unit updates, plan update, unit inserts, task updates, assignment role changes, task inserts, withdrawals,
 * deadline replacement, assignment deletes / confirmations / inserts, target inserts, target updates, audit.
 */
export interface PlanChangeSet {
  planId: number;
  planInsert: PlanRowValues | null;
  planUpdate: PlanFieldSet | null;
  unitUpdates: Array<{ id: number; set: { kind?: string; aliases?: string[] } }>;
  unitInserts: NewUnit[];
  taskUpdates: Array<{ id: number; set: TaskFieldSet }>;
  assignmentRoleUpdates: Array<{ id: number; role: 'lead' | 'co' }>;
  taskInserts: NewTask[];
  taskWithdrawIds: number[];
  /** Tasks whose stored deadlines are all deleted before deadlineInserts (a changed set is replaced whole). */
  deadlineDeleteTaskIds: number[];
  deadlineInserts: StoredDeadlineRow[];
  assignmentDeleteIds: number[];
  assignmentConfirmIds: number[];
  assignmentInserts: Array<{ taskId: number; unitId: number; role: 'lead' | 'co'; proposed: boolean }>;
  targetInserts: Array<TargetValues & { planId: number; taskId: number | null; code: string }>;
  targetUpdates: Array<{ id: number; set: TargetValues & { taskId: number | null } }>;
  audit: PlanAuditEvent[];
}

/** A deadline of the plan file as the row it is stored as. */
export function deadlineRow(taskId: number, d: DeadlineSpec): StoredDeadlineRow {
  return { taskId, kind: d.kind, dueDate: d.dueDate ?? null, recurrence: d.recurrence ?? null, label: d.label, what: d.what ?? null };
}

export interface PlanDiff {
  report: PlanChangeReport;
  changes: PlanChangeSet;
  /** Problems found (Chinese, one per line); when any, nothing may be written. */
  issues: string[];
}

export interface PlanDiffOptions {
  dryRun?: boolean;
  /**
   * Withdraw stored tasks the file does not list (default true: a plan file is the whole plan). A table import
   * passes false unless the office asked for `--withdraw-missing`: a table may hold only some tasks.
   */
  withdrawMissing?: boolean;
}

const clean = (s: string | null | undefined) => {
  const t = (s ?? '').trim();
  return t === '' ? null : t;
};

function splitCode(code: string) {
  const [chapter, section, seq] = code.split('.').map(Number) as [number, number, number];
  return { chapter, section, seq };
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

type UnitRef = { id: number; name: string };

/**
 * Compare the validated plan file `plan` with the stored `state`. Matches units by name or alias, tasks by code
 * within the plan, targets by code. A task missing from the file is withdrawn (kept with its history) unless
 * `withdrawMissing` is false; an assignment missing from the file is deleted only when nothing was reported on it.
 */
export function diffPlan(state: PlanState, plan: PlanFile, opts: PlanDiffOptions = {}): PlanDiff {
  const existingPlan = state.plan;
  const dbUnits = state.units;
  const dbTasks = state.tasks;
  const dbAssignments = state.assignments;
  const dbTargets = state.targets;
  let nextUnitId = state.nextUnitId;
  let nextTaskId = state.nextTaskId;
  const newPlanId = existingPlan?.id ?? state.nextPlanId;
  const audit: PlanAuditEvent[] = [];
  const au = (e: Omit<PlanAuditEvent, 'entityId'> & { entityId?: PlanAuditEvent['entityId'] }) =>
    audit.push({ ...e, entityId: e.entityId ?? null });
  const changes: PlanChangeSet = {
    planId: newPlanId,
    planInsert: null,
    planUpdate: null,
    unitUpdates: [],
    unitInserts: [],
    taskUpdates: [],
    assignmentRoleUpdates: [],
    taskInserts: [],
    taskWithdrawIds: [],
    deadlineDeleteTaskIds: [],
    deadlineInserts: [],
    assignmentDeleteIds: [],
    assignmentConfirmIds: [],
    assignmentInserts: [],
    targetInserts: [],
    targetUpdates: [],
    audit,
  };

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
  const unitsAdded: NewUnit[] = [];
  const unitsUpdated: PlanChangeReport['unitsUpdated'] = [];
  // Every unit the plan can name: existing units plus the file's new ones; resolved by name or alias.
  const resolvable: Array<{ name: string; aliases: string[]; ref: UnitRef }> = [];
  for (const u of plan.units) {
    const match = dbResolver.resolve(u.name) ?? u.aliases.map((a) => dbResolver.resolve(a)).find(Boolean);
    if (!match) {
      const id = nextUnitId++;
      unitsAdded.push({ id, name: u.name, kind: u.kind, aliases: u.aliases });
      resolvable.push({ name: u.name, aliases: u.aliases, ref: { id, name: u.name } });
      continue;
    }
    const fields: string[] = [];
    const set: { kind?: string; aliases?: string[] } = {};
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
      changes.unitUpdates.push({ id: match.id, set });
      au({ action: 'unit.update', entity: 'unit', entityId: match.id, detail: { ...set, before: { kind: match.kind, aliases: match.aliases } } });
    }
    resolvable.push({ name: u.name, aliases: u.aliases, ref: { id: match.id, name: match.name } });
  }
  for (const u of dbUnits) resolvable.push({ name: u.name, aliases: u.aliases, ref: { id: u.id, name: u.name } });
  const resolver = createUnitResolver(resolvable);

  // ---- plan -------------------------------------------------------------------------------------------------------
  const outline = plan.chapters;
  const planUpdated: string[] = [];
  const planIdExpr = newPlanId;
  if (!existingPlan) {
    changes.planInsert = { code: plan.code, title: plan.title, issuer: plan.issuer ?? null, source: plan.source ?? null, outline };
    // The plan's own audit entry comes after the unit updates found above, as it always has.
    au({ action: 'plan.create', entity: 'plan', entityId: newPlanId, detail: { code: plan.code, title: plan.title } });
  } else {
    const set: PlanFieldSet = {};
    if (existingPlan.title !== plan.title) set.title = plan.title;
    if ((existingPlan.issuer ?? null) !== (plan.issuer ?? null)) set.issuer = plan.issuer ?? null;
    if ((existingPlan.source ?? null) !== (plan.source ?? null)) set.source = plan.source ?? null;
    if (!sameJson(existingPlan.outline, outline)) set.outline = outline;
    planUpdated.push(...Object.keys(set));
    if (planUpdated.length) {
      changes.planUpdate = set;
      au({ action: 'plan.update', entity: 'plan', entityId: existingPlan.id, detail: { fields: planUpdated } });
    }
  }

  // New units go in before anything that references them.
  changes.unitInserts = unitsAdded;
  for (const u of unitsAdded) {
    au({ action: 'unit.create', entity: 'unit', entityId: u.id, detail: { name: u.name, kind: u.kind } });
  }
  const unitIdExpr = (ref: UnitRef): number => ref.id;

  // ---- tasks ------------------------------------------------------------------------------------------------------
  const dbTaskByCode = new Map(dbTasks.map((t) => [t.code, t]));
  const deadlinesByTask = new Map<number, StoredDeadlineRow[]>();
  for (const d of state.deadlines) {
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
      changes.taskInserts.push({
        id: newTaskIds.get(t.code)!,
        planId: planIdExpr,
        code: t.code,
        chapter,
        section,
        seq,
        title: t.title.trim(),
        sourceText: t.text.trim(),
        note: clean(t.note),
      });
      for (const d of t.deadlines) changes.deadlineInserts.push(deadlineRow(taskIdExpr(t.code), d));
      for (const w of wanted.values()) {
        changes.assignmentInserts.push({ taskId: taskIdExpr(t.code), unitId: unitIdExpr(w.ref), role: w.role, proposed: w.proposed });
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
    const set: TaskFieldSet = {};
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
      changes.taskUpdates.push({ id: existing.id, set });
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
      if (oldDl.length) changes.deadlineDeleteTaskIds.push(existing.id);
      for (const d of t.deadlines) changes.deadlineInserts.push(deadlineRow(existing.id, d));
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
        changes.assignmentInserts.push({ taskId: existing.id, unitId: unitIdExpr(w.ref), role: w.role, proposed: w.proposed });
        au({
          action: 'assignment.create',
          entity: 'assignment',
          entityId: { assignmentOf: { taskId: existing.id, unitId: unitIdExpr(w.ref) } },
          detail: { task: t.code, unit: w.ref.name, role: w.role, proposed: w.proposed },
        });
        continue;
      }
      if (row.a.role !== w.role) {
        report.assignmentsRoleChanged.push({ ...change, from: row.a.role as 'lead' | 'co' });
        changes.assignmentRoleUpdates.push({ id: row.a.id, role: w.role });
        au({ action: 'assignment.role', entity: 'assignment', entityId: row.a.id, detail: { task: t.code, unit: w.ref.name, from: row.a.role, to: w.role } });
      }
      // Confirmation is one-way: a later file that still marks it proposed does not un-confirm it.
      if (row.a.proposed && !w.proposed) {
        report.assignmentsConfirmed.push(change);
        changes.assignmentConfirmIds.push(row.a.id);
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
      changes.assignmentDeleteIds.push(row.a.id);
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
    changes.taskWithdrawIds.push(t.id);
    au({ action: 'task.withdraw', entity: 'task', entityId: t.id, detail: { code: t.code } });
  }

  // ---- targets ----------------------------------------------------------------------------------------------------
  const dbTargetByCode = new Map(dbTargets.map((t) => [t.code, t]));
  const targetRow = (t: TargetSpec): TargetValues => ({
    indicator: t.indicator,
    aliases: t.aliases,
    comparator: t.comparator,
    value: t.value,
    unit: t.unit ?? null,
    year: t.year,
    scope: t.scope ?? null,
    sourceText: t.sourceText ?? null,
  });
  for (const t of plan.targets) {
    const existing = dbTargetByCode.get(t.code);
    const row = targetRow(t);
    const taskKnown = t.taskCode && (dbTaskByCode.has(t.taskCode) || newTaskIds.has(t.taskCode));
    if (t.taskCode && !taskKnown) continue; // already reported as an issue above
    const taskId = t.taskCode ? taskIdExpr(t.taskCode) : null;
    if (!existing) {
      report.targetsAdded.push(t.code);
      changes.targetInserts.push({ planId: planIdExpr, taskId, code: t.code, ...row });
      au({ action: 'target.create', entity: 'target', entityId: null, detail: { code: t.code, ...row } });
      continue;
    }
    const fields: string[] = (Object.keys(row) as Array<keyof typeof row>).filter((k) => !sameJson(existing[k] ?? null, row[k]));
    const existingTaskCode = existing.taskId ? dbTasks.find((d) => d.id === existing.taskId)?.code : undefined;
    if ((existingTaskCode ?? null) !== (t.taskCode ?? null)) fields.push('taskCode');
    if (fields.length) {
      report.targetsUpdated.push({ target: t.code, fields });
      changes.targetUpdates.push({ id: existing.id, set: { ...row, taskId } });
      au({ action: 'target.update', entity: 'target', entityId: existing.id, detail: { code: t.code, fields } });
    }
  }

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
  return { report, changes, issues };
}
