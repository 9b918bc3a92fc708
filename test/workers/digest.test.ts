// The weekly digest on Workers: the pass trigger on the first working day of the ISO week builds the digest card
// (charts included), stores it once in D1 and sends it to the leaders' chat through the fake Feishu server.
import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { chats, digests, outbox } from '../../src/db/schema.js';
import { PASS_CRON } from '../../src/worker-schedule.js';
import { messageCalls } from './fake-lark-client.js';
import { clearPlanTables, db, runTrigger, seedReminderCase } from './fixture.js';

/** Monday 2022-06-20 09:30 in Beijing: the first working day of ISO week 2022-W25. */
const MONDAY = Date.parse('2022-06-20T09:30:00+08:00');

beforeEach(async () => {
  await clearPlanTables();
  for (const t of ['digests', 'chats']) await env.DB.prepare(`delete from ${t}`).run();
});

describe('weekly digest on Workers', () => {
  it('is sent once to the leaders chat by the first pass of the week', async () => {
    await seedReminderCase();
    const chatId = `oc_leaders_${crypto.randomUUID().slice(0, 8)}`;
    await db().insert(chats).values({ chatId, purpose: 'leaders' });

    await runTrigger(PASS_CRON, MONDAY);
    await runTrigger(PASS_CRON, MONDAY + 15 * 60_000);

    const stored = await db().select().from(digests);
    expect(stored.map((d) => d.weekKey)).toEqual(['2022-W25']);
    const rows = await db().select().from(outbox).where(eq(outbox.purpose, 'digest'));
    expect(rows).toEqual([expect.objectContaining({ receiveId: chatId, status: 'sent', msgType: 'interactive' })]);
    const calls = await messageCalls((r) => r.path === '/open-apis/im/v1/messages' && r.body.receive_id === chatId);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ status: 200, code: 0, query: { receive_id_type: 'chat_id' } });
    expect(String(calls[0]!.body.content)).toContain('"tag":"chart"');
  });
});
