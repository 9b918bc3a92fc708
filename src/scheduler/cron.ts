// The Node runtime's clock for the scheduler: node-cron every 15 minutes (Asia/Shanghai), one pass per tick
// under a lease. node-cron never catches up missed slots; the pass itself does (reminder_log is its memory).
import { randomUUID } from 'node:crypto';
import cron from 'node-cron';
import { SCHEDULER_LEASE, withSchedulerLease } from './lease.js';
import { type DeliverOutbox, type SchedulerDeps } from './pass.js';
import { runTick, type TickResult } from './run.js';

export const SCHEDULER_CRON = '*/15 * * * *';
export { SCHEDULER_LEASE };

export interface SchedulerRuntime {
  /** One guarded pass now (what each cron slot runs); null when another process holds the lease. */
  runOnce(now?: number): Promise<TickResult | null>;
  stop(): Promise<void>;
}

export function startSchedulerCron(
  deps: SchedulerDeps & {
    clock: () => number;
    /** Delivers synchronously after the pass (tests, one-shot runs). */
    deliverOutbox?: DeliverOutbox;
    /** Called when a pass queued messages (Node: wake the outbox loop). */
    onQueued?: () => void;
  },
  opts: { expression?: string; holder?: string; schedule?: boolean } = {},
): SchedulerRuntime {
  const holder = opts.holder ?? `node:${randomUUID()}`;
  let running: Promise<unknown> | null = null;

  const runOnce = async (now = deps.clock()): Promise<TickResult | null> => {
    // The lease only avoids duplicate work; two passes at once would still queue nothing twice.
    return withSchedulerLease(deps.db, holder, now, async () => {
      const r = await runTick(deps, now);
      if (r.outboxIds.length) deps.onQueued?.();
      return r;
    });
  };

  const task =
    opts.schedule === false
      ? null
      : cron.schedule(
          opts.expression ?? SCHEDULER_CRON,
          async () => {
            if (running) return;
            const p = runOnce().catch((err) =>
              deps.logger?.error('scheduler pass failed', { error: (err as Error).message }),
            );
            running = p;
            await p;
            running = null;
          },
          { timezone: 'Asia/Shanghai', noOverlap: true, name: 'duban-scheduler' },
        );

  return {
    runOnce,
    async stop() {
      await task?.stop();
      await task?.destroy();
      if (running) await running;
    },
  };
}
