import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { leases, outbox } from '../../src/db/schema.js';
import { enqueueOutbox } from '../../src/db/outbox-store.js';
import { createConsoleMessenger, createLarkMessenger } from '../../src/lark/messenger.js';
import { type Messenger } from '../../src/ports.js';
import { createRateLimiter } from '../../src/lark/rate-limiter.js';
import { BACKOFF_CAP_MS, backoffMs, drainOutbox } from '../../src/lark/sender.js';
import { lookupSentMessage } from '../../src/db/sent-messages.js';
import type { OutboundMessage } from '../../src/domain/types.js';
import { renderReminderCard } from '../../src/cards/reminder-card.js';
import { storedCard } from '../../src/cards/stored-card.js';
import { createRecordingMessenger, createTestDeps, type TestDeps } from '../helpers/deps.js';
import { startFakeLark, type FakeLark } from '../fake-lark/server.js';

const T0 = Date.parse('2022-06-16T01:00:00Z');
let deps: TestDeps | undefined;
let fake: FakeLark | undefined;
afterEach(async () => {
  deps?.close();
  deps = undefined;
  await fake?.close();
  fake = undefined;
});

const larkEnv = (url: string) => ({ LARK_APP_ID: 'cli_fake_app', LARK_APP_SECRET: 'fake_secret', LARK_BASE_URL: url });

function toChat(i: number, chat = 'oc_chat1', extra: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    dedupeKey: `test:${chat}:${i}`,
    receiveIdType: 'chat_id',
    receiveId: chat,
    msgType: 'text',
    content: { text: `消息 ${i}` },
    purpose: 'notice',
    ...extra,
  };
}

async function withFake(opts: Parameters<typeof startFakeLark>[0] = {}, messengerOpts: { timeoutMs?: number } = {}) {
  fake = await startFakeLark(opts);
  deps = createTestDeps({}, T0, createLarkMessenger(larkEnv(fake.url), messengerOpts));
  return { fake, deps };
}

const rowsOf = (d: TestDeps) => d.db.select().from(outbox).orderBy(outbox.id);

describe('outbox sender with the real SDK against the fake Feishu', () => {
  it('sends, replies and patches with the row uuid and records the message_id', async () => {
    const { fake, deps } = await withFake();
    await enqueueOutbox(deps.db, [toChat(1, 'oc_chat1', { taskId: 3, assignmentId: 9, msgType: 'interactive', content: { schema: '2.0', header: { title: { tag: 'plain_text', content: '提醒' } }, body: { elements: [] } } })], T0);
    expect(await drainOutbox(deps, { now: T0 })).toEqual({ sent: 1, failed: 0, retried: 0, rateLimited: 0 });
    const [sent] = await rowsOf(deps);
    expect(fake.messages).toHaveLength(1);
    expect(fake.messages[0]).toMatchObject({ chat_id: 'oc_chat1', receive_id_type: 'chat_id', uuid: sent!.uuid, msg_type: 'interactive' });
    expect(sent).toMatchObject({ status: 'sent', messageId: fake.messages[0]!.message_id, sentAt: T0 });
    expect(await lookupSentMessage(deps.db, sent!.messageId!)).toMatchObject({ taskId: 3, assignmentId: 9, purpose: 'notice' });

    await enqueueOutbox(
      deps.db,
      [
        { dedupeKey: 'r1', op: 'reply', targetMessageId: sent!.messageId!, msgType: 'text', content: { text: '已记录' }, purpose: 'reply' },
        { dedupeKey: 'p1', op: 'patch', targetMessageId: sent!.messageId!, msgType: 'interactive', content: { schema: '2.0', body: { elements: [] } }, purpose: 'card_update' },
      ],
      T0,
    );
    expect((await drainOutbox(deps, { now: T0 })).sent).toBe(2);
    expect(fake.messages[1]).toMatchObject({ op: 'reply', parent_id: sent!.messageId, chat_id: 'oc_chat1' });
    expect(fake.patches).toHaveLength(1);
    expect(fake.requests.filter((r) => r.path.endsWith('/tenant_access_token/internal'))).toHaveLength(1);
  });

  it('a send that fails twice with 429 then succeeds is delivered once', async () => {
    const { fake, deps } = await withFake();
    await enqueueOutbox(deps.db, [toChat(1)], T0);
    fake.failNext('rate_limit', 2);
    expect((await drainOutbox(deps, { now: T0 })).rateLimited).toBe(1);
    let [row] = await rowsOf(deps);
    // x-ogw-ratelimit-reset: 1 → not before one second later; not counted as a failed attempt.
    expect(row).toMatchObject({ status: 'pending', nextAttemptAt: T0 + 1000, attempts: 0, errorCode: 99991400 });
    expect((await drainOutbox(deps, { now: T0 + 500 })).rateLimited).toBe(0);
    expect((await drainOutbox(deps, { now: T0 + 1000 })).rateLimited).toBe(1);
    expect((await drainOutbox(deps, { now: T0 + 2000 })).sent).toBe(1);
    [row] = await rowsOf(deps);
    expect(row?.status).toBe('sent');
    expect(fake.messages).toHaveLength(1);
    expect(fake.requests.filter((r) => r.path === '/open-apis/im/v1/messages')).toHaveLength(3);
  });

  it('backs off one receiver on 230020', async () => {
    const { fake, deps } = await withFake();
    await enqueueOutbox(deps.db, [toChat(1)], T0);
    fake.failNext('receiver_limit');
    expect((await drainOutbox(deps, { now: T0 })).rateLimited).toBe(1);
    expect((await rowsOf(deps))[0]).toMatchObject({ status: 'pending', errorCode: 230020 });
    expect((await drainOutbox(deps, { now: T0 + 1000 })).sent).toBe(1);
    expect(fake.messages).toHaveLength(1);
  });

  it('a burst of 200 to one chat respects 5/s and delivers all exactly once (virtual clock shared with the fake)', async () => {
    let t = T0;
    const clock = () => t;
    const limiter = createRateLimiter({ now: clock, sleep: async (ms) => void (t += ms) });
    fake = await startFakeLark({ clock });
    deps = createTestDeps({}, T0, createLarkMessenger(larkEnv(fake.url)));
    deps.clock = clock;
    await enqueueOutbox(deps.db, Array.from({ length: 200 }, (_, i) => toChat(i)), T0);
    const res = await drainOutbox(deps, { limiter, maxMs: 3600_000 });
    expect(res).toEqual({ sent: 200, failed: 0, retried: 0, rateLimited: 0 });
    expect(fake.rateLimitRejections()).toBe(0);
    expect(fake.messages).toHaveLength(200);
    expect(new Set(fake.messages.map((m) => JSON.parse(m.content).text)).size).toBe(200);
    // No one-second window holds more than 5 messages, by the fake's own clock.
    const at = fake.messages.map((m) => m.at);
    for (let i = 5; i < at.length; i++) expect(at[i]! - at[i - 5]!).toBeGreaterThanOrEqual(1000);
    expect(t - T0).toBeGreaterThanOrEqual(39_000);
    const rows = await rowsOf(deps);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
  });

  it('in real time, a short burst to one chat gets no rate-limit rejections', async () => {
    const { fake, deps } = await withFake();
    deps.clock = () => Date.now();
    await enqueueOutbox(deps.db, Array.from({ length: 12 }, (_, i) => toChat(i)), Date.now());
    const res = await drainOutbox(deps);
    expect(res.sent).toBe(12);
    expect(fake.rateLimitRejections()).toBe(0);
    expect(fake.messages).toHaveLength(12);
  });

  it('killed between the API call and recording: the restart re-sends with the same uuid, Feishu posts once', async () => {
    const { fake, deps } = await withFake();
    const real = deps.messenger;
    await enqueueOutbox(deps.db, [toChat(1)], T0);
    // The first process delivers, then dies before recording: its drain never continues.
    const dying: Messenger = { deliver: (row) => real.deliver(row).then(() => new Promise<never>(() => undefined)) };
    void drainOutbox({ ...deps, messenger: dying }, { now: T0 });
    for (let i = 0; i < 200 && fake.messages.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(fake.messages).toHaveLength(1);
    expect((await rowsOf(deps))[0]?.status).toBe('sending');
    // Another sender while the lease holds: takes nothing.
    expect((await drainOutbox(deps, { now: T0 + 10_000 })).sent).toBe(0);
    // After the lease: re-claimed, re-sent with the same uuid, recorded with the original message_id.
    expect((await drainOutbox(deps, { now: T0 + 61_000 })).sent).toBe(1);
    expect(fake.messages).toHaveLength(1);
    const [row] = await rowsOf(deps);
    expect(row).toMatchObject({ status: 'sent', messageId: fake.messages[0]!.message_id });
    expect(fake.requests.filter((r) => r.path === '/open-apis/im/v1/messages' && r.status === 200)).toHaveLength(2);
  });

  it('a stored reminder card sent over an hour after it was due carries the late note on top', async () => {
    const { fake, deps } = await withFake();
    const input = {
      assignmentId: 9, taskCode: '4.1.1', taskTitle: '黑臭水体排查', unitName: '安定区', step: 'due' as const, urgency: 'soon' as const,
      dueDate: '2022-06-16', daysLeft: 0, offset: 0, percent: 20, lastReportAt: null, now: T0,
    };
    await enqueueOutbox(deps.db, [toChat(1, 'oc_chat1', { msgType: 'interactive', content: storedCard('reminder', input), purpose: 'reminder' })], T0);
    // Within the hour: as rendered.
    await enqueueOutbox(deps.db, [toChat(2, 'oc_chat1', { msgType: 'interactive', content: storedCard('reminder', input), purpose: 'reminder' })], T0 + 2 * 3600_000 - 60_000);
    expect((await drainOutbox(deps, { now: T0 + 2 * 3600_000 })).sent).toBe(2);
    const [late, onTime] = fake.messages.map((m) => JSON.parse(m.content) as { body: { elements: Array<{ content?: string }> } });
    expect(late!.body.elements[0]!.content).toContain('本提醒延迟送达，原定 6 月 16 日 09:00');
    expect(late!.body.elements.slice(1)).toEqual((renderReminderCard(input) as { body: { elements: unknown[] } }).body.elements);
    expect(onTime).toEqual(renderReminderCard(input));
  });

  it('renders a card stored as its input when it sends it; one that cannot be rendered fails alone, with a reason', async () => {
    const { fake, deps } = await withFake();
    const input = {
      assignmentId: 9, taskCode: '4.1.1', taskTitle: '黑臭水体排查', unitName: '安定区', step: 'due' as const, urgency: 'soon' as const,
      dueDate: '2022-06-16', daysLeft: 0, offset: 0, percent: 20, lastReportAt: null, now: T0,
    };
    await enqueueOutbox(
      deps.db,
      [
        toChat(1, 'oc_chat1', { msgType: 'interactive', content: storedCard('reminder', input) }),
        toChat(2, 'oc_chat1', { msgType: 'interactive', content: { $card: 'reminder', v: { ...input, taskTitle: undefined } } }),
        toChat(3),
      ],
      T0,
    );
    expect(await drainOutbox(deps, { now: T0 })).toEqual({ sent: 2, failed: 1, retried: 0, rateLimited: 0 });
    expect(fake.messages).toHaveLength(2);
    expect(JSON.parse(fake.messages[0]!.content)).toEqual(renderReminderCard(input));
    const [, broken] = await rowsOf(deps);
    expect(broken).toMatchObject({ status: 'failed' });
    expect(broken!.lastError).toMatch(/^卡片无法生成：.*taskTitle/);
  });

  it('records permanent failures with a reason the office can read', async () => {
    const { fake, deps } = await withFake();
    await enqueueOutbox(deps.db, [toChat(1), toChat(2, 'oc_chat2', { msgType: 'interactive', content: { body: {} } })], T0);
    fake.failNext(230002);
    fake.failNext(230099);
    expect(await drainOutbox(deps, { now: T0 })).toMatchObject({ failed: 2, sent: 0 });
    const rows = await rowsOf(deps);
    expect(rows[0]).toMatchObject({ status: 'failed', errorCode: 230002 });
    expect(rows[0]!.lastError).toContain('机器人不在该群');
    expect(rows[1]).toMatchObject({ status: 'failed', errorCode: 230099 });
    expect(rows[1]!.lastError).toContain('卡片');
    expect(await drainOutbox(deps, { now: T0 + 3600_000 })).toMatchObject({ sent: 0, failed: 0 });
    expect(fake.messages).toHaveLength(0);
  });

  it('retries 5xx, malformed answers and timeouts with backoff, then delivers once', async () => {
    const { fake, deps } = await withFake({}, { timeoutMs: 300 });
    await enqueueOutbox(deps.db, [toChat(1)], T0);
    fake.failNext('server_error');
    fake.failNext('malformed');
    fake.failNext('hang');
    let now = T0;
    for (const expected of [1, 2, 3]) {
      expect((await drainOutbox(deps, { now })).retried).toBe(1);
      const [row] = await rowsOf(deps);
      expect(row).toMatchObject({ status: 'pending', attempts: expected });
      // A whole-Feishu failure (5xx, timeout) holds every send behind the outage breaker, the row keeping its place
      // in the queue; a failure of this row alone (a malformed answer) backs off the row.
      const [breaker] = await deps.db.select().from(leases).where(eq(leases.name, 'outbox-outage'));
      const next = Math.max(row!.nextAttemptAt, breaker?.until ?? 0);
      expect(next).toBeGreaterThan(now);
      expect(await drainOutbox(deps, { now: next - 1 })).toMatchObject({ sent: 0, retried: 0 });
      now = next;
    }
    expect((await drainOutbox(deps, { now })).sent).toBe(1);
    expect(fake.messages).toHaveLength(1);
  });

  it('wrong app credentials: retried, and the reason names the settings to check', async () => {
    fake = await startFakeLark({ appSecret: 'the_real_secret' });
    deps = createTestDeps({}, T0, createLarkMessenger(larkEnv(fake.url)));
    await enqueueOutbox(deps.db, [toChat(1)], T0);
    expect((await drainOutbox(deps, { now: T0 })).retried).toBe(1);
    expect((await rowsOf(deps))[0]!.lastError).toMatch(/LARK_APP_SECRET/);
  });
});

describe('outbox sender logic', () => {
  it('never gives up on transient failures: 40 attempts over a day stay pending, then the row is sent', async () => {
    const m = createRecordingMessenger();
    let down = true;
    m.respond = (row) => (down ? { ok: false, error: { permanent: false, code: 500, reason: '飞书服务暂时不可用' } } : { ok: true, value: `om_${row.id}` });
    deps = createTestDeps({}, T0, m);
    await enqueueOutbox(deps.db, [toChat(1)], T0);
    let now = T0;
    for (let i = 0; i < 40; i++) {
      await drainOutbox(deps, { now });
      now += BACKOFF_CAP_MS * 1.3; // beyond the capped backoff with its jitter
    }
    expect((await rowsOf(deps))[0]).toMatchObject({ status: 'pending', attempts: 40 });
    expect(m.delivered).toHaveLength(40);
    down = false;
    await drainOutbox(deps, { now });
    expect((await rowsOf(deps))[0]).toMatchObject({ status: 'sent', messageId: 'om_1' });
  });

  it('backoff grows exponentially and is capped at 15 minutes', () => {
    expect(backoffMs(1, () => 0.5)).toBe(2000);
    expect(backoffMs(4, () => 0.5)).toBe(16000);
    expect(backoffMs(20, () => 0.5)).toBe(900_000);
    expect(backoffMs(20, () => 1)).toBeLessThanOrEqual(1_125_000);
  });

  it('two concurrent drains never deliver the same row', async () => {
    const m = createRecordingMessenger();
    m.respond = async (row) => {
      await new Promise((r) => setTimeout(r, 1));
      return { ok: true, value: `om_${row.id}` };
    };
    deps = createTestDeps({}, T0, m);
    await enqueueOutbox(deps.db, Array.from({ length: 40 }, (_, i) => toChat(i, `oc_${i % 20}`)), T0);
    const fast = () => createRateLimiter({ appPerSecond: 1e6, perReceiverPerSecond: 1e6 });
    const [a, b] = await Promise.all([drainOutbox(deps, { now: T0, limiter: fast() }), drainOutbox(deps, { now: T0, limiter: fast() })]);
    expect(a.sent + b.sent).toBe(40);
    expect(new Set(m.delivered.map((r) => r.id)).size).toBe(40);
    expect(m.delivered).toHaveLength(40);
  });

  it('leaves rows not yet due alone', async () => {
    deps = createTestDeps();
    await enqueueOutbox(deps.db, [toChat(1, 'oc', { notBefore: T0 + 60_000 })], T0);
    expect((await drainOutbox(deps, { now: T0 })).sent).toBe(0);
    expect((await drainOutbox(deps, { now: T0 + 60_000 })).sent).toBe(1);
  });
});

describe('console messenger (offline mode)', () => {
  it('prints messages, renders cards as text, and invents routable message ids', async () => {
    const out: string[] = [];
    deps = createTestDeps({}, T0, createConsoleMessenger((t) => out.push(t)));
    const card = {
      schema: '2.0',
      header: { title: { tag: 'plain_text', content: '任务 4.1.1 即将到期' }, template: 'orange' },
      body: {
        elements: [
          { tag: 'markdown', content: '**责任单位**：生态环境局\n截止：6月30日' },
          { tag: 'hr' },
          { tag: 'column_set', columns: [{ elements: [{ tag: 'button', text: { tag: 'plain_text', content: '已完成' }, behaviors: [] }] }] },
          { tag: 'form', name: 'f', elements: [{ tag: 'input', name: 'note', label: { tag: 'plain_text', content: '进展说明' } }] },
          { tag: 'chart', chart_spec: {} },
        ],
      },
    };
    await enqueueOutbox(deps.db, [toChat(1, 'oc_x', { msgType: 'interactive', content: card, assignmentId: 5 }), toChat(2, 'oc_x')], T0);
    expect((await drainOutbox(deps, { now: T0 })).sent).toBe(2);
    const text = out.join('\n');
    expect(text).toContain('【任务 4.1.1 即将到期】');
    expect(text).toContain('**责任单位**：生态环境局');
    expect(text).toContain('[按钮：已完成]');
    expect(text).toContain('[输入框：进展说明]');
    expect(text).toContain('[图表]');
    expect(text).toContain('消息 2');
    expect(text).toContain('chat_id:oc_x');
    const rows = await rowsOf(deps);
    expect(rows[0]!.messageId).toMatch(/^om_local_/);
    expect(rows[0]!.messageId).not.toBe(rows[1]!.messageId);
    expect((await lookupSentMessage(deps.db, rows[0]!.messageId!))?.assignmentId).toBe(5);
    const [again] = await deps.db.select().from(outbox).where(eq(outbox.id, rows[0]!.id));
    expect(again!.status).toBe('sent');
  });
});
