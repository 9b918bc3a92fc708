// `npx duban outbox [list|retry <id>|retry --all]`: undelivered messages by reason with what to do, and re-sending.
import { formatUndelivered, listUndelivered, retryUndelivered } from '../db/undelivered.js';
import { createLarkMessenger } from '../lark/messenger.js';
import { drainOutbox } from '../lark/sender.js';
import { createLogger } from '../logger.js';
import { CliUsageError, type CliCommand } from './types.js';

export const outboxCommand: CliCommand = {
  name: 'outbox',
  usage: 'outbox [list|retry <编号>|retry --all]',
  summary: '查看未送达的消息（按原因，附处理办法）并重发 / list undelivered messages and re-send them',
  async run(args, ctx) {
    const [sub = 'list', ...rest] = args;
    const { db } = ctx.database();
    if (sub === 'list') {
      const lines = await formatUndelivered(db, await listUndelivered(db, ctx.now(), 5000), {
        perGroup: 50,
        retryHint: '处理好原因后：npx duban outbox retry <编号>，或 npx duban outbox retry --all 重发全部未送达消息（服务运行时自动发出）。',
      });
      for (const l of lines) ctx.out(l);
      return 0;
    }
    if (sub === 'retry') {
      const what = rest[0];
      if (!what) throw new CliUsageError('缺少编号：outbox retry <编号>，或 outbox retry --all');
      const which = what === '--all' || what === 'all' ? 'all' : /^#?\d+$/.test(what) ? Number(what.replace('#', '')) : null;
      if (which === null) throw new CliUsageError(`编号应为数字（outbox list 中 # 后的数字）：${what}`);
      const r = await retryUndelivered(db, which, ctx.now());
      if (!r.ok) {
        ctx.err(r.error);
        return 1;
      }
      if (!r.value) {
        ctx.out('没有需要重发的未送达消息。');
        return 0;
      }
      ctx.out(`已重新排队 ${r.value} 条消息。`);
      if (!ctx.config.larkConfigured) {
        ctx.out('未配置飞书（离线模式）：消息由运行中的服务发出。');
        return 0;
      }
      // Send now (a running service may send some of them too: each row is claimed by one sender only).
      const logger = createLogger('warn', ctx.err);
      const d = await drainOutbox({ db, clock: ctx.now, messenger: createLarkMessenger(ctx.config), logger, config: ctx.config }, { maxMs: 60_000 });
      ctx.out(`已发送 ${d.sent} 条${d.failed ? `，仍失败 ${d.failed} 条（见 outbox list）` : ''}${d.retried + d.rateLimited ? `，${d.retried + d.rateLimited} 条稍后自动重试` : ''}。`);
      return d.failed ? 1 : 0;
    }
    throw new CliUsageError(`未知子命令：${sub}（可用：list、retry <编号>、retry --all）`);
  },
};
