// A plan as stored, read back into the PlanFile format (the base a table import is merged into).
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { assignments, deadlines, plans, targets, tasks, units } from '../db/schema.js';
import type { DeadlineSpec, PlanFile } from '../domain/plan-file.js';

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
