// Reads the command layer needs: tasks by code, units by name or alias, assignments with their deadlines.
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { preparedFor } from '../db/prepared.js';
import {
  assignments,
  deadlines,
  people,
  plans,
  progressReports,
  roles,
  targets,
  tasks,
  units,
} from '../db/schema.js';
import { assessAssignment, compareLeadFirst, type Assessment } from '../domain/status.js';
import { didYouMean, isTaskCode, normaliseCode } from './parse.js';
import type { Actor } from '../domain/actor.js';
import type { Result } from '../domain/result.js';

export type TaskRow = typeof tasks.$inferSelect;
export type UnitRow = typeof units.$inferSelect;
export type AssignmentRow = typeof assignments.$inferSelect;
export type DeadlineRow = typeof deadlines.$inferSelect;

export interface AssignmentView {
  asg: AssignmentRow;
  task: TaskRow;
  unit: UnitRow;
  deadlines: DeadlineRow[];
  assessment: Assessment;
}

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

export type Found<T> = Result<T>;

/** The newest plan's active task with this code; a near-miss gets "did you mean". */
export async function findTask(db: Db, rawCode: string, who?: Pick<Actor, 'roles'>): Promise<Found<TaskRow>> {
  const code = normaliseCode(rawCode);
  if (!isTaskCode(code)) {
    const hint = await suggestCodes(db, code, who);
    return { ok: false, error: `“${rawCode}”不是任务编号，编号形如 4.1.2（章.节.序号）。${hint}` };
  }
  const rows = await taskByCodeStmt(db).execute({ code });
  if (rows[0]) return { ok: true, value: rows[0].t };
  return { ok: false, error: `没有编号为 ${code} 的任务。${await suggestCodes(db, code, who)}` };
}

/**
 * What to say after an unknown code: close codes (one edit away, or the code's own section), then where to look,
 * by role: 「我的任务」 is a contact's list; the office and leaders search (「任务 <关键词>」) or see everything (「统计」).
 */
async function suggestCodes(db: Db, code: string, who?: Pick<Actor, 'roles'>): Promise<string> {
  const all = await db.select({ code: tasks.code }).from(tasks).where(eq(tasks.state, 'active'));
  const codes = [...new Set(all.map((r) => r.code))];
  const near = didYouMean(code, codes, 3, 1);
  const section = /^(\d+\.\d+)\./.exec(code)?.[1];
  const inSection = section ? codes.filter((c) => c.startsWith(`${section}.`)).length : 0;
  const close = near.length
    ? `你是不是要找：${near.join('、')}？`
    : inSection
      ? `第 ${section} 节共有 ${inSection} 项任务，发送「任务 ${section}」查看。`
      : '';
  const roles = who?.roles ?? [];
  const reader = roles.includes('office') || roles.includes('leader');
  const contact = roles.includes('contact');
  const where = [
    ...(contact ? ['发送「我的任务」查看本单位的任务编号'] : []),
    ...(reader || !contact ? ['发送「任务 <关键词>」按关键词查找，或「统计」查看全部任务'] : []),
  ].join('；');
  return `${close}${where}。`;
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

/** A unit by exact name, alias, or a unique name containing the input (e.g. 生态环境局 → 市生态环境局). */
export async function findUnit(db: Db, raw: string): Promise<Found<UnitRow>> {
  const name = raw.normalize('NFKC').trim();
  const all = await db.select().from(units);
  const exact = all.find((u) => u.name === name) ?? all.find((u) => u.aliases.includes(name));
  if (exact) return { ok: true, value: exact };
  if (name.length >= 2) {
    const partial = all.filter((u) => u.name.includes(name) || name.includes(u.name));
    if (partial.length === 1) return { ok: true, value: partial[0]! };
    if (partial.length > 1)
      return { ok: false, error: `“${raw}”对应多个单位：${partial.slice(0, 6).map((u) => u.name).join('、')}，请写全称。` };
  }
  const names = all.flatMap((u) => [u.name, ...u.aliases]);
  const near = didYouMean(name, names, 3, Math.max(1, Math.floor([...name].length / 2)));
  const nearUnits = [...new Set(near.map((n) => all.find((u) => u.name === n || u.aliases.includes(n))!.name))];
  return {
    ok: false,
    error: `没有名为“${raw}”的单位。` + (nearUnits.length ? `你是不是要找：${nearUnits.join('、')}？` : ''),
  };
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

/** open_ids of a unit's contacts (for notices to the unit). */
export async function unitContactOpenIds(db: Db, unitId: number): Promise<string[]> {
  const rows = await db
    .select({ openId: people.openId })
    .from(roles)
    .innerJoin(people, eq(people.id, roles.personId))
    .where(and(eq(roles.role, 'contact'), eq(roles.unitId, unitId)));
  return rows.map((r) => r.openId).filter((x): x is string => !!x);
}

/** open_ids of office people in the database. */
export async function officeOpenIds(db: Db): Promise<string[]> {
  const rows = await db
    .select({ openId: people.openId })
    .from(roles)
    .innerJoin(people, eq(people.id, roles.personId))
    .where(eq(roles.role, 'office'));
  return rows.map((r) => r.openId).filter((x): x is string => !!x);
}
