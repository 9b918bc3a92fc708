// Faults from Feishu: timeouts, 5xx, 429 bursts, per-user limits and malformed responses. Once they stop, the
// outbox drains fully through the real SDK messenger and sender, and no message is created twice.
import { afterAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { enqueueOutbox } from '../../src/db/outbox-store.js';
import { outbox } from '../../src/db/schema.js';
import { createLarkMessenger } from '../../src/lark/messenger.js';
import { createRateLimiter } from '../../src/lark/rate-limiter.js';
import { drainOutbox } from '../../src/lark/sender.js';
import { silentLogger } from '../../src/logger.js';
import { startFakeLark, type FakeLark } from '../fake-lark/server.js';
import { createTestDatabase } from '../helpers/db.js';

const MESSAGES = 40;
let fake: FakeLark | undefined;
afterAll(async () => {
  await fake?.close();
});

describe('faults from Feishu', () => {
  it('the outbox drains once timeouts, 5xx, 429 bursts and malformed answers stop; nothing is sent twice', { timeout: 60_000 }, async () => {
    fake = await startFakeLark();
    const database = createTestDatabase();
    const { db } = database;
    let now = Date.parse('2022-06-16T01:00:00Z');
    await enqueueOutbox(
      db,
      Array.from({ length: MESSAGES }, (_, i) => ({
        dedupeKey: `fault:reminder:${i}`,
        op: 'send' as const,
        receiveIdType: 'open_id' as const,
        receiveId: `ou_unit${i % 8}`,
        msgType: 'text' as const,
        content: { text: `提醒 ${i}` },
        purpose: 'reminder' as const,
      })),
      now,
    );
    fake.failNext('rate_limit', 6);
    fake.failNext('server_error', 4);
    fake.failNext('hang', 2);
    fake.failNext('malformed', 3);
    fake.failNext('receiver_limit', 3);
    fake.failNext('rate_limit', 4);
    fake.failNext('server_error', 2);

    const messenger = createLarkMessenger(
      { LARK_APP_ID: 'cli_fake_app', LARK_APP_SECRET: 'fake_secret', LARK_BASE_URL: fake.url },
      { timeoutMs: 400 },
    );
    const limiter = createRateLimiter();
    const deps = { db, messenger, logger: silentLogger, clock: () => now };
    const pending = async () =>
      Number((await db.select({ n: sql<number>`count(*)` }).from(outbox).where(sql`${outbox.status} in ('pending', 'sending')`))[0]!.n);
    const totals = { sent: 0, failed: 0, retried: 0, rateLimited: 0 };
    for (let round = 0; round < 40 && (await pending()) > 0; round++) {
      const r = await drainOutbox(deps, { limiter, maxMs: 5_000 });
      for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += r[k];
      // Backoff is scheduled on the database clock: move it on so retries fall due without waiting for real.
      now += 15 * 60_000;
    }

    const rows = await db.select().from(outbox);
    expect(rows.filter((r) => r.status !== 'sent').map((r) => [r.dedupeKey, r.status, r.lastError])).toEqual([]);
    // Every fault was met and answered with a retry, not a loss.
    const statuses = fake.requests.filter((r) => r.path === '/open-apis/im/v1/messages').map((r) => r.status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(10);
    expect(statuses.filter((s) => s === 500).length).toBe(6);
    expect(statuses.filter((s) => s === -1).length).toBe(2);
    expect(totals.retried).toBeGreaterThanOrEqual(6 + 2 + 3);
    expect(totals.rateLimited).toBeGreaterThanOrEqual(10 + 3);
    expect(totals.failed).toBe(0);
    // Exactly one Feishu message per logical message.
    expect(fake.messages.length).toBe(MESSAGES);
    expect(new Set(fake.messages.map((m) => m.uuid))).toEqual(new Set(rows.map((r) => r.uuid)));
    const sentIds = await db.select({ id: outbox.messageId }).from(outbox).where(eq(outbox.status, 'sent'));
    expect(new Set(sentIds.map((r) => r.id))).toEqual(new Set(fake.messages.map((m) => m.message_id)));
    database.close();
  });
});
