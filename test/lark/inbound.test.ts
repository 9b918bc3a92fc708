import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { inboundEvents, outbox } from '../../src/db/schema.js';
import { processPendingInbound } from '../../src/lark/inbox.js';
import { UNSUPPORTED_REPLY } from '../../src/commands/inbound.js';
import { recordInboundEvent } from '../../src/db/inbox-store.js';
import { createLarkMessenger } from '../../src/lark/messenger.js';
import { createRecordingMessenger, createTestDeps, type RecordingMessenger, type TestDeps } from '../helpers/deps.js';
import { buildLarkRequest, cardActionEvent, encryptForLark, messageEvent, postLarkEvent, signForLark, urlVerification } from '../helpers/lark-events.js';
import { startFakeLark, type FakeLark } from '../fake-lark/server.js';

const TOKEN = 'vtoken_123';
const KEY = 'encrypt_key_456';

let deps: TestDeps | undefined;
let fake: FakeLark | undefined;
afterEach(async () => {
  deps?.close();
  deps = undefined;
  await fake?.close();
  fake = undefined;
});

function setup(env: Record<string, string> = { LARK_VERIFICATION_TOKEN: TOKEN, LARK_ENCRYPT_KEY: KEY }) {
  const lines: string[] = [];
  const messenger = createRecordingMessenger();
  deps = createTestDeps(env, Date.now(), messenger);
  deps.logger = createLogger('warn', (l) => lines.push(l));
  const app = createApp(deps);
  return { app, deps, lines, messenger: messenger as RecordingMessenger };
}

async function counts(d: TestDeps) {
  const [a] = await d.db.select({ n: sql<number>`count(*)` }).from(inboundEvents);
  const [b] = await d.db.select({ n: sql<number>`count(*)` }).from(outbox);
  return { inbound: a!.n, outbox: b!.n };
}

describe('URL check', () => {
  for (const path of ['/lark/events', '/lark/cards'] as const) {
    it(`answers the plain challenge on ${path}`, async () => {
      const { app } = setup({ LARK_VERIFICATION_TOKEN: TOKEN });
      const res = await postLarkEvent(app, path, urlVerification(TOKEN, 'abc'));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ challenge: 'abc' });
    });

    it(`answers the encrypted challenge on ${path}, unsigned as Feishu sends it`, async () => {
      const { app } = setup();
      const res = await postLarkEvent(app, path, urlVerification(TOKEN, 'xyz'), { encryptKey: KEY, sign: false });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ challenge: 'xyz' });
    });

    it(`refuses a challenge with the wrong token on ${path}`, async () => {
      const { app } = setup({ LARK_VERIFICATION_TOKEN: TOKEN });
      const res = await postLarkEvent(app, path, urlVerification('wrong', 'abc'));
      expect(res.status).toBe(401);
    });
  }
});

describe('verification of events', () => {
  it('accepts a correctly signed encrypted event, processes it once and replies', async () => {
    const { app, deps, messenger } = setup();
    const res = await postLarkEvent(app, '/lark/events', messageEvent({ token: TOKEN, messageId: 'om_a1', text: '你好' }), { encryptKey: KEY });
    expect(res.status).toBe(200);
    await deps.settle();
    const rows = await deps.db.select().from(inboundEvents);
    expect(rows.find((r) => r.key.startsWith('event:'))?.status).toBe('done');
    expect(rows.find((r) => r.key === 'message:om_a1')).toBeDefined();
    // The placeholder command layer replies to every message; the reply went out through the messenger.
    expect(messenger.delivered.map((r) => [r.op, r.targetMessageId])).toEqual([['reply', 'om_a1']]);
    const [sent] = await deps.db.select().from(outbox);
    expect(sent?.status).toBe('sent');
    expect(sent?.messageId).toBe('om_fake_1');
    // The verification token is not kept in the stored payload.
    expect(rows.find((r) => r.key.startsWith('event:'))?.payload).not.toContain(TOKEN);
  });

  const rejections: Array<{ name: string; status: number; setting?: RegExp; build: () => { body: string; headers: Record<string, string> } }> = [
    {
      name: 'a wrong signature',
      status: 401,
      setting: /LARK_ENCRYPT_KEY/,
      build: () => buildLarkRequest(messageEvent({ token: TOKEN }), { encryptKey: KEY, signature: 'ab'.repeat(32) }),
    },
    {
      name: 'a signature made with another key',
      status: 401,
      setting: /LARK_ENCRYPT_KEY/,
      build: () => {
        const ts = String(Math.floor(Date.now() / 1000));
        const body = JSON.stringify({ encrypt: encryptForLark('other key', JSON.stringify(messageEvent({ token: TOKEN }))) });
        return { body, headers: { 'x-lark-request-timestamp': ts, 'x-lark-request-nonce': 'n', 'x-lark-signature': signForLark(ts, 'n', 'other key', body) } };
      },
    },
    { name: 'an unsigned event', status: 401, setting: /LARK_ENCRYPT_KEY/, build: () => buildLarkRequest(messageEvent({ token: TOKEN }), { encryptKey: KEY, sign: false }) },
    { name: 'a wrong verification token', status: 401, setting: /LARK_VERIFICATION_TOKEN/, build: () => buildLarkRequest(messageEvent({ token: 'nope' }), { encryptKey: KEY }) },
    {
      name: 'a stale timestamp',
      status: 401,
      setting: /LARK_TIMESTAMP_TOLERANCE_SECONDS/,
      build: () => buildLarkRequest(messageEvent({ token: TOKEN }), { encryptKey: KEY, timestamp: String(Math.floor(Date.now() / 1000) - 13 * 3600) }),
    },
    {
      name: 'a truncated ciphertext (correctly signed)',
      status: 400,
      build: () => {
        const enc = encryptForLark(KEY, JSON.stringify(messageEvent({ token: TOKEN })));
        const body = JSON.stringify({ encrypt: enc.slice(0, enc.length - 24) });
        const ts = String(Math.floor(Date.now() / 1000));
        return { body, headers: { 'x-lark-request-timestamp': ts, 'x-lark-request-nonce': 'n', 'x-lark-signature': signForLark(ts, 'n', KEY, body) } };
      },
    },
    { name: 'a non-JSON body (correctly signed)', status: 400, build: () => buildLarkRequest('this is {not json', { encryptKey: KEY }) },
    {
      name: 'a valid envelope that is not an event',
      status: 400,
      build: () => buildLarkRequest({ schema: '2.0', header: { token: TOKEN }, event: {} }, { encryptKey: KEY }),
    },
  ];

  for (const r of rejections) {
    it(`rejects ${r.name} with ${r.status} and touches nothing`, async () => {
      const { app, deps, lines, messenger } = setup();
      const { body, headers } = r.build();
      const res = await app.request('/lark/events', { method: 'POST', body, headers });
      expect(res.status).toBe(r.status);
      await deps.settle();
      expect(await counts(deps)).toEqual({ inbound: 0, outbox: 0 });
      expect(messenger.delivered).toHaveLength(0);
      expect(lines.length).toBeGreaterThan(0);
      if (r.setting) expect(lines.join('\n')).toMatch(r.setting);
    });
  }

  it('without an Encrypt Key: checks the token only, and refuses encrypted bodies', async () => {
    const { app, deps } = setup({ LARK_VERIFICATION_TOKEN: TOKEN });
    expect((await postLarkEvent(app, '/lark/events', messageEvent({ token: TOKEN }))).status).toBe(200);
    expect((await postLarkEvent(app, '/lark/events', messageEvent({ token: 'bad' }))).status).toBe(401);
    expect((await postLarkEvent(app, '/lark/events', messageEvent({ token: TOKEN }), { encryptKey: 'k' })).status).toBe(401);
    await deps.settle();
  });

  it('with neither setting refuses events (nothing to verify against)', async () => {
    const { app, deps, lines } = setup({});
    expect((await postLarkEvent(app, '/lark/events', messageEvent())).status).toBe(503);
    expect(lines.join('\n')).toMatch(/LARK_VERIFICATION_TOKEN/);
    expect(await counts(deps)).toEqual({ inbound: 0, outbox: 0 });
  });
});

describe('de-duplication and processing', () => {
  it('a re-delivered event (same event_id) produces one effect', async () => {
    const { app, deps, messenger } = setup();
    const ev = messageEvent({ token: TOKEN, eventId: 'ev_dup', messageId: 'om_dup' });
    for (let i = 0; i < 3; i++) {
      const res = await postLarkEvent(app, '/lark/events', ev, { encryptKey: KEY });
      expect(res.status).toBe(200);
    }
    await deps.settle();
    expect(messenger.delivered).toHaveLength(1);
    expect((await counts(deps)).outbox).toBe(1);
  });

  it('a new event_id carrying an already-seen message_id produces no second effect', async () => {
    const { app, deps, messenger } = setup();
    await postLarkEvent(app, '/lark/events', messageEvent({ token: TOKEN, eventId: 'ev_1', messageId: 'om_same' }), { encryptKey: KEY });
    const res = await postLarkEvent(app, '/lark/events', messageEvent({ token: TOKEN, eventId: 'ev_2', messageId: 'om_same' }), { encryptKey: KEY });
    expect(res.status).toBe(200);
    await deps.settle();
    expect(messenger.delivered).toHaveLength(1);
    const rows = await deps.db.select().from(inboundEvents);
    expect(rows.find((r) => r.key === 'event:ev_2')?.status).toBe('duplicate');
    // A crash recovery pass does not resurrect the duplicate.
    expect(await processPendingInbound(deps, deps.clock() + 120_000)).toBe(0);
  });

  it('answers unsupported message types politely, once', async () => {
    const { app, deps, messenger } = setup();
    // Audio (images and files are evidence: test/evidence/).
    const ev = messageEvent({ token: TOKEN, messageType: 'audio', content: { file_key: 'file_a', duration: 2000 }, messageId: 'om_img' });
    await postLarkEvent(app, '/lark/events', ev, { encryptKey: KEY });
    await postLarkEvent(app, '/lark/events', ev, { encryptKey: KEY });
    await deps.settle();
    expect(messenger.delivered).toHaveLength(1);
    expect(JSON.parse(messenger.delivered[0]!.content)).toEqual({ text: UNSUPPORTED_REPLY });
    expect(messenger.delivered[0]!.targetMessageId).toBe('om_img');
  });

  it('acknowledges other event types without processing them', async () => {
    const { app, deps, messenger } = setup();
    const res = await postLarkEvent(
      app,
      '/lark/events',
      { schema: '2.0', header: { event_id: 'ev_other', event_type: 'im.chat.updated_v1', token: TOKEN }, event: { chat_id: 'oc_x' } },
      { encryptKey: KEY },
    );
    expect(res.status).toBe(200);
    await deps.settle();
    expect(messenger.delivered).toHaveLength(0);
    const [row] = await deps.db.select().from(inboundEvents);
    expect(row?.status).toBe('ignored');
  });

  it('recovers an event that was acknowledged but never processed (crash)', async () => {
    const { deps, messenger } = setup();
    const body = messageEvent({ token: TOKEN, eventId: 'ev_crash', messageId: 'om_crash' });
    expect(await recordInboundEvent(deps.db, { eventId: 'ev_crash', eventType: 'im.message.receive_v1', messageId: 'om_crash', payload: body }, deps.clock())).toBe(true);
    expect(messenger.delivered).toHaveLength(0);
    expect(await processPendingInbound(deps, deps.clock())).toBe(1);
    await deps.settle();
    expect(messenger.delivered.map((r) => r.targetMessageId)).toEqual(['om_crash']);
    // A second pass finds nothing more to do.
    expect(await processPendingInbound(deps, deps.clock() + 3600_000)).toBe(0);
    expect(messenger.delivered).toHaveLength(1);
  });

  it('a failing handler leaves the event pending, retried later with backoff', async () => {
    const { app, deps, messenger } = setup();
    const sqlite = (deps.db as unknown as { $client: { exec(s: string): void } }).$client;
    // A database fault while the command layer writes its reply.
    sqlite.exec("CREATE TRIGGER outbox_down BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;");
    expect((await postLarkEvent(app, '/lark/events', messageEvent({ token: TOKEN, eventId: 'ev_f', messageId: 'om_f' }), { encryptKey: KEY })).status).toBe(200);
    await deps.settle();
    let [row] = await deps.db.select().from(inboundEvents).where(sql`key = 'event:ev_f'`);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, error: expect.stringContaining('disk I/O error') });
    // Not yet due: the backoff holds it.
    expect(await processPendingInbound(deps, deps.clock() + 1000)).toBe(0);
    sqlite.exec('DROP TRIGGER outbox_down');
    expect(await processPendingInbound(deps, deps.clock() + 60_000)).toBe(1);
    await deps.settle();
    [row] = await deps.db.select().from(inboundEvents).where(sql`key = 'event:ev_f'`);
    expect(row?.status).toBe('done');
    expect(messenger.delivered.map((r) => r.targetMessageId)).toEqual(['om_f']);
  });

  it('prunes de-dup rows after 7 days, keeping them for at least a day', async () => {
    const { app, deps } = setup();
    await postLarkEvent(app, '/lark/events', messageEvent({ token: TOKEN, eventId: 'ev_old', messageId: 'om_old' }), { encryptKey: KEY });
    await deps.settle();
    await processPendingInbound(deps, deps.clock() + 25 * 3600_000);
    expect((await counts(deps)).inbound).toBe(2);
    await processPendingInbound(deps, deps.clock() + 8 * 24 * 3600_000);
    expect((await counts(deps)).inbound).toBe(0);
  });
});

describe('card callbacks', () => {
  it('answers inline with the handler result, once per event', async () => {
    const { app, deps } = setup();
    const ev = cardActionEvent({ token: TOKEN, eventId: 'ev_card1' });
    const res = await postLarkEvent(app, '/lark/cards', ev, { encryptKey: KEY });
    expect(res.status).toBe(200);
    // The command layer answers; assignment 1 does not exist in this empty database.
    expect(await res.json()).toEqual({ toast: { type: 'error', content: '这项任务已不存在' } });
    const again = await postLarkEvent(app, '/lark/cards', ev, { encryptKey: KEY });
    expect(await again.json()).toEqual({});
    await deps.settle();
    const [row] = await deps.db.select().from(inboundEvents);
    expect(row?.status).toBe('done');
  });
});

describe('acknowledgement never waits on outbound calls', () => {
  it('answers 200 while the Feishu API is hanging', async () => {
    fake = await startFakeLark();
    const env = { LARK_VERIFICATION_TOKEN: TOKEN, LARK_ENCRYPT_KEY: KEY, LARK_APP_ID: 'cli_fake_app', LARK_APP_SECRET: 'fake_secret', LARK_BASE_URL: fake.url };
    deps = createTestDeps(env, Date.now(), createLarkMessenger({ ...env }, { timeoutMs: 60_000 }));
    let drained = false;
    const defer = deps.defer;
    deps.defer = (w) => defer(w.then(() => (drained = true)));
    const app = createApp(deps);
    fake.failNext('hang', 5);
    const res = await postLarkEvent(app, '/lark/events', messageEvent({ token: TOKEN }), { encryptKey: KEY });
    expect(res.status).toBe(200);
    // The reply call reaches the fake and hangs there; the request above was already answered.
    for (let i = 0; i < 200 && !fake.requests.some((r) => r.status === -1); i++) await new Promise((r) => setTimeout(r, 10));
    expect(fake.requests.some((r) => r.status === -1)).toBe(true);
    expect(drained).toBe(false);
    await fake.close();
    fake = undefined;
  });
});
