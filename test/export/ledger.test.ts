import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client.js';
import type { NodeDatabase } from '../../src/db/node.js';
import { assignments, auditLog, metricReports, progressReports, targets, tasks, units } from '../../src/db/schema.js';
import { buildLedger, LEDGER_COLUMNS, taskStatusWord } from '../../src/export/ledger.js';
import { ledgerToCsv, ledgerToJson, ledgerToXlsx } from '../../src/export/write.js';
import { importTaskTable } from '../../src/import/import-table.js';
import { readImportBytes } from '../../src/import/read-file.js';
import { bundledPlan } from '../../src/plans/bundled.js';
import { applyPlan } from '../../src/plans/load.js';
import { smallPlan } from '../fixtures/small-plan.js';
import { createTestDatabase } from '../helpers/db.js';

const NOW = Date.parse('2022-06-16T01:00:00Z');
const OPTS = { now: NOW, actor: 'cli', channel: 'cli' };

let database: NodeDatabase;
let db: Db;
beforeEach(async () => {
  database = createTestDatabase();
  db = database.db;
  await applyPlan(db, smallPlan(), OPTS);
  // 3.1.1: 市生态环境局 (lead) reported 40% twice; the latest wins.
  const [row] = await db
    .select({ id: assignments.id })
    .from(assignments)
    .innerJoin(tasks, eq(tasks.id, assignments.taskId))
    .innerJoin(units, eq(units.id, assignments.unitId))
    .where(sql`${tasks.code} = '3.1.1' and ${units.name} = '市生态环境局'`);
  await db.insert(progressReports).values([
    { assignmentId: row!.id, kind: 'progress', percent: 20, note: '已启动排查', channel: 'chat', createdAt: NOW - 86_400_000 },
    { assignmentId: row!.id, kind: 'progress', percent: 40, note: '完成排查 40%', channel: 'chat', createdAt: NOW - 3_600_000 },
  ]);
  await db.update(assignments).set({ state: 'in_progress', percent: 40, lastReportAt: NOW - 3_600_000 }).where(eq(assignments.id, row!.id));
});
afterEach(() => database.close());

describe('taskStatusWord', () => {
  it.each([
    [[], '未开始'],
    [['未开始', '未开始'], '未开始'],
    [['进行中', '未开始'], '进行中'],
    [['已销号', '待核验'], '待核验'],
    [['已销号', '已销号'], '已销号'],
    [['已销号', '逾期'], '逾期'],
    [['已销号', '未开始'], '进行中'],
  ])('%j → %s', (words, expected) => expect(taskStatusWord(words as string[])).toBe(expected));
});

describe('buildLedger', () => {
  it('lists tasks with units, deadlines, status and latest progress', async () => {
    const ledger = (await buildLedger(db, 'test-plan', NOW))!;
    expect(ledger.rows.map((r) => r.code)).toEqual(['2.1.1', '2.1.2', '3.1.1', '3.1.2']);
    const r311 = ledger.rows.find((r) => r.code === '3.1.1')!;
    expect(r311).toMatchObject({
      chapter: '蓝天保卫战',
      lead: ['市生态环境局'],
      co: ['安定区政府'],
      deadline: '2022年6月底前完成排查；2023年底前完成整治',
      note: '重点',
      status: '进行中',
      // The task's percent is the mean over its assignments: the lead's 40 and the co-unit's 0.
      percent: 20,
      latestProgress: '市生态环境局：完成排查 40%',
      latestReportAt: '2022-06-16 08:00',
    });
    expect(ledger.rows[0]!.co).toEqual(['市生态环境局（待确认）']);
    expect(ledger.rows[0]!.status).toBe('未开始');
    const later = (await buildLedger(db, 'test-plan', Date.parse('2023-01-05T01:00:00Z')))!;
    expect(later.rows[0]!.status).toBe('逾期');
    expect(await buildLedger(db, 'nope', NOW)).toBeNull();
  });

  it('leaves withdrawn tasks out', async () => {
    const p = smallPlan();
    p.tasks.pop();
    await applyPlan(db, p, OPTS);
    const ledger = (await buildLedger(db, 'test-plan', NOW))!;
    expect(ledger.rows.map((r) => r.code)).toEqual(['2.1.1', '2.1.2', '3.1.1']);
  });
});

describe('export files', () => {
  it('xlsx: opened sheet by sheet — titles, columns, dates as dates, print setup', async () => {
    const [target] = await db.select().from(targets).limit(1);
    await db.insert(metricReports).values({ targetId: target!.id, value: 23, period: '2022-05', channel: 'chat', createdAt: NOW - 7_200_000 });
    const bytes = await ledgerToXlsx((await buildLedger(db, 'test-plan', NOW))!);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name).slice(0, 3)).toEqual(['任务台账', '分工明细', '指标']);

    const ws = wb.getWorksheet('任务台账')!;
    // Row 1: the title with the plan and 制表日期; row 2: the header.
    expect(String(ws.getCell('A1').value)).toMatch(/^《.+》任务台账\s+制表日期：2022年6月16日$/);
    expect(ws.getCell('A1').font?.bold).toBe(true);
    expect(ws.getRow(2).values).toEqual([undefined, ...LEDGER_COLUMNS]);
    expect(ws.getCell('A2').font?.bold).toBe(true);
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 2 });
    expect(ws.getColumn(3).width).toBe(24); // 标题: a short title column
    const r311 = ws.getRow(5);
    expect(r311.getCell(1).value).toBe('3.1.1');
    expect(r311.getCell(10).value).toBe(20); // the task: mean of the lead’s 40 and the co-unit’s 0;
    // 最新报送时间 is a date cell showing Shanghai time (08:00 = 00:00 UTC + 8h).
    const when = r311.getCell(12).value;
    expect(when).toBeInstanceOf(Date);
    expect((when as Date).toISOString()).toBe('2022-06-16T08:00:00.000Z');
    expect(r311.getCell(12).numFmt).toBe('yyyy-mm-dd hh:mm');
    for (const sheet of [ws, wb.getWorksheet('分工明细')!, wb.getWorksheet('指标')!]) {
      expect(sheet.pageSetup.orientation).toBe('landscape');
      expect(sheet.pageSetup.fitToPage).toBe(true);
      expect(sheet.pageSetup.fitToWidth).toBe(1);
      expect(sheet.pageSetup.fitToHeight).toBe(0);
      expect(sheet.pageSetup.printTitlesRow).toBe('2:2');
    }

    const as = wb.getWorksheet('分工明细')!;
    expect(String(as.getCell('A1').value)).toContain('制表日期：2022年6月16日');
    expect(as.getRow(2).values).toEqual([undefined, '任务编号', '标题', '单位', '角色', '状态', '进度(%)', '截止日期', '最新说明', '最新报送时间']);
    const asgCount = (await db.select({ n: sql<number>`count(*)` }).from(assignments))[0]!.n;
    expect(as.rowCount).toBe(2 + asgCount);
    const rows = as.getRows(3, asgCount)!.map((r) => r.values as unknown[]);
    const env311 = rows.find((v) => v[1] === '3.1.1' && v[3] === '市生态环境局')!;
    expect(env311.slice(4, 8)).toEqual(['牵头', '进行中', 40, new Date(Date.UTC(2022, 5, 30))]);
    expect(env311[8]).toBe('完成排查 40%');
    // The lead unit comes first within a task.
    const of311 = rows.filter((v) => v[1] === '3.1.1').map((v) => v[4]);
    expect(of311[0]).toBe('牵头');

    const ts = wb.getWorksheet('指标')!;
    expect(ts.getRow(2).values).toEqual([undefined, '指标', '目标', '计量单位', '年份', '范围', '所属任务', '最新值', '期间', '报送单位', '报送时间', '是否达标']);
    const tgCount = (await db.select({ n: sql<number>`count(*)` }).from(targets))[0]!.n;
    expect(ts.rowCount).toBe(2 + tgCount);
    const first = ts.getRow(3).values as unknown[];
    expect(first[1]).toBe(target!.indicator);
    expect(first[2]).toBe(`${target!.comparator === '<=' ? '≤' : '≥'} ${target!.value}`);
    expect(first[4]).toBe(target!.year);
    expect(first[7]).toBe('23');
    expect(first[8]).toBe('2022年5月');
    expect(first[10]).toBeInstanceOf(Date);
    expect(first[11]).toBe(target!.comparator === '<=' && 23 <= target!.value ? '已达标' : first[11]);
  });

  it('csv: UTF-8 with BOM and CRLF, a title line over the header', async () => {
    const text = ledgerToCsv((await buildLedger(db, 'test-plan', NOW))!);
    expect(text).toMatch(/^\uFEFF《.+》任务台账\s+制表日期：2022年6月16日\r\n序号,篇章,标题,任务,牵头单位,配合单位,完成时限,备注,状态,进度\(%\),最新进展,最新报送时间\r\n/);
  });

  it('json: tasks, assignments and targets', async () => {
    const j = JSON.parse(ledgerToJson((await buildLedger(db, 'test-plan', NOW))!)) as { rows: unknown[]; assignments: unknown[]; targets: unknown[]; madeOn: string; title: string };
    expect(j.madeOn).toBe('2022-06-16');
    expect(j.title).toContain('制表日期');
    expect(j.rows).toHaveLength(4);
    expect(j.assignments.length).toBeGreaterThan(4);
    expect(j.assignments[0]).toMatchObject({ code: '2.1.1', role: '牵头' });
    expect(j.targets.length).toBeGreaterThan(0);
    expect(j.targets[0]).toHaveProperty('met', '暂无数据');
  });

  it.each(['xlsx', 'csv', 'json'] as const)('%s export re-imports with no changes', async (format) => {
    const ledger = (await buildLedger(db, 'test-plan', NOW))!;
    const bytes =
      format === 'xlsx'
        ? await ledgerToXlsx(ledger)
        : new TextEncoder().encode(format === 'csv' ? ledgerToCsv(ledger) : ledgerToJson(ledger));
    const audits = await db.select({ n: sql<number>`count(*)` }).from(auditLog);
    const res = await importTaskTable(db, await readImportBytes(`台账.${format}`, bytes), OPTS);
    expect(res.errors).toEqual([]);
    expect(res.report!.changed).toBe(false);
    expect(res.rowCount).toBe(4);
    expect(await db.select({ n: sql<number>`count(*)` }).from(auditLog)).toEqual(audits);
  });

  it.each(['xlsx', 'csv'] as const)('%s: a partial table (one task, edited) re-imports that task and leaves the others', async (format) => {
    const full = (await buildLedger(db, 'test-plan', NOW))!;
    const one = { ...full, rows: full.rows.filter((r) => r.code === '2.1.2').map((r) => ({ ...r, deadline: '每年12月底前' })) };
    const bytes = format === 'xlsx' ? await ledgerToXlsx(one) : new TextEncoder().encode(ledgerToCsv(one));
    const before = await db.select().from(tasks);
    const dry = await importTaskTable(db, await readImportBytes(`台账.${format}`, bytes), { ...OPTS, dryRun: true });
    expect(dry.rowCount).toBe(1);
    expect(dry.report!.tasksWithdrawn).toEqual([]);
    expect(dry.report!.tasksMissing).toEqual(['2.1.1', '3.1.1', '3.1.2']);
    const res = await importTaskTable(db, await readImportBytes(`台账.${format}`, bytes), OPTS);
    expect(res.report!.deadlinesChanged).toEqual([{ task: '2.1.2', before: ['每年'], after: ['每年12月底前'] }]);
    expect(res.report!.tasksWithdrawn).toEqual([]);
    const after = await db.select().from(tasks);
    expect(after.map((t) => [t.code, t.state])).toEqual(before.map((t) => [t.code, t.state]));
    // The untouched tasks still export exactly as before (deadline of 2.1.2 aside).
    const again = (await buildLedger(db, 'test-plan', NOW))!;
    expect(again.rows.filter((r) => r.code !== '2.1.2')).toEqual(full.rows.filter((r) => r.code !== '2.1.2'));
    // With --withdraw-missing the same file would withdraw the three others.
    const withdrawing = await importTaskTable(db, await readImportBytes(`台账.${format}`, bytes), { ...OPTS, dryRun: true, withdrawMissing: true });
    expect(withdrawing.report!.tasksWithdrawn).toEqual(['2.1.1', '3.1.1', '3.1.2']);
  });

  it('after the office edits the exported table, the re-import shows exactly the edits', async () => {
    const ledger = (await buildLedger(db, 'test-plan', NOW))!;
    ledger.rows[0]!.co = ['市生态环境局']; // removes （待确认）: confirms
    ledger.rows[1]!.deadline = '每年12月底前';
    const res = await importTaskTable(db, await readImportBytes('t.csv', new TextEncoder().encode(ledgerToCsv(ledger))), OPTS);
    expect(res.report!.assignmentsConfirmed).toEqual([{ task: '2.1.1', unit: '市生态环境局', role: 'co' }]);
    expect(res.report!.deadlinesChanged).toEqual([{ task: '2.1.2', before: ['每年'], after: ['每年12月底前'] }]);
    expect(res.report!.tasksUpdated).toEqual([]);
  });
});

describe('the bundled plan', () => {
  it('round-trips through every export format with no changes', async () => {
    const fresh = createTestDatabase();
    try {
      const code = bundledPlan().code;
      await applyPlan(fresh.db, bundledPlan(), OPTS);
      const ledger = (await buildLedger(fresh.db, code, NOW))!;
      expect(ledger.rows).toHaveLength(bundledPlan().tasks.length);
      const files: Array<[string, Uint8Array]> = [
        ['xlsx', await ledgerToXlsx(ledger)],
        ['csv', new TextEncoder().encode(ledgerToCsv(ledger))],
        ['json', new TextEncoder().encode(ledgerToJson(ledger))],
      ];
      for (const [format, bytes] of files) {
        const res = await importTaskTable(fresh.db, await readImportBytes(`台账.${format}`, bytes), { ...OPTS, dryRun: true });
        expect(res.errors, format).toEqual([]);
        expect(res.report!.changed, format).toBe(false);
      }
    } finally {
      fresh.close();
    }
  });
});
