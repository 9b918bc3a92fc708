import { describe, expect, it } from 'vitest';
import { shanghaiInstant } from '../../src/domain/dates.js';
import {
  DEFAULT_POLICY, describeDue, ladderReached, levelForOverdueStep, planReminders, reminderPolicySchema,
  type PlanAssignment, type PlanInput, type SentStep,
} from '../../src/domain/reminder-plan.js';

const at = (date: string, hhmm = '09:30') => shanghaiInstant(date, hhmm);
const asg = (id: number, over: Partial<PlanAssignment> = {}): PlanAssignment => ({
  id, taskId: 1, taskCode: '4.1.3', taskTitle: '黑臭水体排查', unitId: id, unitName: `单位${id}`,
  state: 'not_started', percent: 0, extendedTo: null, lastReportAt: null,
  deadlines: [{ kind: 'month_end', dueDate: '2022-06-30', label: '2022年6月底前' }], ...over,
});
const input = (over: Partial<PlanInput>): PlanInput => ({
  now: at('2022-06-16'), policy: DEFAULT_POLICY, workHours: { start: '09:00', end: '18:00' },
  assignments: [asg(1)], sentSteps: new Map(),
  contactsByUnit: new Map([[1, [{ personId: 1, openId: 'ou_1', name: '甲' }]]]), ...over,
});
const keys = (i: PlanInput) => planReminders(i).actions.map((a) => `${a.kind}:${a.stepKey}`);

describe('the reminder ladder of a due date', () => {
  it('has reached a step from the first reminder day on, and only then (the pass reads sent steps of those dates only)', () => {
    expect(ladderReached('2022-06-30', '2022-06-15', DEFAULT_POLICY)).toBe(false);
    expect(ladderReached('2022-06-30', '2022-06-16', DEFAULT_POLICY)).toBe(true);
    expect(ladderReached('2022-06-30', '2023-01-05', DEFAULT_POLICY)).toBe(true);
    expect(ladderReached('2022-06-30', '2022-06-20', { ...DEFAULT_POLICY, beforeWorkdays: [3] })).toBe(false);
    // A year without holiday data: no step is ever reached on guessed days.
    expect(ladderReached('2031-06-30', '2031-06-30', DEFAULT_POLICY)).toBe(false);
  });


  it('picks the latest step reached, so a missed week yields one reminder', () => {
    expect(describeDue('2022-06-30', '2022-06-15', DEFAULT_POLICY).latest).toBeNull();
    expect(describeDue('2022-06-30', '2022-06-16', DEFAULT_POLICY).latest?.key).toBe('before:10:2022-06-30');
    expect(describeDue('2022-06-30', '2022-06-28', DEFAULT_POLICY).latest?.key).toBe('before:3:2022-06-30');
    expect(describeDue('2022-06-30', '2022-07-04', DEFAULT_POLICY).latest?.key).toBe('due:2022-06-30');
    const overdue = describeDue('2022-06-30', '2022-07-05', DEFAULT_POLICY);
    expect(overdue.latest).toMatchObject({ key: 'after:1:2022-06-30', level: 1 });
    expect(overdue.overdueWorkdays).toBe(3);
  });
  it('reminds a deadline that falls on a weekend on the last working day before it, counting to that day', () => {
    // 2022-07-31 is a Sunday: due on Friday the 29th, so before:1 is Thursday the 28th (no step is lost).
    expect(describeDue('2022-07-31', '2022-07-29', DEFAULT_POLICY).latest).toMatchObject({ key: 'due:2022-07-31', date: '2022-07-29' });
    expect(describeDue('2022-07-31', '2022-07-28', DEFAULT_POLICY)).toMatchObject({
      latest: { key: 'before:1:2022-07-31', date: '2022-07-28' }, workdaysLeft: 1,
    });
  });
  it('counts working days across the National Day holiday', () => {
    // 2022-10-14: 10 working days back crosses 10-01..07 and counts the make-up weekend 10-08/09.
    expect(describeDue('2022-10-14', '2022-09-27', DEFAULT_POLICY).latest).toMatchObject({ key: 'before:10:2022-10-14', date: '2022-09-27' });
    expect(describeDue('2022-10-14', '2022-09-26', DEFAULT_POLICY).latest).toBeNull();
    expect(describeDue('2022-10-14', '2022-10-11', DEFAULT_POLICY).latest).toMatchObject({ key: 'before:3:2022-10-14', date: '2022-10-11' });
  });
  it('escalates by the number of the overdue reminder', () => {
    expect([1, 2, 3, 4, 5].map((k) => levelForOverdueStep(k, DEFAULT_POLICY))).toEqual([1, 2, 2, 3, 3]);
    const never = { ...DEFAULT_POLICY, escalateToOfficeAfter: 0, escalateToLeadersAfter: 0 };
    expect(levelForOverdueStep(9, never)).toBe(1);
  });
});

describe('planReminders', () => {
  it('skips a step already sent, and then has nothing to do', () => {
    const sent: SentStep[] = [{ stepKey: 'before:10:2022-06-30', plannedAt: at('2022-06-16'), dueDate: '2022-06-30', escalationLevel: 0 }];
    expect(keys(input({}))).toEqual(['reminder:before:10:2022-06-30']);
    expect(keys(input({ sentSteps: new Map([[1, sent]]) }))).toEqual([]);
  });
  it('a report since the last reminder answers the next step; a report before it does not', () => {
    const sent: SentStep[] = [{ stepKey: 'before:10:2022-06-30', plannedAt: at('2022-06-16'), dueDate: '2022-06-30', escalationLevel: 0 }];
    const i = (lastReportAt: number) =>
      input({ now: at('2022-06-27'), sentSteps: new Map([[1, sent]]), assignments: [asg(1, { lastReportAt })] });
    // before:3 is one of the last warnings: a report never silences it.
    expect(keys(i(at('2022-06-20')))).toEqual(['reminder:before:3:2022-06-30']);
    expect(keys(i(at('2022-06-15')))).toEqual(['reminder:before:3:2022-06-30']);
    // A routine step (before:5 here) is answered by a report since the last reminder.
    const routine = { ...DEFAULT_POLICY, beforeWorkdays: [10, 5, 3, 1] };
    const r = (lastReportAt: number) =>
      input({ now: at('2022-06-23'), policy: routine, sentSteps: new Map([[1, sent]]), assignments: [asg(1, { lastReportAt })] });
    expect(keys(r(at('2022-06-20')))).toEqual(['suppressed:before:5:2022-06-30']);
    expect(keys(r(at('2022-06-15')))).toEqual(['reminder:before:5:2022-06-30']);
    // First step of a ladder: only a report on the step's own day (before the pass) answers it.
    expect(keys(input({ assignments: [asg(1, { lastReportAt: at('2022-06-16', '08:00') })] }))).toEqual(['suppressed:before:10:2022-06-30']);
    expect(keys(input({ assignments: [asg(1, { lastReportAt: at('2022-06-10') })] }))).toEqual(['reminder:before:10:2022-06-30']);
  });
  it('plans escalations once per due date even when the contact reminder is answered', () => {
    const now = at('2022-07-08'); // after:2 with the default policy
    const sent: SentStep[] = [{ stepKey: 'after:1:2022-06-30', plannedAt: at('2022-07-05'), dueDate: '2022-06-30', escalationLevel: 1 }];
    const i = input({ now, sentSteps: new Map([[1, sent]]), assignments: [asg(1, { lastReportAt: at('2022-07-06'), percent: 50 })] });
    expect(keys(i)).toEqual(['escalate_office:escalate:office:2022-06-30', 'suppressed:after:2:2022-06-30']);
  });
  it('leaves closed, claimed and withdrawn-state assignments alone', () => {
    const i = input({ assignments: [asg(1, { state: 'closed' }), asg(2, { state: 'claimed' })] });
    expect(planReminders(i).actions).toEqual([]);
  });
  it('follows an extension to the new date', () => {
    const i = (d: string) => input({ now: at(d), assignments: [asg(1, { extendedTo: '2022-07-20' })] });
    expect(keys(i('2022-07-05'))).toEqual([]); // the old date's after:1 is not planned
    expect(keys(i('2022-07-06'))).toEqual(['reminder:before:10:2022-07-20']);
  });
  it('reports a unit without contacts instead of skipping it', () => {
    expect(keys(input({ contactsByUnit: new Map() }))).toEqual(['no_contact:no_contact:before:10:2022-06-30']);
  });
  it('asks ongoing and recurring duties for progress each period, per policy', () => {
    const ongoing = asg(1, { deadlines: [{ kind: 'ongoing', dueDate: null, label: '长期坚持' }] });
    expect(keys(input({ now: at('2022-07-01'), assignments: [ongoing] }))).toEqual(['reminder:periodic:2022-07']);
    const quarterly = { ...DEFAULT_POLICY, periodicEvery: 'quarterly' as const };
    expect(keys(input({ now: at('2022-08-01'), policy: quarterly, assignments: [ongoing] }))).toEqual(['reminder:periodic:2022-Q3']);
    const off = { ...DEFAULT_POLICY, periodicEvery: 'off' as const };
    expect(keys(input({ now: at('2022-07-01'), policy: off, assignments: [ongoing] }))).toEqual([]);
  });
  it('asks a distant target for progress each period until its deadline ladder starts', () => {
    const target = asg(1, { deadlines: [{ kind: 'target_year', dueDate: '2025-12-31', label: '到2025年' }] });
    expect(keys(input({ now: at('2022-07-01'), assignments: [target] }))).toEqual(['reminder:periodic:2022-07']);
    const mixed = asg(1, { deadlines: [{ kind: 'ongoing', dueDate: null, label: '长期坚持' }, { kind: 'year_end', dueDate: '2022-12-31', label: '2022年底前' }] });
    expect(keys(input({ now: at('2022-07-01'), assignments: [mixed] }))).toEqual(['reminder:periodic:2022-07']);
    // From 10 working days before the year-end deadline the ladder takes over.
    expect(keys(input({ now: at('2022-12-19'), assignments: [mixed] }))).toEqual(['reminder:before:10:2022-12-31']);
    const yearEnd = asg(1, { deadlines: [{ kind: 'year_end', dueDate: '2022-12-31', label: '2022年底前' }] });
    expect(keys(input({ now: at('2022-07-01'), assignments: [yearEnd] }))).toEqual([]);
  });
  it('a no-contact notice is not a reminder: it does not make a later report suppress the step', () => {
    const sent: SentStep[] = [{ stepKey: 'no_contact:before:10:2022-06-30', plannedAt: at('2022-06-16'), dueDate: '2022-06-30', escalationLevel: 0 }];
    const i = input({ now: at('2022-06-16', '11:00'), sentSteps: new Map([[1, sent]]), assignments: [asg(1, { lastReportAt: at('2022-06-10') })] });
    expect(keys(i)).toEqual(['reminder:before:10:2022-06-30']);
  });
  it('gates on working days and hours, and flags a year without calendar data', () => {
    expect(planReminders(input({ now: at('2022-06-18') })).skippedReason).toBe('not_workday');
    expect(planReminders(input({ now: at('2022-06-16', '18:30') })).skippedReason).toBe('outside_hours');
    const r = planReminders(input({ now: at('2027-06-16') }));
    expect(r.skippedReason).toBe('no_calendar_data');
    expect(r.actions.map((a) => a.stepKey)).toEqual(['calendar:2027']);
    const flagged = new Map([[0, [{ stepKey: 'calendar:2027', plannedAt: 0, dueDate: null, escalationLevel: 0 }]]]);
    expect(planReminders(input({ now: at('2027-06-16'), sentSteps: flagged })).actions).toEqual([]);
  });
});

describe('reminder policy', () => {
  it('has the documented defaults and rejects unknown or bad fields', () => {
    expect(DEFAULT_POLICY).toEqual({
      beforeWorkdays: [10, 3, 1], onDueDay: true, afterEveryWorkdays: 3,
      escalateToOfficeAfter: 2, escalateToLeadersAfter: 4, periodicEvery: 'monthly',
      afterThinning: [{ fromWorkdays: 15, everyWorkdays: 5 }, { fromWorkdays: 60, everyWorkdays: 20 }],
      finalWarningsWithinWorkdays: 3, recheckClaimAfterWorkdays: 5,
    });
    expect(reminderPolicySchema.safeParse({ beforeWorkdays: [0] }).success).toBe(false);
    expect(reminderPolicySchema.safeParse({ daily: true }).success).toBe(false);
  });
});
