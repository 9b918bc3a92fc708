import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client.js';
import type { NodeDatabase } from '../../src/db/node.js';
import { assignments, auditLog, progressReports, tasks, units } from '../../src/db/schema.js';
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
      percent: 40,
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
  it('xlsx: sheet 任务台账 with styled, frozen header and set widths', async () => {
    const bytes = await ledgerToXlsx((await buildLedger(db, 'test-plan', NOW))!);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('任务台账')!;
    expect(ws.getRow(1).values).toEqual([undefined, ...LEDGER_COLUMNS]);
    expect(ws.getCell('A1').font?.bold).toBe(true);
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(ws.getColumn(3).width).toBe(60);
    expect(ws.getCell('I4').value).toBe(40);
    expect(ws.rowCount).toBe(5);
  });

  it('csv: UTF-8 with BOM and CRLF', async () => {
    const text = ledgerToCsv((await buildLedger(db, 'test-plan', NOW))!);
    expect(text.startsWith('\uFEFF序号,篇章,任务,牵头单位,配合单位,完成时限,备注,状态,进度(%),最新进展,最新报送时间\r\n')).toBe(true);
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
