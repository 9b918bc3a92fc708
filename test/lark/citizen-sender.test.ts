// The outbound half of being a good Feishu citizen, through the app and the real SDK against the fake Feishu:
// a slow card callback answered in time then updated by token, 230011 falling back to a plain send, a stale
// token renewed once, rate limits as Feishu states them, and the bounded outbox and inbox.
import { afterEach, describe, expect, it } from 'vitest';
import { asc, eq } from 'drizzle-orm';
import { createApp } from '../../src/app.js';
import { enqueueOutbox, OUTBOX_SENT_PAYLOAD_RETENTION_MS, OUTBOX_SENT_RETENTION_MS, PRUNED_CONTENT } from '../../src/db/outbox-store.js';
import { assignments, inboundEvents, outbox, progressReports } from '../../src/db/schema.js';
import { processPendingInbound } from '../../src/lark/inbox.js';
import { INBOUND_RETENTION_MS, recordInboundEvent } from '../../src/db/inbox-store.js';
import { createLarkMessenger } from '../../src/lark/messenger.js';
import { createRateLimiter } from '../../src/lark/rate-limiter.js';
import { drainOutbox, rateKeyOf } from '../../src/lark/sender.js';
import { lookupSentMessage } from '../../src/db/sent-messages.js';
import { MIN_INBOUND_RETENTION_MS } from '../../src/lark/verify.js';
import { createTestDeps, type TestDeps } from '../helpers/deps.js';
import { ENV, seedFixture } from '../helpers/command-fixture.js';
import { cardActionEvent, messageEvent, postLarkEvent } from '../helpers/lark-events.js';
import { startFakeLark, type FakeLark } from '../fake-lark/server.js';

const TOKEN = 'cs_token';
const KEY = 'cs_key';
let deps: TestDeps | undefined;
let fake: FakeLark | undefined;
afterEach(async () => {
  await deps?.settle();
  deps?.close();
  deps = undefined;
  await fake?.close();
  fake = undefined;
});

async function online(now = Date.now()) {
  fake = await startFakeLark();
  const env = { LARK_APP_ID: 'cli_fake_app', LARK_APP_SECRET: 'fake_secret', LARK_BASE_URL: fake.url };
  deps = createTestDeps({ ...env, LARK_VERIFICATION_TOKEN: TOKEN, LARK_ENCRYPT_KEY: KEY }, now, createLarkMessenger(env, { timeoutMs: 2000 }));
  return { fake, deps };
}

describe('a card callback slower than Feishu allows', () => {
  it('is answered in time with 处理中, and the computed card is then applied with the callback token', async () => {
    const { fake, deps } = await online();
    const fx = await seedFixture(deps.db);
    deps.cardAnswerMs = 50;
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    deps.slowCardStep = () => slow;
    const app = createApp(deps);
    const res = await postLarkEvent(app, '/lark/cards', cardActionEvent({ token: TOKEN, operatorOpenId: ENV, value: { a: 'same', asg: fx.asg.t411env } }), { encryptKey: KEY });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { toast?: { content: string }; card?: unknown };
    expect(body.toast?.content).toContain('处理中');
    expect(body.card).toBeUndefined();
    // Answered before the work ran: nothing recorded or updated yet.
    expect(await deps.db.select().from(progressReports)).toHaveLength(0);
    const answeredAt = Date.now();
    release();
    await deps.settle();
    expect(await deps.db.select().from(progressReports)).toHaveLength(1);
    expect(fake.cardUpdates).toHaveLength(1);
    const u = fake.cardUpdates[0]!;
    expect(u.token).toBe('c-card-update-token');
    expect(u.card.schema).toBe('2.0');
    expect(JSON.stringify(u.card)).toContain('本期无变化');
    expect(u.at).toBeGreaterThanOrEqual(answeredAt);
    const req = fake.requests.find((r) => r.path === '/open-apis/interactive/v1/card/update')!;
    expect(req.headers.authorization).toMatch(/^Bearer t-fake-/);
  });

  it('a quick one is answered with its card directly and no delayed update', async () => {
    const { fake, deps } = await online();
    const fx = await seedFixture(deps.db);
    const app = createApp(deps);
    const res = await postLarkEvent(app, '/lark/cards', cardActionEvent({ token: TOKEN, operatorOpenId: ENV, value: { a: 'same', asg: fx.asg.t411env } }), { encryptKey: KEY });
    const body = (await res.json()) as { toast?: { type: string }; card?: { type: string } };
    expect(body.toast?.type).toBe('success');
    expect(body.card?.type).toBe('raw');
    await deps.settle();
    expect(fake.cardUpdates).toHaveLength(0);
  });
});

describe('a recall that overtakes its message', () => {
  it('waits for the message to be processed, then withdraws the report it made', async () => {
    const { deps } = await online();
    const fx = await seedFixture(deps.db);
    const now = deps.clock();
    const ev = messageEvent({ token: TOKEN, senderOpenId: ENV, messageId: 'om_overtaken', text: '进度 4.1.1 60%' });
    const header = ev.header as { event_id: string; event_type: string };
    // Acknowledged, not yet processed (e.g. waiting behind a full work queue).
    expect(await recordInboundEvent(deps.db, { eventId: header.event_id, eventType: header.event_type, messageId: 'om_overtaken', payload: ev }, now)).toBe(true);
    const recall = {
      schema: '2.0',
      header: { event_id: 'ev_recall_early', event_type: 'im.message.recalled_v1', create_time: String(now), token: TOKEN },
      event: { message_id: 'om_overtaken', chat_id: 'oc_chat', recall_time: String(now), recall_type: 'message_owner' },
    };
    expect((await postLarkEvent(createApp(deps), '/lark/events', recall, { encryptKey: KEY })).status).toBe(200);
    await deps.settle();
    expect((await deps.db.select().from(inboundEvents).where(eq(inboundEvents.key, 'event:ev_recall_early')))[0]!.status).toBe('pending');
    // The sweep processes the message first (the recall waits out its retry delay), then the recall.
    await processPendingInbound(deps, now);
    expect((await deps.db.select().from(assignments).where(eq(assignments.id, fx.asg.t411env)))[0]!.percent).toBe(60);
    await processPendingInbound(deps, now + 6_000);
    expect((await deps.db.select().from(assignments).where(eq(assignments.id, fx.asg.t411env)))[0]).toMatchObject({ percent: 0, state: 'not_started' });
    expect((await deps.db.select().from(progressReports))[0]!.withdrawnAt).not.toBeNull();
  });
});

describe('send errors', () => {
  it('230011 on a reply (the message was recalled) falls back to a plain send to the chat', async () => {
    const { fake, deps } = await online();
    await enqueueOutbox(
      deps.db,
      [{ dedupeKey: 'reply:om_gone', op: 'reply', targetMessageId: 'om_gone', receiveIdType: 'chat_id', receiveId: 'oc_group', msgType: 'text', content: { text: '已记录' }, purpose: 'reply' }],
      deps.clock(),
    );
    fake.failNext(230011);
    expect((await drainOutbox(deps)).sent).toBe(1);
    expect(fake.messages).toHaveLength(1);
    expect(fake.messages[0]).toMatchObject({ op: 'send', chat_id: 'oc_group', receive_id_type: 'chat_id' });
    expect((await deps.db.select().from(outbox))[0]).toMatchObject({ status: 'sent', messageId: fake.messages[0]!.message_id });
  });

  it('a token error gets a new token and one retry', async () => {
    const { fake, deps } = await online();
    await enqueueOutbox(deps.db, [{ dedupeKey: 'n1', receiveIdType: 'open_id', receiveId: 'ou_a', msgType: 'text', content: { text: 'x' }, purpose: 'notice' }], deps.clock());
    fake.failNext(99991663);
    expect((await drainOutbox(deps)).sent).toBe(1);
    expect(fake.requests.filter((r) => r.path.endsWith('/tenant_access_token/internal'))).toHaveLength(2);
    // Twice in a row: one retry only, then the row waits for the next drain.
    await enqueueOutbox(deps.db, [{ dedupeKey: 'n2', receiveIdType: 'open_id', receiveId: 'ou_a', msgType: 'text', content: { text: 'y' }, purpose: 'notice' }], deps.clock());
    fake.failNext(99991668, 2);
    expect(await drainOutbox(deps)).toMatchObject({ sent: 0, retried: 1 });
  });
});

describe('rate limits as Feishu states them', () => {
  it('1,000 a minute per app as well as 50 a second', () => {
    let t = 0;
    const l = createRateLimiter({ now: () => t });
    // 50 a second for 20 s: 1,000 sends, every one allowed by the second window.
    for (let i = 0; i < 1000; i++) {
      t = Math.floor(i / 50) * 1100;
      expect(l.waitFor(`open_id:ou_${i}`)).toBe(0);
      l.record(`open_id:ou_${i}`);
    }
    t += 1100;
    // The 1,001st within the minute waits for the first to leave the minute window.
    const wait = l.waitFor('open_id:ou_new');
    expect(wait).toBeGreaterThan(30_000);
    t += wait;
    expect(l.waitFor('open_id:ou_new')).toBe(0);
  });

  it('a reply counts against its chat, and a person\'s direct messages share one key', async () => {
    const { deps } = await online();
    await seedFixture(deps.db);
    const app = createApp(deps);
    await postLarkEvent(app, '/lark/events', messageEvent({ token: TOKEN, senderOpenId: ENV, messageId: 'om_g', chatType: 'group', chatId: 'oc_g', text: '帮助' }), { encryptKey: KEY });
    await postLarkEvent(app, '/lark/events', messageEvent({ token: TOKEN, senderOpenId: ENV, messageId: 'om_p', chatType: 'p2p', chatId: 'oc_p2p_env', text: '帮助' }), { encryptKey: KEY });
    await deps.settle();
    const rows = await deps.db.select().from(outbox).orderBy(asc(outbox.id));
    const group = rows.find((r) => r.targetMessageId === 'om_g')!;
    const p2p = rows.find((r) => r.targetMessageId === 'om_p')!;
    expect(rateKeyOf(group)).toBe(rateKeyOf({ ...group, op: 'send', receiveIdType: 'chat_id', receiveId: 'oc_g', targetMessageId: null }));
    expect(rateKeyOf(p2p)).toBe(`open_id:${ENV}`);
  });
});

describe('rate limits against the fake Feishu', () => {
  it('sends and replies to one chat together stay under its 5/s: nothing is refused', async () => {
    const { fake, deps } = await online();
    await enqueueOutbox(deps.db, [{ dedupeKey: 'first', receiveIdType: 'chat_id', receiveId: 'oc_busy', msgType: 'text', content: { text: '0' }, purpose: 'notice' }], deps.clock());
    const limiter = createRateLimiter();
    await drainOutbox(deps, { limiter });
    const parent = fake.messages[0]!.message_id;
    const msgs = Array.from({ length: 8 }, (_, i) => [
      { dedupeKey: `s${i}`, receiveIdType: 'chat_id' as const, receiveId: 'oc_busy', msgType: 'text' as const, content: { text: `s${i}` }, purpose: 'notice' as const },
      { dedupeKey: `r${i}`, op: 'reply' as const, targetMessageId: parent, receiveIdType: 'chat_id' as const, receiveId: 'oc_busy', msgType: 'text' as const, content: { text: `r${i}` }, purpose: 'reply' as const },
    ]).flat();
    await enqueueOutbox(deps.db, msgs, deps.clock());
    for (let i = 0; i < 10 && fake.messages.length < 17; i++) {
      // The database clock moves with real time here (rows put back behind the limiter are due again later).
      await drainOutbox(deps, { limiter, now: deps.clock() + i * 1000 });
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(fake.messages).toHaveLength(17);
    expect(fake.rateLimitRejections()).toBe(0);
  });
});

describe('retention', () => {
  it('sent rows lose their payload after 30 days and go after 180; the reply lookup survives the first; inbound rows go after the retention', async () => {
    const { deps } = await online();
    const now = Date.parse('2023-01-01T00:00:00Z');
    const rows = [
      { key: 'fresh', sentAt: now - 1000 },
      { key: 'old', sentAt: now - OUTBOX_SENT_PAYLOAD_RETENTION_MS - 3600_000 },
      { key: 'ancient', sentAt: now - OUTBOX_SENT_RETENTION_MS - 3600_000 },
    ];
    for (const r of rows)
      await deps.db.insert(outbox).values({
        dedupeKey: r.key, uuid: r.key, op: 'send', receiveIdType: 'open_id', receiveId: 'ou_a', msgType: 'text', content: '{"text":"hello"}',
        purpose: 'reminder', assignmentId: 7, status: 'sent', messageId: `om_${r.key}`, sentAt: r.sentAt, createdAt: r.sentAt, nextAttemptAt: r.sentAt,
      });
    await deps.db.insert(outbox).values({
      dedupeKey: 'failed', uuid: 'f', op: 'send', receiveIdType: 'open_id', receiveId: 'ou_a', msgType: 'text', content: '{"text":"x"}',
      purpose: 'notice', status: 'failed', createdAt: now - OUTBOX_SENT_RETENTION_MS * 2, nextAttemptAt: 0,
    });
    await deps.db.insert(inboundEvents).values([
      { key: 'event:old', eventType: 'x', receivedAt: now - INBOUND_RETENTION_MS - 1, status: 'done' },
      { key: 'event:recent', eventType: 'x', receivedAt: now - 24 * 3600_000, status: 'done' },
      { key: 'event:stuck', eventType: 'x', receivedAt: now - INBOUND_RETENTION_MS * 2, status: 'pending', claimedUntil: now + 3600_000 },
    ]);
    await processPendingInbound(deps, now);
    const left = new Map((await deps.db.select().from(outbox)).map((r) => [r.dedupeKey, r]));
    expect(left.get('fresh')!.content).toBe('{"text":"hello"}');
    expect(left.get('old')!.content).toBe(PRUNED_CONTENT);
    expect(left.has('ancient')).toBe(false);
    // Nothing undelivered disappears.
    expect(left.get('failed')!.status).toBe('failed');
    expect(await lookupSentMessage(deps.db, 'om_old')).toMatchObject({ assignmentId: 7 });
    const inbound = (await deps.db.select().from(inboundEvents)).map((r) => r.key).sort();
    expect(inbound).toEqual(['event:recent', 'event:stuck']);
    expect(INBOUND_RETENTION_MS).toBeGreaterThanOrEqual(Math.max(24 * 3600_000, MIN_INBOUND_RETENTION_MS));
    await deps.db.delete(inboundEvents).where(eq(inboundEvents.key, 'event:stuck'));
  });
});
