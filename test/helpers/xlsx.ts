// Build small .xlsx files in tests with exceljs.
import ExcelJS from 'exceljs';

export type Cell = string | number | Date | null;

export async function makeXlsx(
  rows: Cell[][],
  opts: { sheet?: string; merges?: string[]; before?: (wb: ExcelJS.Workbook) => void } = {},
): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  opts.before?.(wb);
  const ws = wb.addWorksheet(opts.sheet ?? 'Sheet1');
  rows.forEach((r, i) => {
    r.forEach((v, j) => {
      if (v !== null) ws.getCell(i + 1, j + 1).value = v;
    });
  });
  for (const m of opts.merges ?? []) ws.mergeCells(m);
  return new Uint8Array(await wb.xlsx.writeBuffer());
}
