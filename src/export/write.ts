// Writing the 台账 as .xlsx (sheet 任务台账, styled frozen header), .csv (UTF-8 with BOM for Excel) and JSON.
import ExcelJS from 'exceljs';
import { formatCsv } from '../import/csv.js';
import { csvSafeCell } from './csv-safe.js';
import { LEDGER_COLUMNS, ledgerCells, type Ledger } from './ledger.js';
import { sheetToRecords, type Sheet } from '../reports/ledger-sheets.js';

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

/**
 * The workbook: sheet 任务台账, then any report sheets (分篇章汇总, 分单位汇总, 分县区汇总, 逾期清单 from
 * src/reports/ledger-sheets.ts), each with the same styled, frozen, filterable header.
 */
export async function ledgerToXlsx(ledger: Ledger, extraSheets: Sheet[] = []): Promise<Uint8Array> {
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
  for (const sheet of extraSheets) addReportSheet(wb, sheet);
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

function addReportSheet(wb: ExcelJS.Workbook, sheet: Sheet) {
  const ws = wb.addWorksheet(sheet.name, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = sheet.headers.map((h) => ({ header: h, key: h, width: Math.max(10, Math.min(60, [...h].length * 2 + 4)) }));
  const head = ws.getRow(1);
  head.eachCell((c) => {
    c.font = { bold: true, color: { argb: 'FFFFFFFF' } };
    c.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FF1F4E79' } };
    c.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true };
  });
  for (const r of sheet.rows) ws.addRow(r);
  ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: sheet.headers.length } };
}

/** A workbook of report sheets only (`export --report … --format xlsx`). */
export async function reportToXlsx(sheets: Sheet[], exportedAt: number): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'duban';
  wb.created = new Date(exportedAt);
  for (const sheet of sheets) addReportSheet(wb, sheet);
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

/** Report sheets as one CSV (with a BOM): each sheet preceded by its name, sheets separated by a blank line. */
export function reportToCsv(sheets: Sheet[]): string {
  return (
    '\uFEFF' +
    sheets
      .map((s) => (sheets.length > 1 ? formatCsv([[`【${s.name}】`]]) : '') + formatCsv([s.headers.map(csvSafeCell), ...s.rows.map((r) => r.map(csvSafeCell))]))
      .join('\r\n')
  );
}

export function reportToJson(ledger: Ledger, report: string, sheets: Sheet[]): string {
  return (
    JSON.stringify(
      {
        plan: ledger.plan,
        exportedAt: new Date(ledger.exportedAt).toISOString(),
        report,
        sheets: sheets.map((s) => ({ name: s.name, columns: s.headers, rows: sheetToRecords(s) })),
      },
      null,
      2,
    ) + '\n'
  );
}

/** CSV text with a BOM so Excel opens the UTF-8 correctly. */
export function ledgerToCsv(ledger: Ledger): string {
  return '\uFEFF' + formatCsv([[...LEDGER_COLUMNS], ...ledger.rows.map((r) => ledgerCells(r).map(csvSafeCell))]);
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
