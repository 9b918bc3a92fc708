// The planner's input for a pass: one bulk read (db/scheduler-store.ts, named rows) turned into the domain's
// PlanInput: open assignments with their task, unit and deadlines, the reminder_log steps the planner can look at,
// contacts by unit, completion claims awaiting the office, the policy and the plans' go-live dates.
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { backfillPlanLive, planLiveMap } from '../db/plan-live-store.js';
import { getPolicy } from '../db/policy-store.js';
import { readOpenStepLog, readPendingClaims, readPlanningRows, readRecheckSteps, type StepLogRow } from '../db/scheduler-store.js';
import { shanghaiDate } from '../domain/dates.js';
import {
  ladderReached, periodKey, type Contact, type PendingClaim, type PlanAssignment, type planReminders, type SentStep,
} from '../domain/reminder-plan.js';
import { currentDue, type DeadlineLike } from '../domain/status.js';

export type LoadedInput = Parameters<typeof planReminders>[0] & { policyInvalid?: string };

export interface PlanInputDeps {
  db: Db;
  config: Pick<Config, 'WORK_DAY_START' | 'WORK_DAY_END'>;
  /** Present: the weekly digest is planned. */
  buildDigest?: unknown;
}

/**
 * One bulk read of everything the planner needs, and no more: open assignments without joins (task and unit names
 * come from small maps and are shared, not copied per row), and only the reminder_log rows the planner can look at:
 * those of each open assignment's current due date, of the current period, and global steps.
 */
export async function loadPlanInput(deps: PlanInputDeps, at: number): Promise<LoadedInput> {
  const { db } = deps;
  const today = shanghaiDate(at);
  const [{ policy, invalid }, rows, liveFrom] = await Promise.all([getPolicy(db), readPlanningRows(db), planLiveMap(db)]);
  if ([...liveFrom.values()].some((v) => v === null)) await backfillPlanLive(db, liveFrom, at);
  const byTask = new Map<number, DeadlineLike[]>();
  for (const d of rows.deadlines) {
    let list = byTask.get(d.taskId);
    if (!list) byTask.set(d.taskId, (list = []));
    list.push({ kind: d.kind, dueDate: d.dueDate, recurrence: d.recurrence, label: d.label } as DeadlineLike);
  }
  const unitName = new Map(rows.units.map((u) => [u.id, u.name]));
  const taskById = new Map<number, { code: string; title: string; planId: number }>();
  for (const t of rows.tasks) taskById.set(t.id, { code: t.code, title: t.title, planId: t.planId });
  const none: DeadlineLike[] = [];
  // The due dates the planner can reach today: the current deadline of each task, or an assignment's extension.
  const dueDates = new Set<string>();
  const dueOfTask = new Map<number, string | null>();
  const list: PlanAssignment[] = [];
  for (const r of rows.assignments) {
    const task = taskById.get(r.taskId);
    const name = unitName.get(r.unitId);
    if (!task || name === undefined) continue; // a suspended task (or a dangling unit) is not reminded
    const dl = byTask.get(r.taskId) ?? none;
    if (r.extendedTo) dueDates.add(r.extendedTo);
    else if (!dueOfTask.has(r.taskId)) {
      const due = currentDue(dl, null, today)?.date ?? null;
      dueOfTask.set(r.taskId, due);
      if (due) dueDates.add(due);
    }
    list.push({
      id: r.id, taskId: r.taskId, taskCode: task.code, taskTitle: task.title, unitId: r.unitId, unitName: name,
      // One shared string per state rather than one per row.
      state: r.state === 'in_progress' ? 'in_progress' : 'not_started',
      percent: r.percent, extendedTo: r.extendedTo, lastReportAt: r.lastReportAt, deadlines: dl, planId: task.planId,
    });
  }
  const periodKeys: string[] = [];
  if (policy.periodicEvery !== 'off') {
    const { key } = periodKey(today, policy.periodicEvery);
    periodKeys.push(`periodic:${key}`, `no_contact:periodic:${key}`);
  }
  // Steps of done assignments, of past deadlines and of past periods can never matter again, nor those of a
  // deadline whose ladder has not reached its first step yet (see ladderReached).
  const sentSteps = new Map<number, SentStep[]>();
  addSteps(sentSteps, await readOpenStepLog(db, [...dueDates].filter((d) => ladderReached(d, today, policy)), periodKeys));
  // Completion claims awaiting the office, and the re-check steps already planned for them.
  const claims: PendingClaim[] = [];
  if (policy.recheckClaimAfterWorkdays > 0) {
    for (const c of await readPendingClaims(db)) {
      const task = taskById.get(c.taskId);
      const name = unitName.get(c.unitId);
      if (!task || name === undefined) continue;
      claims.push({
        claimedAt: c.claimedAt,
        assignment: {
          id: c.id, taskId: c.taskId, taskCode: task.code, taskTitle: task.title, unitId: c.unitId, unitName: name,
          state: 'claimed', percent: c.percent, extendedTo: null, lastReportAt: c.lastReportAt, deadlines: none, planId: task.planId,
        },
      });
    }
    if (claims.length) addSteps(sentSteps, await readRecheckSteps(db));
  }
  const contactsByUnit = new Map<number, Contact[]>();
  for (const c of rows.contacts) {
    let s = contactsByUnit.get(c.unitId);
    if (!s) contactsByUnit.set(c.unitId, (s = []));
    if (!s.some((x) => x.personId === c.personId)) s.push({ personId: c.personId, openId: c.openId, name: c.name });
  }
  return {
    now: at,
    policy,
    policyInvalid: invalid,
    workHours: { start: deps.config.WORK_DAY_START, end: deps.config.WORK_DAY_END },
    assignments: list,
    sentSteps,
    contactsByUnit,
    digest: !!deps.buildDigest,
    liveFrom,
    claims,
  };
}

function addSteps(sentSteps: Map<number, SentStep[]>, rows: Iterable<StepLogRow>): void {
  for (const r of rows) {
    const step: SentStep = { stepKey: r.stepKey, plannedAt: r.plannedAt, dueDate: r.dueDate, escalationLevel: r.escalationLevel };
    const s = sentSteps.get(r.assignmentId);
    if (s) s.push(step);
    else sentSteps.set(r.assignmentId, [step]);
  }
}
