// `npx duban policy [show|set <json>]`: show or change the reminder policy (settings 'reminder_policy').
import { getPolicy, PolicyError, setPolicy } from '../db/policy-store.js';
import { DEFAULT_POLICY, type ReminderPolicy } from '../domain/reminder-plan.js';
import { CliUsageError, type CliCommand } from './types.js';

export function describePolicy(p: ReminderPolicy): string[] {
  return [
    `截止前提醒：${p.beforeWorkdays.length ? p.beforeWorkdays.map((n) => `${n}`).join('、') + ' 个工作日' : '不提醒'}`,
    `截止当天提醒：${p.onDueDay ? '是' : '否'}`,
    `逾期后：${p.afterEveryWorkdays ? `每 ${p.afterEveryWorkdays} 个工作日提醒一次（红牌）` : '不再提醒'}`,
    `第 ${p.escalateToOfficeAfter || '—'} 次逾期提醒时报督办办公室；第 ${p.escalateToLeadersAfter || '—'} 次起列入领导周报红灯`,
    `长期/周期任务进度报送请求：${{ monthly: '每月', quarterly: '每季度', off: '关闭' }[p.periodicEvery]}`,
    `逾期提醒逐步放缓：${p.afterThinning.length ? p.afterThinning.map((t) => `逾期满 ${t.fromWorkdays} 个工作日起每 ${t.everyWorkdays} 个工作日一次`).join('；') : '不放缓'}`,
    `最后几次提醒（截止前 ${p.finalWarningsWithinWorkdays} 个工作日内及截止当天）：已报送的单位也照发`,
    `完成申报 ${p.recheckClaimAfterWorkdays ? `${p.recheckClaimAfterWorkdays} 个工作日未核验时再次提请办公室核验` : '未核验时不再提请'}`,
  ];
}

export const policyCommand: CliCommand = {
  name: 'policy',
  usage: 'policy [show|set <JSON>]',
  summary: '查看或修改提醒策略 / show or change the reminder policy',
  async run(args, ctx) {
    const [sub = 'show', ...rest] = args;
    const { db } = ctx.database();
    if (sub === 'show') {
      const { policy, stored, invalid } = await getPolicy(db);
      ctx.out(stored ? '当前提醒策略（办公室已修改）：' : '当前提醒策略（默认）：');
      for (const l of describePolicy(policy)) ctx.out(`  ${l}`);
      if (invalid) ctx.err(`注意：已保存的策略无效（${invalid}），正在使用默认值。`);
      ctx.out(JSON.stringify(policy));
      return 0;
    }
    if (sub === 'set') {
      const raw = rest.join(' ').trim();
      if (!raw) throw new CliUsageError(`缺少 JSON，例如：policy set '${JSON.stringify({ ...DEFAULT_POLICY, afterEveryWorkdays: 2 })}'`);
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        throw new CliUsageError('策略必须是 JSON 对象，例如 {"beforeWorkdays":[10,3,1]}（未写的字段取默认值）');
      }
      try {
        const policy = await setPolicy(db, value, { now: ctx.now(), actor: 'cli', channel: 'cli' });
        ctx.out('已保存提醒策略：');
        for (const l of describePolicy(policy)) ctx.out(`  ${l}`);
        return 0;
      } catch (e) {
        if (e instanceof PolicyError) {
          ctx.err(e.message);
          return 1;
        }
        throw e;
      }
    }
    throw new CliUsageError(`未知子命令：${sub}`);
  },
};
