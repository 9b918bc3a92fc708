// Targets (指标目标) and reported indicator values (metric_reports) as 指标 reads and writes them. The latest value
// per target, the one rule shared with the digest and the 台账, is loadLatestMetrics in stats-store.ts.
import { eq, inArray } from 'drizzle-orm';
import type { Db } from './client.js';
import { assignments, metricReports, plans, targets } from './schema.js';

export type TargetRow = typeof targets.$inferSelect;

/** Targets of the newest plan that lists each code, in task order. */
export async function newestPlanTargets(db: Db): Promise<TargetRow[]> {
  const rows = await db.select({ t: targets, p: plans.id }).from(targets).innerJoin(plans, eq(plans.id, targets.planId));
  const newest = Math.max(0, ...rows.map((r) => r.p));
  return rows.filter((r) => r.p === newest).map((r) => r.t);
}

/** Task ids assigned to the given units, each with those of the units it is assigned to. */
export async function taskIdsOfUnits(db: Db, unitIds: number[]): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>();
  if (!unitIds.length) return out;
  const rows = await db
    .select({ taskId: assignments.taskId, unitId: assignments.unitId })
    .from(assignments)
    .where(inArray(assignments.unitId, unitIds.slice(0, 90)));
  for (const r of rows) out.set(r.taskId, [...(out.get(r.taskId) ?? []), r.unitId]);
  return out;
}

/** The insert of one reported value (for a batch with its audit row). */
export function metricReportInsert(db: Db, values: typeof metricReports.$inferInsert) {
  return db.insert(metricReports).values(values);
}
