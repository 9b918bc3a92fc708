// Writing the 台账 as .xlsx (任务台账, 分工明细, 指标 and report sheets, each titled and set up for printing),
// .csv (UTF-8 with BOM for Excel, title line first) and JSON (tasks, assignments and targets).
import ExcelJS from 'exceljs';
import { formatCsv } from '../import/csv.js';
import { csvSafeCell } from '../import/csv-safe.js';
import { LEDGER_COLUMNS, ledgerCells, ledgerTitle, type Ledger } from './ledger.js';
import { sheetToRecords, type Sheet } from '../reports/ledger-sheets.js';

export type ExportFormat = 'xlsx' | 'csv' | 'json';

const WIDTHS: Record<(typeof LEDGER_COLUMNS)[number], number> = {
  序号: 9,
  篇章: 14,
  标题: 24,
  任务: 56,
  牵头单位: 20,
  配合单位: 28,
  完成时限: 20,
  备注: 14,
  状态: 9,
  '进度(%)': 8,
  最新进展: 36,
  最新报送时间: 17,
};

const WRAP = new Set(['标题', '任务', '牵头单位', '配合单位', '完成时限', '备注', '最新进展', '单位', '最新说明', '指标', '范围']);

/** Columns written as real dates (Excel date cells), with their number format. */
const DATE_FORMATS: Record<string, string> = { 最新报送时间: 'yyyy-mm-dd hh:mm', 报送时间: 'yyyy-mm-dd hh:mm', 截止日期: 'yyyy-mm-dd' };

/**
 * 'YYYY-MM-DD[ HH:MM]' (Asia/Shanghai) as a Date whose UTC fields are those wall-clock fields: Excel has no time
 * zones, and exceljs writes a Date's UTC fields, so the cell shows the Shanghai time.
 */
function excelDate(s: string): Date | string {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}))?$/.exec(s);
  if (!m) return s;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0)));
}

interface SheetSpec {
  name: string;
  columns: Array<{ header: string; width: number }>;
  rows: Array<Array<string | number | null>>;
}

/**
 * A sheet an office can hand to a leader: a title row (plan and 制表日期) over a styled header row, frozen under the
 * header, filterable, dates as date cells, printed landscape, fitted to the page width, header repeated per page.
 */
function addLedgerSheet(wb: ExcelJS.Workbook, title: string, spec: SheetSpec) {
  const ws = wb.addWorksheet(spec.name, {
    views: [{ state: 'frozen', ySplit: 2 }],
    pageSetup: {
      paperSize: 9, // A4
      orientation: 'landscape',
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
      horizontalCentered: true,
      margins: { left: 0.4, right: 0.4, top: 0.5, bottom: 0.5, header: 0.3, footer: 0.3 },
    },
    headerFooter: { oddFooter: '第 &P 页，共 &N 页' },
  });
  ws.pageSetup.printTitlesRow = '2:2';
  const n = spec.columns.length;
  ws.columns = spec.columns.map((c) => ({ key: c.header, width: c.width }));
  const titleRow = ws.getRow(1);
  titleRow.getCell(1).value = title;
  ws.mergeCells(1, 1, 1, n);
  titleRow.height = 28;
  titleRow.getCell(1).font = { bold: true, size: 14 };
  titleRow.getCell(1).alignment = { vertical: 'middle', horizontal: 'center' };
  const head = ws.getRow(2);
  spec.columns.forEach((c, i) => (head.getCell(i + 1).value = c.header));
  head.height = 22;
  head.eachCell((c) => {
    c.font = { bold: true, color: { argb: 'FFFFFFFF' } };
    c.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FF1F4E79' } };
    c.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true };
    c.border = { bottom: { style: 'thin', color: { argb: 'FF999999' } } };
  });
  for (const r of spec.rows) {
    const row = ws.addRow(r.map((v, i) => (typeof v === 'string' && DATE_FORMATS[spec.columns[i]!.header] && v ? excelDate(v) : v)));
    row.eachCell((c, col) => {
      const h = spec.columns[col - 1]!.header;
      c.alignment = { vertical: 'top', wrapText: WRAP.has(h) };
      if (DATE_FORMATS[h] && c.value instanceof Date) c.numFmt = DATE_FORMATS[h]!;
    });
  }
  ws.autoFilter = { from: { row: 2, column: 1 }, to: { row: 2, column: n } };
  return ws;
}

export const ASSIGNMENT_COLUMNS = ['任务编号', '标题', '单位', '角色', '状态', '进度(%)', '截止日期', '最新说明', '最新报送时间'] as const;
export const TARGET_COLUMNS = ['指标', '目标', '计量单位', '年份', '范围', '所属任务', '最新值', '期间', '报送单位', '报送时间', '是否达标'] as const;

/**
 * The workbook: 任务台账 (one row per task, the import table's own columns so it re-imports), 分工明细 (one row per
 * assignment), 指标 (every target with its latest value), then any report sheets (分篇章汇总, 分单位汇总, 分县区汇总,
 * 逾期清单 from src/reports/ledger-sheets.ts).
 */
export async function ledgerToXlsx(ledger: Ledger, extraSheets: Sheet[] = []): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'duban';
  wb.created = new Date(ledger.exportedAt);
  const title = ledgerTitle(ledger);
  addLedgerSheet(wb, title, {
    name: '任务台账',
    columns: LEDGER_COLUMNS.map((h) => ({ header: h, width: WIDTHS[h] })),
    rows: ledger.rows.map((r) => ledgerCells(r)),
  });
  const aw = [10, 24, 18, 7, 9, 8, 12, 40, 17];
  addLedgerSheet(wb, title.replace('任务台账', '分工明细'), {
    name: '分工明细',
    columns: ASSIGNMENT_COLUMNS.map((h, i) => ({ header: h, width: aw[i]! })),
    rows: ledger.assignments.map((a) => [a.code, a.title, a.unit, a.role, a.status, a.percent, a.dueDate, a.latestNote, a.latestReportAt]),
  });
  const tw = [30, 12, 12, 7, 18, 9, 10, 12, 12, 17, 9];
  addLedgerSheet(wb, title.replace('任务台账', '指标完成情况'), {
    name: '指标',
    columns: TARGET_COLUMNS.map((h, i) => ({ header: h, width: tw[i]! })),
    rows: ledger.targets.map((t) => [
      t.indicator,
      t.goal,
      t.unit,
      t.year,
      t.scope,
      t.taskCode,
      t.latestText || null,
      t.latestPeriod,
      t.latestUnit,
      t.latestReportAt,
      t.met,
    ]),
  });
  for (const sheet of extraSheets) addReportSheet(wb, sheet);
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

function addReportSheet(wb: ExcelJS.Workbook, sheet: Sheet) {
  const ws = wb.addWorksheet(sheet.name, {
    views: [{ state: 'frozen', ySplit: 1 }],
    pageSetup: { paperSize: 9, orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0 },
  });
  ws.pageSetup.printTitlesRow = '1:1';
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
  return (
    '\uFEFF' +
    formatCsv([[csvSafeCell(ledgerTitle(ledger))], [...LEDGER_COLUMNS], ...ledger.rows.map((r) => ledgerCells(r).map(csvSafeCell))])
  );
}

export function ledgerToJson(ledger: Ledger): string {
  return (
    JSON.stringify(
      {
        plan: ledger.plan,
        title: ledgerTitle(ledger),
        madeOn: ledger.madeOn,
        exportedAt: new Date(ledger.exportedAt).toISOString(),
        columns: LEDGER_COLUMNS,
        rows: ledger.rows,
        assignments: ledger.assignments,
        targets: ledger.targets,
      },
      null,
      2,
    ) + '\n'
  );
}
