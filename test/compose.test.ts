// The ports as composed (src/compose.ts): every AppDeps member a runtime must supply is there, the defaults are the
// runtime without background machinery, and the small implementations behind the ports do what their contract says
// (the Messenger gets a plain envelope, the outbox port drains or only kicks, the sent-message lookup, the one inbound
// entry point's routing of a message kind the commands cannot read).
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { composeAppDeps, deferredAfterAck } from '../src/compose.js';
import { outbox, inboundEvents } from '../src/db/schema.js';
import { enqueueOutbox } from '../src/db/outbox-store.js';
import { createSentMessageLookup } from '../src/db/sent-messages.js';
import { finishQuery, recordInboundEvent } from '../src/db/inbox-store.js';
import type { OutboxLoop } from '../src/lark/sender.js';
import { createInlineOutboxFlush, createLoopOutboxFlush } from '../src/lark/outbox-flush.js';
import { UNSUPPORTED_REPLY, createInboundHandler } from '../src/commands/inbound.js';
import type { IncomingMessage } from '../src/domain/types.js';
import { strangerHint } from '../src/domain/permissions.js';
import { createRecordingMessenger, createTestDeps, type TestDeps } from './helpers/deps.js';

let deps: TestDeps | undefined;
afterEach(() => {
  deps?.close();
  deps = undefined;
});

const NOW = Date.parse('2022-06-16T01:00:00Z');

describe('composeAppDeps', () => {
  it('supplies every port; what a runtime may lack is an explicit null; given options win, undefined ones do not', () => {
    deps = createTestDeps();
    const required = [
      'db', 'config', 'logger', 'clock', 'defer', 'messenger', 'outbox', 'recordInbound', 'afterAck', 'intake', 'inbound',
      'larkCrypto', 'sentMessages', 'contacts', 'cardAnswerMs',
    ] as const;
    for (const k of required) expect(deps[k], k).toBeTruthy();
    expect(deps.cardAnswerMs).toBe(2_500);
    expect({ buildDigest: deps.buildDigest, evidenceStore: deps.evidenceStore, larkIm: deps.larkIm }).toEqual({
      buildDigest: null,
      evidenceStore: null,
      larkIm: null,
    });
    expect(deps.outbox.background).toBe(false);
    expect(deps.afterAck.hasRoom()).toBe(true);

    const { db, config, logger, clock, defer, messenger } = deps;
    const composed = composeAppDeps({ db, config, logger, clock, defer, messenger }, { cardAnswerMs: 50, larkIm: undefined });
    expect(composed.cardAnswerMs).toBe(50);
    expect(composed.larkIm).toBeNull();
  });

  it('the default after-ack runner hands each event to deps.defer, read when the event is taken', async () => {
    deps = createTestDeps();
    const taken: Array<Promise<unknown>> = [];
    deps.defer = (w) => void taken.push(w.catch(() => undefined));
    await deferredAfterAck(deps).take({ key: 'event:none', claimedUntil: NOW + 60_000 });
    expect(taken).toHaveLength(1);
    await Promise.all(taken);
  });
});

describe('OutboxFlush', () => {
  const queue = async (d: TestDeps, n: number) =>
    enqueueOutbox(
      d.db,
      Array.from({ length: n }, (_, i) => ({
        dedupeKey: `t:${i}`,
        op: 'send' as const,
        receiveIdType: 'open_id' as const,
        receiveId: `ou_${i}`,
        msgType: 'text' as const,
        content: { text: `第 ${i} 条` },
        purpose: 'notice' as const,
      })),
      d.clock(),
    );

  it('inline (Workers, tests): the work that queued a message drains it, and the Messenger gets a plain envelope', async () => {
    const messenger = createRecordingMessenger();
    deps = createTestDeps({}, NOW, messenger);
    const [id] = await queue(deps, 1);
    await createInlineOutboxFlush(deps).sendQueued();
    expect(messenger.delivered).toHaveLength(1);
    const env = messenger.delivered[0]!;
    expect(Object.keys(env).sort()).toEqual(['content', 'id', 'msgType', 'op', 'receiveId', 'receiveIdType', 'targetMessageId', 'uuid']);
    expect(env).toMatchObject({ id, op: 'send', receiveIdType: 'open_id', receiveId: 'ou_0', targetMessageId: null, msgType: 'text' });
    expect(JSON.parse(env.content)).toEqual({ text: '第 0 条' });
    expect((await deps.db.select().from(outbox))[0]).toMatchObject({ status: 'sent', messageId: 'om_fake_1' });
  });

  it('with a background sender (Node): work only kicks the loop; flush(at) still delivers at once', async () => {
    const messenger = createRecordingMessenger();
    deps = createTestDeps({}, NOW, messenger);
    await queue(deps, 3);
    let kicks = 0;
    const loop: OutboxLoop = { start() {}, kick: () => void kicks++, stop: async () => undefined };
    const port = createLoopOutboxFlush(deps, loop);
    expect(port.background).toBe(true);
    await port.sendQueued();
    port.kick();
    expect(kicks).toBe(2);
    expect(messenger.delivered).toHaveLength(0);
    expect(await port.flush(deps.clock())).toMatchObject({ sent: 3, failed: 0 });
    expect(messenger.delivered.map((e) => e.receiveId)).toEqual(['ou_0', 'ou_1', 'ou_2']);
    // No loop at all (SCHEDULER_ENABLED=false: another process sends): kicking is harmless.
    expect(() => createLoopOutboxFlush(deps!, undefined).kick()).not.toThrow();
  });
});

describe('SentMessageLookup (db/sent-messages.ts)', () => {
  it('finds the send or reply behind a Feishu message id; a card patch carrying that id does not count', async () => {
    deps = createTestDeps();
    const [send, patch] = await enqueueOutbox(
      deps.db,
      [
        { dedupeKey: 'reminder:1', op: 'send', receiveIdType: 'open_id', receiveId: 'ou_a', msgType: 'text', content: { text: '提醒' }, purpose: 'reminder', assignmentId: 7, taskId: 3 },
        { dedupeKey: 'patch:1', op: 'patch', targetMessageId: 'om_sent', msgType: 'interactive', content: { schema: '2.0' }, purpose: 'card_update' },
      ],
      NOW,
    );
    await deps.db.update(outbox).set({ status: 'sent', messageId: 'om_sent' }).where(eq(outbox.id, send!));
    await deps.db.update(outbox).set({ status: 'sent', messageId: 'om_sent' }).where(eq(outbox.id, patch!));
    const lookup = createSentMessageLookup(deps.db);
    expect(await lookup.lookup('om_sent')).toMatchObject({ op: 'send', dedupeKey: 'reminder:1', assignmentId: 7, taskId: 3 });
    expect(await lookup.lookup('om_unknown')).toBeUndefined();
  });
});

describe('the inbound entry point (commands/inbound.ts)', () => {
  const message = (over: Partial<IncomingMessage>): IncomingMessage => ({
    eventId: 'ev_1', messageId: 'om_in', chatId: 'oc_1', chatType: 'p2p', sender: { openId: 'ou_x' }, messageType: 'text',
    text: '', mentions: [], createTime: NOW, ...over,
  });

  it.each([
    ['sticker', 'p2p', { receiveIdType: 'open_id', receiveId: 'ou_x' }],
    ['audio', 'group', { receiveIdType: 'chat_id', receiveId: 'oc_1' }],
  ] as const)('a %s message in a %s chat gets the one "text only" reply, committed with the inbox\'s done', async (type, chatType, to) => {
    deps = createTestDeps();
    await recordInboundEvent(deps.db, { eventId: 'ev_1', eventType: 'im.message.receive_v1', payload: {} }, NOW);
    const done = [finishQuery(deps.db, 'event:ev_1', 'done', NOW)];
    const committed = await createInboundHandler(deps).message(message({ messageType: type, chatType }), [], NOW, done);
    expect(committed).toBe(true);
    const rows = await deps.db.select().from(outbox);
    expect(rows.map((r) => ({ key: r.dedupeKey, op: r.op, target: r.targetMessageId, to: { receiveIdType: r.receiveIdType, receiveId: r.receiveId } }))).toEqual([
      { key: 'unsupported:om_in', op: 'reply', target: 'om_in', to },
    ]);
    expect(JSON.parse(rows[0]!.content)).toEqual({ text: UNSUPPORTED_REPLY });
    expect((await deps.db.select().from(inboundEvents).where(eq(inboundEvents.key, 'event:ev_1')))[0]?.status).toBe('done');
  });

  it('a file from a stranger (no role) goes to evidence intake, which tells them how to bind first', async () => {
    deps = createTestDeps();
    const files = [{ fileKey: 'file_1', type: 'file' as const, kind: 'file' as const, name: '照片.pdf' }];
    expect(await createInboundHandler(deps).message(message({ messageType: 'file' }), files, NOW, [])).toBe(true);
    const [row] = await deps.db.select().from(outbox);
    expect(row?.dedupeKey).toBe('reply:om_in');
    expect(JSON.parse(row!.content).text).toBe(strangerHint());
  });
});
