// The bot as a good Feishu citizen, over real HTTP: signed events into the Node service, messages out through the
// real SDK to the fake Feishu server. Events it does not act on are acknowledged and kept; it knows its own @;
// it follows chats it joins and leaves; recalled reports are withdrawn; a person opening the bot chat is welcomed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openNodeDatabase, type NodeDatabase } from '../../src/db/node.js';
import { assignments, chats, inboundEvents, outbox, people, progressReports, roles, settings } from '../../src/db/schema.js';
import { startNodeService, type NodeService } from '../../src/node.js';
import { startFakeLark, type FakeLark, type FakeMessage } from '../fake-lark/server.js';
import { ANDING, ENV, LEADER, OFFICE, seedFixture, type Fixture } from '../helpers/command-fixture.js';
import { digestRecipients } from '../../src/reports/digest-run.js';
import { messageEvent, postLarkEvent } from '../helpers/lark-events.js';
import { fakeFeishuServiceEnv, waitFor } from '../helpers/e2e.js';

const TOKEN = 'citizen_token';
const KEY = 'citizen_key';
let svc: NodeService;
let fake: FakeLark;
let db: NodeDatabase;
let fx: Fixture;
let base: string;
let dir: string;
let file: string;

async function start(extraEnv: Record<string, string> = {}) {
  svc = await startNodeService(fakeFeishuServiceEnv(file, fake.url, { token: TOKEN, key: KEY }, { OFFICE_OPEN_IDS: OFFICE, ...extraEnv }));
  base = `http://127.0.0.1:${svc.port}`;
}

beforeEach(async () => {
  fake = await startFakeLark({ botOpenId: 'ou_the_bot' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-citizen-'));
  file = path.join(dir, 'd.db');
  const seed = openNodeDatabase(file);
  fx = await seedFixture(seed.db);
  seed.close();
  db = openNodeDatabase(file);
});
afterEach(async () => {
  await svc?.close();
  await fake.close();
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

let n = 0;
async function say(openId: string, text: string, extra: Parameters<typeof messageEvent>[0] = {}): Promise<{ text: string; messageId: string }> {
  const messageId = extra.messageId ?? `om_cz_${++n}`;
  const res = await postLarkEvent(base, '/lark/events', messageEvent({ token: TOKEN, senderOpenId: openId, messageId, text, ...extra }), { encryptKey: KEY });
  expect(res.status).toBe(200);
  const m = await waitFor(() => fake.messages.find((x: FakeMessage) => x.op === 'reply' && x.parent_id === messageId));
  const content = JSON.parse(m.content) as { text?: string };
  return { text: content.text ?? m.content, messageId };
}

function lifecycle(eventType: string, event: Record<string, unknown>, eventId = `ev_life_${++n}`) {
  return {
    schema: '2.0',
    header: { event_id: eventId, event_type: eventType, create_time: String(Date.now()), token: TOKEN, app_id: 'cli_fake_app', tenant_key: 't' },
    event,
  };
}

async function post(payload: Record<string, unknown>) {
  const res = await postLarkEvent(base, '/lark/events', payload, { encryptKey: KEY });
  expect(res.status).toBe(200);
  return res;
}

const textsTo = (id: string) => fake.messages.filter((m) => m.receive_id === id || m.chat_id === id).map((m) => (JSON.parse(m.content) as { text?: string }).text ?? m.content);

describe('events the bot does not act on', () => {
  it('v1.0 events, unknown types and misshapen events: 200, kept as ignored, a re-push is a duplicate', async () => {
    await start();
    const v1 = { uuid: 'v1-uuid-1', token: TOKEN, ts: '1700000000.1', type: 'event_callback', event: { type: 'p2p_chat_create', app_id: 'cli_fake_app', chat_id: 'oc_1' } };
    await post(v1);
    await post(v1);
    await post(lifecycle('im.chat.updated_v1', { chat_id: 'oc_1' }, 'ev_unknown'));
    const broken = messageEvent({ token: TOKEN, eventId: 'ev_broken' });
    (broken.event as Record<string, unknown>).message = { message_id: 'om_broken' };
    await post(broken);
    const rows = await db.db.select().from(inboundEvents);
    const byKey = new Map(rows.map((r) => [r.key, r]));
    expect(byKey.get('event:v1:v1-uuid-1')).toMatchObject({ status: 'ignored', eventType: 'v1:p2p_chat_create' });
    // The stored v1 body carries no verification token.
    expect(byKey.get('event:v1:v1-uuid-1')!.payload).not.toContain(TOKEN);
    expect(byKey.get('event:ev_unknown')).toMatchObject({ status: 'ignored' });
    expect(byKey.get('event:ev_broken')).toMatchObject({ status: 'ignored' });
    expect(rows.filter((r) => r.key.startsWith('event:v1:'))).toHaveLength(1);
    expect(fake.messages).toHaveLength(0);
  });
});

describe('the bot knows its own @mention', () => {
  it('from bot/v3/info (once, then cached in the database): `绑定 安定区 @督办` does not bind the bot', async () => {
    await start();
    const bot = { key: '@_user_1', name: '督办', openId: 'ou_the_bot' };
    const r = await say(OFFICE, '绑定 安定区 @_user_1', { chatType: 'group', chatId: 'oc_office_group', mentions: [bot] });
    expect(r.text).not.toContain('督办 绑定');
    expect(r.text).toContain('安定区');
    // The bot is nobody's contact; no person row was made for it.
    expect(await db.db.select().from(people).where(eq(people.openId, 'ou_the_bot'))).toHaveLength(0);
    // A mention in the middle, as well as the end.
    const r2 = await say(ENV, '进度 @_user_1 4.1.1 40%', { chatType: 'group', chatId: 'oc_env_group', mentions: [bot] });
    expect(r2.text).toContain('进度 40%');
    expect(fake.requests.filter((q) => q.path === '/open-apis/bot/v3/info')).toHaveLength(1);
    const stored = await db.db.select().from(settings).where(eq(settings.key, 'lark_bot_identity'));
    expect(stored[0]!.value).toMatchObject({ openId: 'ou_the_bot', appId: 'cli_fake_app' });
    // A restarted service reads it from the database: no second call.
    await svc.close();
    await start();
    expect((await say(ANDING, '@_user_1 我的任务', { chatType: 'group', mentions: [bot] })).text).toContain('本单位');
    expect(fake.requests.filter((q) => q.path === '/open-apis/bot/v3/info')).toHaveLength(1);
  });

  it('LARK_BOT_OPEN_ID overrides: bot/v3/info is never called, and another person mentioned is still a person', async () => {
    await start({ LARK_BOT_OPEN_ID: 'ou_the_bot' });
    const r = await say(OFFICE, '绑定 @_user_2 安定区 @_user_1', {
      chatType: 'group',
      mentions: [
        { key: '@_user_1', name: '督办', openId: 'ou_the_bot' },
        { key: '@_user_2', name: '赵新', openId: 'ou_zhao' },
      ],
    });
    expect(r.text).toContain('已将 赵新 绑定');
    expect(fake.requests.filter((q) => q.path === '/open-apis/bot/v3/info')).toHaveLength(0);
  });
});

describe('lifecycle events', () => {
  it('added to a chat: a greeting saying how to register it; a re-push sends nothing more', async () => {
    await start();
    const ev = lifecycle('im.chat.member.bot.added_v1', { chat_id: 'oc_new', name: '安定区督办群', operator_id: { open_id: OFFICE } }, 'ev_added');
    await post(ev);
    await post(ev);
    const greeting = await waitFor(() => textsTo('oc_new')[0]);
    expect(greeting).toContain('本群设为');
    expect(greeting).toContain('单位');
    await new Promise((r) => setTimeout(r, 200));
    expect(textsTo('oc_new')).toHaveLength(1);
  });

  it('removed from the office chat: it stops being a target, waiting notices go to people directly, the office is told', async () => {
    await db.db.insert(chats).values([
      { chatId: 'oc_office', purpose: 'office' },
      { chatId: 'oc_anding', purpose: 'unit', unitId: fx.unit.anding },
    ]);
    // A notice for the office chat still waiting (not due for a minute).
    await db.db.insert(outbox).values({
      dedupeKey: 'notice:claim:test',
      uuid: 'u-claim-test',
      op: 'send',
      receiveIdType: 'chat_id',
      receiveId: 'oc_office',
      msgType: 'text',
      content: JSON.stringify({ text: '【待核验】4.1.1 申报完成' }),
      purpose: 'notice',
      nextAttemptAt: Date.now() + 60_000,
      createdAt: Date.now(),
    });
    await start();
    await post(lifecycle('im.chat.member.bot.deleted_v1', { chat_id: 'oc_office', name: '督办办公室', operator_id: { open_id: 'ou_someone' } }));
    await waitFor(() => (textsTo(OFFICE).some((t) => t.includes('【待核验】')) ? true : undefined));
    expect(await db.db.select().from(chats).where(eq(chats.chatId, 'oc_office'))).toHaveLength(0);
    const [orig] = await db.db.select().from(outbox).where(eq(outbox.dedupeKey, 'notice:claim:test'));
    expect(orig!.status).toBe('cancelled');
    const told = await waitFor(() => textsTo(OFFICE).find((t) => t.includes('机器人已被移出群')));
    expect(told).toContain('办公室群');
    expect(told).toContain('本群设为');
    expect(textsTo('oc_office')).toHaveLength(0);
    // Office notices now go to the office by direct message: a completion claim reaches OFFICE.
    await say(ENV, '完成 4.1.1 已完成排查');
    await waitFor(() => (textsTo(OFFICE).filter((t) => t.includes('【待核验】')).length >= 2 ? true : undefined));

    // The unit chat is disbanded: it stops being a target too, and the office (now by direct message) is told.
    await post(lifecycle('im.chat.disbanded_v1', { chat_id: 'oc_anding', name: '安定区群', operator_id: { open_id: ANDING } }));
    const gone = await waitFor(() => textsTo(OFFICE).find((t) => t.includes('已解散')));
    expect(gone).toContain('安定区群');
    expect(await db.db.select().from(chats)).toHaveLength(0);
  });

  it('removed from the leaders chat: leaders get the digest directly, the office chat still gets it and is told', async () => {
    await db.db.insert(chats).values([
      { chatId: 'oc_office', purpose: 'office' },
      { chatId: 'oc_leaders', purpose: 'leaders' },
    ]);
    await start();
    await post(lifecycle('im.chat.member.bot.deleted_v1', { chat_id: 'oc_leaders', name: '领导群', operator_id: { open_id: 'ou_someone' } }));
    const told = await waitFor(() => textsTo('oc_office').find((t) => t.includes('机器人已被移出群')));
    expect(told).toContain('原登记为领导群');
    const to = await digestRecipients(db.db);
    expect(to).toEqual([
      { receiveIdType: 'open_id', receiveId: LEADER, via: 'person:leader' },
      { receiveIdType: 'chat_id', receiveId: 'oc_office', via: 'chat:office' },
    ]);
  });

  it('a recalled progress report is withdrawn: the assignment goes back, the history shows 已撤回', async () => {
    await start();
    const first = await say(ENV, '进度 4.1.1 30%');
    expect(first.text).toContain('30%');
    const second = await say(ENV, '进度 4.1.1 60% 已完成排查');
    expect((await db.db.select().from(assignments).where(eq(assignments.id, fx.asg.t411env)))[0]).toMatchObject({ percent: 60, state: 'in_progress' });
    await post(lifecycle('im.message.recalled_v1', { message_id: second.messageId, chat_id: 'oc_chat', recall_time: String(Date.now()), recall_type: 'message_owner' }));
    const note = await waitFor(() => textsTo(ENV).find((t) => t.includes('撤回')));
    expect(note).toContain('已恢复为撤回前的状态：进度 30%');
    expect((await db.db.select().from(assignments).where(eq(assignments.id, fx.asg.t411env)))[0]).toMatchObject({ percent: 30, state: 'in_progress' });
    const reps = await db.db.select().from(progressReports).where(eq(progressReports.assignmentId, fx.asg.t411env));
    expect(reps.find((r) => r.sourceMessageId === second.messageId)!.withdrawnAt).not.toBeNull();
    expect(reps.find((r) => r.sourceMessageId === first.messageId)!.withdrawnAt).toBeNull();
    const card = await say(ENV, '任务 4.1.1');
    expect(card.text).toContain('已撤回');

    // A recalled completion claim: back to in progress, and the office hears it is withdrawn.
    const done = await say(ENV, '完成 4.1.1');
    expect((await db.db.select().from(assignments).where(eq(assignments.id, fx.asg.t411env)))[0]!.state).toBe('claimed');
    await post(lifecycle('im.message.recalled_v1', { message_id: done.messageId, chat_id: 'oc_chat', recall_time: String(Date.now()), recall_type: 'message_owner' }));
    await waitFor(() => textsTo(OFFICE).find((t) => t.includes('【已撤回】')));
    expect((await db.db.select().from(assignments).where(eq(assignments.id, fx.asg.t411env)))[0]).toMatchObject({ state: 'in_progress', percent: 30, claimedAt: null });
  });

  it('a person opening the bot chat is welcomed by role, once a day', async () => {
    await start();
    const enter = (openId: string) => lifecycle('im.chat.access_event.bot_p2p_chat_entered_v1', { chat_id: `oc_p2p_${openId}`, operator_id: { open_id: openId } });
    await post(enter(ANDING));
    await post(enter(ANDING));
    await post(enter(OFFICE));
    await post(enter('ou_newcomer'));
    expect(await waitFor(() => textsTo(ANDING)[0])).toContain('安定区 的联络员');
    expect(await waitFor(() => textsTo(OFFICE)[0])).toContain('未送达');
    expect(await waitFor(() => textsTo('ou_newcomer')[0])).toContain('绑定 <单位名称>');
    await new Promise((r) => setTimeout(r, 200));
    expect(textsTo(ANDING)).toHaveLength(1);
  });
});

describe('undelivered messages in front of the office', () => {
  it('未送达 lists them by reason with what to do; 重发 re-sends; contacts may not use it', async () => {
    await start();
    fake.failNext(230013);
    await say(ENV, '完成 4.1.1'); // its office notice fails: OFFICE is outside the app's availability
    await waitFor(async () => ((await db.db.select().from(outbox).where(eq(outbox.status, 'failed'))).length ? true : undefined));
    const list = await say(OFFICE, '未送达');
    expect(list.text).toContain('不在应用的可用范围内');
    expect(list.text).toContain('处理：');
    expect(list.text).toContain('可用范围');
    const id = /#(\d+)/.exec(list.text)![1];
    expect((await say(ENV, '未送达')).text).toContain('办公室');
    const again = await say(OFFICE, `未送达 重发 ${id}`);
    expect(again.text).toContain('已重新排队 1 条');
    await waitFor(async () => ((await db.db.select().from(outbox).where(eq(outbox.id, Number(id))))[0]!.status === 'sent' ? true : undefined));
    expect((await say(OFFICE, 'undelivered')).text).toContain('没有未送达的消息');
  });
});
