// The plan's live tables as the rest of the service reads them: tasks (by code, active), units, assignments joined
// with their task, unit and deadlines into an AssignmentView (src/domain/assignment-view.ts) assessed for today,
// recent reports and targets. Reads only; the Chinese lookups with "did you mean" (findTask, findUnit) sit on top of
// these in src/commands/lookup.ts. One code path for both drivers.
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { preparedFor } from './prepared.js';
import { assignments, deadlines, plans, progressReports, targets, tasks, units } from './schema.js';
import type { AssignmentView as ViewOf } from '../domain/assignment-view.js';
import { assessAssignment, compareLeadFirst } from '../domain/status.js';

export type TaskRow = typeof tasks.$inferSelect;
export type UnitRow = typeof units.$inferSelect;
export type AssignmentRow = typeof assignments.$inferSelect;
export type DeadlineRow = typeof deadlines.$inferSelect;

/** The domain's assignment view with whole rows: what commands and evidence work with. */
export type AssignmentView = ViewOf<AssignmentRow, TaskRow, UnitRow, DeadlineRow>;

// The reads behind nearly every report or task command, prepared once per database.
const ph = sql.placeholder;
const taskByCodeStmt = (db: Db) =>
  preparedFor(db, 'store.taskByCode', (d) =>
    d
      .select({ t: tasks })
      .from(tasks)
      .innerJoin(plans, eq(plans.id, tasks.planId))
      .where(and(eq(tasks.code, ph('code')), eq(tasks.state, 'active')))
      .orderBy(desc(plans.id))
      .limit(1)
      .prepare(),
  );
/** Assignments with their task and unit: the join both lookups below filter. */
const assignmentJoin = (d: Db) =>
  d
    .select({ a: assignments, t: tasks, u: units })
    .from(assignments)
    .innerJoin(tasks, eq(tasks.id, assignments.taskId))
    .innerJoin(units, eq(units.id, assignments.unitId));
const assignmentRowsStmt = (db: Db) =>
  preparedFor(db, 'store.assignmentById', (d) => assignmentJoin(d).where(eq(assignments.id, ph('id'))).prepare());
const taskAssignmentRowsStmt = (db: Db) =>
  preparedFor(db, 'store.assignmentsByTask', (d) =>
    assignmentJoin(d).where(eq(assignments.taskId, ph('taskId'))).prepare(),
  );
const deadlinesOfTaskStmt = (db: Db) =>
  preparedFor(db, 'store.deadlinesOfTask', (d) => d.select().from(deadlines).where(eq(deadlines.taskId, ph('taskId'))).prepare());

/** The newest plan's active task with this code (exact, already normalised), if any. */
export async function activeTaskByCode(db: Db, code: string): Promise<TaskRow | null> {
  const rows = await taskByCodeStmt(db).execute({ code });
  return rows[0]?.t ?? null;
}

/** Codes of every active task (any plan), for "did you mean". */
export async function activeTaskCodes(db: Db): Promise<string[]> {
  const all = await db.select({ code: tasks.code }).from(tasks).where(eq(tasks.state, 'active'));
  return [...new Set(all.map((r) => r.code))];
}

/** Active tasks of every plan, newest plan first, in code order (for section and keyword lists). */
export async function activeTasks(db: Db): Promise<TaskRow[]> {
  const rows = await db.select().from(tasks).where(eq(tasks.state, 'active'));
  const newest = new Map<string, TaskRow>();
  for (const t of rows) {
    const had = newest.get(t.code);
    if (!had || had.planId < t.planId) newest.set(t.code, t);
  }
  return [...newest.values()].sort((a, b) => a.chapter - b.chapter || a.section - b.section || a.seq - b.seq);
}

/** A task by id (any state). */
export async function taskById(db: Db, id: number): Promise<TaskRow | null> {
  const [t] = await db.select().from(tasks).where(eq(tasks.id, id)).limit(1);
  return t ?? null;
}

/** Every unit. */
export async function allUnits(db: Db): Promise<UnitRow[]> {
  return db.select().from(units);
}

/** Every unit's id and name. */
export async function unitNameList(db: Db): Promise<Array<{ id: number; name: string }>> {
  return db.select({ id: units.id, name: units.name }).from(units);
}

/** Names of the units a task is assigned to. */
export async function unitNamesOfTask(db: Db, taskId: number): Promise<string[]> {
  const rows = await db.select({ name: units.name }).from(assignments).innerJoin(units, eq(units.id, assignments.unitId)).where(eq(assignments.taskId, taskId));
  return rows.map((u) => u.name);
}

export async function taskDeadlines(db: Db, taskIds: number[]): Promise<Map<number, DeadlineRow[]>> {
  const map = new Map<number, DeadlineRow[]>();
  if (taskIds.length === 1) {
    const rows = await deadlinesOfTaskStmt(db).execute({ taskId: taskIds[0]! });
    if (rows.length) map.set(taskIds[0]!, rows);
    return map;
  }
  for (let i = 0; i < taskIds.length; i += 90) {
    const rows = await db.select().from(deadlines).where(inArray(deadlines.taskId, taskIds.slice(i, i + 90)));
    for (const r of rows) map.set(r.taskId, [...(map.get(r.taskId) ?? []), r]);
  }
  return map;
}

async function viewsFor(db: Db, rows: Array<{ a: AssignmentRow; t: TaskRow; u: UnitRow }>, today: string) {
  const dl = await taskDeadlines(db, [...new Set(rows.map((r) => r.t.id))]);
  return rows.map((r): AssignmentView => {
    const d = dl.get(r.t.id) ?? [];
    return { asg: r.a, task: r.t, unit: r.u, deadlines: d, assessment: assessAssignment(r.a, d, today) };
  });
}

export async function assignmentView(db: Db, asgId: number, today: string): Promise<AssignmentView | null> {
  const rows = await assignmentRowsStmt(db).execute({ id: asgId });
  return (await viewsFor(db, rows, today))[0] ?? null;
}

export async function taskAssignments(db: Db, taskId: number, today: string): Promise<AssignmentView[]> {
  const rows = await taskAssignmentRowsStmt(db).execute({ taskId });
  // The lead unit first, as the plan lists it (牵头 before 配合).
  rows.sort((a, b) => compareLeadFirst(a.a, b.a));
  return viewsFor(db, rows, today);
}

export async function unitAssignments(db: Db, unitIds: number[], today: string): Promise<AssignmentView[]> {
  if (unitIds.length === 0) return [];
  const rows = await db
    .select({ a: assignments, t: tasks, u: units })
    .from(assignments)
    .innerJoin(tasks, eq(tasks.id, assignments.taskId))
    .innerJoin(units, eq(units.id, assignments.unitId))
    .where(and(inArray(assignments.unitId, unitIds.slice(0, 90)), eq(tasks.state, 'active')));
  return viewsFor(db, rows, today);
}

export async function recentReports(db: Db, asgIds: number[], limit = 8) {
  if (asgIds.length === 0) return [];
  return db
    .select()
    .from(progressReports)
    .where(inArray(progressReports.assignmentId, asgIds.slice(0, 90)))
    .orderBy(desc(progressReports.createdAt), desc(progressReports.id))
    .limit(limit);
}

export async function taskTargets(db: Db, taskId: number) {
  return db.select().from(targets).where(eq(targets.taskId, taskId));
}
