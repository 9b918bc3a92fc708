// `npx duban tick [--at <ISO>]`: one scheduler pass by hand, for now or any instant; prints what it queued.
import { createLogger } from '../logger.js';
import { formatTick, runTick } from '../scheduler/run.js';
import { CliUsageError, parseArgs, type CliCommand } from './types.js';

export const tickCommand: CliCommand = {
  name: 'tick',
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
    const result = await runTick(
      { db, config: ctx.config, logger: createLogger('warn', ctx.err), ...(ctx.deliverOutbox ? { deliverOutbox: ctx.deliverOutbox } : {}) },
      at,
    );
    for (const line of formatTick(result)) ctx.out(line);
    return 0;
  },
};
