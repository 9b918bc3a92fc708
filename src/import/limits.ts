// Limits on an import file, checked before it is parsed whole: a small file must not be able to take the process'
// memory (an .xlsx is a zip: 1 MB of it can inflate to hundreds of MB of XML, and exceljs builds an object for every
// cell in a used range or a merged range, so one cell at XFD1048576 or one merge over the whole sheet explodes it).
import { inflateRawSync } from 'node:zlib';
import { ImportFileError } from './types.js';

/** 5 MiB: the bundled 196-task plan as an assignment table is ~60 KB; a real office table stays far below. */
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;
/** 5,000 rows: a plan has hundreds of tasks, each a row or a few. */
export const MAX_IMPORT_ROWS = 5000;
/** 200 columns: an assignment table has about ten. */
export const MAX_IMPORT_COLUMNS = 200;
/** What the XML inside an .xlsx may inflate to, all parts together. */
export const MAX_XLSX_INFLATED_BYTES = 64 * 1024 * 1024;
/** Cells covered by merged ranges, all sheets together (exceljs materialises every one). */
export const MAX_XLSX_MERGED_CELLS = 200_000;
/** The highest row number a cell may sit in (rows can be spaced out, but not a million apart). */
export const MAX_XLSX_ROW_INDEX = 100_000;

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(n < 1024 * 1024 ? 2 : 1)} MB`;

export function checkImportSize(name: string, bytes: number): void {
  if (bytes > MAX_IMPORT_BYTES) {
    throw new ImportFileError(
      `文件 ${name} 太大（${mib(bytes)}），导入文件最大 ${mib(MAX_IMPORT_BYTES)}。` +
        '请只保留任务分工表这一张工作表、删除图片和无关数据后再导入，或拆成几个文件分别导入。',
    );
  }
}

export function checkRowCount(name: string, rows: number): void {
  if (rows > MAX_IMPORT_ROWS) {
    throw new ImportFileError(
      `文件 ${name} 有 ${rows} 行，超过导入上限 ${MAX_IMPORT_ROWS} 行。请删除空行和无关内容，或拆成几个文件分别导入。`,
    );
  }
}

function colIndex(letters: string): number {
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n;
}

const tooBig = (name: string, what: string) =>
  new ImportFileError(
    `Excel 文件 ${name} ${what}，无法安全读取。请在 Excel/WPS 中只复制任务分工表的内容到新工作簿（取消大范围合并单元格、删除远处的空白格式），` +
      '另存为 .xlsx 或 CSV 后再导入。',
  );

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  localOffset: number;
}

/** The central directory of a zip, read without inflating anything. Null when it is not a zip we can read. */
function zipEntries(buf: Buffer): ZipEntry[] | null {
  const min = Math.max(0, buf.length - 22 - 65535);
  let eocd = -1;
  for (let i = buf.length - 22; i >= min; i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return null;
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out: ZipEntry[] = [];
  for (let k = 0; k < count; k++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) return null;
    const method = buf.readUInt16LE(p + 10);
    const compressedSize = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const localOffset = buf.readUInt32LE(p + 42);
    out.push({ name: buf.subarray(p + 46, p + 46 + nameLen).toString('utf8'), method, compressedSize, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

function entryData(buf: Buffer, e: ZipEntry): Buffer | null {
  const p = e.localOffset;
  if (p + 30 > buf.length || buf.readUInt32LE(p) !== 0x04034b50) return null;
  const start = p + 30 + buf.readUInt16LE(p + 26) + buf.readUInt16LE(p + 28);
  return buf.subarray(start, start + e.compressedSize);
}

/**
 * Look inside an .xlsx before exceljs loads it: every worksheet is inflated with a hard output limit and scanned for
 * its row count, its highest row and column, and the area of its merged ranges. Throws ImportFileError when any is
 * over its limit. A file that is not a readable zip is left for exceljs to refuse with its own message.
 */
export function checkXlsxShape(name: string, bytes: Uint8Array): void {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries = zipEntries(buf);
  if (!entries) return;
  let budget = MAX_XLSX_INFLATED_BYTES;
  let merged = 0;
  for (const e of entries) {
    if (!/^xl\/worksheets\/[^/]+\.xml$/i.test(e.name) && !/^xl\/sharedStrings\.xml$/i.test(e.name)) continue;
    const data = entryData(buf, e);
    if (!data) return;
    let xml: string;
    try {
      const raw = e.method === 0 ? data : e.method === 8 ? inflateRawSync(data, { maxOutputLength: Math.max(1, budget) }) : null;
      if (!raw) return;
      if (raw.length > budget) throw new RangeError('over budget');
      budget -= raw.length;
      xml = raw.toString('utf8');
    } catch (err) {
      if (err instanceof RangeError || (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw tooBig(name, `解压后超过 ${mib(MAX_XLSX_INFLATED_BYTES)}`);
      }
      return; // corrupt: exceljs says so
    }
    if (!/^xl\/worksheets\//i.test(e.name)) continue;
    const rows = (xml.match(/<row[\s>/]/g) ?? []).length;
    checkRowCount(name, rows);
    let maxCol = 0;
    let maxRow = 0;
    for (const m of xml.matchAll(/<c\b[^>]*?\br="([A-Z]{1,3})(\d{1,7})"/g)) {
      maxCol = Math.max(maxCol, colIndex(m[1]!));
      maxRow = Math.max(maxRow, Number(m[2]));
    }
    for (const m of xml.matchAll(/<row\b[^>]*?\br="(\d{1,7})"/g)) maxRow = Math.max(maxRow, Number(m[1]));
    if (maxCol > MAX_IMPORT_COLUMNS) throw tooBig(name, `用到了第 ${maxCol} 列（上限 ${MAX_IMPORT_COLUMNS} 列）`);
    if (maxRow > MAX_XLSX_ROW_INDEX) throw tooBig(name, `用到了第 ${maxRow} 行（上限 ${MAX_XLSX_ROW_INDEX} 行）`);
    for (const m of xml.matchAll(/<mergeCell\b[^>]*?\bref="([A-Z]{1,3})(\d{1,7}):([A-Z]{1,3})(\d{1,7})"/g)) {
      const w = Math.abs(colIndex(m[3]!) - colIndex(m[1]!)) + 1;
      const h = Math.abs(Number(m[4]) - Number(m[2])) + 1;
      merged += w * h;
      if (merged > MAX_XLSX_MERGED_CELLS) throw tooBig(name, `的合并单元格范围过大（超过 ${MAX_XLSX_MERGED_CELLS} 个单元格）`);
    }
  }
}
