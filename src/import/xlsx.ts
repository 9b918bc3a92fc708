// Reading .xlsx workbooks (exceljs) into plain rows of cell values; merged cells repeat their master's value.
import ExcelJS from 'exceljs';
import { ImportFileError, type CellValue, type SheetRow } from './types.js';

export interface SheetRows {
  name: string;
  rows: SheetRow[];
}

/** Plain value of an exceljs cell: rich text joined, formulas by their cached result, links by their text. */
export function plainCellValue(v: ExcelJS.CellValue): CellValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof Date) return v;
  if (typeof v === 'object') {
    if ('richText' in v && Array.isArray(v.richText)) return v.richText.map((r) => r.text).join('');
    if ('result' in v) return plainCellValue((v.result ?? null) as ExcelJS.CellValue);
    if ('formula' in v || 'sharedFormula' in v) return null;
    if ('text' in v && 'hyperlink' in v) return plainCellValue(v.text as ExcelJS.CellValue);
    if ('error' in v) return String(v.error);
  }
  return String(v);
}

/** Every worksheet's rows. A file that is not a valid xlsx (zip) package throws ImportFileError. */
export async function readXlsx(bytes: Uint8Array): Promise<SheetRows[]> {
  const wb = new ExcelJS.Workbook();
  try {
    // exceljs wants a Node Buffer (its types predate Uint8Array-backed buffers).
    await wb.xlsx.load(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as unknown as ArrayBuffer);
  } catch (err) {
    throw new ImportFileError(
      `无法读取 Excel 文件（${(err as Error).message}）。文件可能已损坏，或并不是 .xlsx 格式：` +
        '请在 Excel/WPS 中打开后“另存为” Excel 工作簿（.xlsx）或 CSV（逗号分隔）再导入。',
    );
  }
  const sheets: SheetRows[] = [];
  wb.eachSheet((ws) => {
    const rows: SheetRow[] = [];
    const width = ws.columnCount; // computed by scanning every row: read once
    ws.eachRow({ includeEmpty: false }, (row, rowNumber) => {
      const cells: CellValue[] = [];
      for (let c = 1; c <= width; c++) cells.push(plainCellValue(row.getCell(c).value));
      rows.push({ rowNumber, cells });
    });
    sheets.push({ name: ws.name, rows });
  });
  return sheets;
}
