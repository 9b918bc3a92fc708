// 未送达 (undelivered): the office sees messages Feishu refused for good, grouped by reason with what to do, and
// those still retrying; `未送达 重发 <编号>|全部` re-sends after the cause is fixed.
import { formatUndelivered, listUndelivered, retryUndelivered } from '../db/undelivered.js';
import type { CommandDef, ParseResult } from './registry.js';

type Args = { retry: number | 'all' | null };

export const undeliveredCommand: CommandDef<Args> = {
  names: ['未送达', 'undelivered'],
  usage: '未送达 [重发 <编号>|重发 全部]',
  summary: '查看没能送达的消息（按原因分组，附处理办法）；处理后可重发',
  example: '未送达 重发 12',
  roles: ['office'],
  parse(arg): ParseResult<Args> {
    const t = arg.trim();
    if (!t) return { ok: true, value: { retry: null } };
    const m = /^(?:重发|retry)\s*(.*)$/i.exec(t);
    if (!m) return { ok: false, error: `看不懂“${t.slice(0, 20)}”。` };
    const what = m[1]!.trim().replace(/^#/, '');
    if (/^(全部|所有|all|--all)$/i.test(what)) return { ok: true, value: { retry: 'all' } };
    if (/^\d+$/.test(what)) return { ok: true, value: { retry: Number(what) } };
    return { ok: false, error: '请写明要重发的消息编号（列表中 # 后的数字），或「全部」。' };
  },
  async run(ctx, { retry }) {
    const { db } = ctx.deps;
    if (retry !== null) {
      const r = await retryUndelivered(db, retry, ctx.now);
      if (!r.ok) return { text: r.error };
      ctx.deps.outbox.kick();
      return { text: r.value ? `已重新排队 ${r.value} 条消息，稍后发送。如仍失败，会再次出现在「未送达」中。` : '没有需要重发的消息。' };
    }
    const lines = await formatUndelivered(db, await listUndelivered(db, ctx.now), {
      perGroup: 8,
      retryHint: '原因处理好后发送「未送达 重发 <编号>」或「未送达 重发 全部」重新发送（命令行：npx duban outbox retry <编号>|--all）。',
    });
    return { text: lines.join('\n') };
  },
};
