// Read an import file (.xlsx, .csv, .json) into rows or a plan, with a clear Chinese error for a bad file.
import fs from 'node:fs/promises';
import path from 'node:path';
import { decodeText, parseCsv } from './csv.js';
import { findHeader } from './table.js';
import { ImportFileError, type CellValue, type SheetRow } from './types.js';
import { readXlsx } from './xlsx.js';
import { checkImportSize, checkRowCount, checkXlsxShape } from './limits.js';
import { csvUnguardCell } from './csv-safe.js';

export type ImportSource =
  | { kind: 'plan'; format: 'json'; plan: unknown }
  | {
      kind: 'table';
      format: 'xlsx' | 'csv' | 'json';
      rows: SheetRow[];
      sheet?: string;
      encoding?: string;
      /** Plan code carried by the file itself (our JSON export). */
      planCode?: string;
    };

const SUPPORTED = '支持的格式：.xlsx（Excel 工作簿）、.csv（逗号分隔，UTF-8 或 GBK 编码）、.json';

/** Read a file from disk. */
export async function readImportFile(file: string): Promise<ImportSource> {
  let bytes: Uint8Array;
  try {
    // Refuse an oversized file from its size alone, before reading it.
    const st = await fs.stat(file);
    if (st.isFile()) checkImportSize(path.basename(file), st.size);
    bytes = await fs.readFile(file);
  } catch (err) {
    if (err instanceof ImportFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ImportFileError(`找不到文件：${file}。请检查路径和文件名是否正确。`);
    if (code === 'EISDIR') throw new ImportFileError(`${file} 是一个文件夹，请指定要导入的文件。`);
    throw new ImportFileError(`无法读取文件 ${file}：${(err as Error).message}`);
  }
  return readImportBytes(path.basename(file), bytes);
}

/** Read file contents; `name` decides the format by its extension. */
export async function readImportBytes(name: string, bytes: Uint8Array): Promise<ImportSource> {
  const ext = path.extname(name).toLowerCase();
  if (!['.xlsx', '.csv', '.json', '.txt'].includes(ext)) {
    const hint = ext === '.xls' || ext === '.et' || ext === '.wps'
      ? '这是旧版 Excel/WPS 格式，请在 Excel/WPS 中“另存为” .xlsx 后再导入。'
      : SUPPORTED;
    throw new ImportFileError(`不支持的文件类型“${ext || '（无扩展名）'}”：${name}。${hint}`);
  }
  if (bytes.length === 0) throw new ImportFileError(`文件 ${name} 是空的（0 字节），请确认保存的是填好的分工表。`);
  checkImportSize(name, bytes.length);

  if (ext === '.xlsx') {
    checkXlsxShape(name, bytes);
    const sheets = await readXlsx(bytes);
    const nonEmpty = sheets.filter((s) => s.rows.length > 0);
    if (nonEmpty.length === 0) throw new ImportFileError(`Excel 文件 ${name} 中没有任何内容。`);
    // The first sheet that holds a task table; otherwise the first sheet (the header check then explains).
    const pick = nonEmpty.find((s) => findHeader(s.rows)) ?? nonEmpty[0]!;
    return { kind: 'table', format: 'xlsx', rows: pick.rows, sheet: pick.name };
  }

  const { text, encoding } = decodeText(bytes);
  if (text.trim() === '') throw new ImportFileError(`文件 ${name} 没有内容。`);
  if (ext === '.json') return readJson(name, text);
  const rows = parseCsv(text)
    .filter((r) => r.cells.some((c) => c.trim() !== ''))
    .map((r) => ({ ...r, cells: r.cells.map(csvUnguardCell) }));
  checkRowCount(name, rows.length);
  return { kind: 'table', format: 'csv', rows, encoding };
}

function readJson(name: string, text: string): ImportSource {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ImportFileError(`JSON 文件 ${name} 格式有误：${(err as Error).message}。请用 JSON 校验工具检查后再导入。`);
  }
  if (data && typeof data === 'object' && !Array.isArray(data) && Array.isArray((data as { tasks?: unknown }).tasks)) {
    return { kind: 'plan', format: 'json', plan: data };
  }
  let items: unknown[] | undefined;
  let planCode: string | undefined;
  if (Array.isArray(data)) items = data;
  else if (data && typeof data === 'object' && Array.isArray((data as { rows?: unknown }).rows)) {
    items = (data as { rows: unknown[] }).rows;
    const code = (data as { plan?: { code?: unknown } }).plan?.code;
    if (typeof code === 'string') planCode = code;
  }
  if (!items) {
    throw new ImportFileError(
      `JSON 文件 ${name} 既不是计划文件（含 code、units、tasks），也不是任务行数组（[{"序号": "4.1.2", "任务": "…", "牵头单位": "…"}]）。`,
    );
  }
  checkRowCount(name, items.length);
  // Rows become a sheet: the union of keys is the header row; item i is row i.
  const keys: string[] = [];
  for (const it of items) {
    if (it && typeof it === 'object' && !Array.isArray(it)) for (const k of Object.keys(it)) if (!keys.includes(k)) keys.push(k);
  }
  const cell = (v: unknown): CellValue => {
    if (v === null || v === undefined) return null;
    if (Array.isArray(v)) return v.map(String).join('、');
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
    return JSON.stringify(v);
  };
  const rows: SheetRow[] = [{ rowNumber: 0, cells: keys }];
  items.forEach((it, i) => {
    const obj = (it && typeof it === 'object' ? it : {}) as Record<string, unknown>;
    rows.push({ rowNumber: i + 1, cells: keys.map((k) => cell(obj[k])) });
  });
  return { kind: 'table', format: 'json', rows, ...(planCode ? { planCode } : {}) };
}
