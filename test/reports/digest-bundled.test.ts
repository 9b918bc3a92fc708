// The digest over the bundled Dingxi plan at fixed instants, with progress recorded as the commands record it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';
import type { NodeDatabase } from '../../src/db/node.js';
import { runDigest } from '../../src/reports/digest-run.js';
import { CARD_MAX_BYTES, cardBytes, chartSpecs, validateVChartSpec } from '../../src/cards/digest-card.js';
import { addDays } from '../../src/domain/dates.js';
import { bundledPlan, insertPlan, recordProgress, reportMetric, type SeededPlan } from '../helpers/plan-fixture.js';

const sh = (s: string) => Date.parse(`${s}+08:00`);
const DATED = `('date','month_end','year_end','target_year')`;

describe('digest over the bundled Dingxi 2022 plan', () => {
  let database: NodeDatabase;
  let plan: SeededPlan;
  const count = (q: string, ...p: unknown[]) => (database.sqlite.prepare(q).get(...p) as { n: number }).n;

  beforeAll(async () => {
    database = createTestDatabase();
    plan = await insertPlan(database.db, bundledPlan());
    const yearEnd = database.sqlite
      .prepare(`select a.id from assignments a join deadlines d on d.task_id = a.task_id where d.kind = 'year_end' order by a.id`)
      .all() as Array<{ id: number }>;
    // Some units finish their 2022 year-end work, some claim it, one reports progress; the rest stay silent.
    for (const [i, { id }] of yearEnd.entries()) {
      if (i % 4 === 0) await recordProgress(database.db, id, { state: 'closed', percent: 100 }, sh('2022-12-20T10:00:00'));
      else if (i % 4 === 1) await recordProgress(database.db, id, { state: 'claimed', percent: 100 }, sh('2022-12-28T10:00:00'));
      else if (i % 4 === 2) await recordProgress(database.db, id, { state: 'in_progress', percent: 70 }, sh('2022-12-15T10:00:00'));
    }
    await reportMetric(database.db, plan.targetId('T-PM25-2025'), 27, sh('2022-12-31T10:00:00'));
    await database.sqlite.prepare(`insert into chats (chat_id, purpose) values ('oc_leaders','leaders'), ('oc_office','office')`).run();
  });
  afterAll(() => database.close());

  for (const instant of ['2022-12-26T09:00:00', '2023-01-09T09:00:00']) {
    it(`numbers match the database at ${instant}`, async () => {
      const today = instant.slice(0, 10);
      const r = await runDigest({ db: database.db }, sh(instant), { dryRun: true });
      const s = r.stats!;
      expect(s.tasks.total).toBe(196);
      expect(s.assignments.total).toBe(count('select count(*) n from assignments'));
      expect(s.assignments.byStatus['已销号']).toBe(count(`select count(*) n from assignments where state='closed'`));
      expect(s.assignments.byStatus['待核验']).toBe(count(`select count(*) n from assignments where state='claimed'`));
      const open = `a.state not in ('claimed','closed') and a.extended_to is null`;
      const red = count(
        `select count(*) n from assignments a where ${open} and (select max(due_date) from deadlines d where d.task_id=a.task_id and d.kind in ${DATED}) < ?`,
        today,
      );
      const yellow = count(
        `select count(*) n from assignments a where ${open} and (select min(due_date) from deadlines d where d.task_id=a.task_id and d.kind in ${DATED} and d.due_date >= ?) <= ?`,
        today,
        addDays(today, 14),
      );
      expect(s.lights).toEqual({ red, yellow, green: s.assignments.total - red - yellow });
      expect(s.overdue).toHaveLength(red);
      expect(s.chapters.map((c) => c.label)).toEqual(['减污降碳', '蓝天', '碧水', '净土', '生态', '基础', '保障']);
      expect(s.counties).toHaveLength(7);
      expect(s.targets.find((t) => t.code === 'T-PM25-2025')).toMatchObject({ latest: { value: 27 }, status: 'not_met' });
      const card = r.card!;
      expect(cardBytes(card)).toBeLessThan(CARD_MAX_BYTES);
      const specs = chartSpecs(card);
      expect(specs).toHaveLength(2);
      for (const spec of specs) expect(validateVChartSpec(spec)).toEqual({ ok: true, errors: [] });
    });
  }

  it('the card groups a task late in many units into one line', async () => {
    const r = await runDigest({ db: database.db }, sh('2023-01-09T09:00:00'), { dryRun: true });
    const text = JSON.stringify(r.card);
    const late = r.stats!.overdue.filter((o) => o.taskCode === '4.1.6');
    expect(late.length).toBeGreaterThan(4);
    expect(text).toContain(`4.1.6 完成县级城市建成区黑臭水体排查｜2022年6月30日到期，逾期 193 天｜未提醒｜`);
    expect(text).toContain(`等 ${late.length} 个单位`);
    expect(text).toContain(`**逾期 ${r.stats!.overdue.length} 项**（涉及 ${new Set(r.stats!.overdue.map((o) => o.taskCode)).size} 项任务）`);
  });

  it('red appears after the 2022 year-end deadlines pass', async () => {
    const before = (await runDigest({ db: database.db }, sh('2022-12-26T09:00:00'), { dryRun: true })).stats!;
    const after = (await runDigest({ db: database.db }, sh('2023-01-09T09:00:00'), { dryRun: true })).stats!;
    expect(before.dueSoon.some((d) => d.dueDate === '2022-12-31' && d.daysLeft === 5)).toBe(true);
    expect(before.overdue.some((o) => o.dueDate === '2022-12-31')).toBe(false);
    expect(after.lights.red).toBeGreaterThan(before.lights.red);
    expect(after.overdue.filter((o) => o.dueDate === '2022-12-31').every((o) => o.daysOverdue === 9)).toBe(true);
    expect(after.overdue.filter((o) => o.dueDate === '2022-12-31').length).toBe(before.dueSoon.filter((d) => d.dueDate === '2022-12-31').length);
  });
});
