// End to end: signed Feishu events over real HTTP into the Node service, replies out through the SDK to the
// fake Feishu server; the database is checked from a second connection.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openNodeDatabase, type NodeDatabase } from '../../src/db/node.js';
import { assignments, auditLog, extensionRequests, outbox, progressReports, unmatchedMessages } from '../../src/db/schema.js';
import { startNodeService, type NodeService } from '../../src/node.js';
import { startFakeLark, type FakeLark, type FakeMessage } from '../fake-lark/server.js';
import { ANDING, ENV, OFFICE, seedFixture, type Fixture } from '../helpers/command-fixture.js';
import { cardActionEvent, messageEvent, postLarkEvent } from '../helpers/lark-events.js';
import { fakeFeishuServiceEnv, waitFor } from '../helpers/e2e.js';

const TOKEN = 'cmd_token';
const KEY = 'cmd_key';
let svc: NodeService;
let fake: FakeLark;
let db: NodeDatabase;
let fx: Fixture;
let base: string;
let dir: string;

beforeEach(async () => {
  fake = await startFakeLark();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-cmd-e2e-'));
  const file = path.join(dir, 'd.db');
  const seed = openNodeDatabase(file);
  fx = await seedFixture(seed.db);
  seed.close();
  svc = await startNodeService(fakeFeishuServiceEnv(file, fake.url, { token: TOKEN, key: KEY }, { OFFICE_OPEN_IDS: OFFICE }));
  base = `http://127.0.0.1:${svc.port}`;
  db = openNodeDatabase(file);
});
afterEach(async () => {
  await svc.close();
  await fake.close();
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

let n = 0;
/** Post a signed, encrypted message event; wait for the bot's reply to reach the fake Feishu. */
async function say(openId: string, text: string, extra: { parentId?: string; rootId?: string } = {}): Promise<string> {
  const messageId = `om_e2e_${++n}`;
  const res = await postLarkEvent(base, '/lark/events', messageEvent({ token: TOKEN, senderOpenId: openId, messageId, text, ...extra }), { encryptKey: KEY });
  expect(res.status).toBe(200);
  const m = await waitFor(() => fake.messages.find((x: FakeMessage) => x.op === 'reply' && x.parent_id === messageId));
  const content = JSON.parse(m.content) as { text?: string };
  return content.text ?? m.content;
}

describe('chat commands over the real HTTP stack', () => {
  it('progress, a refusal and a bad percent: replies reach Feishu, only the good one is recorded', async () => {
    expect(await say(ENV, '进度 4.1.1 60% 已完成排查，形成整治方案')).toContain('已记录 4.1.1（市生态环境局）进度 60%');
    expect(await say(ANDING, '进度 4.2.1 50%')).toContain('不是你绑定的单位');
    expect(await say(ENV, '进度 4.1.1 150%')).toContain('0–100');
    expect(await say(ENV, '批准 1')).toContain('仅限办公室');
    const reps = await db.db.select().from(progressReports);
    expect(reps.map((r) => [r.kind, r.percent, r.note])).toEqual([['progress', 60, '已完成排查，形成整治方案']]);
    expect((await db.db.select().from(auditLog)).map((a) => a.action)).toEqual(['assignment.progress']);
  });

  it('a reply in thread to a delivered reminder updates that assignment', async () => {
    await db.db.insert(outbox).values({
      dedupeKey: 'reminder:e2e',
      uuid: 'db-e2e-reminder',
      receiveIdType: 'open_id',
      receiveId: ENV,
      msgType: 'text',
      content: JSON.stringify({ text: '【提醒】4.1.1 已逾期' }),
      purpose: 'reminder',
      assignmentId: fx.asg.t411env,
      nextAttemptAt: 0,
    });
    // Wake the sender with any event; the reminder goes out and gets a Feishu message_id.
    await say(ENV, '帮助');
    const sent = await waitFor(() => fake.messages.find((m) => m.op === 'send' && m.content.includes('已逾期')));
    const rowSent = async () => (await db.db.select().from(outbox).where(eq(outbox.dedupeKey, 'reminder:e2e')))[0]?.messageId;
    for (let i = 0; i < 200 && !(await rowSent()); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await say(ENV, '80% 整治方案已报批', { parentId: sent.message_id, rootId: sent.message_id })).toContain('进度 80%');
    expect((await db.db.select().from(assignments).where(eq(assignments.id, fx.asg.t411env)))[0]!.percent).toBe(80);
  });

  it('a card button answers with a toast and an updated card; a form submit records', async () => {
    const res = await postLarkEvent(base, '/lark/cards', cardActionEvent({ token: TOKEN, operatorOpenId: ENV, value: { a: 'same', asg: fx.asg.t411env } }), { encryptKey: KEY });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { toast: { type: string; content: string }; card: { type: string; data: Record<string, unknown> } };
    expect(body.toast.type).toBe('success');
    expect(body.card.type).toBe('raw');
    expect(JSON.stringify(body.card.data)).toContain('4.1.1');
    const form = await postLarkEvent(
      base,
      '/lark/cards',
      cardActionEvent({ token: TOKEN, operatorOpenId: ENV, value: { a: 'progress', asg: fx.asg.t411env }, formValue: { percent: '70', note: '方案已送审', evidence: 'https://e.example/1' } }),
      { encryptKey: KEY },
    );
    expect(((await form.json()) as { toast: { content: string } }).toast.content).toContain('进度 70%');
    expect((await db.db.select().from(progressReports)).map((r) => [r.kind, r.channel])).toEqual([
      ['no_change', 'card'],
      ['progress', 'card'],
    ]);
  });

  it('unknown command, empty text, 5,000 characters and emoji are answered; the text is kept', async () => {
    expect(await say(ENV, '你好呀 😀')).toContain('已保存');
    expect(await say(ENV, '')).toContain('消息是空的');
    const long = '情况说明'.repeat(1250);
    expect(await say(ENV, long)).toContain('已保存');
    expect(await say(ENV, `进度 ４。１。１ ６０％ ${long}`)).toContain('已保留前 1000 字');
    const kept = await db.db.select().from(unmatchedMessages);
    expect(kept.map((u) => u.reason)).toEqual(['unknown_command', 'empty', 'unknown_command']);
    expect(kept[2]!.text).toBe(long);
    expect((await db.db.select().from(progressReports)).map((r) => r.percent)).toEqual([60]);
  });

  it('extension reject tells the requester and keeps the deadline', async () => {
    const id = Number(/#(\d+)/.exec(await say(ENV, '延期 4.2.1 2026年12月底 数据滞后'))?.[1] ?? NaN);
    expect(id).toBeGreaterThan(0);
    expect(await say(OFFICE, `驳回 ${id} 考核节点不变`)).toContain('已驳回');
    await waitFor(() => fake.messages.find((m) => m.receive_id === ENV && m.content.includes('考核节点不变')));
    expect((await db.db.select().from(assignments).where(eq(assignments.id, fx.asg.t421env)))[0]!.extendedTo).toBeNull();
  });

  it('extension approve and return/close round trips', async () => {
    // The service runs on the real clock: a date in next year's July is always ahead.
    const r = await say(ANDING, `延期 4.1.2 ${new Date().getUTCFullYear() + 1}年7月底 雨季施工受限`);
    const id = Number(/#(\d+)/.exec(r)![1]);
    await waitFor(() => fake.messages.find((m) => m.receive_id === OFFICE && m.content.includes(`批准 ${id}`)));
    expect(await say(OFFICE, `批准 ${id}`)).toContain('已批准');
    await waitFor(() => fake.messages.find((m) => m.receive_id === ANDING && m.content.includes('已批准')));
    expect((await db.db.select().from(extensionRequests))[0]!.status).toBe('approved');
    await say(ANDING, '完成 4.1.2');
    expect(await say(OFFICE, '退回 4.1.2 缺少材料')).toContain('已退回');
    await waitFor(() => fake.messages.find((m) => m.receive_id === ANDING && m.content.includes('缺少材料')));
    await say(ANDING, '完成 4.1.2 已补充');
    expect(await say(OFFICE, '销号 4.1.2')).toContain('已销号');
    expect((await db.db.select().from(assignments).where(eq(assignments.id, fx.asg.t412anding)))[0]!.state).toBe('closed');
  });
});
