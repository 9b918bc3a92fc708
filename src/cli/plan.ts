// `npx duban plan load [file.json]`: load (or re-load, updating in place) a plan file; no file = the bundled plan.
import fs from 'node:fs/promises';
import { bundledPlan } from '../plans/bundled.js';
import { applyPlan, formatPlanReport, PlanValidationError } from '../plans/load.js';
import { listPlanLive, PlanLiveError, resolveLivePlan, setPlanLive } from '../db/plan-live-store.js';
import { CliUsageError, parseArgs, type CliCommand, type CliContext } from './types.js';

export const planCommand: CliCommand = {
  name: 'plan',
  usage: 'plan load [<计划文件.json>] [--dry-run] | plan live [<日期>] [--plan 编号]',
  summary: '载入计划文件（不给文件则载入内置的定西市计划），已有计划按编号就地更新；plan live 宣布计划上线（此前不向单位发提醒）',
  async run(args, ctx) {
    const { positionals, options } = parseArgs(args, { 'dry-run': 'boolean', plan: 'string' });
    const [sub, file, ...extra] = positionals;
    if (sub === 'live') return planLive(file, extra, typeof options.plan === 'string' ? options.plan : undefined, ctx);
    if (sub !== 'load') throw new CliUsageError(sub ? `未知的子命令 plan ${sub}` : '请给出子命令，例如 plan load');
    if (options.plan !== undefined) throw new CliUsageError('--plan 只用于 plan live');
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
      if (options['dry-run'] !== true) {
        const waiting = (await listPlanLive(ctx.database().db)).filter((p) => !p.liveFrom);
        for (const p of waiting)
          ctx.out(`计划 ${p.code} 尚未上线，提醒暂不发给各单位。核对无误后运行 npx duban plan live <日期> --plan ${p.code}（或办公室在飞书发送「上线 <日期>」）。`);
      }
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

/** `plan live <日期> [--plan 编号]`: from that day reminders reach units; without a date, show every plan's state. */
async function planLive(date: string | undefined, extra: string[], code: string | undefined, ctx: CliContext): Promise<number> {
  if (extra.length) throw new CliUsageError(`多余的参数：${extra.join(' ')}`);
  const { db } = ctx.database();
  if (!date) {
    const all = await listPlanLive(db);
    if (!all.length) ctx.out('数据库中还没有计划。先运行 npx duban plan load。');
    for (const p of all) ctx.out(`${p.code}《${p.title}》：${p.liveFrom ? `${p.liveFrom} 起上线` : '未上线（提醒暂不发送）'}`);
    return 0;
  }
  const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(date.normalize('NFKC'));
  const iso = m ? `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}` : null;
  if (!iso || Number.isNaN(Date.parse(`${iso}T00:00:00Z`)) || new Date(`${iso}T00:00:00Z`).toISOString().slice(0, 10) !== iso)
    throw new CliUsageError(`看不懂日期“${date}”，请写作 2022-06-01`);
  try {
    const plan = await resolveLivePlan(db, code, '--plan <编号>');
    await setPlanLive(db, plan, iso, { now: ctx.now(), actor: 'cli', channel: 'cli' });
    ctx.out(`已宣布《${plan.title}》（${plan.code}）自 ${iso} 上线${plan.liveFrom && plan.liveFrom !== iso ? `（原为 ${plan.liveFrom}）` : ''}。`);
    ctx.out('从上线日起按提醒规则向各单位发送提醒；上线日已逾期的事项汇总成一条发给办公室，不逐条发给单位。');
    return 0;
  } catch (e) {
    if (e instanceof PlanLiveError) {
      ctx.err(e.message);
      return 1;
    }
    throw e;
  }
}
