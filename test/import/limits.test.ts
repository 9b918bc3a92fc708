// Issue 13: an import file is refused over a stated size or row count (and an .xlsx whose shape would explode in
// memory) with a clear Chinese message, before it is parsed whole; nothing stored is touched.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { openNodeDatabase } from '../../src/db/node.js';
import { readImportBytes, readImportFile } from '../../src/import/read-file.js';
import { MAX_IMPORT_BYTES, MAX_IMPORT_ROWS } from '../../src/import/limits.js';
import { csvSafeCell, csvUnguardCell } from '../../src/import/csv-safe.js';
import { ImportFileError } from '../../src/import/types.js';
import { makeXlsx, patchSheetXml } from '../helpers/xlsx.js';
import { smallPlan } from '../fixtures/small-plan.js';
import { tasks } from '../../src/db/schema.js';
import { eq } from 'drizzle-orm';

const HEADER = ['序号', '任务', '牵头单位'];
const base = () => makeXlsx([HEADER, ['4.1.1', '开展工业炉窑排查', '市生态环境局']]);
const addAfterSheetData = (extra: string) => (xml: string) => xml.replace('</sheetData>', `</sheetData>${extra}`);
const addRows = (rows: string) => (xml: string) => xml.replace('</sheetData>', `${rows}</sheetData>`);

async function refused(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ImportFileError);
  return (err as Error).message;
}

describe('xlsx shapes that would explode in memory are refused before exceljs loads them', () => {
  it('a merge over a huge range', async () => {
    const f = await patchSheetXml(await base(), addAfterSheetData('<mergeCells count="1"><mergeCell ref="A3:XFD1048576"/></mergeCells>'));
    expect(f.length).toBeLessThan(20_000);
    expect(await refused(readImportBytes('分工表.xlsx', f))).toMatch(/合并单元格.*另存为/s);
  });

  it('a cell far to the right, or far down', async () => {
    const far = await patchSheetXml(await base(), addRows('<row r="3"><c r="XFD3" t="inlineStr"><is><t>x</t></is></c></row>'));
    expect(await refused(readImportBytes('a.xlsx', far))).toMatch(/第 16384 列/);
    const deep = await patchSheetXml(await base(), addRows('<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'));
    expect(await refused(readImportBytes('a.xlsx', deep))).toMatch(/第 1048576 行/);
  });

  it('more rows than the limit', async () => {
    const rows = Array.from({ length: MAX_IMPORT_ROWS }, (_, i) => `<row r="${i + 3}"><c r="A${i + 3}" t="inlineStr"><is><t>${i}</t></is></c></row>`).join('');
    const f = await patchSheetXml(await base(), addRows(rows));
    expect(await refused(readImportBytes('a.xlsx', f))).toMatch(new RegExp(`超过导入上限 ${MAX_IMPORT_ROWS} 行`));
  });

  it('a zip bomb: a small file whose sheet inflates past the limit', async () => {
    const huge = 'a'.repeat(70 * 1024 * 1024);
    const f = await patchSheetXml(await base(), addRows(`<row r="3"><c r="A3" t="inlineStr"><is><t>${huge}</t></is></c></row>`));
    expect(f.length).toBeLessThan(MAX_IMPORT_BYTES);
    expect(await refused(readImportBytes('a.xlsx', f))).toMatch(/解压后超过/);
  });

  it('an ordinary table still reads', async () => {
    const src = await readImportBytes('a.xlsx', await base());
    expect(src.kind === 'table' && src.rows.length).toBe(2);
  });
});

describe('size and row limits for every format', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-limits-'));
  });

  it('a file over the size limit is refused from its size, before it is read', async () => {
    const file = path.join(dir, 'big.csv');
    fs.writeFileSync(file, '序号,任务,牵头单位\r\n' + 'x'.repeat(MAX_IMPORT_BYTES));
    expect(await refused(readImportFile(file))).toMatch(/太大.*最大 5\.0 MB/s);
    expect(await refused(readImportBytes('big.csv', new Uint8Array(MAX_IMPORT_BYTES + 1).fill(65)))).toMatch(/太大/);
  });

  it('csv and json with more rows than the limit are refused', async () => {
    const csv = [HEADER.join(','), ...Array.from({ length: MAX_IMPORT_ROWS + 1 }, (_, i) => `4.1.${i},任务${i},市生态环境局`)].join('\r\n');
    expect(await refused(readImportBytes('a.csv', new TextEncoder().encode(csv)))).toMatch(/超过导入上限/);
    const json = JSON.stringify(Array.from({ length: MAX_IMPORT_ROWS + 1 }, (_, i) => ({ 序号: `4.1.${i}`, 任务: 'x', 牵头单位: 'y' })));
    expect(await refused(readImportBytes('a.json', new TextEncoder().encode(json)))).toMatch(/超过导入上限/);
  });

  it('`npx duban import` says so in Chinese and stores nothing', async () => {
    const env = { DATABASE_PATH: path.join(dir, 'duban.db') };
    const file = path.join(dir, '分工表.xlsx');
    fs.writeFileSync(file, await patchSheetXml(await base(), addAfterSheetData('<mergeCells count="1"><mergeCell ref="A3:Z1048576"/></mergeCells>')));
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['import', file], { out: (l) => out.push(l), err: (l) => err.push(l), env });
    expect(code).not.toBe(0);
    expect(err.join('\n') + out.join('\n')).toMatch(/合并单元格/);
    const d = openNodeDatabase(env.DATABASE_PATH);
    try {
      expect(await d.db.select().from(tasks)).toHaveLength(0);
    } finally {
      d.close();
    }
  });
});

describe('CSV cells a spreadsheet would evaluate', () => {
  it('are prefixed with a quote (OWASP); plain numbers stay numbers; import takes the quote off again', () => {
    for (const s of ['=1+1', '=HYPERLINK("http://evil","x")', '+1+1', '-1+1', '@SUM(A1)', '\t=1', '\r=1', '=cmd|\' /C calc\'!A0']) {
      expect(csvSafeCell(s)).toBe(`'${s}`);
      expect(csvUnguardCell(csvSafeCell(s))).toBe(s);
    }
    for (const s of ['-5', '+3', '-0.5', '60', '开展排查', '', "'引号开头"]) expect(csvSafeCell(s)).toBe(s);
    expect(csvSafeCell(-5)).toBe('-5');
    expect(csvSafeCell(null)).toBe('');
  });

  it('`npx duban export --format csv` writes a formula-like task text as text, and it re-imports unchanged', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-csvsafe-'));
    const env = { DATABASE_PATH: path.join(dir, 'duban.db') };
    const io = { out: (_l: string) => undefined, err: (_l: string) => undefined, env };
    const planFile = path.join(dir, 'plan.json');
    fs.writeFileSync(planFile, JSON.stringify(smallPlan()));
    expect(await runCli(['plan', 'load', planFile], io)).toBe(0);
    const evil = '=HYPERLINK("http://evil.example","点击")';
    const d = openNodeDatabase(env.DATABASE_PATH);
    await d.db.update(tasks).set({ sourceText: evil, title: '@SUM(1+1)' }).where(eq(tasks.code, '2.1.1'));
    d.close();
    const out = path.join(dir, '台账.csv');
    expect(await runCli(['export', '--format', 'csv', '--out', out], io)).toBe(0);
    const text = fs.readFileSync(out, 'utf8');
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example"",""点击"")"`);
    expect(text).not.toMatch(/(^|,)"?[=@]/m);
    const back = await readImportFile(out);
    expect(back.kind === 'table' && back.rows.some((r) => r.cells.includes(evil))).toBe(true);
  });
});
