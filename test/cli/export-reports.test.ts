// The 台账 export's office reports: per-unit / per-county / per-chapter summaries and the overdue list.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportCommand } from '../../src/cli/export.js';
import { importCommand } from '../../src/cli/import.js';
import type { CliContext } from '../../src/cli/types.js';
import { CliUsageError } from '../../src/cli/types.js';
import { parseConfig } from '../../src/config.js';
import type { NodeDatabase } from '../../src/db/node.js';
import { createTestDatabase } from '../helpers/db.js';
import { seedScenario } from '../helpers/progress-scenario.js';

const NOW = Date.parse('2022-06-27T02:00:00Z');
let database: NodeDatabase;
let dir: string;
let out: string[];
let ctx: CliContext;
beforeEach(async () => {
  database = createTestDatabase();
  await seedScenario(database.db);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-report-'));
  out = [];
  ctx = { config: parseConfig({}), database: () => database, out: (l) => out.push(l), err: (l) => out.push(l), now: () => NOW };
});
afterEach(() => {
  database.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('npx duban export reports', () => {
  it('the xlsx ledger gains summary and overdue sheets', async () => {
    const file = path.join(dir, 'ledger.xlsx');
    expect(await exportCommand.run(['--out', file], ctx)).toBe(0);
    expect(out.join('\n')).toContain('另含 分工明细、指标、分篇章汇总、分单位汇总、分县区汇总、逾期清单');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['任务台账', '分工明细', '指标', '分篇章汇总', '分单位汇总', '分县区汇总', '逾期清单', '佐证材料']);
    const units = wb.getWorksheet('分单位汇总')!;
    expect(units.getRow(1).values).toContain('红灯');
    const last = units.getRow(units.rowCount).values as unknown[];
    expect(last.slice(1, 4)).toEqual(['合计', '', 17]);
    const overdue = wb.getWorksheet('逾期清单')!;
    expect(overdue.rowCount).toBe(3);
    expect((overdue.getRow(2).values as unknown[]).slice(1, 4)).toEqual([1, '市水务局', '5.1.1']);
    expect(wb.getWorksheet('分县区汇总')!.rowCount).toBe(5);
    // The extra sheets do not disturb the round trip: the 任务台账 sheet re-imports with no changes.
    out = [];
    expect(await importCommand.run([file, '--dry-run'], ctx)).toBe(0);
    expect(out.join('\n')).toContain('（工作表“任务台账”，表头在第2行）');
    expect(out.join('\n')).toContain('与数据库一致，导入不会改变任何数据。');
  });

  it('a CSV or JSON ledger does not claim sheets it cannot hold', async () => {
    expect(await exportCommand.run(['--format', 'csv', '--out', path.join(dir, 'l.csv')], ctx)).toBe(0);
    expect(out.join('\n')).not.toContain('另含');
    expect(out.join('\n')).toContain('CSV 只含任务台账');
    out = [];
    expect(await exportCommand.run(['--format', 'json', '--out', path.join(dir, 'l.json')], ctx)).toBe(0);
    expect(out.join('\n')).toContain('含分工明细和指标');
  });

  it('--report overdue as CSV to the screen', async () => {
    expect(await exportCommand.run(['--report', 'overdue', '--format', 'csv', '--out', '-'], ctx)).toBe(0);
    const lines = out.join('\n').replace(/^\uFEFF/, '').split('\r\n');
    expect(lines[0]).toBe('序号,单位,任务编号,任务,篇章,到期日,期限,逾期天数,进度(%),督办步骤');
    expect(lines[1]).toBe('1,市水务局,5.1.1,黄河干流入河排污口排查整治,碧水,2022-05-31,2022年5月底前,27,30,已报办公室');
    expect(lines).toHaveLength(3);
  });

  it('--report summary as JSON agrees with the numbers of 统计', async () => {
    expect(await exportCommand.run(['--report', 'summary', '--format', 'json', '--out', '-'], ctx)).toBe(0);
    const j = JSON.parse(out.join('\n'));
    expect(j.report).toBe('summary');
    expect(j.sheets.map((s: { name: string }) => s.name)).toEqual(['分篇章汇总', '分单位汇总', '分县区汇总']);
    const total = j.sheets[1].rows.at(-1);
    expect(total).toMatchObject({ 单位: '合计', 责任分工: 17, 已销号: 3, 红灯: 2, '完成率(%)': 17.6 });
    expect(j.sheets[2].rows.at(-1)).toMatchObject({ 县区: '合计', 责任分工: 9 });
  });

  it('explains an unknown report', async () => {
    await expect(exportCommand.run(['--report', 'weekly'], ctx)).rejects.toThrow(CliUsageError);
    await expect(exportCommand.run(['--report', 'weekly'], ctx)).rejects.toThrow('可选：summary');
  });
});
