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
}

export interface CalendarFlagAction {
  kind: 'calendar_flag';
  assignmentId: 0;
  stepKey: string;
  year: number;
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
  | DigestAction;

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

/** The reminder ladder of one due date as seen on `today`: only the latest step reached matters (catch-up). */
export function describeDue(due: string, today: string, policy: ReminderPolicy): DueInfo {
  const daysLeft = daysBetween(today, due);
  const year = Number(due.slice(0, 4));
  if (!hasCalendarData(year)) {
    const reach = Math.max(0, ...policy.beforeWorkdays) * 2 + 20;
    return { latest: null, overdueWorkdays: 0, daysLeft, workdaysLeft: 0, noData: true, flagYear: daysLeft <= reach };
  }
  const steps: LadderStep[] = [];
  // Largest offset first so that ties on one date resolve to the step nearer the deadline.
  const before = [...new Set(policy.beforeWorkdays)].sort((a, b) => b - a);
  for (const n of before) steps.push({ key: `before:${n}:${due}`, step: 'before', offset: n, date: addWorkdays(due, -n), level: 0 });
  // A deadline on a holiday is reminded on the last working day before it.
  if (policy.onDueDay) steps.push({ key: `due:${due}`, step: 'due', offset: 0, date: previousWorkday(due), level: 0 });
  let overdueWorkdays = 0;
  if (today > due) {
    overdueWorkdays = workdaysBetween(due, today);
    const every = policy.afterEveryWorkdays;
    const k = every > 0 ? Math.floor(overdueWorkdays / every) : 0;
    if (k >= 1) {
      steps.push({
        key: `after:${k}:${due}`,
        step: 'after',
        offset: k,
        date: addWorkdays(due, k * every),
        level: levelForOverdueStep(k, policy),
      });
    }
  }
  let latest: LadderStep | null = null;
  for (const s of steps) if (s.date <= today && (!latest || s.date >= latest.date)) latest = s;
  // Only needed for a reached step, whose date is at most ~max(beforeWorkdays) working days before the due date.
  const workdaysLeft = latest && today < due ? workdaysBetween(today, due) : 0;
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

    if (s.step === 'after') {
      if (s.level >= 2) {
        const key = `escalate:office:${due.date}`;
        if (!sent.some((x) => x.stepKey === key))
          actions.push(escalation('escalate_office', key, 2, a, due.date, info));
      }
      if (s.level >= 3) {
        const key = `escalate:leaders:${due.date}`;
        if (!sent.some((x) => x.stepKey === key))
          actions.push(escalation('escalate_leaders', key, 3, a, due.date, info));
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
    if (a.lastReportAt !== null && a.lastReportAt >= ref) {
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
  return { date: today, actions };
}

function escalation(
  kind: 'escalate_office' | 'escalate_leaders',
  stepKey: string,
  level: 2 | 3,
  a: PlanAssignment,
  dueDate: string,
  info: DueInfo,
): EscalationAction {
  return {
    kind, assignmentId: a.id, stepKey, dueDate, escalationLevel: level,
    overdueWorkdays: info.overdueWorkdays, daysLeft: info.daysLeft, assignment: a,
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
