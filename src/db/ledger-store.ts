// What the 台账 (src/export/ledger.ts) reads beyond the stored plan: each active task's assignments with their unit,
// the latest real progress report of each assignment, and the plan's targets with their task codes.
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { assignments, progressReports, targets, tasks, units } from './schema.js';

/** Every assignment of plan `planId`'s active tasks, with its task code and unit name. */
export async function readLedgerAssignments(db: Db, planId: number) {
  return db
    .select({
      id: assignments.id,
      taskCode: sql<string>`(select code from tasks where tasks.id = ${assignments.taskId})`,
      role: assignments.role,
      unit: units.name,
      state: assignments.state,
      percent: assignments.percent,
      extendedTo: assignments.extendedTo,
      lastReportAt: assignments.lastReportAt,
    })
    .from(assignments)
    .innerJoin(units, eq(units.id, assignments.unitId))
    .where(sql`${assignments.taskId} in (select id from tasks where plan_id = ${planId} and state = 'active')`);
}

export interface LatestReport {
  note: string | null;
  percent: number | null;
  createdAt: number;
  kind: string;
}

/** The latest real progress report of each of `ids`, in chunks of ids (D1's bound-parameter limit). */
export async function readLatestReports(db: Db, ids: number[]): Promise<Map<number, LatestReport>> {
  const latestByAssignment = new Map<number, LatestReport>();
  for (let i = 0; i < ids.length; i += 90) {
    const part = ids.slice(i, i + 90);
    const latest = await db
      .select({
        assignmentId: progressReports.assignmentId,
        note: progressReports.note,
        percent: progressReports.percent,
        kind: progressReports.kind,
        createdAt: progressReports.createdAt,
      })
      .from(progressReports)
      .where(
        and(
          inArray(progressReports.assignmentId, part),
          // The unit's latest real progress (see UNIT_NOTE_KINDS): 无变化 never hides it, 退回's reason is the office's,
          // and a report withdrawn by recalling its message no longer counts.
          sql`${progressReports.id} = (select max(p2.id) from progress_reports p2 where p2.assignment_id = ${progressReports.assignmentId}
            and p2.kind in ('progress', 'done_claim', 'note') and p2.withdrawn_at is null)`,
        ),
      );
    for (const l of latest) latestByAssignment.set(l.assignmentId, l);
  }
  return latestByAssignment;
}

/** Plan `planId`'s targets in id order, each with its task's code (or null). */
export async function readPlanTargets(db: Db, planId: number) {
  return db
    .select({ t: targets, taskCode: tasks.code })
    .from(targets)
    .leftJoin(tasks, eq(tasks.id, targets.taskId))
    .where(eq(targets.planId, planId))
    .orderBy(asc(targets.id));
}
