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

/** Rewrite the first worksheet's XML of an .xlsx (for crafting hostile files: huge merges, far cells, bombs). */
export async function patchSheetXml(xlsx: Uint8Array, patch: (xml: string) => string): Promise<Uint8Array> {
  const { default: JSZip } = await import('jszip');
  const zip = await JSZip.loadAsync(xlsx);
  const f = 'xl/worksheets/sheet1.xml';
  zip.file(f, patch(await zip.file(f)!.async('string')));
  return new Uint8Array(await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' }));
}
