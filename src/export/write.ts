// Writing the 台账 as .xlsx (sheet 任务台账, styled frozen header), .csv (UTF-8 with BOM for Excel) and JSON.
import ExcelJS from 'exceljs';
import { formatCsv } from '../import/csv.js';
import { LEDGER_COLUMNS, ledgerCells, type Ledger } from './ledger.js';

export type ExportFormat = 'xlsx' | 'csv' | 'json';

const WIDTHS: Record<(typeof LEDGER_COLUMNS)[number], number> = {
  序号: 9,
  篇章: 16,
  任务: 60,
  牵头单位: 22,
  配合单位: 30,
  完成时限: 22,
  备注: 16,
  状态: 9,
  '进度(%)': 9,
  最新进展: 40,
  最新报送时间: 18,
};

const WRAP = new Set(['任务', '牵头单位', '配合单位', '完成时限', '备注', '最新进展']);

export async function ledgerToXlsx(ledger: Ledger): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'duban';
  wb.created = new Date(ledger.exportedAt);
  const ws = wb.addWorksheet('任务台账', { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = LEDGER_COLUMNS.map((h) => ({ header: h, key: h, width: WIDTHS[h] }));
  const head = ws.getRow(1);
  head.height = 22;
  head.eachCell((c) => {
    c.font = { bold: true, color: { argb: 'FFFFFFFF' } };
    c.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FF1F4E79' } };
    c.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true };
    c.border = { bottom: { style: 'thin', color: { argb: 'FF999999' } } };
  });
  for (const r of ledger.rows) {
    const row = ws.addRow(ledgerCells(r));
    row.eachCell((c, col) => {
      const h = LEDGER_COLUMNS[col - 1]!;
      c.alignment = { vertical: 'top', wrapText: WRAP.has(h) };
    });
  }
  ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: LEDGER_COLUMNS.length } };
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

/** CSV text with a BOM so Excel opens the UTF-8 correctly. */
export function ledgerToCsv(ledger: Ledger): string {
  return '\uFEFF' + formatCsv([[...LEDGER_COLUMNS], ...ledger.rows.map((r) => ledgerCells(r).map(String))]);
}

export function ledgerToJson(ledger: Ledger): string {
  return (
    JSON.stringify(
      {
        plan: ledger.plan,
        exportedAt: new Date(ledger.exportedAt).toISOString(),
        columns: LEDGER_COLUMNS,
        rows: ledger.rows,
      },
      null,
      2,
    ) + '\n'
  );
}
