import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDatabase } from '../helpers/db.js';
import type { NodeDatabase } from '../../src/db/node.js';
import { loadStatsInput } from '../../src/db/stats-store.js';
import { assessTarget, computeStats, escalationStepZh, filterStatsInput, taskStatusWord } from '../../src/domain/stats.js';
import { addDays } from '../../src/domain/dates.js';
import { seedScenario } from '../helpers/progress-scenario.js';
import type { SeededPlan } from '../helpers/plan-fixture.js';

const TODAY = '2022-06-27';

let database: NodeDatabase;
let plan: SeededPlan;
beforeEach(async () => {
  database = createTestDatabase();
  plan = await seedScenario(database.db);
});
afterEach(() => database.close());

function count(query: string, ...params: unknown[]): number {
  return (database.sqlite.prepare(query).get(...params) as { n: number }).n;
}

describe('computeStats over the seeded plan', () => {
  it('matches direct SQL counts', async () => {
    const s = computeStats(await loadStatsInput(database.db, undefined, TODAY));
    expect(s.tasks.total).toBe(count(`select count(*) n from tasks where state='active'`));
    expect(s.assignments.total).toBe(count(`select count(*) n from assignments`));
    expect(s.assignments.byStatus['已销号']).toBe(count(`select count(*) n from assignments where state='closed'`));
    expect(s.assignments.byStatus['待核验']).toBe(count(`select count(*) n from assignments where state='claimed'`));
    // Every task of the small plan has one dated deadline (or none): red = open and past it, yellow = within 14 days.
    const open = `a.state not in ('claimed','closed') and a.extended_to is null`;
    const red = count(`select count(*) n from assignments a join deadlines d on d.task_id=a.task_id where ${open} and d.due_date < ?`, TODAY);
    const yellow = count(
      `select count(*) n from assignments a join deadlines d on d.task_id=a.task_id where ${open} and d.due_date between ? and ?`,
      TODAY,
      addDays(TODAY, 14),
    );
    expect(s.lights.red).toBe(red);
    expect(s.lights.yellow).toBe(yellow);
    expect(s.lights.red + s.lights.yellow + s.lights.green).toBe(s.assignments.total);
    expect(s.assignments.byStatus['逾期']).toBe(red);
    expect(s.overdue).toHaveLength(red);
    expect(s.dueSoon).toHaveLength(yellow);
    const closed = count(`select count(*) n from assignments where state='closed'`);
    expect(s.completion.closedRate).toBe(Math.round((closed / s.assignments.total) * 1000) / 10);
    expect(s.pendingExtensions).toHaveLength(count(`select count(*) n from extension_requests where status='pending'`));
  });

  it('states the scenario exactly', async () => {
    const s = computeStats(await loadStatsInput(database.db, undefined, TODAY));
    expect(s.assignments.total).toBe(17);
    expect(s.assignments.byStatus).toEqual({ 未开始: 8, 进行中: 2, 待核验: 2, 已销号: 3, 逾期: 2 });
    expect(s.lights).toEqual({ red: 2, yellow: 5, green: 10 });
    expect(s.completion).toEqual({ total: 17, closed: 3, done: 5, closedRate: 17.6, doneRate: 29.4 });
    // Tasks are rolled up from every assignment: 3.1.1's lead closed it but its co-unit's claim awaits the office's
    // check, so it is 待核验, not 已销号; 5.1.1 and 8.1.1 are overdue.
    expect(s.tasks.byStatus).toEqual({ 未开始: 5, 进行中: 2, 待核验: 1, 已销号: 0, 逾期: 2 });
    expect(s.overdue[0]).toMatchObject({ taskCode: '5.1.1', unitName: '市水务局', daysOverdue: 27, escalationLevel: 2, escalationStep: '已报办公室' });
    expect(s.overdue.find((o) => o.taskCode === '8.1.1')).toMatchObject({ unitName: '市生态环境局', daysOverdue: 7, escalationStep: '未提醒' });
    expect(s.dueSoon.map((d) => `${d.taskCode}/${d.unitName}/${d.daysLeft}`)).toEqual([
      '4.1.1/市生态环境局/3',
      '4.1.1/通渭县/3',
      '6.1.1/市生态环境局/3',
      '4.1.2/安定区/13',
      '4.1.2/陇西县/13',
    ]);
    expect(s.pendingExtensions[0]).toMatchObject({ taskCode: '8.1.1', unitName: '市生态环境局', newDueDate: '2022-07-31' });
    expect(s.targets.map((t) => [t.code, t.latest?.value ?? null, t.status])).toEqual([
      ['T-PM25-2025', 23.5, 'met'],
      ['T-AQ-2025', 80.2, 'not_met'],
      ['T-WQ-2025', null, 'no_data'],
    ]);
    const blue = s.chapters.find((c) => c.label === '蓝天')!;
    expect(blue).toMatchObject({ number: 4, tasks: 3, assignments: 7 });
    expect(blue.completion.closed).toBe(1);
    // In the plan's official order, never by pinyin.
    expect(s.counties.map((c) => c.label)).toEqual(['安定区', '通渭县', '陇西县']);
    const anding = s.units.find((u) => u.label === '安定区')!;
    expect(anding.byStatus['已销号']).toBe(2);
  });

  it('an approved extension turns red back and drops escalations of the old date', async () => {
    const id = plan.assignmentId('5.1.1', '市水务局');
    database.sqlite.prepare(`update assignments set extended_to='2022-07-31' where id=?`).run(id);
    const s = computeStats(await loadStatsInput(database.db, undefined, TODAY));
    expect(s.overdue.find((o) => o.assignmentId === id)).toBeUndefined();
    database.sqlite.prepare(`update assignments set extended_to='2022-06-25' where id=?`).run(id);
    const s2 = computeStats(await loadStatsInput(database.db, undefined, TODAY));
    expect(s2.overdue.find((o) => o.assignmentId === id)).toMatchObject({ daysOverdue: 2, escalationStep: '未提醒' });
  });

  it('filters use the same arithmetic: unit, counties, chapter', async () => {
    const input = await loadStatsInput(database.db, undefined, TODAY);
    const all = computeStats(input);
    const anding = computeStats(filterStatsInput(input, { unitIds: [plan.unitId('安定区')] }));
    const fromAll = all.units.find((u) => u.label === '安定区')!;
    expect(anding.assignments.total).toBe(fromAll.assignments);
    expect(anding.assignments.byStatus).toEqual(fromAll.byStatus);
    expect(anding.lights).toEqual(fromAll.lights);
    const counties = computeStats(filterStatsInput(input, { countiesOnly: true }));
    expect(counties.assignments.total).toBe(all.counties.reduce((n, c) => n + c.assignments, 0));
    const water = computeStats(filterStatsInput(input, { chapter: 5 }));
    const ch5 = all.chapters.find((c) => c.number === 5)!;
    expect(water.assignments.total).toBe(ch5.assignments);
    expect(water.tasks.total).toBe(ch5.tasks);
    expect(water.completion).toEqual(ch5.completion);
  });

  it('withdrawn tasks are left out', async () => {
    database.db.run(sql`update tasks set state='withdrawn' where code='7.1.1'`);
    const s = computeStats(await loadStatsInput(database.db, undefined, TODAY));
    expect(s.tasks.total).toBe(9);
    expect(s.chapters.find((c) => c.number === 7)).toBeUndefined();
  });

  it('an empty database gives zeros, not errors', async () => {
    const empty = createTestDatabase();
    const s = computeStats(await loadStatsInput(empty.db, undefined, TODAY));
    expect(s.tasks.total).toBe(0);
    expect(s.completion.closedRate).toBe(0);
    empty.close();
  });
});

describe('taskStatusWord', () => {
  it('is done only when all are done, overdue when any is', () => {
    expect(taskStatusWord([])).toBe('未开始');
    expect(taskStatusWord(['已销号', '已销号'])).toBe('已销号');
    expect(taskStatusWord(['已销号', '待核验'])).toBe('待核验');
    expect(taskStatusWord(['已销号', '逾期'])).toBe('逾期');
    expect(taskStatusWord(['未开始', '待核验'])).toBe('进行中');
    expect(taskStatusWord(['未开始', '未开始'])).toBe('未开始');
  });
});

describe('escalationStepZh', () => {
  const e = { assignmentId: 1, dueDate: '2022-06-30', level: 0, steps: 1, overdueReminders: 0, office: false, leaders: false, noContactOnly: false };
  it('names the furthest step the scheduler logged', () => {
    expect(escalationStepZh(undefined)).toBe('未提醒');
    expect(escalationStepZh(e)).toBe('已提醒');
    expect(escalationStepZh({ ...e, steps: 3, overdueReminders: 2 })).toBe('已催办 2 次');
    expect(escalationStepZh({ ...e, steps: 4, overdueReminders: 2, office: true, level: 2 })).toBe('已报办公室');
    expect(escalationStepZh({ ...e, steps: 5, office: true, leaders: true, level: 3 })).toBe('已报领导');
    expect(escalationStepZh({ ...e, noContactOnly: true })).toBe('无联络员，未能提醒');
  });
});

describe('assessTarget', () => {
  it('respects the comparator', () => {
    expect(assessTarget('<=', 24, 24)).toBe('met');
    expect(assessTarget('<=', 24, 24.1)).toBe('not_met');
    expect(assessTarget('<', 24, 24)).toBe('not_met');
    expect(assessTarget('>=', 85.9, 86)).toBe('met');
    expect(assessTarget('>', 85.9, 85.9)).toBe('not_met');
    expect(assessTarget('=', 100, 100)).toBe('met');
    expect(assessTarget('=', 100, 99)).toBe('not_met');
    expect(assessTarget('>=', 80, null)).toBe('no_data');
  });
});
