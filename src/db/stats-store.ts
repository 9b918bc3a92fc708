// Bulk reads for the plan's numbers (src/domain/stats.ts): a fixed handful of queries whatever the plan's size.
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import {
  assignments,
  deadlines,
  extensionRequests,
  metricReports,
  plans,
  reminderLog,
  targets,
  tasks,
  units,
} from './schema.js';
import type { StatsInput, StatsTask } from '../domain/stats.js';
import { pickLatestMetrics, type LatestMetrics } from '../domain/metric-value.js';

/** The plan to report on: the given id, else the most recently created plan. Null when there is none. */
export async function findReportPlan(db: Db, planId?: number) {
  const rows = planId
    ? await db.select().from(plans).where(eq(plans.id, planId)).limit(1)
    : await db.select().from(plans).orderBy(desc(plans.createdAt), desc(plans.id)).limit(1);
  return rows[0] ?? null;
}

/** Everything computeStats needs for one plan at `today`. Withdrawn tasks are left out. */
export async function loadStatsInput(db: Db, planId: number | undefined, today: string): Promise<StatsInput> {
  const plan = await findReportPlan(db, planId);
  if (!plan) {
    return {
      planId: null,
      planTitle: '',
      today,
      chapters: [],
      tasks: [],
      assignments: [],
      escalations: [],
      pendingExtensions: [],
      targets: [],
    };
  }
  const activeTask = and(eq(tasks.planId, plan.id), eq(tasks.state, 'active'));

  const [taskRows, deadlineRows, asgRows, escRows, extRows, targetRows, latestRows] = await Promise.all([
    db
      .select({ id: tasks.id, code: tasks.code, title: tasks.title, chapter: tasks.chapter })
      .from(tasks)
      .where(activeTask)
      .orderBy(asc(tasks.chapter), asc(tasks.section), asc(tasks.seq)),
    db
      .select({
        taskId: deadlines.taskId,
        kind: deadlines.kind,
        dueDate: deadlines.dueDate,
        recurrence: deadlines.recurrence,
        label: deadlines.label,
      })
      .from(deadlines)
      .innerJoin(tasks, eq(tasks.id, deadlines.taskId))
      .where(activeTask),
    db
      .select({
        id: assignments.id,
        taskId: assignments.taskId,
        unitId: assignments.unitId,
        unitName: units.name,
        unitKind: units.kind,
        role: assignments.role,
        state: assignments.state,
        percent: assignments.percent,
        extendedTo: assignments.extendedTo,
        lastReportAt: assignments.lastReportAt,
      })
      .from(assignments)
      .innerJoin(tasks, eq(tasks.id, assignments.taskId))
      .innerJoin(units, eq(units.id, assignments.unitId))
      .where(activeTask),
    db
      .select({
        assignmentId: reminderLog.assignmentId,
        dueDate: reminderLog.dueDate,
        level: sql<number>`max(${reminderLog.escalationLevel})`,
        steps: sql<number>`count(*)`,
        // Only red cards that went to the unit (a live-day backlog step uses the same key but went to the office).
        overdueReminders: sql<number>`sum(case when ${reminderLog.stepKey} like 'after:%' and ${reminderLog.kind} = 'reminder' then 1 else 0 end)`,
        reached: sql<number>`sum(case when ${reminderLog.kind} in ('reminder', 'suppressed') then 1 else 0 end)`,
        office: sql<number>`max(case when ${reminderLog.stepKey} like 'escalate:office:%' then 1 else 0 end)`,
        leaders: sql<number>`max(case when ${reminderLog.stepKey} like 'escalate:leaders:%' then 1 else 0 end)`,
        noContact: sql<number>`sum(case when ${reminderLog.stepKey} like 'no_contact:%' then 1 else 0 end)`,
      })
      .from(reminderLog)
      .innerJoin(assignments, eq(assignments.id, reminderLog.assignmentId))
      .innerJoin(tasks, eq(tasks.id, assignments.taskId))
      .where(activeTask)
      .groupBy(reminderLog.assignmentId, reminderLog.dueDate),
    db
      .select({
        id: extensionRequests.id,
        assignmentId: extensionRequests.assignmentId,
        currentDue: extensionRequests.currentDue,
        newDueDate: extensionRequests.newDueDate,
        reason: extensionRequests.reason,
        createdAt: extensionRequests.createdAt,
      })
      .from(extensionRequests)
      .innerJoin(assignments, eq(assignments.id, extensionRequests.assignmentId))
      .innerJoin(tasks, eq(tasks.id, assignments.taskId))
      .where(and(activeTask, eq(extensionRequests.status, 'pending'))),
    db.select().from(targets).where(eq(targets.planId, plan.id)).orderBy(asc(targets.id)),
    loadLatestMetrics(db, plan.id),
  ]);

  const byTask = new Map<number, StatsTask['deadlines']>();
  for (const d of deadlineRows) {
    const list = byTask.get(d.taskId) ?? [];
    list.push({ kind: d.kind, dueDate: d.dueDate, recurrence: d.recurrence, label: d.label });
    byTask.set(d.taskId, list);
  }

  return {
    planId: plan.id,
    planTitle: plan.title,
    today,
    chapters: (plan.outline ?? []).map((c) => ({ number: c.number, title: c.title, short: c.short || c.title })),
    tasks: taskRows.map((t) => ({ ...t, deadlines: byTask.get(t.id) ?? [] })),
    assignments: asgRows,
    escalations: escRows.map((e) => ({
      assignmentId: e.assignmentId,
      dueDate: e.dueDate,
      level: Number(e.level),
      steps: Number(e.steps),
      overdueReminders: Number(e.overdueReminders),
      office: Number(e.office) > 0,
      leaders: Number(e.leaders) > 0,
      // Nothing ever reached the unit for this deadline (no contact bound), whatever went to the office.
      noContactOnly: Number(e.noContact) > 0 && Number(e.reached) === 0,
    })),
    pendingExtensions: extRows,
    targets: targetRows.map((t) => {
      const l = latestRows.get(t.id)?.city;
      return {
        code: t.code,
        indicator: t.indicator,
        comparator: t.comparator,
        value: t.value,
        unit: t.unit,
        year: t.year,
        latest: l ? { value: l.value, at: l.createdAt, period: l.period } : null,
      };
    }),
  };
}

/**
 * The latest values of a plan's targets (see pickLatestMetrics): the city-wide value each target is judged by, and
 * each county's own. The one place the digest, 统计, the board, 指标 and the 台账 get a target's latest value from.
 * Reads the latest report per target and unit (bounded by targets x units, not by the number of reports).
 */
export async function loadLatestMetrics(db: Db, planId: number): Promise<Map<number, LatestMetrics>> {
  const rows = await db
    .select({
      id: metricReports.id,
      targetId: metricReports.targetId,
      value: metricReports.value,
      valueText: metricReports.valueText,
      period: metricReports.period,
      unitId: metricReports.unitId,
      unitKind: units.kind,
      createdAt: metricReports.createdAt,
    })
    .from(metricReports)
    .innerJoin(targets, eq(targets.id, metricReports.targetId))
    .leftJoin(units, eq(units.id, metricReports.unitId))
    .where(
      and(
        eq(targets.planId, planId),
        sql`${metricReports.createdAt} = (select max(m2.created_at) from metric_reports m2 where m2.target_id = ${metricReports.targetId} and m2.unit_id is ${metricReports.unitId})`,
      ),
    );
  return pickLatestMetrics(rows.map(({ unitKind, ...r }) => ({ ...r, county: unitKind === 'county' })));
}

/** Units with their aliases, for resolving filters typed in chat. */
export async function listUnits(db: Db) {
  return db.select({ id: units.id, name: units.name, kind: units.kind, aliases: units.aliases }).from(units).orderBy(units.id);
}

