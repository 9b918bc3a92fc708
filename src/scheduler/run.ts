// Run one pass and deliver what it queued: shared by the cron job, `npx duban tick` and the admin route.
import { formatDateZh, shanghaiDate, shanghaiMinutes } from '../domain/dates.js';
import { runSchedulerPass, SKIP_REASON_ZH, type DeliverOutbox, type PassResult, type SchedulerDeps } from './pass.js';

export interface TickResult extends PassResult {
  delivered: { sent: number; failed: number; lines?: string[] } | null;
}

export async function runTick(deps: SchedulerDeps & { deliverOutbox?: DeliverOutbox }, at: number): Promise<TickResult> {
  const pass = await runSchedulerPass(deps, at);
  const delivered = deps.deliverOutbox && pass.outboxIds.length ? await deps.deliverOutbox(at) : null;
  return { ...pass, delivered };
}

/** The Chinese summary printed by `npx duban tick`. */
export function formatTick(r: TickResult): string[] {
  const m = shanghaiMinutes(r.at);
  const time = `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  const out = [`督办巡检：${formatDateZh(shanghaiDate(r.at))} ${time}（北京时间）`];
  if (r.skippedReason) out.push(`跳过：${SKIP_REASON_ZH[r.skippedReason]}。`);
  if (r.queued.length === 0 && !r.skippedReason) out.push('没有到期的提醒（已发过的不会重复发送）。');
  if (r.queued.length) {
    out.push(`本次排队 ${r.queued.length} 项，消息 ${r.outboxIds.length} 条：`);
    // Many items with the same recipient and step (monthly requests, no-contact notices) print as one line.
    const groups = new Map<string, typeof r.queued>();
    for (const q of r.queued) {
      const k = `${q.recipient}\u0000${q.step}`;
      const g = groups.get(k);
      if (g) g.push(q);
      else groups.set(k, [q]);
    }
    for (const g of groups.values()) {
      const q = g[0]!;
      if (g.length <= 3) {
        for (const x of g) out.push(`  • ${x.recipient} ← ${x.task ? `${x.task}｜` : ''}${x.step}`);
      } else {
        const tasks = g.slice(0, 3).map((x) => x.task ?? x.stepKey).join('、');
        out.push(`  • ${q.recipient} ← ${q.step}：${g.length} 项（${tasks} 等）`);
      }
    }
  }
  if (r.suppressed) out.push(`另有 ${r.suppressed} 项因单位已报送进度而跳过。`);
  for (const w of r.warnings) out.push(`注意：${w}`);
  if (r.outboxIds.length) {
    if (r.delivered) {
      out.push(`已投递 ${r.delivered.sent} 条${r.delivered.failed ? `，失败 ${r.delivered.failed} 条（将自动重试）` : ''}。`);
      for (const l of r.delivered.lines ?? []) out.push(`  ${l}`);
    } else {
      out.push('消息已写入发件箱（outbox），由发送程序投递。');
    }
  }
  return out;
}
