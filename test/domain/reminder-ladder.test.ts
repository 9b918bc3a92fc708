// Table tests for the reminder ladder on weekend and holiday deadlines, the overdue thinning, the last warnings,
// the escalation wording input, stale claims and go-live (issue 16).
import { describe, expect, it } from 'vitest';
import { shanghaiInstant } from '../../src/domain/dates.js';
import {
  DEFAULT_POLICY, describeDue, effectiveDueDay, overdueOffsets, planReminders,
  type PlanAssignment, type PlanInput, type SentStep,
} from '../../src/domain/reminder-plan.js';
import { addWorkdays } from '../../src/domain/calendar.js';
import { escalationStepZh, type StatsEscalation } from '../../src/domain/stats.js';

const at = (date: string, hhmm = '09:30') => shanghaiInstant(date, hhmm);
const asg = (id: number, over: Partial<PlanAssignment> = {}): PlanAssignment => ({
  id, taskId: 1, taskCode: '4.1.3', taskTitle: '黑臭水体排查', unitId: id, unitName: `单位${id}`,
  state: 'not_started', percent: 0, extendedTo: null, lastReportAt: null, planId: 1,
  deadlines: [{ kind: 'date', dueDate: '2022-12-31', label: '2022年底前' }], ...over,
});
const input = (over: Partial<PlanInput>): PlanInput => ({
  now: at('2022-12-16'), policy: DEFAULT_POLICY, workHours: { start: '09:00', end: '18:00' },
  assignments: [asg(1)], sentSteps: new Map(),
  contactsByUnit: new Map([[1, [{ personId: 1, openId: 'ou_1', name: '甲' }]]]), ...over,
});
const kinds = (i: PlanInput) => planReminders(i).actions.map((a) => `${a.kind}:${a.stepKey}`);

/** Run the ladder day by day from `from` to `to`, remembering what was planned, and return the reminders. */
function walk(due: string, from: string, to: string, over: Partial<PlanInput> = {}) {
  const sent: SentStep[] = [];
  const out: Array<{ date: string; key: string; workdaysLeft: number | null }> = [];
  for (let d = addWorkdays(from, 0); d <= to; d = addWorkdays(d, 1)) {
    const res = planReminders(input({
      now: at(d), assignments: [asg(1, { deadlines: [{ kind: 'date', dueDate: due, label: due }] })], sentSteps: new Map([[1, sent]]), ...over,
    }));
    for (const a of res.actions) {
      if (a.kind !== 'reminder') continue;
      out.push({ date: d, key: a.stepKey, workdaysLeft: a.workdaysLeft });
      sent.push({ stepKey: a.stepKey, plannedAt: at(d), dueDate: due, escalationLevel: a.escalationLevel });
    }
  }
  return out;
}

describe('the ladder counts working days to the effective due day', () => {
  it.each([
    // deadline, effective due day (last working day on or before it)
    ['2022-12-31', '2022-12-30'], // Saturday
    ['2022-07-31', '2022-07-29'], // Sunday
    ['2022-10-01', '2022-09-30'], // National Day (Saturday)
    ['2022-10-05', '2022-09-30'], // inside the National Day holiday
    ['2022-06-03', '2022-06-02'], // Dragon Boat Festival (Friday)
    ['2022-10-08', '2022-10-08'], // a make-up working Saturday
    ['2022-06-30', '2022-06-30'], // an ordinary Thursday
  ])('deadline %s is due on %s', (deadline, dueDay) => {
    expect(effectiveDueDay(deadline)).toBe(dueDay);
  });

  it.each([
    // deadline: [day, step, working days left on the card]
    ['2022-12-31', [['2022-12-16', 'before:10', 10], ['2022-12-27', 'before:3', 3], ['2022-12-29', 'before:1', 1], ['2022-12-30', 'due', 0]]],
    ['2022-07-31', [['2022-07-15', 'before:10', 10], ['2022-07-26', 'before:3', 3], ['2022-07-28', 'before:1', 1], ['2022-07-29', 'due', 0]]],
    ['2022-10-05', [['2022-09-16', 'before:10', 10], ['2022-09-27', 'before:3', 3], ['2022-09-29', 'before:1', 1], ['2022-09-30', 'due', 0]]],
    ['2022-06-03', [['2022-05-19', 'before:10', 10], ['2022-05-30', 'before:3', 3], ['2022-06-01', 'before:1', 1], ['2022-06-02', 'due', 0]]],
    ['2022-06-30', [['2022-06-16', 'before:10', 10], ['2022-06-27', 'before:3', 3], ['2022-06-29', 'before:1', 1], ['2022-06-30', 'due', 0]]],
  ] as Array<[string, Array<[string, string, number]>]>)('deadline %s: four reminders on four different days', (due, expected) => {
    const seen = walk(due, addWorkdays(expected[0]![0], -2), effectiveDueDay(due));
    expect(seen.map((s) => [s.date, s.key.replace(`:${due}`, ''), s.workdaysLeft ?? 0])).toEqual(expected);
    expect(new Set(seen.map((s) => s.date)).size).toBe(4);
  });
});

describe('overdue reminders thin out on a policy the office can set', () => {
  it('default: every 3 working days for three weeks, then weekly until three months, then monthly', () => {
    expect(overdueOffsets(DEFAULT_POLICY, 200)).toEqual([3, 6, 9, 12, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 80, 100, 120, 140, 160, 180, 200]);
  });
  it.each([
    [{ afterEveryWorkdays: 1, afterThinning: [{ fromWorkdays: 5, everyWorkdays: 5 }, { fromWorkdays: 20, everyWorkdays: 20 }] }, 70, [1, 2, 3, 4, 5, 10, 15, 20, 40, 60]],
    [{ afterEveryWorkdays: 3, afterThinning: [] }, 12, [3, 6, 9, 12]],
    [{ afterEveryWorkdays: 0 }, 100, []],
    [{ afterEveryWorkdays: 2, afterThinning: [{ fromWorkdays: 7, everyWorkdays: 10 }] }, 40, [2, 4, 6, 8, 18, 28, 38]],
  ])('policy %j up to %d working days overdue: %j', (over, limit, expected) => {
    expect(overdueOffsets({ ...DEFAULT_POLICY, ...over }, limit)).toEqual(expected);
  });
  it('a deadline years past gets one reminder a month, not one every three days (通渭县 got its 24th red card)', () => {
    const seen = walk('2022-06-30', '2022-07-01', '2023-06-30');
    const after = seen.filter((s) => s.key.startsWith('after:'));
    // 5 in the first three weeks, 9 weekly ones up to 60 working days, then monthly: far fewer than one every 3 days.
    expect(after.slice(0, 5).map((s) => s.date)).toEqual(['2022-07-05', '2022-07-08', '2022-07-13', '2022-07-18', '2022-07-21']);
    expect(after[5]!.date).toBe('2022-07-28');
    const perMonthLater = after.filter((s) => s.date >= '2023-01-01').length;
    expect(perMonthLater).toBeLessThanOrEqual(6);
    expect(after.length).toBeLessThan(30);
  });
  it('describeDue names the thinned step the day reaches', () => {
    expect(describeDue('2022-06-30', '2022-07-27', DEFAULT_POLICY).latest?.key).toBe('after:5:2022-06-30');
    expect(describeDue('2022-06-30', '2022-07-28', DEFAULT_POLICY).latest?.key).toBe('after:6:2022-06-30');
  });
});

describe('a report skips only the next routine reminder', () => {
  const reportedWeeksAgo = at('2022-11-20');
  it.each([
    ['2022-12-16', 'reminder:before:10:2022-12-31', at('2022-12-16', '08:00')],
    ['2022-12-27', 'reminder:before:3:2022-12-31', at('2022-12-26')],
    ['2022-12-29', 'reminder:before:1:2022-12-31', at('2022-12-28')],
    ['2022-12-30', 'reminder:due:2022-12-31', at('2022-12-29')],
  ])('on %s a report the day before does not silence the last warnings (%s)', (day, expected, reportAt) => {
    const sent: SentStep[] = [{ stepKey: 'before:10:2022-12-31', plannedAt: at('2022-12-16'), dueDate: '2022-12-31', escalationLevel: 0 }];
    const i = input({ now: at(day), sentSteps: new Map([[1, day === '2022-12-16' ? [] : sent]]), assignments: [asg(1, { lastReportAt: reportAt })] });
    if (day === '2022-12-16') expect(kinds(i)).toEqual(['suppressed:before:10:2022-12-31']); // routine: answered
    else expect(kinds(i)).toEqual([expected]);
    // A report weeks ago silences nothing.
    expect(kinds(input({ now: at(day), sentSteps: new Map([[1, day === '2022-12-16' ? [] : sent]]), assignments: [asg(1, { lastReportAt: reportedWeeksAgo })] }))).toEqual([expected]);
  });
});

describe('escalations know whether the unit was ever reminded', () => {
  const overdue = { now: at('2023-01-06'), policy: { ...DEFAULT_POLICY, escalateToOfficeAfter: 1 } };
  it.each([
    ['contact bound', new Map([[1, [{ personId: 1, openId: 'ou_1', name: '甲' }]]]), [] as SentStep[], false],
    ['no contact, never reminded', new Map(), [] as SentStep[], true],
    ['no contact now, reminded before', new Map(), [{ stepKey: 'before:3:2022-12-31', plannedAt: at('2022-12-27'), dueDate: '2022-12-31', escalationLevel: 0 }], false],
  ])('%s', (_name, contacts, sent, never) => {
    const res = planReminders(input({ ...overdue, contactsByUnit: contacts, sentSteps: new Map([[1, sent]]) }));
    const esc = res.actions.find((a) => a.kind === 'escalate_office');
    expect(esc).toMatchObject({ neverReminded: never });
  });
});

describe('go-live', () => {
  const live = (from: string | null) => new Map([[1, from]]);
  it.each([
    // live day, today, what the planner does with a 2022-06-30 deadline
    [null, '2022-07-05', ['plan_waiting:golive:waiting:1:2022-07-05']],
    ['2022-08-01', '2022-07-05', ['plan_waiting:golive:waiting:1:2022-07-05']],
    ['2022-07-05', '2022-07-05', ['live_backlog:after:1:2022-06-30']],
    ['2022-07-04', '2022-07-05', ['live_backlog:after:1:2022-06-30']],
    ['2022-06-01', '2022-07-05', ['reminder:after:1:2022-06-30']],
    ['2022-06-01', '2022-06-16', ['reminder:before:10:2022-06-30']],
    ['2022-06-20', '2022-06-20', ['reminder:before:10:2022-06-30']],
  ])('live from %s, on %s: %j', (from, day, expected) => {
    const i = input({ now: at(day!), liveFrom: live(from), assignments: [asg(1, { deadlines: [{ kind: 'date', dueDate: '2022-06-30', label: '6月底前' }] })] });
    expect(kinds(i)).toEqual(expected);
  });
  it('after the live-day summary, the ladder runs as usual for the overdue assignment', () => {
    const dl = [{ kind: 'date', dueDate: '2022-06-30', label: '6月底前' }];
    const sent: SentStep[] = [{ stepKey: 'after:1:2022-06-30', plannedAt: at('2022-07-06'), dueDate: '2022-06-30', escalationLevel: 1 }];
    const i = (d: string) => input({ now: at(d), liveFrom: live('2022-07-06'), sentSteps: new Map([[1, sent]]), assignments: [asg(1, { deadlines: dl })] });
    expect(kinds(i('2022-07-07'))).toEqual([]);
    expect(kinds(i('2022-07-08'))).toEqual(['escalate_office:escalate:office:2022-06-30', 'reminder:after:2:2022-06-30']);
  });
  it('tells the office what waits once a day, with the counts', () => {
    const res = planReminders(input({
      now: at('2022-07-05'), liveFrom: live(null),
      assignments: [asg(1, { deadlines: [{ kind: 'date', dueDate: '2022-06-30', label: '' }] }), asg(2), asg(3, { planId: 2 })],
    }));
    expect(res.actions).toEqual([
      expect.objectContaining({ kind: 'plan_waiting', planId: 1, waiting: 2, overdue: 1, liveFrom: null }),
      expect.objectContaining({ kind: 'plan_waiting', planId: 2, waiting: 1, overdue: 0 }),
    ]);
    const again = input({
      now: at('2022-07-05', '10:00'), liveFrom: live(null), assignments: [asg(2)],
      sentSteps: new Map([[0, [{ stepKey: 'golive:waiting:1:2022-07-05', plannedAt: at('2022-07-05'), dueDate: null, escalationLevel: 0 }]]]),
    });
    expect(kinds(again)).toEqual([]);
  });
});

describe('a completion claim left unchecked is put before the office again', () => {
  it.each([
    ['2022-06-24', []], // 4 working days
    ['2022-06-27', ['recheck_claim:recheck:2022-06-20:1']], // 5
    ['2022-07-04', ['recheck_claim:recheck:2022-06-20:2']], // 10
  ])('claimed 2022-06-20, on %s: %j', (day, expected) => {
    const claim = { assignment: asg(9, { state: 'claimed' }), claimedAt: at('2022-06-20', '11:00') };
    expect(kinds(input({ now: at(day), assignments: [], claims: [claim] }))).toEqual(expected);
  });
  it('never with the policy at 0, and not twice for one step', () => {
    const claim = { assignment: asg(9, { state: 'claimed' }), claimedAt: at('2022-06-20') };
    expect(kinds(input({ now: at('2022-06-27'), assignments: [], claims: [claim], policy: { ...DEFAULT_POLICY, recheckClaimAfterWorkdays: 0 } }))).toEqual([]);
    const sent = new Map([[9, [{ stepKey: 'recheck:2022-06-20:1', plannedAt: at('2022-06-27'), dueDate: null, escalationLevel: 0 }]]]);
    expect(kinds(input({ now: at('2022-06-28'), assignments: [], claims: [claim], sentSteps: sent }))).toEqual([]);
  });
});

describe('the escalation step in words (digest, 逾期, 台账)', () => {
  const e = (over: Partial<StatsEscalation>): StatsEscalation => ({
    assignmentId: 1, dueDate: '2022-06-30', level: 0, steps: 1, overdueReminders: 0, office: false, leaders: false, noContactOnly: false, ...over,
  });
  it.each([
    [undefined, '未提醒'],
    [e({ steps: 0 }), '未提醒'],
    [e({}), '已提醒'],
    [e({ overdueReminders: 3 }), '已催办 3 次'],
    [e({ office: true, overdueReminders: 2 }), '已报办公室'],
    [e({ leaders: true, office: true, overdueReminders: 4 }), '已报领导'],
    [e({ noContactOnly: true }), '无联络员，未能提醒'],
    [e({ noContactOnly: true, office: true }), '未绑定联络员，已报办公室'],
    [e({ noContactOnly: true, office: true, leaders: true }), '未绑定联络员，已报领导'],
  ])('%j -> %s', (esc, expected) => {
    expect(escalationStepZh(esc)).toBe(expected);
  });
});
