// What `npx duban tick` prints about a run of the scheduled jobs, in Chinese: the pass (what it queued, grouped by
// recipient and step; what it skipped and why; its warnings), then the delivery. Pure.
import { formatDateZh, shanghaiDate, shanghaiMinutes } from '../domain/dates.js';
import type { DrainResult } from '../ports.js';
import { SKIP_REASON_ZH, type PassResult } from './pass.js';

export interface TickResult extends PassResult {
  delivered: DrainResult | null;
}

/** The Chinese summary printed by `npx duban tick`: the pass, then (when delivered) the delivery. */
export function formatTick(r: TickResult): string[] {
  return [...formatPass(r), ...formatDelivery(r)];
}

export function formatPass(r: PassResult): string[] {
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
  return out;
}

export function formatDelivery(r: TickResult): string[] {
  const out: string[] = [];
  if (r.outboxIds.length) {
    if (r.delivered) {
      const d = r.delivered;
      const extra = [
        d.failed ? `失败 ${d.failed} 条（原因见 outbox 表）` : '',
        d.retried ? `${d.retried} 条稍后重试` : '',
        d.rateLimited ? `${d.rateLimited} 条因限流稍后发送` : '',
      ].filter(Boolean);
      out.push(`已投递 ${d.sent} 条${extra.length ? `；${extra.join('，')}` : ''}。`);
      const left = r.outboxIds.length - d.sent - d.failed;
      if (left > 0) out.push(`其余消息留在发件箱（outbox），由服务的发送程序继续投递。`);
    } else {
      out.push('消息已写入发件箱（outbox），由发送程序投递。');
    }
  }
  return out;
}
