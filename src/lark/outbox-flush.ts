// The outbox flush port (src/ports.ts OutboxFlush) over the Lark sender's drainOutbox, for the scheduled jobs
// (src/scheduler/run.ts), which never import lark/.
import type { AppDeps } from '../deps.js';
import type { OutboxFlush } from '../ports.js';
import { drainOutbox } from './sender.js';

export interface OutboxFlushOptions {
  /** Stop starting new sends after this long. */
  maxMs: number;
  maxMessages?: number;
  /**
   * 'pass': an operator's run at any instant (tick --at, the admin route): claims at the later of the flush's
   * instant and the clock (leases stay real), late notes measured from the flush's instant, so a pass rehearsed in
   * the past delivers its reminders on time, not "延迟送达" by years. 'clock': a trigger's flush, all on the clock.
   */
  asOf: 'pass' | 'clock';
  /** Wake the runtime's own sender (Node: the outbox loop); default none. */
  kick?: () => void;
}

export function createOutboxFlush(
  deps: Pick<AppDeps, 'db' | 'clock' | 'messenger' | 'logger'>,
  opts: OutboxFlushOptions,
): OutboxFlush {
  const limits = { maxMs: opts.maxMs, ...(opts.maxMessages !== undefined ? { maxMessages: opts.maxMessages } : {}) };
  return {
    flush: (at) =>
      opts.asOf === 'pass'
        ? drainOutbox(deps, { now: Math.max(at, deps.clock()), deliveredAt: at, ...limits })
        : drainOutbox(deps, limits),
    kick: opts.kick ?? (() => undefined),
  };
}
