// The shared code of issue "no event or message is lost" inside workerd: v1 events acknowledged and kept as
// ignored, the bot identity read once from bot/v3/info and kept in D1, a lifecycle event handled in waitUntil.
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { inboundEvents, settings } from '../../src/db/schema.js';
import { messageEvent } from '../helpers/lark-events.js';
import { fakeRequests, messageCalls } from './fake-lark-client.js';
import { db, deliverToWorker, larkRequest, TOKEN } from './fixture.js';

describe('a good Feishu citizen on Workers', () => {
  it('a v1.0 event is acknowledged and kept as ignored, de-duplicated on its uuid', async () => {
    const uuid = `v1-${crypto.randomUUID()}`;
    const v1 = { uuid, token: TOKEN, ts: '1700000000.1', type: 'event_callback', event: { type: 'p2p_chat_create', chat_id: 'oc_x' } };
    for (let i = 0; i < 2; i++) expect((await deliverToWorker(larkRequest('/lark/events', v1))).status).toBe(200);
    const rows = await db().select().from(inboundEvents).where(eq(inboundEvents.key, `event:v1:${uuid}`));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe('ignored');
  });

  it('reads the bot identity once and keeps it in D1; removes the bot @ wherever it stands', async () => {
    const send = async (text: string) => {
      const messageId = `om_in_cz_${crypto.randomUUID()}`;
      const ev = messageEvent({ token: TOKEN, messageId, chatType: 'group', chatId: 'oc_cz', text, mentions: [{ key: '@_user_1', name: '督办', openId: 'ou_fake_bot' }] });
      expect((await deliverToWorker(larkRequest('/lark/events', ev))).status).toBe(200);
      const [reply] = await messageCalls((r) => r.path === `/open-apis/im/v1/messages/${messageId}/reply`);
      return JSON.parse(String(reply!.body.content)).text as string;
    };
    // The fake server is shared by every test file: count the calls this test adds.
    const infoCalls = async () => (await fakeRequests((r) => r.path === '/open-apis/bot/v3/info')).length;
    const before = await infoCalls();
    expect(await send('帮助 @_user_1')).toContain('督办机器人命令');
    const afterFirst = await infoCalls();
    expect(afterFirst - before).toBeLessThanOrEqual(1);
    expect(await send('@_user_1 帮助')).toContain('督办机器人命令');
    expect(await infoCalls()).toBe(afterFirst);
    const [row] = await db().select().from(settings).where(eq(settings.key, 'lark_bot_identity'));
    expect(row!.value).toMatchObject({ openId: 'ou_fake_bot', appId: 'cli_workers_test' });
  });

  it('greets a chat it was added to, in waitUntil', async () => {
    const chatId = `oc_added_${crypto.randomUUID().slice(0, 8)}`;
    const ev = {
      schema: '2.0',
      header: { event_id: `ev_${crypto.randomUUID()}`, event_type: 'im.chat.member.bot.added_v1', create_time: String(Date.now()), token: TOKEN },
      event: { chat_id: chatId, name: '测试群', operator_id: { open_id: 'ou_op' } },
    };
    expect((await deliverToWorker(larkRequest('/lark/events', ev))).status).toBe(200);
    const sent = await messageCalls((r) => r.path === '/open-apis/im/v1/messages' && r.body.receive_id === chatId);
    expect(sent).toHaveLength(1);
    expect(String(sent[0]!.body.content)).toContain('本群设为');
  });
});
