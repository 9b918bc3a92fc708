import { describe, expect, it } from 'vitest';
import { normalizeLarkBody } from '../../src/lark/normalize.js';
import { cardActionEvent, messageEvent } from '../helpers/lark-events.js';

describe('normalizeLarkBody', () => {
  it('turns a group text message into an IncomingMessage, removing the leading bot mention', () => {
    const body = messageEvent({
      eventId: 'ev1',
      messageId: 'om_1',
      chatId: 'oc_g',
      chatType: 'group',
      text: '@_user_1  进度 4.1.1 60% 请 @_user_2 跟进',
      mentions: [
        { key: '@_user_1', name: '督办机器人', openId: 'ou_bot' },
        { key: '@_user_2', name: '张三', openId: 'ou_zs' },
      ],
      parentId: 'om_parent',
      rootId: 'om_root',
      createTime: 1655341200000,
    });
    const n = normalizeLarkBody(body);
    expect(n.kind).toBe('message');
    if (n.kind !== 'message') return;
    expect(n.message).toMatchObject({
      eventId: 'ev1',
      messageId: 'om_1',
      chatId: 'oc_g',
      chatType: 'group',
      sender: { openId: 'ou_sender', userId: 'u_sender', unionId: 'on_sender' },
      messageType: 'text',
      text: '进度 4.1.1 60% 请 @张三 跟进',
      mentions: [{ key: '@_user_2', name: '张三', openId: 'ou_zs', userId: 'u_ou_zs' }],
      parentId: 'om_parent',
      rootId: 'om_root',
      createTime: 1655341200000,
    });
  });

  it('with LARK_BOT_OPEN_ID, removes exactly the bot mention wherever it is', () => {
    const body = messageEvent({
      chatType: 'group',
      text: '@_user_1 和 @_user_2 进度 5.1 完成',
      mentions: [
        { key: '@_user_1', name: '李四', openId: 'ou_ls' },
        { key: '@_user_2', name: '督办', openId: 'ou_bot' },
      ],
    });
    const n = normalizeLarkBody(body, { botOpenId: 'ou_bot' });
    expect(n.kind === 'message' && n.message.text).toBe('@李四 和 进度 5.1 完成');
    expect(n.kind === 'message' && n.message.mentions.map((m) => m.name)).toEqual(['李四']);
  });

  it('in p2p without a bot id keeps mentions as names', () => {
    const n = normalizeLarkBody(
      messageEvent({ chatType: 'p2p', text: '@_user_1 帮助', mentions: [{ key: '@_user_1', name: '王五', openId: 'ou_w' }] }),
    );
    expect(n.kind === 'message' && n.message.text).toBe('@王五 帮助');
  });

  it('flattens post messages to text', () => {
    const n = normalizeLarkBody(
      messageEvent({
        chatType: 'group',
        messageType: 'post',
        content: {
          title: '周报',
          content: [
            [{ tag: 'at', user_id: '@_user_1', user_name: '督办' }, { tag: 'text', text: ' 进度 4.1.2 ' }, { tag: 'text', text: '80%' }],
            [{ tag: 'a', text: '附件', href: 'https://x' }, { tag: 'img', image_key: 'img_1' }],
          ],
        },
        mentions: [{ key: '@_user_1', name: '督办', openId: 'ou_bot' }],
      }),
      { botOpenId: 'ou_bot' },
    );
    expect(n.kind === 'message' && n.message.text).toBe('周报\n进度 4.1.2 80%\n附件');
  });

  it('keeps non-text types with empty text for the caller to answer', () => {
    const n = normalizeLarkBody(messageEvent({ messageType: 'image', content: { image_key: 'img_x' } }));
    expect(n.kind === 'message' && [n.message.messageType, n.message.text]).toEqual(['image', '']);
  });

  it('turns card.action.trigger into a CardAction', () => {
    const n = normalizeLarkBody(
      cardActionEvent({ eventId: 'evc', operatorOpenId: 'ou_op', value: { a: 'done', asg: 7 }, formValue: { note: '已完成' }, openMessageId: 'om_c', openChatId: 'oc_c' }),
    );
    expect(n).toEqual({
      kind: 'card_action',
      eventId: 'evc',
      eventType: 'card.action.trigger',
      action: {
        eventId: 'evc',
        operator: { openId: 'ou_op', userId: 'u_operator', unionId: 'on_operator' },
        value: { a: 'done', asg: 7 },
        formValue: { note: '已完成' },
        tag: 'button',
        name: 'submit',
        token: 'c-card-update-token',
        openMessageId: 'om_c',
        openChatId: 'oc_c',
      },
    });
  });

  it('classifies url checks, other events and garbage', () => {
    expect(normalizeLarkBody({ type: 'url_verification', challenge: 'c1', token: 't' })).toEqual({ kind: 'url_verification', challenge: 'c1' });
    expect(
      normalizeLarkBody({ schema: '2.0', header: { event_id: 'e', event_type: 'im.chat.updated_v1' }, event: {} }),
    ).toEqual({ kind: 'other', eventId: 'e', eventType: 'im.chat.updated_v1' });
    // A lifecycle event the bot acts on, but misshapen: still acknowledged and kept (ignored), never 400.
    expect(
      normalizeLarkBody({ schema: '2.0', header: { event_id: 'e', event_type: 'im.chat.member.bot.added_v1' }, event: {} }),
    ).toMatchObject({ kind: 'other', eventId: 'e', reason: expect.stringContaining('unexpected shape') });
    expect(
      normalizeLarkBody({ schema: '2.0', header: { event_id: 'e2', event_type: 'im.chat.member.bot.added_v1' }, event: { chat_id: 'oc_1', name: '安定区督办群', operator_id: { open_id: 'ou_op' } } }),
    ).toEqual({ kind: 'lifecycle', eventId: 'e2', eventType: 'im.chat.member.bot.added_v1', event: { type: 'bot_added', chatId: 'oc_1', chatName: '安定区督办群', operatorOpenId: 'ou_op' } });
    // v1.0 events: de-duplicated on uuid, ignored.
    expect(
      normalizeLarkBody({ uuid: 'u-1', token: 't', ts: '1700000000.1', type: 'event_callback', event: { type: 'p2p_chat_create', app_id: 'cli_x' } }),
    ).toEqual({ kind: 'other', eventId: 'v1:u-1', eventType: 'v1:p2p_chat_create' });
    expect(normalizeLarkBody({ hello: 1 }).kind).toBe('invalid');
    const broken = messageEvent();
    (broken.event as Record<string, unknown>).message = { message_id: 'x' };
    expect(normalizeLarkBody(broken)).toMatchObject({ kind: 'other', reason: expect.stringContaining('unexpected shape') });
  });
});
