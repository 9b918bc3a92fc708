import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';
import type { NodeDatabase } from '../../src/db/node.js';
import { loadStatsInput } from '../../src/db/stats-store.js';
import { computeStats, type Stats } from '../../src/domain/stats.js';
import {
  countySummarySheet,
  ledgerReportSheets,
  overdueSheet,
  sheetToCsv,
  sheetToRecords,
  unitSummarySheet,
} from '../../src/reports/ledger-sheets.js';
import { seedScenario } from '../helpers/progress-scenario.js';

describe('ledger report sheets', () => {
  let database: NodeDatabase;
  let s: Stats;
  beforeAll(async () => {
    database = createTestDatabase();
    await seedScenario(database.db);
    s = computeStats(await loadStatsInput(database.db, undefined, '2022-06-27'));
  });
  afterAll(() => database.close());

  it('per-unit summary: one row per unit, totals equal the plan and the database', () => {
    const sheet = unitSummarySheet(s);
    const rec = sheetToRecords(sheet);
    expect(rec).toHaveLength(8);
    const total = rec.at(-1)!;
    expect(total).toMatchObject({ 单位: '合计', 责任分工: 17, 已销号: 3, 逾期: 2, 红灯: 2, 黄灯: 5, 绿灯: 10, '完成率(%)': 17.6 });
    const sum = rec.slice(0, -1).reduce((n, r) => n + Number(r['责任分工']), 0);
    expect(sum).toBe((database.sqlite.prepare('select count(*) n from assignments').get() as { n: number }).n);
    expect(rec.find((r) => r['单位'] === '市水务局')).toMatchObject({ 类型: '部门', 责任分工: 1, 逾期: 1, 红灯: 1 });
  });

  it('per-county summary: counties only, with a total over them', () => {
    const rec = sheetToRecords(countySummarySheet(s));
    // The plan's official order (安定区、通渭县、陇西县 …), never pinyin.
    expect(rec.map((r) => r['县区'])).toEqual(['安定区', '通渭县', '陇西县', '合计']);
    expect(rec.at(-1)).toMatchObject({ 责任分工: 9, 已销号: 2, 待核验: 1, '完成率(%)': 22.2, '含待核验完成率(%)': 33.3 });
  });

  it('overdue sheet lists every overdue assignment with days and escalation step', () => {
    const sheet = overdueSheet(s);
    expect(sheet.rows).toHaveLength(s.overdue.length);
    expect(sheetToRecords(sheet)[0]).toMatchObject({ 序号: 1, 单位: '市水务局', 任务编号: '5.1.1', 篇章: '碧水', 到期日: '2022-05-31', 逾期天数: 27, 督办步骤: '已报办公室' });
    expect(ledgerReportSheets(s, 'overdue').map((x) => x.name)).toEqual(['逾期清单']);
    expect(ledgerReportSheets(s, 'summary').map((x) => x.name)).toEqual(['分篇章汇总', '分单位汇总', '分县区汇总']);
  });

  it('CSV quotes what needs quoting', () => {
    const csv = sheetToCsv({ name: 'x', headers: ['a', 'b'], rows: [['x,y', 'say "hi"'], [1, 'line\nbreak']] });
    expect(csv).toBe('a,b\r\n"x,y","say ""hi"""\r\n1,"line\nbreak"\r\n');
  });
});
