// `npx duban tick [--at <ISO>]`: one scheduler pass by hand, for now or any instant; prints what it queued.
import { createConsoleMessenger, createLarkMessenger } from '../lark/messenger.js';
import { createOutboxFlush } from '../lark/outbox-flush.js';
import { createLogger } from '../logger.js';
import { createDigestHook } from '../reports/digest-run.js';
import { formatDelivery, formatPass } from '../scheduler/format.js';
import { runScheduledJobs } from '../scheduler/run.js';
import { CliUsageError, parseArgs, type CliCommand } from './types.js';

export const tickCommand: CliCommand = {
  name: 'tick',
  needsPlan: true,
  usage: 'tick [--at <ISO-8601 时刻>]',
  summary: '运行一次提醒巡检并显示排队的消息 / run one scheduler pass',
  async run(args, ctx) {
    const { options } = parseArgs(args, { at: 'string' });
    let at = ctx.now();
    if (typeof options.at === 'string') {
      // A bare date or time without offset is read as Beijing time, which is what an operator means.
      const s = options.at;
      const withZone = /([zZ]|[+-]\d{2}:?\d{2})$/.test(s) ? s : /^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T09:00:00+08:00` : `${s}+08:00`;
      at = Date.parse(withZone);
      if (Number.isNaN(at)) throw new CliUsageError(`无法识别的时刻：${s}（例如 2022-06-16T09:30:00+08:00）`);
    }
    const { db } = ctx.database();
    const logger = createLogger('warn', ctx.err);
    // Offline (no LARK_APP_ID) every message is printed instead of sent.
    const messenger = ctx.config.larkConfigured ? createLarkMessenger(ctx.config) : createConsoleMessenger(ctx.out);
    const outbox = createOutboxFlush({ db, clock: ctx.now, messenger, logger }, { maxMs: 120_000, asOf: 'pass' });
    // The operator's run: the pass unguarded by the lease, printed, then the delivery of what it queued.
    const run = await runScheduledJobs(
      { db, config: ctx.config, logger, buildDigest: createDigestHook({ db, logger }), outbox, leaseHolder: null },
      ['pass', 'send'],
      at,
      {
        sendOnlyQueued: true,
        onPass: (pass) => {
          for (const line of formatPass(pass)) ctx.out(line);
          if (pass.outboxIds.length) ctx.out(ctx.config.larkConfigured ? '正在发送…' : '离线模式（未设置 LARK_APP_ID）：以下为将要发送的消息：');
        },
      },
    );
    for (const line of formatDelivery({ ...run.pass!, delivered: run.delivered })) ctx.out(line);
    return 0;
  },
};
