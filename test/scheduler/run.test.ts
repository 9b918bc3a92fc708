// The one composition of the scheduled jobs (src/scheduler/run.ts): which job runs, in what order, under which
// lease, and when the outbox is flushed or the sender woken. A real database; the flush is a recording fake.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { acquireLease, releaseLease } from '../../src/db/lease-store.js';
import type { NodeDatabase } from '../../src/db/node.js';
import { outbox as outboxTable } from '../../src/db/schema.js';
import { shanghaiInstant } from '../../src/domain/dates.js';
import type { OutboxFlush } from '../../src/ports.js';
import { SCHEDULER_LEASE } from '../../src/scheduler/lease.js';
import { runScheduledJobs, type ScheduledJobsDeps } from '../../src/scheduler/run.js';
import { createTestDatabase } from '../helpers/db.js';
import { bindContacts, registerOfficeChat, seedPlan } from './fixture.js';

const AT = shanghaiInstant('2022-06-16', '09:30');
const NIGHT = shanghaiInstant('2022-06-16', '23:00');

let database: NodeDatabase;
let log: string[];
let deps: ScheduledJobsDeps;

beforeEach(async () => {
  database = createTestDatabase();
  await seedPlan(database.db);
  await bindContacts(database.db);
  await registerOfficeChat(database.db);
  log = [];
  const outbox: OutboxFlush = {
    flush: async (at) => {
      log.push(`flush@${at}`);
      return { sent: 3, failed: 1, retried: 0, rateLimited: 0 };
    },
    kick: () => log.push('kick'),
  };
  deps = {
    db: database.db, config: parseConfig({}), clock: () => AT, outbox, leaseHolder: 'test:1',
    chores: {
      beforePass: async (at) => log.push(`beforePass@${at}`),
      beforeSend: async () => log.push('beforeSend'),
      afterSend: async () => log.push('afterSend'),
    },
  };
});
afterEach(() => database.close());

describe('runScheduledJobs', () => {
  it('pass then send: the pass queues, wakes the sender, then the outbox is flushed at the pass instant', async () => {
    const run = await runScheduledJobs(deps, ['pass', 'send'], AT);
    expect(run.pass!.outboxIds.length).toBeGreaterThan(0);
    expect(run.pass!.outboxIds.length).toBe((await database.db.select().from(outboxTable)).length);
    expect(run.delivered).toEqual({ sent: 3, failed: 1, retried: 0, rateLimited: 0 });
    expect(log).toEqual([`beforePass@${AT}`, 'kick', 'beforeSend', `flush@${AT}`, 'afterSend']);
  });

  it('send alone flushes without a pass (the sender trigger); pass alone never flushes', async () => {
    const send = await runScheduledJobs(deps, ['send'], AT);
    expect(send.pass).toBeNull();
    expect(log).toEqual(['beforeSend', `flush@${AT}`, 'afterSend']);
    log.length = 0;
    const pass = await runScheduledJobs(deps, ['pass'], AT);
    expect(pass.delivered).toBeNull();
    expect(log).toEqual([`beforePass@${AT}`, 'kick']);
  });

  it('skips the pass while another holder has the lease, and frees the lease after its own pass', async () => {
    await acquireLease(database.db, SCHEDULER_LEASE, 'someone-else', AT, 60_000);
    const held = await runScheduledJobs(deps, ['pass', 'send'], AT);
    expect(held.pass).toBeNull();
    expect(await database.db.select().from(outboxTable)).toHaveLength(0);
    expect(held.delivered).not.toBeNull(); // the flush does not depend on the lease
    await releaseLease(database.db, SCHEDULER_LEASE, 'someone-else');
    expect((await runScheduledJobs(deps, ['pass'], AT)).pass!.outboxIds.length).toBeGreaterThan(0);
    expect(await acquireLease(database.db, SCHEDULER_LEASE, 'someone-else', AT, 60_000)).toBe(true);
  });

  it("an operator's run (no lease holder) runs even while the lease is held, as tick always has", async () => {
    await acquireLease(database.db, SCHEDULER_LEASE, 'someone-else', AT, 60_000);
    const run = await runScheduledJobs({ ...deps, leaseHolder: null }, ['pass'], AT);
    expect(run.pass!.outboxIds.length).toBeGreaterThan(0);
  });

  it('sendOnlyQueued: flushes after a pass that queued, not after one that did not; onPass sees the pass first', async () => {
    const seen: number[] = [];
    const onPass = (p: { outboxIds: number[] }) => log.push(`onPass:${p.outboxIds.length > 0}`) && seen.push(p.outboxIds.length);
    const night = await runScheduledJobs(deps, ['pass', 'send'], NIGHT, { sendOnlyQueued: true, onPass });
    expect(night.pass!.skippedReason).toBe('outside_hours');
    expect(night.delivered).toBeNull();
    expect(log).toEqual([`beforePass@${NIGHT}`, 'onPass:false']);
    log.length = 0;
    const day = await runScheduledJobs(deps, ['pass', 'send'], AT, { sendOnlyQueued: true, onPass });
    expect(day.delivered).not.toBeNull();
    expect(log).toEqual([`beforePass@${AT}`, 'onPass:true', 'kick', 'beforeSend', `flush@${AT}`, 'afterSend']);
    expect(seen[1]).toBe(day.pass!.outboxIds.length);
  });
});
