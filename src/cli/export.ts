// `npx duban export`: write the 台账 (tasks, units, deadlines, status, latest progress) as .xlsx, .csv or JSON.
import fs from 'node:fs/promises';
import path from 'node:path';
import { isIsoDate, shanghaiDate, shanghaiInstant } from '../domain/dates.js';
import { buildLedger, resolveExportPlan } from '../export/ledger.js';
import { ledgerToCsv, ledgerToJson, ledgerToXlsx, reportToCsv, reportToJson, reportToXlsx, type ExportFormat } from '../export/write.js';
import { loadStatsInput } from '../db/stats-store.js';
import { planIdOf } from '../db/plan-store.js';
import { computeStats } from '../domain/stats.js';
import { ledgerExtraSheets, ledgerReportSheets, type LedgerReport } from '../reports/ledger-sheets.js';
import { evidenceForExport } from '../db/evidence-store.js';
import { evidenceSheet } from '../reports/evidence-sheet.js';
import { CliUsageError, parseArgs, type CliCommand } from './types.js';

const FORMATS: ExportFormat[] = ['xlsx', 'csv', 'json'];
const REPORTS: LedgerReport[] = ['summary', 'overdue'];
const REPORT_ZH: Record<LedgerReport, string> = { summary: '汇总', overdue: '逾期清单' };

export const exportCommand: CliCommand = {
  name: 'export',
  usage: 'export [--format xlsx|csv|json] [--out 文件] [--plan 计划编号] [--report summary|overdue] [--at 日期]',
  summary:
    '导出任务台账（标题行含计划和制表日期；xlsx 另含分工明细、指标、分篇章/分单位/分县区汇总和逾期清单，横向打印）；--at 指定制表日期（状态按该日计算）；--report 只导出汇总或逾期清单；默认 ./duban-台账-日期.xlsx，--out - 输出到屏幕',
  async run(args, ctx) {
    const { positionals, options } = parseArgs(args, { format: 'string', out: 'string', plan: 'string', report: 'string', at: 'string' });
    if (positionals.length) throw new CliUsageError(`多余的参数：${positionals.join(' ')}`);
    const report = typeof options.report === 'string' ? (options.report as LedgerReport) : undefined;
    if (report !== undefined && !REPORTS.includes(report)) {
      throw new CliUsageError(`不支持的报表 ${String(options.report)}，可选：summary（分篇章、分单位、分县区汇总）、overdue（逾期清单）`);
    }
    const out = typeof options.out === 'string' ? options.out : undefined;
    const fromExt = out && out !== '-' ? path.extname(out).slice(1).toLowerCase() : '';
    const format = (typeof options.format === 'string' ? options.format : FORMATS.includes(fromExt as ExportFormat) ? fromExt : 'xlsx') as ExportFormat;
    if (!FORMATS.includes(format)) throw new CliUsageError(`不支持的格式 ${format}，可选：xlsx、csv、json`);
    if (out === '-' && format === 'xlsx') throw new CliUsageError('xlsx 不能输出到屏幕：请用 --format csv 或 json，或给出 --out 文件名');

    let now = ctx.now();
    if (typeof options.at === 'string') {
      // A day (2022-06-30) means that day at 18:00 Shanghai; an ISO instant is taken as given.
      const at = isIsoDate(options.at) ? shanghaiInstant(options.at, '18:00') : Date.parse(options.at);
      if (Number.isNaN(at)) throw new CliUsageError(`--at 的日期无法识别：${options.at}。请写 2022-06-30 或 ISO 时间 2022-06-30T18:00:00+08:00`);
      now = at;
    }
    const db = ctx.database().db;
    const code = await resolveExportPlan(db, typeof options.plan === 'string' ? options.plan : undefined);
    const ledger = code ? await buildLedger(db, code, now) : null;
    if (!ledger) {
      ctx.err(code ? `计划 ${code} 不存在。` : '数据库中还没有计划：先运行 `npx duban plan load` 或 `npx duban import <分工表>`。');
      return 1;
    }
    // The summaries and the overdue list come from the same numbers as 统计 and the weekly digest.
    const stats = computeStats(await loadStatsInput(db, await planIdOf(db, ledger.plan.code), shanghaiDate(now)));
    const sheets = report
      ? ledgerReportSheets(stats, report)
      : [...ledgerExtraSheets(stats), evidenceSheet(await evidenceForExport(db), ctx.config.PUBLIC_BASE_URL)];
    const text = () =>
      report
        ? format === 'csv'
          ? reportToCsv(sheets)
          : reportToJson(ledger, report, sheets)
        : format === 'csv'
          ? ledgerToCsv(ledger)
          : ledgerToJson(ledger);
    if (out === '-') {
      ctx.out(text().replace(/\r?\n$/, ''));
      return 0;
    }
    const stem = report ? `duban-${REPORT_ZH[report]}` : 'duban-台账';
    const file = out ?? `./${stem}-${shanghaiDate(now).replace(/-/g, '')}.${format}`;
    const data = format === 'xlsx' ? report ? await reportToXlsx(sheets, now) : await ledgerToXlsx(ledger, sheets) : text();
    await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await fs.writeFile(file, data);
    ctx.out(
      report
        ? `已导出计划 ${ledger.plan.code} 的${REPORT_ZH[report]}（${sheets.map((s) => `${s.name} ${s.rows.length} 行`).join('，')}）到 ${file}`
        : `已导出计划 ${ledger.plan.code} 的 ${ledger.rows.length} 项任务到 ${file}` +
          (format === 'xlsx'
            ? `（另含 分工明细、指标、${sheets.map((s) => s.name).join('、')}）`
            : format === 'json'
              ? '（含分工明细和指标；汇总表请导出 xlsx，或加 --report summary）'
              : '（CSV 只含任务台账；分工明细、指标和汇总表请导出 xlsx）'),
    );
    return 0;
  },
};
