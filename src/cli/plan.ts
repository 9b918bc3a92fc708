// `npx duban plan load [file.json]`: load (or re-load, updating in place) a plan file; no file = the bundled plan.
import fs from 'node:fs/promises';
import { bundledPlan } from '../plans/bundled.js';
import { applyPlan, formatPlanReport, PlanValidationError } from '../plans/load.js';
import { CliUsageError, parseArgs, type CliCommand } from './types.js';

export const planCommand: CliCommand = {
  name: 'plan',
  usage: 'plan load [<计划文件.json>] [--dry-run]',
  summary: '载入计划文件（不给文件则载入内置的定西市计划），已有计划按编号就地更新',
  async run(args, ctx) {
    const { positionals, options } = parseArgs(args, { 'dry-run': 'boolean' });
    const [sub, file, ...extra] = positionals;
    if (sub !== 'load') throw new CliUsageError(sub ? `未知的子命令 plan ${sub}` : '请给出子命令，例如 plan load');
    if (extra.length) throw new CliUsageError(`多余的参数：${extra.join(' ')}`);
    let plan: unknown = bundledPlan();
    if (file) {
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch {
        ctx.err(`找不到或无法读取计划文件：${file}`);
        return 1;
      }
      try {
        plan = JSON.parse(text.replace(/^\uFEFF/, ''));
      } catch (e) {
        ctx.err(`计划文件 ${file} 不是有效的 JSON：${(e as Error).message}`);
        return 1;
      }
    }
    try {
      const report = await applyPlan(ctx.database().db, plan, {
        now: ctx.now(),
        actor: 'cli',
        channel: 'cli',
        dryRun: options['dry-run'] === true,
      });
      for (const line of formatPlanReport(report)) ctx.out(line);
      return 0;
    } catch (e) {
      if (e instanceof PlanValidationError) {
        ctx.err(e.message);
        return 1;
      }
      throw e;
    }
  },
};
