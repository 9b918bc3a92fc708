// The outbox ports (src/ports.ts) over the Lark sender's drainOutbox:
//   createOutboxFlush        the scheduled jobs' flush (src/scheduler/run.ts, which never imports lark/): cron on
//                            Node, Cron Triggers on Workers, `npx duban tick`, the admin route;
//   createLoopOutboxFlush    the runtime's Outbox where a background sender sends (Node: the outbox loop);
//   createInlineOutboxFlush  the runtime's Outbox where nothing sends in the background (Workers, tests, the CLI
//                            sandbox): the work that queued a message drains the outbox itself.
import type { AppDeps } from '../deps.js';
import type { DrainResult, Outbox, OutboxFlush } from '../ports.js';
import { drainOutbox, type OutboxLoop } from './sender.js';

type FlushDeps = Pick<AppDeps, 'db' | 'clock' | 'messenger' | 'logger'> & Partial<Pick<AppDeps, 'config'>>;

export interface FlushBudget {
  /** Stop starting new sends after this long (default 20 s). */
  maxMs?: number;
  maxMessages?: number;
}

/**
 * How a flush's instant is read. 'pass': an operator's run at any instant (tick --at, the admin route, the work after
 * an ack): claims at the later of the flush's instant and the clock (leases stay real), late notes measured from the
 * flush's instant, so a pass rehearsed in the past delivers its reminders on time, not "延迟送达" by years.
 * 'clock': a trigger's flush, all on the clock.
 */
export type FlushAsOf = 'pass' | 'clock';

function flushWith(deps: FlushDeps, budget: FlushBudget, asOf: FlushAsOf): (at: number) => Promise<DrainResult> {
  const limits = { maxMs: budget.maxMs ?? 20_000, ...(budget.maxMessages !== undefined ? { maxMessages: budget.maxMessages } : {}) };
  return (at) =>
    asOf === 'pass'
      ? drainOutbox(deps, { now: Math.max(at, deps.clock()), deliveredAt: at, ...limits })
      : drainOutbox(deps, limits);
}

export interface OutboxFlushOptions extends FlushBudget {
  asOf: FlushAsOf;
  /** Wake the runtime's own sender (Node: the outbox loop); default none. */
  kick?: () => void;
}

/** The scheduled jobs' flush. */
export function createOutboxFlush(deps: FlushDeps, opts: OutboxFlushOptions): OutboxFlush {
  return { flush: flushWith(deps, opts, opts.asOf), kick: opts.kick ?? (() => undefined) };
}

/**
 * The runtime's Outbox where a background sender sends (Node: the outbox loop, or with SCHEDULER_ENABLED=false the
 * loop of another process): work that queued messages only kicks the loop awake.
 */
export function createLoopOutboxFlush(deps: FlushDeps, loop: OutboxLoop | undefined, budget: FlushBudget = {}): Outbox {
  const kick = () => loop?.kick();
  return { flush: flushWith(deps, budget, 'pass'), kick, sendQueued: async () => kick(), background: true };
}

/**
 * The runtime's Outbox where nothing sends in the background (Workers, tests, the CLI sandbox): the work that queued
 * a message drains the outbox itself (on Workers inside ctx.waitUntil); the every-minute trigger sends the rest.
 */
export function createInlineOutboxFlush(deps: FlushDeps, budget: FlushBudget = {}): Outbox {
  return {
    flush: flushWith(deps, budget, 'pass'),
    kick() {},
    async sendQueued(now) {
      await drainOutbox(deps, { maxMs: 10_000, ...(now !== undefined ? { now } : {}) });
    },
    background: false,
  };
}
