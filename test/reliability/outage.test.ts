// An hour-long Feishu outage (HTTP 503, then requests that hang until the client times out), simulated with an
// injected clock: messages keep being queued during it; once Feishu is back every one is delivered exactly once,
// oldest first, and a reminder that arrives more than an hour late says so.
import { afterEach, describe, expect, it } from 'vitest';
import { asc } from 'drizzle-orm';
import { outbox } from '../../src/db/schema.js';
import { enqueueOutbox } from '../../src/db/outbox-store.js';
import { createLarkMessenger } from '../../src/lark/messenger.js';
import { createRateLimiter } from '../../src/lark/rate-limiter.js';
import { BACKOFF_CAP_MS, drainOutbox } from '../../src/lark/sender.js';
import type { OutboundMessage } from '../../src/domain/types.js';
import { createTestDeps, type TestDeps } from '../helpers/deps.js';
import { startFakeLark, type FakeLark } from '../fake-lark/server.js';

const T0 = Date.parse('2022-06-16T01:00:00Z'); // 09:00 in Shanghai
const MIN = 60_000;
let deps: TestDeps | undefined;
let fake: FakeLark | undefined;
afterEach(async () => {
  deps?.close();
  deps = undefined;
  await fake?.close();
  fake = undefined;
});

function msg(i: number, at: number): OutboundMessage {
  const reminder = i % 3 !== 0;
  return {
    dedupeKey: `outage:${i}`,
    receiveIdType: 'open_id',
    receiveId: `ou_person_${i % 7}`,
    msgType: 'text',
    content: { text: `${reminder ? '提醒' : '通知'} ${i}（排队于 +${Math.round((at - T0) / MIN)} 分钟）` },
    purpose: reminder ? 'reminder' : 'notice',
  };
}

describe('a Feishu outage of an hour', () => {
  it('loses nothing: every message queued before and during it is delivered once, oldest first, late reminders say so', async () => {
    fake = await startFakeLark();
    deps = createTestDeps(
      {},
      T0,
      createLarkMessenger({ LARK_APP_ID: 'cli_fake_app', LARK_APP_SECRET: 'fake_secret', LARK_BASE_URL: fake.url }, { timeoutMs: 150 }),
    );
    const limiter = createRateLimiter();
    // The SDK takes its token before the outage.
    let n = 0;
    await enqueueOutbox(deps.db, [msg(n++, T0)], T0);
    expect((await drainOutbox(deps, { now: T0, limiter })).sent).toBe(1);

    // 60 simulated minutes: 503 for the first half, hanging requests for the second; 2 messages queued a minute,
    // and the sender runs every minute as the service's loop would.
    let probes = 0;
    for (let m = 1; m <= 60; m++) {
      const now = T0 + m * MIN;
      fake.setOutage(m <= 30 ? 'unavailable' : 'hang');
      await enqueueOutbox(deps.db, [msg(n++, now), msg(n++, now)], now);
      const before = fake.requests.length;
      const r = await drainOutbox(deps, { now, limiter, maxMs: 5_000 });
      expect(r.sent).toBe(0);
      probes += fake.requests.length - before;
    }
    // The breaker keeps the sender from hammering a dead Feishu: backoff, capped at 15 minutes, between probes.
    expect(probes).toBeGreaterThan(3);
    expect(probes).toBeLessThan(20);
    const queued = n;
    expect(fake.messages).toHaveLength(1);
    expect((await deps.db.select().from(outbox)).filter((r) => r.status === 'failed')).toHaveLength(0);

    // Feishu is back. Within the breaker's capped wait the sender notices and sends the whole backlog.
    // The first drain after it runs at +62 minutes, so the reminders queued at +1 are more than an hour late
    // whatever the breaker's jitter (at +61 they would be exactly an hour late, not more, whenever the jittered breaker wait had already ended).
    fake.setOutage(undefined);
    const back = T0 + 62 * MIN;
    let now = back;
    for (let i = 0; i < 40 && fake.messages.length < queued; i++) {
      await drainOutbox(deps, { now, limiter, maxMs: 10_000 });
      now += MIN;
    }
    expect(now - back).toBeLessThanOrEqual(BACKOFF_CAP_MS * 1.25 + 2 * MIN);
    const rows = await deps.db.select().from(outbox).orderBy(asc(outbox.id));
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    expect(fake.messages).toHaveLength(queued);
    // Exactly once: one Feishu message per row, and no uuid twice.
    expect(new Set(fake.messages.map((m) => m.uuid)).size).toBe(queued);
    expect(fake.messages.map((m) => m.uuid)).toEqual(rows.map((r) => r.uuid));
    // Late reminders say so (queued more than an hour before they arrived); on-time messages do not.
    const texts = fake.messages.map((m) => (JSON.parse(m.content) as { text: string }).text);
    const late = texts.filter((t) => t.includes('因飞书服务中断，本提醒延迟送达，原定 6 月 16 日'));
    expect(late.length).toBeGreaterThan(0);
    expect(texts[0]).not.toContain('延迟送达');
    for (const t of texts) if (t.includes('通知')) expect(t).not.toContain('延迟送达');
    const first = texts.find((t) => t.includes('提醒 1（'))!;
    expect(first).toMatch(/原定 6 月 16 日 09:01/);
  });

  it('a message Feishu refuses for good is not retried, and the office hears of it once a day', async () => {
    fake = await startFakeLark();
    deps = createTestDeps(
      { OFFICE_OPEN_IDS: 'ou_office' },
      T0,
      createLarkMessenger({ LARK_APP_ID: 'cli_fake_app', LARK_APP_SECRET: 'fake_secret', LARK_BASE_URL: fake.url }),
    );
    for (const code of [230035, 232009, 230027, 230028, 230022, 230038, 230017, 230018, 230054, 230111]) {
      fake.failNext(code);
      await enqueueOutbox(deps.db, [{ ...msg(code, T0), dedupeKey: `perm:${code}` }], T0);
      await drainOutbox(deps, { now: T0 });
    }
    const rows = await deps.db.select().from(outbox).orderBy(asc(outbox.id));
    const failed = rows.filter((r) => r.status === 'failed');
    expect(failed.map((r) => r.errorCode)).toEqual([230035, 232009, 230027, 230028, 230022, 230038, 230017, 230018, 230054, 230111]);
    for (const r of failed) expect(r.attempts).toBe(1);
    // One alert to the office for the day, however many failures.
    const alerts = fake.messages.filter((m) => m.receive_id === 'ou_office');
    expect(alerts).toHaveLength(1);
    expect(JSON.parse(alerts[0]!.content).text).toContain('未送达');
  });
});
