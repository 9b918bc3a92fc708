// The Node runtime's clock for the scheduler: node-cron every 15 minutes (Asia/Shanghai), each slot one run of the
// scheduled jobs (run.ts) under the scheduler lease: the pass, whose queued messages wake the outbox loop.
// node-cron never catches up missed slots; the pass itself does (reminder_log is its memory).
import { randomUUID } from 'node:crypto';
import cron from 'node-cron';
import type { OutboxFlush } from '../ports.js';
import type { TickResult } from './format.js';
import { SCHEDULER_LEASE } from './lease.js';
import type { SchedulerDeps } from './pass.js';
import { runScheduledJobs, type ScheduledJob } from './run.js';

export const SCHEDULER_CRON = '*/15 * * * *';
export { SCHEDULER_LEASE };

export interface SchedulerRuntime {
  /** One guarded run now (what each cron slot runs); null when another process holds the lease. */
  runOnce(now?: number): Promise<TickResult | null>;
  stop(): Promise<void>;
}

export function startSchedulerCron(
  deps: SchedulerDeps & {
    clock: () => number;
    /** kick: wake the outbox loop after a pass queued messages; flush: only with the 'send' job. */
    outbox: OutboxFlush;
  },
  opts: {
    expression?: string;
    holder?: string;
    schedule?: boolean;
    /** Default ['pass'] (the outbox loop sends); ['pass', 'send'] also flushes what the pass queued before returning. */
    jobs?: ScheduledJob[];
  } = {},
): SchedulerRuntime {
  const holder = opts.holder ?? `node:${randomUUID()}`;
  const jobs = opts.jobs ?? ['pass'];
  let running: Promise<unknown> | null = null;

  const runOnce = async (now = deps.clock()): Promise<TickResult | null> => {
    // The lease only avoids duplicate work; two passes at once would still queue nothing twice.
    const run = await runScheduledJobs({ ...deps, leaseHolder: holder }, jobs, now, { sendOnlyQueued: true });
    return run.pass && { ...run.pass, delivered: run.delivered };
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
