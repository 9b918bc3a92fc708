// Node: run work queued after an ack in slices (one task per event-loop turn, a few at a time), so a burst of
// inbound events is acknowledged at once and processed right after, instead of its processing starving the accepts.
// While requests are being taken in, tasks start at most one per `busyGapMs`: acknowledging (the durable, cheap
// half of an event) goes first, and processing still gets a share, then all of the core once the burst is over.
import type { Logger } from '../logger.js';
import type { IntakeGauge } from '../ports.js';

export function createIntakeGauge(): IntakeGauge {
  let active = 0;
  return {
    begin: () => void (active += 1),
    end: () => void (active = Math.max(0, active - 1)),
    busy: () => active > 0,
  };
}

export interface WorkQueue {
  /** Queue a task. Returns false (and drops it) when the queue is full: the caller's durable state covers it. */
  push(task: () => Promise<unknown>): boolean;
  /** How many more tasks push() would take now. */
  room(): number;
  /** Tasks waiting plus running. */
  size(): number;
  /** Resolves when nothing is waiting or running. */
  idle(): Promise<void>;
}

export interface WorkQueueOptions {
  /** Tasks running at once (each may wait on the network). */
  concurrency?: number;
  /** Waiting tasks kept in memory; beyond this, push() refuses. */
  maxWaiting?: number;
  /** Called each time the queue becomes empty with nothing running (it may push more work). */
  onIdle?: () => void;
  /** Requests being taken in: while busy, a task starts at most every `busyGapMs`. */
  intake?: IntakeGauge;
  busyGapMs?: number;
}

export function createWorkQueue(logger: Logger, opts: WorkQueueOptions = {}): WorkQueue {
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const maxWaiting = Math.max(1, opts.maxWaiting ?? 10_000);
  const waiting: Array<() => Promise<unknown>> = [];
  let running = 0;
  let scheduled = false;
  let idleWaiters: Array<() => void> = [];
  const busyGapMs = opts.busyGapMs ?? 10;
  let lastStart = -Infinity;

  const settleIdle = () => {
    if (running > 0 || waiting.length > 0) return;
    opts.onIdle?.();
    if (running > 0 || waiting.length > 0) return;
    const w = idleWaiters;
    idleWaiters = [];
    for (const resolve of w) resolve();
  };

  // One task per turn: setImmediate runs after the poll phase, so pending connections and requests are served
  // between any two tasks.
  const schedule = () => {
    if (scheduled || running >= concurrency || waiting.length === 0) return;
    scheduled = true;
    setImmediate(step);
  };

  function step() {
    scheduled = false;
    if (waiting.length === 0) return settleIdle();
    const now = performance.now();
    if (opts.intake?.busy() && now - lastStart < busyGapMs) {
      scheduled = true;
      // Looked at again every millisecond, so the end of the burst is noticed at once.
      setTimeout(step, 1);
      return;
    }
    lastStart = now;
    const task = waiting.shift()!;
    running += 1;
    let p: Promise<unknown>;
    try {
      p = task();
    } catch (err) {
      p = Promise.reject(err);
    }
    p.catch((err: unknown) => logger.error('background work failed', { error: String((err as Error)?.message ?? err) }))
      .finally(() => {
        running -= 1;
        schedule();
        settleIdle();
      });
    schedule();
  }

  return {
    push(task) {
      if (waiting.length >= maxWaiting) return false;
      waiting.push(task);
      schedule();
      return true;
    },
    room: () => Math.max(0, maxWaiting - waiting.length),
    size: () => waiting.length + running,
    idle() {
      if (running === 0 && waiting.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}
