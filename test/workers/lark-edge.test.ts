// The Feishu edge on Workers: the URL check, and a signed, encrypted event acknowledged at once and handled in
// ctx.waitUntil, with the reply delivered through the real SDK to the fake Feishu server.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { inboundEvents, outbox } from '../../src/db/schema.js';
import { recordInboundEvent } from '../../src/db/inbox-store.js';
import worker from '../../src/worker.js';
import { SENDER_CRON } from '../../src/worker-schedule.js';
import { messageEvent, urlVerification } from '../helpers/lark-events.js';
import { messageCalls } from './fake-lark-client.js';
import { db, deliverToWorker, larkRequest, runTrigger, TOKEN } from './fixture.js';

describe('Feishu edge on Workers', () => {
  it('answers the encrypted URL check with the challenge', async () => {
    const res = await exports.default.fetch(larkRequest('/lark/events', urlVerification(TOKEN, 'ch_workers_1'), { sign: false }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ challenge: 'ch_workers_1' });
  });

  it('refuses a URL check with the wrong verification token', async () => {
    const res = await exports.default.fetch(larkRequest('/lark/events', urlVerification('wrong-token'), { sign: false }));
    expect(res.status).toBe(401);
  });

  it('refuses an event whose signature does not match its body', async () => {
    const res = await exports.default.fetch(
      larkRequest('/lark/events', messageEvent({ token: TOKEN }), { signature: 'f'.repeat(64) }),
    );
    expect(res.status).toBe(401);
  });

  it('acks a signed event, handles it in waitUntil and the reply reaches Feishu', async () => {
    const messageId = `om_in_workers_${crypto.randomUUID()}`;
    const event = messageEvent({ token: TOKEN, messageId, senderOpenId: 'ou_workers_sender', text: '帮助' });
    const eventId = (event.header as { event_id: string }).event_id;

    const ctx = createExecutionContext();
    const res = await worker.fetch(larkRequest('/lark/events', event), env as never, ctx);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    await waitOnExecutionContext(ctx);

    const [inbound] = await db().select().from(inboundEvents).where(eq(inboundEvents.key, `event:${eventId}`));
    expect(inbound?.status).toBe('done');
    const [row] = await db().select().from(outbox).where(eq(outbox.targetMessageId, messageId));
    expect(row).toMatchObject({ op: 'reply', status: 'sent' });
    expect(row?.messageId).toMatch(/^om_/);

    const replies = await messageCalls((r) => r.path === `/open-apis/im/v1/messages/${messageId}/reply`);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ method: 'POST', status: 200, code: 0 });
    expect(replies[0]!.body).toMatchObject({ uuid: row!.uuid, content: row!.content, msg_type: row!.msgType });
  });

  it('a re-sent event (same event_id) is acknowledged and not handled twice', async () => {
    const messageId = `om_in_workers_${crypto.randomUUID()}`;
    const event = messageEvent({ token: TOKEN, messageId, text: '帮助' });
    for (let i = 0; i < 2; i++) expect((await deliverToWorker(larkRequest('/lark/events', event))).status).toBe(200);
    expect(await messageCalls((r) => r.path === `/open-apis/im/v1/messages/${messageId}/reply`)).toHaveLength(1);
  });

  it('an event acknowledged but never processed (isolate gone) is picked up by the minute trigger', async () => {
    const messageId = `om_in_orphan_${crypto.randomUUID()}`;
    const event = messageEvent({ token: TOKEN, messageId, text: '帮助' });
    const header = event.header as { event_id: string; event_type: string };
    const now = Date.now();
    // What the route stores before acknowledging; the deferred half never ran.
    expect(await recordInboundEvent(db(), { eventId: header.event_id, eventType: header.event_type, messageId, payload: event }, now)).toBe(true);
    expect(await messageCalls((r) => r.path === `/open-apis/im/v1/messages/${messageId}/reply`)).toHaveLength(0);

    await runTrigger(SENDER_CRON, now + 60_000);
    const [row] = await db().select().from(inboundEvents).where(eq(inboundEvents.key, `event:${header.event_id}`));
    expect(row?.status).toBe('done');
    expect(await messageCalls((r) => r.path === `/open-apis/im/v1/messages/${messageId}/reply`)).toHaveLength(1);
  });
});
