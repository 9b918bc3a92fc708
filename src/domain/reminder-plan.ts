// Reminder planning: given the plan's open assignments, what was already sent and an instant, decide which
// reminders, escalations, notices and digests are due now. Pure: no I/O, time is an input.
import { z } from 'zod';
import { addWorkdays, hasCalendarData, isWorkday, previousWorkday, workdaysBetween } from './calendar.js';
import { daysBetween, isoWeekKey, parseHHMM, shanghaiDate, shanghaiInstant, shanghaiMinutes, weekStart } from './dates.js';
import { currentDue, type CurrentDue, type DeadlineLike } from './status.js';

export const reminderPolicySchema = z
  .object({
    /** Working days before a dated deadline at which the unit is reminded. */
    beforeWorkdays: z.array(z.number().int().min(1).max(60)).max(10).default([10, 3, 1]),
    onDueDay: z.boolean().default(true),
    /** After the deadline, remind every N working days (0 = never). */
    afterEveryWorkdays: z.number().int().min(0).max(60).default(3),
    /** The N-th overdue reminder also notifies the office (0 = never). */
    escalateToOfficeAfter: z.number().int().min(0).max(50).default(2),
    /** From the N-th overdue reminder the task is flagged red in the leaders' digest (0 = never). */
    escalateToLeadersAfter: z.number().int().min(0).max(50).default(4),
    /** Progress requests for ongoing and recurring duties. */
    periodicEvery: z.enum(['monthly', 'quarterly', 'off']).default('monthly'),
    /**
     * Overdue reminders thin out: from `fromWorkdays` working days overdue on, remind every `everyWorkdays`
     * (before the first phase: every afterEveryWorkdays). Default: every 3 working days for the first three weeks,
     * then weekly (5) until three months (60), then monthly (20).
     */
    afterThinning: z
      .array(z.object({ fromWorkdays: z.number().int().min(1).max(2000), everyWorkdays: z.number().int().min(1).max(250) }).strict())
      .max(10)
      .default([
        { fromWorkdays: 15, everyWorkdays: 5 },
        { fromWorkdays: 60, everyWorkdays: 20 },
      ]),
    /**
     * Before-deadline reminders this many working days or fewer before the due day, and the due-day reminder, go to
     * every unit not done even if it reported recently (a report skips only the routine reminders).
     */
    finalWarningsWithinWorkdays: z.number().int().min(0).max(60).default(3),
    /** A completion claim (待核验) left unchecked this many working days is put before the office again (0 = never). */
    recheckClaimAfterWorkdays: z.number().int().min(0).max(60).default(5),
  })
  .strict();

export type ReminderPolicy = z.output<typeof reminderPolicySchema>;
export const DEFAULT_POLICY: ReminderPolicy = reminderPolicySchema.parse({});

export interface WorkHours {
  /** 'HH:MM' Asia/Shanghai. */
  start: string;
  end: string;
}

export interface PlanAssignment {
  id: number;
  taskId: number;
  taskCode: string;
  taskTitle: string;
  unitId: number;
  unitName: string;
  state: string;
  percent: number;
  extendedTo: string | null;
  lastReportAt: number | null;
  deadlines: DeadlineLike[];
  /** The plan the task belongs to (go-live is per plan); absent in inputs that do not track plans. */
  planId?: number;
}

/** A completion claim (待核验) waiting for the office. */
export interface PendingClaim {
  assignment: PlanAssignment;
  claimedAt: number;
}

export interface SentStep {
  stepKey: string;
  plannedAt: number;
  dueDate: string | null;
  escalationLevel: number;
}

export interface Contact {
  personId: number;
  openId: string;
  name: string | null;
}

export interface PlanInput {
  now: number;
  policy: ReminderPolicy;
  workHours: WorkHours;
  assignments: PlanAssignment[];
  /** Steps already planned, per assignment id; id 0 holds global steps (digest:…, calendar:…). */
  sentSteps: Map<number, SentStep[]>;
  contactsByUnit: Map<number, Contact[]>;
  /** Plan weekly digest actions (only when something can build them). */
  digest?: boolean;
  /**
   * Go-live per plan id: the first day reminders may reach units ('YYYY-MM-DD'), null = not live yet. When the map
   * is absent every plan counts as live; when present, a plan missing from it is not live.
   */
  liveFrom?: Map<number, string | null>;
  /** Completion claims awaiting the office (for policy.recheckClaimAfterWorkdays); their steps are in sentSteps. */
  claims?: PendingClaim[];
}

export type StepKind = 'before' | 'due' | 'after' | 'periodic';
export type Urgency = 'normal' | 'soon' | 'overdue';

export interface ReminderAction {
  kind: 'reminder';
  assignmentId: number;
  stepKey: string;
  step: StepKind;
  /** before: working days left; after: the k-th overdue reminder; due/periodic: 0. */
  offset: number;
  dueDate: string | null;
  /** 'YYYY-MM' or 'YYYY-Qn' for periodic requests. */
  period?: string;
  urgency: Urgency;
  escalationLevel: number;
  /** Calendar days until the due date (negative when overdue). */
  daysLeft: number | null;
  /** Working days until the due date as of now (a catch-up step may be sent after its nominal day). */
  workdaysLeft: number | null;
  assignment: PlanAssignment;
  recipients: Contact[];
}

/** A step consumed without a message: the unit reported since the last reminder. */
export interface SuppressedAction {
  kind: 'suppressed';
  assignmentId: number;
  stepKey: string;
  dueDate: string | null;
  assignment: PlanAssignment;
}

export interface NoContactAction {
  kind: 'no_contact';
  assignmentId: number;
  /** 'no_contact:<step key>': the step itself stays open, so binding a contact later still delivers it. */
  stepKey: string;
  step: StepKind;
  offset: number;
  period?: string;
  dueDate: string | null;
  assignment: PlanAssignment;
}

export interface EscalationAction {
  kind: 'escalate_office' | 'escalate_leaders';
  assignmentId: number;
  stepKey: string;
  dueDate: string;
  escalationLevel: 2 | 3;
  overdueWorkdays: number;
  daysLeft: number;
  assignment: PlanAssignment;
  /** No reminder ever reached the unit for this deadline (no contact bound): "未绑定联络员", not "经多次提醒". */
  neverReminded: boolean;
}

export interface CalendarFlagAction {
  kind: 'calendar_flag';
  assignmentId: 0;
  stepKey: string;
  year: number;
  /** Warned ahead of the year's end (from 1 November) rather than because a deadline or today needs the year. */
  ahead?: boolean;
}

/** A plan not live yet has work waiting: told to the office once a working day per plan. */
export interface PlanWaitingAction {
  kind: 'plan_waiting';
  assignmentId: 0;
  stepKey: string;
  planId: number;
  /** 'YYYY-MM-DD' when the office set a live day still to come, else null (not set). */
  liveFrom: string | null;
  /** Open assignments whose reminders wait. */
  waiting: number;
  /** Of those, overdue today. */
  overdue: number;
}

/** An assignment already overdue on its plan's live day: it goes to the office's one summary, not to the unit. */
export interface LiveBacklogAction {
  kind: 'live_backlog';
  assignmentId: number;
  stepKey: string;
  dueDate: string;
  daysLeft: number;
  liveFrom: string;
  assignment: PlanAssignment;
}

/** A completion claim left unchecked: put before the office again. */
export interface RecheckClaimAction {
  kind: 'recheck_claim';
  assignmentId: number;
  stepKey: string;
  /** Working days since the claim. */
  waitedWorkdays: number;
  claimedAt: number;
  assignment: PlanAssignment;
}

export interface DigestAction {
  kind: 'digest';
  assignmentId: 0;
  stepKey: string;
  weekKey: string;
  date: string;
}

export type PlannedAction =
  | ReminderAction
  | SuppressedAction
  | NoContactAction
  | EscalationAction
  | CalendarFlagAction
  | DigestAction
  | PlanWaitingAction
  | LiveBacklogAction
  | RecheckClaimAction
  | NoContactSummaryAction;

/** The office's daily 【无法送达】 summary (built by the pass from the day's no_contact steps). */
export interface NoContactSummaryAction {
  kind: 'no_contact_summary';
  assignmentId: 0;
  stepKey: string;
  date: string;
}

export type SkipReason = 'not_workday' | 'outside_hours' | 'no_calendar_data';

export interface PlanResult {
  date: string;
  actions: PlannedAction[];
  skippedReason?: SkipReason;
}

interface LadderStep {
  key: string;
  step: StepKind;
  offset: number;
  date: string;
  level: number;
}

/** What every assignment with the same due date shares on a given day: computed once per distinct date. */
interface DueInfo {
  /** The latest step on or before today, or null when none has come yet. */
  latest: LadderStep | null;
  overdueWorkdays: number;
  daysLeft: number;
  /** Working days from today to the due date (0 on or after it). */
  workdaysLeft: number;
  /** The due year has no calendar data: nothing is planned on guessed days. */
  noData: boolean;
  /** …and the deadline is near enough that the office must be told now. */
  flagYear: boolean;
}

export function levelForOverdueStep(k: number, policy: ReminderPolicy): number {
  if (policy.escalateToLeadersAfter > 0 && k >= policy.escalateToLeadersAfter) return 3;
  if (policy.escalateToOfficeAfter > 0 && k >= policy.escalateToOfficeAfter) return 2;
  return 1;
}

/**
 * The working-day offsets (from the due date) of the overdue reminders, in order, up to `limit` working days:
 * every afterEveryWorkdays at first, then each afterThinning phase's interval from its start on.
 */
export function overdueOffsets(policy: ReminderPolicy, limit: number): number[] {
  const out: number[] = [];
  if (policy.afterEveryWorkdays <= 0) return out;
  const phases = [...policy.afterThinning].sort((a, b) => a.fromWorkdays - b.fromWorkdays);
  let o = 0;
  for (let guard = 0; guard < 5000; guard++) {
    // The interval in force after the last reminder: that of the last phase begun by then.
    let every = policy.afterEveryWorkdays;
    for (const p of phases) if (p.fromWorkdays <= o) every = p.everyWorkdays;
    const next = o + every;
    if (next > limit) break;
    out.push(next);
    o = next;
  }
  return out;
}

/**
 * The effective due day: the last working day on or before the deadline (a deadline on Saturday 2022-12-31 is
 * due on Friday 2022-12-30). Before-deadline reminders count working days to it.
 */
export function effectiveDueDay(due: string): string {
  return previousWorkday(due);
}

/** The reminder ladder of one due date as seen on `today`: only the latest step reached matters (catch-up). */
export function describeDue(due: string, today: string, policy: ReminderPolicy): DueInfo {
  const daysLeft = daysBetween(today, due);
  const year = Number(due.slice(0, 4));
  if (!hasCalendarData(year)) {
    const reach = Math.max(0, ...policy.beforeWorkdays) * 2 + 20;
    return { latest: null, overdueWorkdays: 0, daysLeft, workdaysLeft: 0, noData: true, flagYear: daysLeft <= reach };
  }
  const dueDay = effectiveDueDay(due);
  const steps: LadderStep[] = [];
  // Largest offset first so that ties on one date resolve to the step nearer the deadline.
  const before = [...new Set(policy.beforeWorkdays)].sort((a, b) => b - a);
  for (const n of before) steps.push({ key: `before:${n}:${due}`, step: 'before', offset: n, date: addWorkdays(dueDay, -n), level: 0 });
  if (policy.onDueDay) steps.push({ key: `due:${due}`, step: 'due', offset: 0, date: dueDay, level: 0 });
  let overdueWorkdays = 0;
  if (today > due) {
    overdueWorkdays = workdaysBetween(due, today);
    const offsets = overdueOffsets(policy, overdueWorkdays);
    const k = offsets.length;
    if (k >= 1) {
      steps.push({
        key: `after:${k}:${due}`,
        step: 'after',
        offset: k,
        date: addWorkdays(due, offsets[k - 1]!),
        level: levelForOverdueStep(k, policy),
      });
    }
  }
  let latest: LadderStep | null = null;
  for (const s of steps) if (s.date <= today && (!latest || s.date >= latest.date)) latest = s;
  // Working days left to the effective due day (0 on or after it). Only needed for a reached step.
  const workdaysLeft = latest && today < dueDay ? workdaysBetween(today, dueDay) : 0;
  return { latest, overdueWorkdays, daysLeft, workdaysLeft, noData: false, flagYear: false };
}

/**
 * Whether a due date's reminder ladder has reached a step by `today`. Until it has, the planner never looks at the
 * steps already planned for that date, so a pass need not read them.
 */
export function ladderReached(due: string, today: string, policy: ReminderPolicy): boolean {
  return describeDue(due, today, policy).latest !== null;
}

export function periodKey(today: string, every: 'monthly' | 'quarterly'): { key: string; start: string } {
  const y = today.slice(0, 4);
  const m = Number(today.slice(5, 7));
  if (every === 'monthly') return { key: today.slice(0, 7), start: `${today.slice(0, 7)}-01` };
  const q = Math.ceil(m / 3);
  return { key: `${y}-Q${q}`, start: `${y}-${String((q - 1) * 3 + 1).padStart(2, '0')}-01` };
}

/** True once the period's first working day has come (requests go out on it, or at the next pass after it). */
function periodHasBegun(start: string, today: string): boolean {
  return addWorkdays(start, 0) <= today;
}

/** Standing duties, and multi-year targets ("到2025年") whose deadline ladder has not started, get periodic requests. */
function wantsPeriodic(a: PlanAssignment, due: { kind: string } | null): boolean {
  return due?.kind === 'target_year' || a.deadlines.some((d) => d.kind === 'ongoing' || d.kind === 'recurring');
}

/** Why nothing may be sent at `now` (null when reminders may go out): cheap, so a pass can stop before reading. */
export function checkGate(now: number, workHours: WorkHours): SkipReason | null {
  const today = shanghaiDate(now);
  if (!hasCalendarData(Number(today.slice(0, 4)))) return 'no_calendar_data';
  if (!isWorkday(today)) return 'not_workday';
  const minutes = shanghaiMinutes(now);
  if (minutes < parseHHMM(workHours.start) || minutes >= parseHHMM(workHours.end)) return 'outside_hours';
  return null;
}

const OPEN_STATES = new Set(['not_started', 'in_progress']);
const LADDER_KEY = /^(before|due|after):/;

export function planReminders(input: PlanInput): PlanResult {
  const { now, policy } = input;
  const today = shanghaiDate(now);
  const actions: PlannedAction[] = [];
  const global = input.sentSteps.get(0) ?? [];
  const globalSent = new Set(global.map((s) => s.stepKey));
  const flagged = new Set<number>();
  const flagYear = (year: number) => {
    const key = `calendar:${year}`;
    if (flagged.has(year) || globalSent.has(key)) return;
    flagged.add(year);
    actions.push({ kind: 'calendar_flag', assignmentId: 0, stepKey: key, year });
  };

  const gate = checkGate(now, input.workHours);
  if (gate === 'no_calendar_data') flagYear(Number(today.slice(0, 4)));
  if (gate) return { date: today, actions, skippedReason: gate };
  const minutes = shanghaiMinutes(now);
  // Warn ahead of the year's end while next year's holidays are not known (library or office-entered).
  const year = Number(today.slice(0, 4));
  if (today >= `${year}-${CALENDAR_WARN_FROM}` && !hasCalendarData(year + 1)) {
    // Once a week until the year is entered, so a missed notice is not the last word.
    const key = `calendar_ahead:${year + 1}:${isoWeekKey(today)}`;
    if (!globalSent.has(key)) actions.push({ kind: 'calendar_flag', assignmentId: 0, stepKey: key, year: year + 1, ahead: true });
  }
  if (policy.recheckClaimAfterWorkdays > 0) {
    for (const c of input.claims ?? []) {
      const claimDay = shanghaiDate(c.claimedAt);
      const waited = workdaysBetween(claimDay, today);
      const k = Math.floor(waited / policy.recheckClaimAfterWorkdays);
      if (k < 1) continue;
      const key = `recheck:${claimDay}:${k}`;
      const sent = input.sentSteps.get(c.assignment.id) ?? [];
      if (sent.some((x) => x.stepKey === key)) continue;
      actions.push({
        kind: 'recheck_claim', assignmentId: c.assignment.id, stepKey: key, waitedWorkdays: waited, claimedAt: c.claimedAt,
        assignment: c.assignment,
      });
    }
  }
  const waiting = new Map<number, { waiting: number; overdue: number }>();

  if (input.digest) {
    const weekKey = isoWeekKey(today);
    const key = `digest:${weekKey}`;
    if (!globalSent.has(key) && addWorkdays(weekStart(today), 0) <= today && minutes >= parseHHMM('09:00')) {
      actions.push({ kind: 'digest', assignmentId: 0, stepKey: key, weekKey, date: today });
    }
  }

  const dueCache = new Map<string, DueInfo>();
  const period = policy.periodicEvery === 'off' ? null : periodKey(today, policy.periodicEvery);
  const periodOpen = period ? periodHasBegun(period.start, today) : false;
  const periodStartMs = period ? shanghaiInstant(period.start) : 0;
  const noSteps: SentStep[] = [];
  const dueOfList = new Map<DeadlineLike[], CurrentDue | null>();

  for (const a of input.assignments) {
    if (!OPEN_STATES.has(a.state)) continue;
    const sent = input.sentSteps.get(a.id) ?? noSteps;
    let due: CurrentDue | null | undefined;
    if (a.extendedTo) due = currentDue(a.deadlines, a.extendedTo, today);
    else {
      // Assignments of one task share its deadline list: work out its current deadline once per list.
      due = dueOfList.get(a.deadlines);
      if (due === undefined) dueOfList.set(a.deadlines, (due = currentDue(a.deadlines, null, today)));
    }

    let info: DueInfo | undefined;
    if (due) {
      info = dueCache.get(due.date);
      if (!info) {
        info = describeDue(due.date, today, policy);
        dueCache.set(due.date, info);
      }
      if (info.noData && info.flagYear) flagYear(Number(due.date.slice(0, 4)));
    }
    const s = info?.latest ?? null;

    // Go-live: nothing reaches a unit before its plan's live day.
    let liveFrom: string | null | undefined;
    if (input.liveFrom) {
      liveFrom = a.planId === undefined ? null : (input.liveFrom.get(a.planId) ?? null);
      if (liveFrom === null || liveFrom > today) {
        const w = waiting.get(a.planId ?? 0) ?? { waiting: 0, overdue: 0 };
        w.waiting++;
        if (due && due.date < today) w.overdue++;
        waiting.set(a.planId ?? 0, w);
        continue;
      }
    }

    if (!s) {
      // No deadline step reached: a standing duty (or a distant target) is asked for progress once a period.
      if (!period || !periodOpen || !wantsPeriodic(a, due)) continue;
      if (a.lastReportAt !== null && a.lastReportAt >= periodStartMs) continue; // already reported this period
      pushStep(actions, a, sent, input.contactsByUnit, {
        key: `periodic:${period.key}`, step: 'periodic', offset: 0, dueDate: null, period: period.key,
        urgency: 'normal', level: 0, daysLeft: null, workdaysLeft: null,
      });
      continue;
    }
    if (!due || !info) continue;

    // Overdue on the live day: its first step goes into one summary to the office, not to the unit as a red card;
    // the ladder's later steps run as usual.
    if (liveFrom && due.date < liveFrom && !sent.some((x) => x.dueDate === due!.date && LADDER_KEY.test(x.stepKey))) {
      if (!sent.some((x) => x.stepKey === s.key))
        actions.push({
          kind: 'live_backlog', assignmentId: a.id, stepKey: s.key, dueDate: due.date, daysLeft: info.daysLeft, liveFrom,
          assignment: a,
        });
      continue;
    }

    if (s.step === 'after') {
      // Whether any reminder of this deadline ever reached the unit (a suppressed step means it had reported).
      const reminded =
        sent.some((x) => x.dueDate === due!.date && LADDER_KEY.test(x.stepKey)) ||
        (input.contactsByUnit.get(a.unitId)?.length ?? 0) > 0;
      if (s.level >= 2) {
        const key = `escalate:office:${due.date}`;
        if (!sent.some((x) => x.stepKey === key))
          actions.push(escalation('escalate_office', key, 2, a, due.date, info, !reminded));
      }
      if (s.level >= 3) {
        const key = `escalate:leaders:${due.date}`;
        if (!sent.some((x) => x.stepKey === key))
          actions.push(escalation('escalate_leaders', key, 3, a, due.date, info, !reminded));
      }
    }

    if (sent.some((x) => x.stepKey === s.key)) continue;
    // "Not reminded again for the same step": a report made after the last step of this ladder was planned
    // (sent or itself suppressed), or on the step's own day before this pass, answers the step.
    let ref = shanghaiInstant(s.date);
    let lastStepAt = -Infinity;
    for (const x of sent) {
      if (x.dueDate === due.date && LADDER_KEY.test(x.stepKey) && x.plannedAt > lastStepAt) lastStepAt = x.plannedAt;
    }
    if (lastStepAt > -Infinity) ref = Math.min(ref, lastStepAt);
    // The last warnings (before steps within finalWarningsWithinWorkdays, and the due day) go to every unit not done.
    const finalWarning = s.step === 'due' || (s.step === 'before' && s.offset <= policy.finalWarningsWithinWorkdays);
    if (!finalWarning && a.lastReportAt !== null && a.lastReportAt >= ref) {
      actions.push({ kind: 'suppressed', assignmentId: a.id, stepKey: s.key, dueDate: due.date, assignment: a });
      continue;
    }
    const urgency: Urgency =
      s.step === 'after' || info.daysLeft < 0 ? 'overdue' : s.step === 'due' || info.workdaysLeft <= 3 ? 'soon' : 'normal';
    pushStep(actions, a, sent, input.contactsByUnit, {
      key: s.key, step: s.step, offset: s.offset, dueDate: due.date, urgency, level: s.level, daysLeft: info.daysLeft,
      workdaysLeft: info.workdaysLeft,
    });
  }
  for (const [planId, w] of waiting) {
    const key = `golive:waiting:${planId}:${today}`;
    if (globalSent.has(key)) continue;
    const lf = input.liveFrom?.get(planId) ?? null;
    actions.push({ kind: 'plan_waiting', assignmentId: 0, stepKey: key, planId, liveFrom: lf, waiting: w.waiting, overdue: w.overdue });
  }
  return { date: today, actions };
}

/** From this day of a year ('MM-DD') the office is warned while next year's holidays are not known. */
export const CALENDAR_WARN_FROM = '11-01';

function escalation(
  kind: 'escalate_office' | 'escalate_leaders',
  stepKey: string,
  level: 2 | 3,
  a: PlanAssignment,
  dueDate: string,
  info: DueInfo,
  neverReminded: boolean,
): EscalationAction {
  return {
    kind, assignmentId: a.id, stepKey, dueDate, escalationLevel: level,
    overdueWorkdays: info.overdueWorkdays, daysLeft: info.daysLeft, assignment: a, neverReminded,
  };
}

function pushStep(
  actions: PlannedAction[],
  a: PlanAssignment,
  sent: SentStep[],
  contactsByUnit: Map<number, Contact[]>,
  s: {
    key: string; step: StepKind; offset: number; dueDate: string | null; period?: string;
    urgency: Urgency; level: number; daysLeft: number | null; workdaysLeft: number | null;
  },
) {
  if (sent.some((x) => x.stepKey === s.key)) return;
  const recipients = contactsByUnit.get(a.unitId) ?? [];
  if (recipients.length === 0) {
    const key = `no_contact:${s.key}`;
    if (!sent.some((x) => x.stepKey === key))
      actions.push({
        kind: 'no_contact', assignmentId: a.id, stepKey: key, step: s.step, offset: s.offset, period: s.period,
        dueDate: s.dueDate, assignment: a,
      });
    return;
  }
  actions.push({
    kind: 'reminder', assignmentId: a.id, stepKey: s.key, step: s.step, offset: s.offset, dueDate: s.dueDate,
    period: s.period, urgency: s.urgency, escalationLevel: s.level, daysLeft: s.daysLeft, workdaysLeft: s.workdaysLeft,
    assignment: a, recipients,
  });
}
