// `npx duban import <file>`: import the office's task-assignment table (.xlsx/.csv/.json) into the plan.
import { importTaskTable } from '../import/import-table.js';
import { readImportFile } from '../import/read-file.js';
import { ImportFileError } from '../import/types.js';
import { formatPlanReport, PlanValidationError } from '../plans/load.js';
import { CliUsageError, parseArgs, type CliCommand } from './types.js';

export const importCommand: CliCommand = {
  name: 'import',
  usage: 'import <文件> [--dry-run] [--plan 计划编号] [--create-units] [--withdraw-missing]',
  summary:
    '导入任务分工表（.xlsx/.csv/.json），按任务编号更新表中的任务，表中没有的任务保持不变；--withdraw-missing 撤销表中没有的任务；--dry-run 只显示将发生的变化',
  async run(args, ctx) {
    const { positionals, options } = parseArgs(args, { 'dry-run': 'boolean', plan: 'string', 'create-units': 'boolean', 'withdraw-missing': 'boolean' });
    const file = positionals[0];
    if (!file) throw new CliUsageError('请给出要导入的文件，例如 npx duban import 分工表.xlsx');
    if (positionals.length > 1) throw new CliUsageError(`多余的参数：${positionals.slice(1).join(' ')}`);
    const dryRun = options['dry-run'] === true;
    try {
      const source = await readImportFile(file);
      const res = await importTaskTable(ctx.database().db, source, {
        now: ctx.now(),
        actor: 'cli',
        channel: 'cli',
        dryRun,
        planCode: typeof options.plan === 'string' ? options.plan : undefined,
        createUnits: options['create-units'] === true,
        withdrawMissing: options['withdraw-missing'] === true,
      });
      const where = [
        res.sheet ? `工作表“${res.sheet}”` : '',
        res.headerRow ? `表头在第${res.headerRow}行` : '',
        res.encoding && res.encoding !== 'utf-8' ? `编码 ${res.encoding.toUpperCase()}` : '',
      ].filter(Boolean);
      const badRows = new Set(res.errors.map((e) => e.row)).size;
      ctx.out(`读取 ${file}${where.length ? `（${where.join('，')}）` : ''}：${res.rowCount} 行任务${badRows ? `，其中 ${badRows} 行有错误` : ''}。`);
      if (!res.ok) {
        ctx.err(`发现 ${res.errors.length} 处错误，未写入任何数据（涉及 ${badRows} 行）。请改正后重新导入：`);
        for (const e of res.errors) ctx.err(`  ${e.message}`);
        return 1;
      }
      for (const line of formatPlanReport(res.report!)) ctx.out(line);
      if (dryRun && res.report!.changed) ctx.out('以上为试运行结果，数据库未改动；去掉 --dry-run 即可写入。');
      return 0;
    } catch (e) {
      if (e instanceof ImportFileError || e instanceof PlanValidationError) {
        ctx.err(`导入失败，未写入任何数据：${e.message}`);
        return 1;
      }
      throw e;
    }
  },
};
