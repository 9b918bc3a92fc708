// The scheduled jobs, composed ONCE (runScheduledJobs) for every runtime: node-cron on Node (cron.ts), Cron Triggers
// on Workers (worker.ts + worker-schedule.ts), `npx duban tick` (cli/tick.ts) and the admin route (routes.ts).
// 'pass': the scheduler pass (pass.ts), under the scheduler lease (lease.ts) for the clocks, unguarded for an
// operator's explicit run; reminders, escalations, calendar warnings and the weekly digest are all steps it plans.
// 'send': the outbox flush (the OutboxFlush port, src/ports.ts: the Lark sender at the edge, never imported here).
// The runtimes only choose the jobs, the lease holder, the flush and their own chores around them.
//
// The folder src/scheduler/: run.ts (this), cron.ts (Node's clock), routes.ts (the admin route), lease.ts, and the
// pass: pass.ts orchestrates recovery.ts (a crashed pass's slices), plan-input.ts (what the plan says is due),
// slices.ts (committing a unit's steps with their outbox rows) and messages.ts (the pure message builders);
// format.ts prints a run for the CLI. It reaches tables through src/db/ stores and Feishu through the OutboxFlush port.
import type { DrainResult, OutboxFlush } from '../ports.js';
import { withSchedulerLease } from './lease.js';
import { runSchedulerPass, type PassResult, type SchedulerDeps } from './pass.js';

export type ScheduledJob = 'pass' | 'send';

/** A runtime's own work around the jobs (Workers: what Node does on timers of its own). */
export interface ScheduledChores {
  /** Before the pass (Workers: load the bundled plan into an empty D1). */
  beforePass?: (at: number) => Promise<unknown>;
  /** Before the flush (Workers: events acknowledged but never processed). */
  beforeSend?: () => Promise<unknown>;
  /** After the flush (Workers: the urgent buzz of what was just sent). */
  afterSend?: () => Promise<unknown>;
}

export interface ScheduledJobsDeps extends SchedulerDeps {
  outbox: OutboxFlush;
  /**
   * Who takes the scheduler lease for the pass ('node:<uuid>', 'worker:<uuid>'): a clock's pass runs only if no
   * one else's is running. null: an operator's explicit run (tick, the admin route) runs the pass unguarded.
   */
  leaseHolder: string | null;
  chores?: ScheduledChores;
}

export interface ScheduledJobsOptions {
  /**
   * Flush only when this run's pass queued messages (an operator's run delivers what it queued); by default 'send'
   * always flushes (a trigger's minute).
   */
  sendOnlyQueued?: boolean;
  /** Called with the pass's result before anything is sent (tick prints it first). */
  onPass?: (pass: PassResult) => void;
}

export interface ScheduledRun {
  /** null when the run had no pass, or another holder had the lease. */
  pass: PassResult | null;
  /** null when nothing was flushed. */
  delivered: DrainResult | null;
}

export async function runScheduledJobs(
  deps: ScheduledJobsDeps,
  jobs: readonly ScheduledJob[],
  at: number,
  opts: ScheduledJobsOptions = {},
): Promise<ScheduledRun> {
  const run: ScheduledRun = { pass: null, delivered: null };
  if (jobs.includes('pass')) {
    await deps.chores?.beforePass?.(at);
    const pass = () => runSchedulerPass(deps, at);
    run.pass = deps.leaseHolder === null ? await pass() : await withSchedulerLease(deps.db, deps.leaseHolder, at, pass);
    if (run.pass) opts.onPass?.(run.pass);
    // What the pass queued goes out with the runtime's own sender too (Node: wake the outbox loop).
    if (run.pass?.outboxIds.length) deps.outbox.kick();
  }
  if (jobs.includes('send') && (!opts.sendOnlyQueued || run.pass?.outboxIds.length)) {
    await deps.chores?.beforeSend?.();
    run.delivered = await deps.outbox.flush(at);
    await deps.chores?.afterSend?.();
  }
  return run;
}
