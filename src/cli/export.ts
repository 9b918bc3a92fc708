// `npx duban export`: write the 台账 (tasks, units, deadlines, status, latest progress) as .xlsx, .csv or JSON.
import fs from 'node:fs/promises';
import path from 'node:path';
import { shanghaiDate } from '../domain/dates.js';
import { buildLedger, resolveExportPlan } from '../export/ledger.js';
import { ledgerToCsv, ledgerToJson, ledgerToXlsx, type ExportFormat } from '../export/write.js';
import { CliUsageError, parseArgs, type CliCommand } from './types.js';

const FORMATS: ExportFormat[] = ['xlsx', 'csv', 'json'];

export const exportCommand: CliCommand = {
  name: 'export',
  usage: 'export [--format xlsx|csv|json] [--out 文件] [--plan 计划编号]',
  summary: '导出任务台账（含状态和最新进展）；默认 ./duban-台账-日期.xlsx，--out - 输出到屏幕',
  async run(args, ctx) {
    const { positionals, options } = parseArgs(args, { format: 'string', out: 'string', plan: 'string' });
    if (positionals.length) throw new CliUsageError(`多余的参数：${positionals.join(' ')}`);
    const out = typeof options.out === 'string' ? options.out : undefined;
    const fromExt = out && out !== '-' ? path.extname(out).slice(1).toLowerCase() : '';
    const format = (typeof options.format === 'string' ? options.format : FORMATS.includes(fromExt as ExportFormat) ? fromExt : 'xlsx') as ExportFormat;
    if (!FORMATS.includes(format)) throw new CliUsageError(`不支持的格式 ${format}，可选：xlsx、csv、json`);
    if (out === '-' && format === 'xlsx') throw new CliUsageError('xlsx 不能输出到屏幕：请用 --format csv 或 json，或给出 --out 文件名');

    const db = ctx.database().db;
    const now = ctx.now();
    const code = await resolveExportPlan(db, typeof options.plan === 'string' ? options.plan : undefined);
    const ledger = code ? await buildLedger(db, code, now) : null;
    if (!ledger) {
      ctx.err(code ? `计划 ${code} 不存在。` : '数据库中还没有计划：先运行 `npx duban plan load` 或 `npx duban import <分工表>`。');
      return 1;
    }
    if (out === '-') {
      ctx.out((format === 'csv' ? ledgerToCsv(ledger) : ledgerToJson(ledger)).replace(/\r?\n$/, ''));
      return 0;
    }
    const file = out ?? `./duban-台账-${shanghaiDate(now).replace(/-/g, '')}.${format}`;
    const data = format === 'xlsx' ? await ledgerToXlsx(ledger) : format === 'csv' ? ledgerToCsv(ledger) : ledgerToJson(ledger);
    await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await fs.writeFile(file, data);
    ctx.out(`已导出计划 ${ledger.plan.code} 的 ${ledger.rows.length} 项任务到 ${file}`);
    return 0;
  },
};
