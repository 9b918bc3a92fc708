import { describe, expect, it } from 'vitest';
import { createWorkQueue } from '../../src/lark/work-queue.js';
import type { Logger } from '../../src/logger.js';

function recordingLogger() {
  const errors: string[] = [];
  const logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (msg: string, fields?: Record<string, unknown>) => void errors.push(`${msg} ${JSON.stringify(fields ?? {})}`),
  } as unknown as Logger;
  return { logger, errors };
}

describe('createWorkQueue', () => {
  it('runs every task, in order of arrival, never more than `concurrency` at once', async () => {
    const { logger } = recordingLogger();
    const q = createWorkQueue(logger, { concurrency: 2 });
    const started: number[] = [];
    let running = 0;
    let peak = 0;
    for (let i = 0; i < 10; i++) {
      q.push(async () => {
        started.push(i);
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 1));
        running -= 1;
      });
    }
    await q.idle();
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBe(2);
    expect(q.size()).toBe(0);
  });

  it('does not run a task in the turn it is queued (the ack goes out first)', async () => {
    const { logger } = recordingLogger();
    const q = createWorkQueue(logger);
    let ran = false;
    q.push(async () => void (ran = true));
    await Promise.resolve();
    expect(ran).toBe(false);
    await q.idle();
    expect(ran).toBe(true);
  });

  it('yields to the event loop between two tasks of a burst', async () => {
    const { logger } = recordingLogger();
    const q = createWorkQueue(logger, { concurrency: 1 });
    const order: string[] = [];
    for (let i = 0; i < 3; i++)
      q.push(async () => {
        order.push(`task${i}`);
        // Stands for a request arriving while the burst is processed: it must not wait for the whole burst.
        if (i === 0) setImmediate(() => order.push('io'));
      });
    await q.idle();
    expect(order.indexOf('io')).toBeGreaterThan(-1);
    expect(order.indexOf('io')).toBeLessThan(order.indexOf('task2'));
    expect(order.filter((x) => x.startsWith('task'))).toEqual(['task0', 'task1', 'task2']);
  });

  it('logs a failing task (thrown or rejected) and goes on with the rest', async () => {
    const { logger, errors } = recordingLogger();
    const q = createWorkQueue(logger);
    const done: string[] = [];
    q.push(async () => {
      throw new Error('boom');
    });
    q.push(() => {
      throw new Error('sync boom');
    });
    q.push(async () => void done.push('after'));
    await q.idle();
    expect(done).toEqual(['after']);
    expect(errors.join('\n')).toContain('boom');
    expect(errors.join('\n')).toContain('sync boom');
  });

  it('refuses tasks beyond maxWaiting instead of growing without bound', async () => {
    const { logger } = recordingLogger();
    const q = createWorkQueue(logger, { maxWaiting: 2 });
    const ran: number[] = [];
    expect(q.push(async () => void ran.push(1))).toBe(true);
    expect(q.push(async () => void ran.push(2))).toBe(true);
    expect(q.push(async () => void ran.push(3))).toBe(false);
    await q.idle();
    expect(ran).toEqual([1, 2]);
  });

  it('calls onIdle when it drains, and work pushed from there runs too', async () => {
    const { logger } = recordingLogger();
    const ran: string[] = [];
    let idleCalls = 0;
    const q = createWorkQueue(logger, {
      onIdle: () => {
        idleCalls += 1;
        if (idleCalls === 1) q.push(async () => void ran.push('swept'));
      },
    });
    q.push(async () => void ran.push('first'));
    await q.idle();
    expect(ran).toEqual(['first', 'swept']);
    expect(idleCalls).toBeGreaterThanOrEqual(2);
  });
});

describe('createWorkQueue yielding to intake', () => {
  const turn = () => new Promise<void>((r) => setImmediate(r));

  it('while requests are being taken in, starts one task and holds the rest back for the gap', async () => {
    const { logger } = recordingLogger();
    let busy = true;
    const intake = { begin: () => undefined, end: () => undefined, busy: () => busy };
    const q = createWorkQueue(logger, { intake, busyGapMs: 60_000 });
    const started: number[] = [];
    for (let i = 0; i < 3; i++) q.push(async () => void started.push(i));
    for (let i = 0; i < 5; i++) await turn();
    expect(started).toEqual([0]);
    expect(q.room()).toBeGreaterThan(0);
    // The burst is over: the rest run without waiting out the gap (the queue re-checks every millisecond).
    busy = false;
    await new Promise((r) => setTimeout(r, 20));
    await q.idle();
    expect(started).toEqual([0, 1, 2]);
  });

  it('refuses tasks past maxWaiting and says so before being asked', async () => {
    const { logger } = recordingLogger();
    const q = createWorkQueue(logger, { maxWaiting: 2 });
    expect(q.push(async () => undefined)).toBe(true);
    expect(q.push(async () => undefined)).toBe(true);
    expect(q.room()).toBe(0);
    expect(q.push(async () => undefined)).toBe(false);
    await q.idle();
    expect(q.room()).toBeGreaterThan(0);
  });
});
