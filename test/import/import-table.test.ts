import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client.js';
import type { NodeDatabase } from '../../src/db/node.js';
import { assignments, auditLog, deadlines, plans, progressReports, tasks, units } from '../../src/db/schema.js';
import { formatCsv } from '../../src/import/csv.js';
import { importTaskTable, type ImportOptions } from '../../src/import/import-table.js';
import { readImportBytes, readImportFile } from '../../src/import/read-file.js';
import { ImportFileError } from '../../src/import/types.js';
import { bundledPlan } from '../../src/plans/bundled.js';
import { applyPlan } from '../../src/plans/load.js';
import { smallPlan } from '../fixtures/small-plan.js';
import { createTestDatabase } from '../helpers/db.js';
import { makeXlsx } from '../helpers/xlsx.js';

const NOW = Date.parse('2022-06-16T01:00:00Z');
const OPTS: ImportOptions = { now: NOW, actor: 'cli', channel: 'cli' };

let database: NodeDatabase;
let db: Db;
beforeEach(async () => {
  database = createTestDatabase();
  db = database.db;
  await applyPlan(db, smallPlan(), OPTS);
});
afterEach(() => database.close());

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function count(table: any) {
  const [r] = await db.select({ n: sql<number>`count(*)` }).from(table);
  return Number(r!.n);
}

const HEADER = ['序号', '重点任务', '牵头单位', '配合单位', '完成时限', '备注'];
const GOOD_ROWS = [
  ['2.1.1', '完成碳达峰政策体系编制工作。', '市发改委', '市生态环境局', '2022年底前', null],
  ['2.1.2', '常态化编制温室气体排放清单。', '市生态环境局', null, '每年', null],
  ['3.1.1', '完善重污染天气应急预案，2022年6月底前完成排查，2023年底前完成整治。', '市生态环境局', '安定区', '2022年6月底前完成排查，2023年底前完成整治', '重点'],
  ['3.1.2', '长期坚持扬尘管控。', '安定区政府', null, '长期坚持', null],
];

describe('xlsx import', () => {
  it('finds the header under a title row, confirms named assignments, and reports no other change', async () => {
    const bytes = await makeXlsx([['定西市任务分工表'], HEADER, ...GOOD_ROWS], { merges: ['A1:F1'] });
    const source = await readImportBytes('分工表.xlsx', bytes);
    const res = await importTaskTable(db, source, OPTS);
    expect(res.errors).toEqual([]);
    expect(res.headerRow).toBe(2);
    const r = res.report!;
    expect(r.planCode).toBe('test-plan');
    // 市生态环境局 on 2.1.1 was our proposal; the office's table names it: confirmed.
    expect(r.assignmentsConfirmed).toEqual([{ task: '2.1.1', unit: '市生态环境局', role: 'co' }]);
    expect(r.tasksAdded).toEqual([]);
    expect(r.tasksUpdated).toEqual([]);
    expect(r.deadlinesChanged).toEqual([]);
    expect(r.tasksWithdrawn).toEqual([]);
    const [a] = await db.select().from(assignments).where(eq(assignments.proposed, true));
    expect(a).toBeUndefined();
  });

  it('applies a revised table in place: new task, changed deadline, text, units; withdraws a dropped task', async () => {
    const [t212] = await db.select().from(tasks).where(eq(tasks.code, '2.1.2'));
    const [a212] = await db.select().from(assignments).where(eq(assignments.taskId, t212!.id));
    await db.insert(progressReports).values({ assignmentId: a212!.id, kind: 'progress', percent: 50, channel: 'chat' });
    const rows = [
      HEADER,
      ['2.1.1', '完成碳达峰政策体系编制工作并印发。', '市发改委', '市生态环境局', '2022年9月底前', null],
      ['2.1.2', '常态化编制温室气体排放清单。', '市发改委', null, '每年', null], // 生态环境局 dropped but reported
      ['3.1.1', '完善重污染天气应急预案，2022年6月底前完成排查，2023年底前完成整治。', '市生态环境局', null, '2022年6月底前完成排查，2023年底前完成整治', '重点'],
      ['3.2.1', '新增：推进秸秆综合利用。', '安定区', '市生态环境局', new Date(Date.UTC(2022, 11, 31)), '新增'],
    ];
    const res = await importTaskTable(db, await readImportBytes('t.xlsx', await makeXlsx(rows)), { ...OPTS, withdrawMissing: true });
    const r = res.report!;
    expect(r.tasksAdded).toEqual(['3.2.1']);
    expect(r.tasksUpdated).toEqual([{ task: '2.1.1', fields: ['text'] }]);
    expect(r.deadlinesChanged).toEqual([{ task: '2.1.1', before: ['2022年底前'], after: ['2022年9月底前'] }]);
    expect(r.tasksWithdrawn).toEqual(['3.1.2']);
    expect(r.assignmentsRemoved).toEqual([{ task: '3.1.1', unit: '安定区政府', role: 'co' }]);
    expect(r.assignmentsKept).toEqual([{ task: '2.1.2', unit: '市生态环境局', role: 'lead', reports: 1 }]);
    const [t321] = await db.select().from(tasks).where(eq(tasks.code, '3.2.1'));
    expect(t321!.title).toBe('新增：推进秸秆综合利用');
    const [d] = await db.select().from(deadlines).where(eq(deadlines.taskId, t321!.id));
    expect(d).toMatchObject({ kind: 'date', dueDate: '2022-12-31' });
  });

  it('a task withdrawn by one import is restored unchanged by the next that lists it', async () => {
    const without = [HEADER, ...GOOD_ROWS.slice(0, 3)];
    let res = await importTaskTable(db, await readImportBytes('t.xlsx', await makeXlsx(without)), { ...OPTS, withdrawMissing: true });
    expect(res.report!.tasksWithdrawn).toEqual(['3.1.2']);
    res = await importTaskTable(db, await readImportBytes('t.xlsx', await makeXlsx([HEADER, ...GOOD_ROWS])), OPTS);
    expect(res.report!.tasksRestored).toEqual(['3.1.2']);
    expect(res.report!.tasksUpdated).toEqual([]);
    const [t] = await db.select().from(tasks).where(eq(tasks.code, '3.1.2'));
    expect([t!.title, t!.state]).toEqual(['扬尘管控', 'active']);
  });

  it('reads a two-level header (责任单位 over 牵头/配合) and vertically merged unit cells', async () => {
    const rows = [
      ['序号', '任务内容', '责任单位', null, '完成时限'],
      [null, null, '牵头', '配合', null],
      ['2.1.1', '完成碳达峰政策体系编制工作。', '市发改委', '市生态环境局', '2022年底前'],
      ['2.1.2', '常态化编制温室气体排放清单。', '市生态环境局', null, '每年'],
      ['3.1.1', '完善重污染天气应急预案，2022年6月底前完成排查，2023年底前完成整治。', '市生态环境局', '安定区', '2022年6月底前完成排查，2023年底前完成整治'],
      ['3.1.2', '长期坚持扬尘管控。', '安定区政府', null, '长期坚持'],
    ];
    const bytes = await makeXlsx(rows, { merges: ['A1:A2', 'B1:B2', 'C1:D1', 'E1:E2', 'C4:C5'] });
    const res = await importTaskTable(db, await readImportBytes('t.xlsx', bytes), { ...OPTS, dryRun: true });
    expect(res.errors).toEqual([]);
    expect(res.report!.assignmentsConfirmed).toHaveLength(1);
    expect(res.report!.tasksUpdated).toEqual([]);
    expect(res.report!.tasksWithdrawn).toEqual([]);
  });

  it('picks the sheet that holds the table when a cover sheet comes first', async () => {
    const bytes = await makeXlsx([HEADER, ...GOOD_ROWS], {
      sheet: '分工表',
      before: (wb) => {
        wb.addWorksheet('封面').getCell('A1').value = '定西市污染防治攻坚战任务分工';
      },
    });
    const res = await importTaskTable(db, await readImportBytes('t.xlsx', bytes), { ...OPTS, dryRun: true });
    expect(res.sheet).toBe('分工表');
    expect(res.errors).toEqual([]);
  });

  it('skips chapter heading rows and footnotes', async () => {
    const rows = [
      HEADER,
      ['一', '坚持减污降碳协同控制', null, null, null, null],
      GOOD_ROWS[0]!, GOOD_ROWS[1]!,
      ['二、深入打好蓝天保卫战'],
      ['3.1', '重污染天气', null, null, null, null],
      GOOD_ROWS[2]!, GOOD_ROWS[3]!,
      ['注：本表由市生态环境局汇总。'],
    ];
    const res = await importTaskTable(db, await readImportBytes('t.xlsx', await makeXlsx(rows)), { ...OPTS, dryRun: true });
    expect(res.errors).toEqual([]);
    expect(res.rowCount).toBe(4);
  });
});

describe('bad rows', () => {
  it('each kind of bad row gets its own error with its row number, and nothing is written', async () => {
    const rows = [
      ['任务分工表'],
      HEADER, // row 2
      [null, '缺编号的任务', '市发改委', null, '2022年底前', null], // 3: missing code
      ['4.1', '编号不全', '市发改委', null, '2022年底前', null], // 4: malformed code
      ['2.1.1', '完成碳达峰政策体系编制工作。', '市发改委', null, '2022年底前', null], // 5 ok
      ['2.1.1', '重复', '市发改委', null, '2022年底前', null], // 6: duplicate of row 5
      ['2.1.3', null, '市发改委', null, '2022年底前', null], // 7: empty task text
      ['2.1.4', '没有牵头单位', null, '市生态环境局', '2022年底前', null], // 8: no lead unit
      ['2.1.5', '单位写错', '市环保局', '市生态环境', '2022年底前', null], // 9: unknown units (2)
      ['2.1.6', '时限写错', '市发改委', null, '尽快', null], // 10: bad deadline
      ['7', '只有顺序号', '市发改委', null, '2022年底前', null], // 11: plain number
      [null, '只填了任务内容', null, null, null, null], // 12: not a heading: missing code and lead
      [new Date(Date.UTC(2004, 0, 2)), '编号变成了日期', '市发改委', null, '2022年底前', null], // 13
    ];
    const auditBefore = await count(auditLog);
    const res = await importTaskTable(db, await readImportBytes('bad.xlsx', await makeXlsx(rows)), OPTS);
    expect(res.ok).toBe(false);
    const byRow = (n: number) => res.errors.filter((e) => e.row === n).map((e) => e.message);
    expect(byRow(3)).toEqual([expect.stringMatching(/^第3行：缺少任务编号，请在“序号”列填写/)]);
    expect(byRow(4)).toEqual([expect.stringMatching(/^第4行：序号“4\.1”不是有效的任务编号，应为 章\.节\.序号/)]);
    expect(byRow(5)).toEqual([]);
    expect(byRow(6)).toEqual(['第6行：任务编号 2.1.1 与第5行重复，请删除重复的行或改正编号']);
    expect(byRow(7)).toEqual(['第7行：任务 2.1.3 的任务内容为空，请在“任务”列填写任务内容']);
    expect(byRow(8)).toEqual(['第8行：任务 2.1.4 没有牵头单位，请在“牵头单位”列填写至少一个单位']);
    expect(byRow(9)).toHaveLength(2);
    expect(byRow(9)[0]).toMatch(/^第9行：牵头单位“市环保局”不在单位名单中/);
    expect(byRow(9)[0]).toContain('--create-units');
    expect(byRow(9)[1]).toMatch(/^第9行：配合单位“市生态环境”不在单位名单中，是否是“市生态环境局”？/);
    expect(byRow(10)).toEqual([expect.stringMatching(/^第10行：完成时限“尽快”无法识别.*2022年6月底前/)]);
    expect(byRow(11)).toEqual([expect.stringMatching(/^第11行：序号“7”只是顺序号，不是任务编号.*“编号”/)]);
    expect(byRow(12)).toEqual([expect.stringMatching(/^第12行：缺少任务编号/), expect.stringMatching(/^第12行：没有牵头单位/)]);
    expect(byRow(13)).toEqual([expect.stringMatching(/^第13行：序号被 Excel 当成了日期（2004-01-02），请把该列设置为“文本”格式/)]);
    expect(res.errors).toHaveLength(12);
    // Nothing written.
    expect(await count(auditLog)).toBe(auditBefore);
    expect(await count(tasks)).toBe(4);
  });

  it('a plain 序号 with an 编号 column takes the code from 编号', async () => {
    const rows = [['序号', '编号', '任务', '牵头单位', '完成时限'], ...GOOD_ROWS.map((r, i) => [i + 1, r[0]!, r[1]!, r[2]!, r[4]!])];
    const res = await importTaskTable(db, await readImportBytes('t.xlsx', await makeXlsx(rows)), { ...OPTS, dryRun: true });
    expect(res.errors).toEqual([]);
    expect(res.report!.tasksAdded).toEqual([]);
  });

  it('--create-units adds unknown units instead of failing', async () => {
    const rows = [HEADER, ...GOOD_ROWS, ['3.1.3', '新单位的任务', '市气象局', '岷县', '2022年底前', null]];
    const res = await importTaskTable(db, await readImportBytes('t.xlsx', await makeXlsx(rows)), { ...OPTS, createUnits: true });
    expect(res.errors).toEqual([]);
    expect(res.report!.unitsAdded).toEqual(['市气象局', '岷县']);
    const [minxian] = await db.select().from(units).where(eq(units.name, '岷县'));
    expect(minxian!.kind).toBe('county');
  });
});

describe('bad files', () => {
  it('corrupt xlsx, missing, empty, unknown extension, no header, empty table', async () => {
    await expect(readImportBytes('x.xlsx', new TextEncoder().encode('not a zip file at all'))).rejects.toThrow(/无法读取 Excel 文件.*另存为/);
    await expect(readImportFile('/nonexistent/分工表.xlsx')).rejects.toThrow(/找不到文件/);
    await expect(readImportBytes('x.csv', new Uint8Array())).rejects.toThrow(/是空的/);
    await expect(readImportBytes('x.xls', new Uint8Array([1]))).rejects.toThrow(/另存为” \.xlsx/);
    await expect(readImportBytes('x.docx', new Uint8Array([1]))).rejects.toThrow(ImportFileError);
    const noHeader = await readImportBytes('x.csv', new TextEncoder().encode('名称,单位\n甲,乙\n'));
    await expect(importTaskTable(db, noHeader, OPTS)).rejects.toThrow(/没有找到表头行.*序号（或编号/);
    const emptyTable = await readImportBytes('x.csv', new TextEncoder().encode(HEADER.join(',') + '\n'));
    await expect(importTaskTable(db, emptyTable, OPTS)).rejects.toThrow(/没有任何任务行/);
    const badJson = readImportBytes('x.json', new TextEncoder().encode('{"a": '));
    await expect(badJson).rejects.toThrow(/JSON 文件 x\.json 格式有误/);
  });

  it('a plan JSON whose code differs from --plan is refused', async () => {
    const src = await readImportBytes('p.json', new TextEncoder().encode(JSON.stringify(smallPlan())));
    await expect(importTaskTable(db, src, { ...OPTS, planCode: 'other' })).rejects.toThrow(/与 --plan other 不一致/);
    const res = await importTaskTable(db, src, { ...OPTS, dryRun: true });
    expect(res.report!.changed).toBe(false);
  });

  it('an unknown --plan is a clear error', async () => {
    const src = await readImportBytes('t.csv', new TextEncoder().encode([HEADER, ...GOOD_ROWS].map((r) => r.join(',')).join('\n')));
    await expect(importTaskTable(db, src, { ...OPTS, planCode: 'nope' })).rejects.toThrow(/计划 nope 不存在/);
  });
});

describe('csv import', () => {
  it('imports a GBK-encoded CSV from Excel', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-'));
    const file = path.join(dir, '分工表.csv');
    fs.copyFileSync('test/fixtures/gbk-table.csv', file);
    const src = await readImportFile(file);
    expect(src.kind === 'table' && src.encoding).toBe('gb18030');
    const res = await importTaskTable(db, src, { ...OPTS, dryRun: true });
    expect(res.errors).toEqual([]);
    expect(res.headerRow).toBe(2);
    expect(res.report!.tasksUpdated).toEqual([{ task: '3.1.2', fields: ['note'] }]);
    // Tasks the table leaves out are kept unless --withdraw-missing: the dry run says how many would go.
    expect(res.report!.tasksWithdrawn).toEqual([]);
    expect(res.report!.tasksMissing).toEqual(['2.1.2', '3.1.1']);
    const withdrawing = await importTaskTable(db, src, { ...OPTS, dryRun: true, withdrawMissing: true });
    expect(withdrawing.report!.tasksWithdrawn).toEqual(['2.1.2', '3.1.1']);
  });

  it('splits unit cells on 、，,；; / spaces and newlines and matches aliases', async () => {
    const csv = [HEADER.join(','), '2.1.1,完成碳达峰政策体系编制工作。,"市发改委、生态环境局",,2022年底前,'].join('\r\n');
    const res = await importTaskTable(db, await readImportBytes('t.csv', new TextEncoder().encode(csv)), { ...OPTS, dryRun: true });
    expect(res.errors).toEqual([]);
    expect(res.report!.assignmentsRoleChanged).toEqual([{ task: '2.1.1', unit: '市生态环境局', role: 'lead', from: 'co' }]);
    const csv2 = [HEADER.join(','), '2.1.1,完成碳达峰政策体系编制工作。,"市发改委\n安定区；市生态环境局",,2022年底前,'].join('\r\n');
    const res2 = await importTaskTable(db, await readImportBytes('t.csv', new TextEncoder().encode(csv2)), { ...OPTS, dryRun: true });
    expect(res2.report!.assignmentsAdded.map((a) => a.unit)).toEqual(['安定区政府']);
    expect(res2.report!.assignmentsRoleChanged.map((a) => a.unit)).toEqual(['市生态环境局']);
  });
});

describe('json rows', () => {
  it('an array of rows with Chinese keys imports like a table; item numbers name bad rows', async () => {
    const rows = GOOD_ROWS.map((r) => ({ 序号: r[0], 任务: r[1], 牵头单位: r[2], 配合单位: r[3] ? [r[3]] : [], 完成时限: r[4], 备注: r[5] }));
    let res = await importTaskTable(db, await readImportBytes('rows.json', new TextEncoder().encode(JSON.stringify(rows))), { ...OPTS, dryRun: true });
    expect(res.errors).toEqual([]);
    expect(res.report!.assignmentsConfirmed).toHaveLength(1);
    rows[2]!.完成时限 = '下半年';
    res = await importTaskTable(db, await readImportBytes('rows.json', new TextEncoder().encode(JSON.stringify(rows))), OPTS);
    expect(res.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^第3行：完成时限“下半年”无法识别/)]);
  });
});

describe('collective unit names', () => {
  it('各县区 in a cell means every county-level unit', async () => {
    const p = smallPlan();
    p.units.push({ name: '岷县', kind: 'county', aliases: [] });
    await applyPlan(db, p, OPTS);
    for (const cell of ['各县区', '各县（区）', '各县区人民政府', '各县(区)政府']) {
      const csv = formatCsv([HEADER, ...GOOD_ROWS.map((r) => r.map((c) => c ?? '')).map((r, i) => (i === 0 ? [r[0]!, r[1]!, r[2]!, cell, r[4]!, r[5]!] : r))]);
      const res = await importTaskTable(db, await readImportBytes('t.csv', new TextEncoder().encode(csv)), { ...OPTS, dryRun: true });
      expect(res.errors, cell).toEqual([]);
      expect(res.report!.assignmentsAdded.map((a) => `${a.unit}:${a.role}`), cell).toEqual(['安定区政府:co', '岷县:co']);
    }
  });
});

describe('import into an empty database', () => {
  it('merges the table into the bundled plan', async () => {
    const fresh = createTestDatabase();
    try {
      const b = bundledPlan();
      const t = b.tasks[0]!;
      const lead = t.assignments.find((a) => a.role === 'lead')!.unit;
      const csv = formatCsv([HEADER, [t.code, t.text, lead, '', '2022年底前', '']]);
      const res = await importTaskTable(fresh.db, await readImportBytes('t.csv', new TextEncoder().encode(csv)), OPTS);
      expect(res.errors).toEqual([]);
      expect(res.report!.planCreated).toBe(true);
      const [p] = await fresh.db.select().from(plans);
      expect(p!.code).toBe(b.code);
    } finally {
      fresh.close();
    }
  });
});
