// The Node service's intake: events grouped into one commit per turn, recorded already claimed by the process that
// took them, the reply and the "done" mark committed together, and a full work queue leaving events to the sweep.
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createApp } from '../../src/app.js';
import { inboundEvents, outbox } from '../../src/db/schema.js';
import { processPendingInbound, runInboundEvent, runOwnedInbound } from '../../src/lark/inbox.js';
import { claimPendingInbound, createInboundRecorder, recordInboundEvents, recordInboundEvent, OWNED_CLAIM_MS } from '../../src/db/inbox-store.js';
import { createRecordingMessenger, createTestDeps, type RecordingMessenger, type TestDeps } from '../helpers/deps.js';
import { messageEvent, postLarkEvent } from '../helpers/lark-events.js';

const TOKEN = 'vtoken_123';
const KEY = 'encrypt_key_456';
const TYPE = 'im.message.receive_v1';

let deps: TestDeps | undefined;
afterEach(() => {
  deps?.close();
  deps = undefined;
});

function setup() {
  const messenger = createRecordingMessenger();
  deps = createTestDeps({ LARK_VERIFICATION_TOKEN: TOKEN, LARK_ENCRYPT_KEY: KEY }, Date.now(), messenger);
  return { deps, messenger: messenger as RecordingMessenger };
}

const sqliteOf = (d: TestDeps) => (d.db as unknown as { $client: { exec(s: string): void } }).$client;
const rowsByKey = async (d: TestDeps) => new Map((await d.db.select().from(inboundEvents)).map((r) => [r.key, r]));
const ev = (id: string, messageId: string, extra: Record<string, unknown> = {}) => ({
  eventId: id,
  eventType: TYPE,
  messageId,
  payload: messageEvent({ token: TOKEN, eventId: id, messageId, text: '帮助' }),
  ...extra,
});

describe('recordInboundEvents (group commit)', () => {
  it('answers like recordInboundEvent, event by event, in one statement', async () => {
    const { deps } = setup();
    const now = deps.clock();
    expect(await recordInboundEvent(deps.db, ev('e0', 'om_0'), now)).toBe(true);
    const fresh = await recordInboundEvents(deps.db, [
      { ev: ev('e1', 'om_1', { claimUntil: now + 1000 }), now },
      { ev: ev('e0', 'om_x'), now }, // event seen before
      { ev: ev('e2', 'om_0'), now }, // message seen before, new event id
      { ev: ev('e3', 'om_3'), now },
      { ev: ev('e4', 'om_3'), now }, // the same message twice in one group: the first wins
      { ev: { eventId: 'e5', eventType: 'im.chat.member.bot.added_v1', payload: { header: { token: TOKEN } }, status: 'ignored' }, now },
    ]);
    expect(fresh).toEqual([true, false, false, true, false, true]);
    const rows = await rowsByKey(deps);
    expect(rows.get('event:e1')).toMatchObject({ status: 'pending', attempts: 1, claimedUntil: now + 1000 });
    expect(rows.get('event:e3')).toMatchObject({ status: 'pending', attempts: 0, claimedUntil: null });
    expect(rows.get('event:e2')?.status).toBe('duplicate');
    expect(rows.get('event:e4')?.status).toBe('duplicate');
    expect(rows.get('event:e5')?.status).toBe('ignored');
    expect(rows.get('message:om_3')?.payload).toBe('event:e3');
    // The token is not kept.
    expect(rows.get('event:e1')?.payload).not.toContain(TOKEN);
  });

  it('the recorder groups what arrives in one turn; a failed write fails every caller and stores nothing', async () => {
    const { deps } = setup();
    const record = createInboundRecorder(deps.db);
    const now = deps.clock();
    expect(await Promise.all([record(ev('g1', 'om_g1'), now), record(ev('g2', 'om_g2'), now), record(ev('g1', 'om_g1'), now)])).toEqual([
      true,
      true,
      false,
    ]);
    sqliteOf(deps).exec("CREATE TRIGGER inbox_down BEFORE INSERT ON inbound_events BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;");
    const results = await Promise.allSettled([record(ev('g3', 'om_g3'), now), record(ev('g4', 'om_g4'), now)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect([...(await rowsByKey(deps)).keys()].sort()).toEqual(['event:g1', 'event:g2', 'message:om_g1', 'message:om_g2']);
  });
});

describe('claimPendingInbound', () => {
  it('claims the oldest unheld pending events in one go, and never the same event twice', async () => {
    const { deps } = setup();
    const now = deps.clock();
    await recordInboundEvent(deps.db, ev('p2', 'om_p2'), now + 2);
    await recordInboundEvent(deps.db, ev('p1', 'om_p1'), now + 1);
    await recordInboundEvent(deps.db, ev('held', 'om_held', { claimUntil: now + OWNED_CLAIM_MS }), now);
    await recordInboundEvent(deps.db, ev('p3', 'om_p3'), now + 3);
    const first = await claimPendingInbound(deps.db, now + 10, 2);
    expect(first.map((r) => [r.key, r.attempts])).toEqual([
      ['event:p1', 1],
      ['event:p2', 1],
    ]);
    expect((await claimPendingInbound(deps.db, now + 10, 10)).map((r) => r.key)).toEqual(['event:p3']);
    expect(await claimPendingInbound(deps.db, now + 10, 10)).toEqual([]);
    // Once the claims run out, the held one and the unfinished ones come back.
    expect((await claimPendingInbound(deps.db, now + OWNED_CLAIM_MS + 100_000, 10)).map((r) => r.key).sort()).toEqual(
      ['event:held', 'event:p1', 'event:p2', 'event:p3'],
    );
  });
});

describe('events recorded already claimed', () => {
  it('a claimed event is processed once, the reply and the done mark in one commit, with no second claim', async () => {
    const { deps } = setup();
    const app = createApp(deps);
    const res = await postLarkEvent(app, '/lark/events', messageEvent({ token: TOKEN, eventId: 'ev_m', messageId: 'om_m', text: '帮助' }), {
      encryptKey: KEY,
    });
    expect(res.status).toBe(200);
    await deps.settle();
    const row = (await rowsByKey(deps)).get('event:ev_m');
    expect(row).toMatchObject({ status: 'done', attempts: 1, claimedUntil: null, error: null });
    const replies = await deps.db.select().from(outbox);
    expect(replies.map((r) => r.dedupeKey)).toEqual(['reply:om_m']);
    // The sweep finds nothing left.
    expect(await processPendingInbound(deps, deps.clock() + OWNED_CLAIM_MS + 1)).toBe(0);
  });

  it('if the reply cannot be written, the event is not marked done and the sweep retries it', async () => {
    const { deps, messenger } = setup();
    const now = deps.clock();
    const e = ev('ev_r', 'om_r', { claimUntil: now + OWNED_CLAIM_MS });
    expect(await recordInboundEvent(deps.db, e, now)).toBe(true);
    sqliteOf(deps).exec("CREATE TRIGGER outbox_down BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;");
    expect(await runOwnedInbound(deps, { key: 'event:ev_r', claimedUntil: now + OWNED_CLAIM_MS }, now)).toBe(true);
    expect((await rowsByKey(deps)).get('event:ev_r')).toMatchObject({ status: 'pending', attempts: 1 });
    sqliteOf(deps).exec('DROP TRIGGER outbox_down');
    expect(await processPendingInbound(deps, now + 60_000)).toBe(1);
    await deps.settle();
    expect((await rowsByKey(deps)).get('event:ev_r')).toMatchObject({ status: 'done', attempts: 2 });
    expect(messenger.delivered.map((m) => m.targetMessageId)).toEqual(['om_r']);
  });

  it('an event whose claim ran out while it waited is not processed twice when another process took it', async () => {
    const { deps } = setup();
    const now = deps.clock();
    const claimedUntil = now + OWNED_CLAIM_MS;
    const e = ev('ev_l', 'om_l', { claimUntil: claimedUntil });
    expect(await recordInboundEvent(deps.db, e, now)).toBe(true);
    // Another process's sweep, after the claim lapsed, takes and processes it.
    expect(await runInboundEvent(deps, 'event:ev_l', claimedUntil + 1)).toBe(true);
    // This process finally gets to it: it sees the claim is no longer its own.
    expect(await runOwnedInbound(deps, { key: 'event:ev_l', claimedUntil }, claimedUntil + 2)).toBe(false);
    const replies = await deps.db.select().from(outbox);
    expect(replies).toHaveLength(1);
  });

  it('late but unclaimed by anyone else: claims it again and processes it', async () => {
    const { deps } = setup();
    const now = deps.clock();
    const claimedUntil = now + OWNED_CLAIM_MS;
    const e = ev('ev_late', 'om_late', { claimUntil: claimedUntil });
    await recordInboundEvent(deps.db, e, now);
    expect(await runOwnedInbound(deps, { key: 'event:ev_late', claimedUntil }, claimedUntil - 1)).toBe(true);
    expect((await rowsByKey(deps)).get('event:ev_late')).toMatchObject({ status: 'done', attempts: 2 });
  });

  it('a full work queue: the event is recorded unclaimed, and the sweep processes it', async () => {
    const { deps } = setup();
    let queued = 0;
    // A work queue that is full: no room, so nothing may be handed to it.
    deps.afterAck = { hasRoom: () => false, take: async () => void queued++, leftPending() {} };
    const app = createApp(deps);
    const res = await postLarkEvent(app, '/lark/events', messageEvent({ token: TOKEN, eventId: 'ev_full', messageId: 'om_full' }), {
      encryptKey: KEY,
    });
    expect(res.status).toBe(200);
    expect(queued).toBe(0);
    expect((await rowsByKey(deps)).get('event:ev_full')).toMatchObject({ status: 'pending', attempts: 0, claimedUntil: null });
    expect(await processPendingInbound(deps, deps.clock(), 20, { prune: false })).toBe(1);
    expect((await rowsByKey(deps)).get('event:ev_full')?.status).toBe('done');
  });

  it('a failed group write answers 500, so Feishu sends the event again', async () => {
    const { deps } = setup();
    deps.recordInbound = createInboundRecorder(deps.db);
    const app = createApp(deps);
    sqliteOf(deps).exec("CREATE TRIGGER inbox_down BEFORE INSERT ON inbound_events BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;");
    const res = await postLarkEvent(app, '/lark/events', messageEvent({ token: TOKEN, eventId: 'ev_500', messageId: 'om_500' }), {
      encryptKey: KEY,
    });
    expect(res.status).toBe(500);
    sqliteOf(deps).exec('DROP TRIGGER inbox_down');
    const again = await postLarkEvent(app, '/lark/events', messageEvent({ token: TOKEN, eventId: 'ev_500', messageId: 'om_500' }), {
      encryptKey: KEY,
    });
    expect(again.status).toBe(200);
    await deps.settle();
    expect((await rowsByKey(deps)).get('event:ev_500')?.status).toBe('done');
    expect(await deps.db.select({ n: sql<number>`count(*)` }).from(outbox)).toEqual([{ n: 1 }]);
  });
});
