import cron from 'node-cron';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { NodeDatabase } from '../../src/db/node.js';
import { outbox } from '../../src/db/schema.js';
import { shanghaiInstant } from '../../src/domain/dates.js';
import { startSchedulerCron } from '../../src/scheduler/cron.js';
import { acquireLease, releaseLease } from '../../src/db/lease-store.js';
import { createTestDatabase } from '../helpers/db.js';
import { bindContacts, seedPlan } from './fixture.js';

let database: NodeDatabase;
beforeEach(async () => {
  database = createTestDatabase();
  await seedPlan(database.db);
  await bindContacts(database.db);
});
afterEach(() => database.close());

describe('scheduler lease', () => {
  it('lets one holder in at a time and frees on expiry or release', async () => {
    const { db } = database;
    expect(await acquireLease(db, 'x', 'a', 1000, 500)).toBe(true);
    expect(await acquireLease(db, 'x', 'b', 1200, 500)).toBe(false);
    expect(await acquireLease(db, 'x', 'a', 1300, 500)).toBe(true); // renew
    expect(await acquireLease(db, 'x', 'b', 1900, 500)).toBe(true); // a's lease ran out at 1800
    await releaseLease(db, 'x', 'a'); // not a's any more: no effect
    expect(await acquireLease(db, 'x', 'a', 2000, 500)).toBe(false);
    await releaseLease(db, 'x', 'b');
    expect(await acquireLease(db, 'x', 'a', 2000, 500)).toBe(true);
  });
});

describe('scheduler runtime', () => {
  it('runs a guarded pass, delivers what it queued, and skips while another process holds the lease', async () => {
    const now = shanghaiInstant('2022-06-16', '09:30');
    const delivered: number[] = [];
    let kicks = 0;
    const deps = {
      db: database.db, config: parseConfig({}), clock: () => now,
      outbox: {
        flush: async (t: number) => { delivered.push(t); return { sent: 8, failed: 0, retried: 0, rateLimited: 0 }; },
        kick: () => { kicks++; },
      },
    };
    const one = startSchedulerCron(deps, { schedule: false, holder: 'one', jobs: ['pass', 'send'] });
    const two = startSchedulerCron(deps, { schedule: false, holder: 'two', jobs: ['pass', 'send'] });
    await acquireLease(database.db, 'scheduler', 'two', now, 60_000);
    expect(await one.runOnce()).toBeNull();
    await releaseLease(database.db, 'scheduler', 'two');
    const r = await one.runOnce();
    expect(r!.outboxIds.length).toBe((await database.db.select().from(outbox)).length);
    expect(r!.delivered).toEqual({ sent: 8, failed: 0, retried: 0, rateLimited: 0 });
    expect(delivered).toEqual([now]);
    expect(kicks).toBe(1); // the pass queued messages: the runtime's sender is woken too
    expect((await two.runOnce())!.queued).toHaveLength(0); // lease released after the pass; nothing left to do
    expect(delivered).toEqual([now]); // nothing queued: nothing flushed
    expect(kicks).toBe(1);
    await one.stop();
    await two.stop();
  });
  it('schedules with node-cron and stops cleanly', async () => {
    const names = () => [...cron.getTasks().values()].map((t) => t.name);
    const outbox = { flush: async () => ({ sent: 0, failed: 0, retried: 0, rateLimited: 0 }), kick: () => undefined };
    const rt = startSchedulerCron({ db: database.db, config: parseConfig({}), clock: () => Date.now(), outbox });
    expect(names()).toContain('duban-scheduler');
    await rt.stop();
    expect(names()).not.toContain('duban-scheduler');
  });
});
