// Evidence, read receipts and 催办 over the real HTTP stack: signed Feishu events into the Node service, files
// downloaded through the SDK from the fake Feishu server, links opened over HTTP, the database checked from a
// second connection.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { openNodeDatabase, type NodeDatabase } from '../../src/db/node.js';
import { assignments, evidence, inboundEvents, outbox, people, roles } from '../../src/db/schema.js';
import { SESSION_COOKIE, startSession } from '../../src/board/session.js';
import { evidenceLink } from '../../src/evidence/links.js';
import { runUrgentStep } from '../../src/evidence/urgent.js';
import { createLarkIm } from '../../src/lark/im-extras.js';
import { silentLogger } from '../../src/logger.js';
import { startNodeService, type NodeService } from '../../src/node.js';
import { startFakeLark, type FakeLark, type FakeMessage } from '../fake-lark/server.js';
import { ANDING, ENV, OFFICE, seedFixture, type Fixture } from '../helpers/command-fixture.js';
import { messageEvent, postLarkEvent } from '../helpers/lark-events.js';
import { fakeFeishuServiceEnv, waitFor } from '../helpers/e2e.js';

const TOKEN = 'ev_token';
const KEY = 'ev_key';
const PUBLIC = 'https://duban.test';
// A real PNG header and some bytes.
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...Array.from({ length: 200 }, (_, i) => i % 256)]);
const PDF = new TextEncoder().encode('%PDF-1.4\n' + 'x'.repeat(500));

let svc: NodeService;
let fake: FakeLark;
let db: NodeDatabase;
let fx: Fixture;
let base: string;
let dir: string;
let env: Record<string, string>;

async function start(extra: Record<string, string> = {}) {
  fake = await startFakeLark();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-evidence-'));
  const file = path.join(dir, 'd.db');
  const seed = openNodeDatabase(file);
  fx = await seedFixture(seed.db);
  seed.close();
  env = fakeFeishuServiceEnv(file, fake.url, { token: TOKEN, key: KEY }, {
    EVIDENCE_DIR: path.join(dir, 'evidence'),
    OFFICE_OPEN_IDS: OFFICE,
    PUBLIC_BASE_URL: PUBLIC,
    // Each message answered at once; the batching test sets it.
    EVIDENCE_BATCH_SECONDS: '0',
    ...extra,
  });
  svc = await startNodeService(env);
  base = `http://127.0.0.1:${svc.port}`;
  db = openNodeDatabase(file);
}

beforeEach(async () => start());
afterEach(async () => {
  await svc.close();
  await fake.close();
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

let n = 0;
/** Post a signed, encrypted message event; wait for the bot's reply (the first one, or the one with `key` text). */
async function post(openId: string, input: { messageType?: string; content?: Record<string, unknown>; text?: string; parentId?: string; messageId?: string }) {
  const messageId = input.messageId ?? `om_ev_${++n}_${Date.now().toString(36)}`;
  const res = await postLarkEvent(
    base,
    '/lark/events',
    messageEvent({ token: TOKEN, senderOpenId: openId, messageId, messageType: input.messageType, content: input.content, text: input.text, ...(input.parentId ? { parentId: input.parentId, rootId: input.parentId } : {}) }),
    { encryptKey: KEY },
  );
  expect(res.status).toBe(200);
  const m = await waitFor(() => fake.messages.find((x: FakeMessage) => x.op === 'reply' && x.parent_id === messageId));
  return { messageId, reply: m, text: (JSON.parse(m.content) as { text?: string }).text ?? m.content };
}
const say = async (openId: string, text: string, parentId?: string) => (await post(openId, { text, ...(parentId ? { parentId } : {}) })).text;

/** A reminder row for an assignment, delivered through the sender; returns its Feishu message id. */
async function deliveredReminder(asgId: number, to: string): Promise<string> {
  const key = `reminder:test:${asgId}:${to}`;
  await db.db.insert(outbox).values({
    dedupeKey: key, uuid: `db-${asgId}-${to}`.slice(0, 40), receiveIdType: 'open_id', receiveId: to, msgType: 'text',
    content: JSON.stringify({ text: `【提醒】任务已逾期 ${asgId}` }), purpose: 'reminder', assignmentId: asgId, nextAttemptAt: 0,
  });
  await say(to, '帮助'); // wakes the sender
  return waitFor(async () => (await db.db.select().from(outbox).where(eq(outbox.dedupeKey, key)))[0]?.messageId ?? undefined);
}

const local = (url: string) => url.replace(PUBLIC, base);
const linkIn = (content: string) => {
  const m = /https:\/\/duban\.test\/evidence\/\d+\?t=[A-Za-z0-9_.%-]+/.exec(content);
  return m ? m[0] : null;
};
const personId = async (openId: string) => (await db.db.select().from(people).where(eq(people.openId, openId)))[0]!.id;

describe('evidence over the HTTP stack', () => {
  it('an image reply to a reminder becomes evidence the office can open and another unit cannot; tampered and expired links are refused', async () => {
    const reminderId = await deliveredReminder(fx.asg.t411env, ENV);
    const imgMsg = 'om_img_1';
    fake.addResource(imgMsg, 'img_v3_a', { bytes: PNG, contentType: 'image/png', type: 'image' });
    const r = await post(ENV, { messageId: imgMsg, messageType: 'image', content: { image_key: 'img_v3_a' }, parentId: reminderId });
    expect(r.text).toContain('已收到 4.1.1（市生态环境局） 的佐证材料 1 个');
    // Downloaded through the resource API with type=image.
    expect(fake.requests.some((q) => q.path === `/open-apis/im/v1/messages/${imgMsg}/resources/img_v3_a` && q.query.type === 'image')).toBe(true);
    const rows = await db.db.select().from(evidence);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ assignmentId: fx.asg.t411env, status: 'attached', via: 'reply', contentType: 'image/png', size: PNG.length });
    const blobFile = path.join(dir, 'evidence', rows[0]!.sha256.slice(0, 2), rows[0]!.sha256);
    expect(fs.readFileSync(blobFile)).toEqual(Buffer.from(PNG));

    // The office's 任务 card lists it with a personal link that opens the file.
    const card = (await post(OFFICE, { text: '任务 4.1.1' })).reply;
    expect(card.msg_type).toBe('interactive');
    expect(card.content).toContain('佐证材料');
    const link = linkIn(card.content)!;
    expect(link).toBeTruthy();
    const ok = await fetch(local(link));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
    expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
    expect(new Uint8Array(await ok.arrayBuffer())).toEqual(PNG);

    // 安定区's contact sees a count, no link; a link signed for them is refused (their unit is not 市生态环境局).
    const other = (await post(ANDING, { text: '任务 4.1.1' })).reply;
    expect(linkIn(other.content)).toBeNull();
    expect(other.content).toContain('仅该单位和办公室可查看');
    const config = parseConfig(env);
    const andingLink = (await evidenceLink({ db: db.db, config }, rows[0]!.id, await personId(ANDING), Date.now()))!;
    const refused = await fetch(local(andingLink));
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('无权查看');

    // Tampered: a character of the signature changed.
    const t = new URL(link).searchParams.get('t')!;
    const flipped = t.slice(0, -2) + (t.at(-2) === 'A' ? 'B' : 'A') + t.at(-1);
    const bad = await fetch(`${base}/evidence/${rows[0]!.id}?t=${encodeURIComponent(flipped)}`);
    expect(bad.status).toBe(403);
    expect(await bad.text()).toContain('链接校验未通过');
    // Another file id under a valid token.
    expect((await fetch(`${base}/evidence/${rows[0]!.id + 1}?t=${encodeURIComponent(t)}`)).status).toBe(403);
    // Expired: signed 73 hours ago (links last EVIDENCE_LINK_HOURS = 72).
    const old = (await evidenceLink({ db: db.db, config }, rows[0]!.id, await personId(OFFICE), Date.now() - 73 * 3600_000))!;
    const expired = await fetch(local(old));
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain('链接已过期');
    // No token, no session.
    expect((await fetch(`${base}/evidence/${rows[0]!.id}`)).status).toBe(401);
    // Without a token, the board session decides (the board's task page and the 台账 link /evidence/<id>).
    const cookie = async (openId: string) => `${SESSION_COOKIE}=${(await startSession({ db: db.db, config }, await personId(openId), 'link', Date.now())).cookie}`;
    const viaBoard = await fetch(`${base}/evidence/${rows[0]!.id}`, { headers: { cookie: await cookie(OFFICE) } });
    expect(viaBoard.status).toBe(200);
    expect((await fetch(`${base}/evidence/${rows[0]!.id}`, { headers: { cookie: await cookie(ENV) } })).status).toBe(200);
    expect((await fetch(`${base}/evidence/${rows[0]!.id}`, { headers: { cookie: await cookie(ANDING) } })).status).toBe(403);
    // A contact who loses the unit loses the file, even with a link signed while they had it.
    const envLink = (await evidenceLink({ db: db.db, config }, rows[0]!.id, await personId(ENV), Date.now()))!;
    expect((await fetch(local(envLink))).status).toBe(200);
    await db.db.delete(roles).where(eq(roles.personId, await personId(ENV)));
    expect((await fetch(local(envLink))).status).toBe(403);
  });

  it('photos sent one by one get one confirmation with the count (Node batching)', async () => {
    await svc.close();
    db.close();
    await fake.close();
    await start({ EVIDENCE_BATCH_SECONDS: '4' });
    const reminderId = await deliveredReminder(fx.asg.t411env, ENV);
    const ids = ['om_b1', 'om_b2', 'om_b3'];
    for (const [i, id] of ids.entries()) fake.addResource(id, `img_b${i}`, { bytes: PNG.map((b, j) => (j === 20 ? i : b)), contentType: 'image/png', type: 'image' });
    for (const [i, id] of ids.entries()) {
      const ev = messageEvent({ token: TOKEN, senderOpenId: ENV, messageId: id, messageType: 'image', content: { image_key: `img_b${i}` }, parentId: reminderId, rootId: reminderId });
      expect((await postLarkEvent(base, '/lark/events', ev, { encryptKey: KEY })).status).toBe(200);
    }
    await waitFor(async () => ((await db.db.select().from(evidence)).length === 3 ? true : undefined)).catch(async (e) => {
      console.log(JSON.stringify((await db.db.select().from(inboundEvents)).map((r) => [r.key, r.status, r.error])));
      throw e;
    });
    // Answered as a reply to whichever message was processed first.
    const first = await waitFor(() => fake.messages.find((m) => ids.includes(m.parent_id ?? '')), 20_000);
    expect((JSON.parse(first.content) as { text: string }).text).toContain('已收到 4.1.1（市生态环境局） 的佐证材料 3 个（3 条消息），该项共 3 个');
    await new Promise((r) => setTimeout(r, 1500));
    expect(fake.messages.filter((m) => ids.includes(m.parent_id ?? ''))).toHaveLength(1);
  });

  it('oversized and executable files are refused with a reason; a download error is explained', async () => {
    await svc.close();
    db.close();
    await fake.close();
    await start({ EVIDENCE_MAX_MB: '1' });
    const big = new Uint8Array(1_500_000);
    big.set(PDF.slice(0, 9));
    fake.addResource('om_big', 'file_big', { bytes: big, contentType: 'application/pdf' });
    const r1 = await post(ENV, { messageId: 'om_big', messageType: 'file', content: { file_key: 'file_big', file_name: '4.1.1 排查台账.pdf' } });
    expect(r1.text).toContain('文件过大（1.4 MB），超过 1.0 MB 的上限');
    const exe = new Uint8Array([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0]);
    fake.addResource('om_exe', 'file_exe', { bytes: exe, contentType: 'application/octet-stream' });
    const r2 = await post(ENV, { messageId: 'om_exe', messageType: 'file', content: { file_key: 'file_exe', file_name: '4.1.1 工具.pdf' } });
    expect(r2.text).toContain('不接受可执行文件');
    const r3 = await post(ENV, { messageId: 'om_gone', messageType: 'file', content: { file_key: 'file_nowhere', file_name: 'a.pdf' } });
    expect(r3.text).toContain('文件与消息不匹配 (234003)');
    expect(await db.db.select().from(evidence)).toHaveLength(0);
  });

  it('a caption with the task code attaches a post image; recalling the message removes the rows and the file', async () => {
    fake.addResource('om_post', 'img_p1', { bytes: PNG, contentType: 'image/png', type: 'image' });
    const pdfBytes = PDF;
    fake.addResource('om_post', 'img_p2', { bytes: new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]), contentType: 'image/jpeg', type: 'image' });
    void pdfBytes;
    const r = await post(ANDING, {
      messageId: 'om_post',
      messageType: 'post',
      content: { title: '', content: [[{ tag: 'text', text: '4.1.2 现场照片' }], [{ tag: 'img', image_key: 'img_p1' }, { tag: 'img', image_key: 'img_p2' }]] },
    });
    expect(r.text).toContain('已收到 4.1.2（安定区） 的佐证材料 2 个');
    const rows = await db.db.select().from(evidence);
    expect(rows.map((x) => [x.assignmentId, x.via])).toEqual([[fx.asg.t412anding, 'code'], [fx.asg.t412anding, 'code']]);
    const files = rows.map((x) => path.join(dir, 'evidence', x.sha256.slice(0, 2), x.sha256));
    expect(files.every((f) => fs.existsSync(f))).toBe(true);

    const recall = {
      schema: '2.0',
      header: { event_id: 'ev_recall_1', event_type: 'im.message.recalled_v1', create_time: String(Date.now()), token: TOKEN, app_id: 'cli_fake_app', tenant_key: 'fake_tenant' },
      event: { message_id: 'om_post', chat_id: 'oc_chat', recall_time: String(Date.now()), recall_type: 'message_owner' },
    };
    expect((await postLarkEvent(base, '/lark/events', recall, { encryptKey: KEY })).status).toBe(200);
    await waitFor(async () => ((await db.db.select().from(evidence)).length === 0 ? true : undefined));
    await waitFor(() => (files.every((f) => !fs.existsSync(f)) ? true : undefined));
  });

  it('a file it cannot place is kept and the sender asked; a reply with the code attaches it; a photo right after a report goes with it', async () => {
    fake.addResource('om_lost', 'file_x', { bytes: PDF, contentType: 'application/pdf' });
    const r = await post(ENV, { messageId: 'om_lost', messageType: 'file', content: { file_key: 'file_x', file_name: '整治方案.pdf' } });
    expect(r.text).toContain('已暂存 1 个文件，但不知道属于哪项任务');
    expect((await db.db.select().from(evidence))[0]).toMatchObject({ status: 'pending', assignmentId: null });
    const answer = await say(ENV, '4.1.1', r.reply.message_id);
    expect(answer).toContain('已将 1 个文件归入 4.1.1（市生态环境局） 的佐证材料，该项共 1 个');
    expect((await db.db.select().from(evidence))[0]).toMatchObject({ status: 'attached', assignmentId: fx.asg.t411env, via: 'follow_up' });
    expect(await say(ENV, '佐证 4.1.1')).toContain('你没有待归属的文件');

    expect(await say(ENV, '进度 4.2.1 30% 监测点位已确定')).toContain('进度 30%');
    fake.addResource('om_after', 'img_w', { bytes: PNG, contentType: 'image/png', type: 'image' });
    const w = await post(ENV, { messageId: 'om_after', messageType: 'image', content: { image_key: 'img_w' } });
    expect(w.text).toContain('已收到 4.2.1（市生态环境局） 的佐证材料 1 个（按你刚才的报送归入）');

    // A post whose text is a command: the report first, then its photo on that report's assignment (two answers).
    fake.addResource('om_cmdpost', 'img_c', { bytes: PNG, contentType: 'image/png', type: 'image' });
    await post(ENV, { messageId: 'om_cmdpost', messageType: 'post', content: { title: '', content: [[{ tag: 'text', text: '进度 4.1.1 70% 已完成排查' }], [{ tag: 'img', image_key: 'img_c' }]] } });
    const answers = await waitFor(() => {
      const r = fake.messages.filter((m) => m.parent_id === 'om_cmdpost');
      return r.length === 2 ? r.map((m) => (JSON.parse(m.content) as { text: string }).text) : undefined;
    });
    expect(answers[0]).toContain('已记录 4.1.1（市生态环境局）进度 70%');
    expect(answers[1]).toContain('已收到 4.1.1（市生态环境局） 的佐证材料 1 个（按你刚才的报送归入），该项共 2 个');
  });

  it('销号 can require evidence; 退回 asking for it tells the unit how to send it', async () => {
    expect(await say(OFFICE, '佐证要求 开')).toContain('销号前须有佐证材料');
    expect(await say(ANDING, '完成 4.1.2')).toContain('申报完成');
    expect(await say(OFFICE, '销号 4.1.2 安定区')).toContain('不能销号');
    expect((await db.db.select().from(assignments).where(eq(assignments.id, fx.asg.t412anding)))[0]!.state).toBe('claimed');
    expect(await say(OFFICE, '退回 4.1.2 安定区 请附排查台账和现场照片')).toContain('已退回');
    const notice = await waitFor(() => fake.messages.find((m) => m.op === 'send' && m.receive_id === ANDING && m.content.includes('【退回】')));
    expect(notice.content).toContain('请补充佐证材料：直接回复本消息发送照片或文件');
    // Replying to the notice with a photo attaches it to that assignment.
    fake.addResource('om_fix', 'img_fix', { bytes: PNG, contentType: 'image/png', type: 'image' });
    const r = await post(ANDING, { messageId: 'om_fix', messageType: 'image', content: { image_key: 'img_fix' }, parentId: notice.message_id });
    expect(r.text).toContain('4.1.2（安定区）');
    expect(await say(ANDING, '完成 4.1.2')).toContain('申报完成');
    expect(await say(OFFICE, '销号 4.1.2 安定区')).toContain('已销号');
  });
});

describe('催办 and read receipts over the HTTP stack', () => {
  it('催办 is delivered once within 30 minutes; 已读 tells 未读 from 已读未报; a missing scope is said', async () => {
    expect(await say(OFFICE, '催办 4.1.1 安定区')).toContain('4.1.1（安定区）：已催办（1 个接收方）');
    const urge = await waitFor(() => fake.messages.find((m) => m.op === 'send' && m.receive_id === ANDING && m.content.includes('【催办】')));
    expect(await say(OFFICE, 'urge 4.1.1 安定区')).toContain('30 分钟内不重复发送');
    expect(await say(OFFICE, '催办 4.1.1')).toMatch(/4\.1\.1（市生态环境局）：已催办[\s\S]*4\.1\.1（安定区）：\d\d:\d\d 已催办过/);
    await waitFor(() => fake.messages.find((m) => m.op === 'send' && m.receive_id === ENV && m.content.includes('【催办】')));
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.messages.filter((m) => m.content.includes('【催办】') && m.receive_id === ANDING)).toHaveLength(1);
    // Wait until both rows carry their Feishu message ids.
    await waitFor(async () => ((await db.db.select().from(outbox)).filter((o) => o.dedupeKey.startsWith('urge:') && o.messageId).length === 2 ? true : undefined));

    fake.setReadUsers(urge.message_id, [ANDING]);
    const read = await say(OFFICE, '已读情况 4.1.1');
    expect(read).toContain('未读 1 项');
    expect(read).toMatch(/未读 1 项：\n {2}• 4\.1\.1（市生态环境局）/);
    expect(read).toMatch(/已读未报 1 项：\n {2}• 4\.1\.1（安定区）/);
    expect(fake.requests.some((q) => q.path.endsWith('/read_users') && q.query.user_id_type === 'open_id')).toBe(true);
    // The overdue list without a code covers every overdue assignment.
    expect(await say(OFFICE, '已读情况')).toContain('逾期任务最近一次提醒的阅读情况');

    fake.failIm('read_users', 99991672);
    expect(await say(OFFICE, 'read 4.1.1 安定区')).toContain('im:message:readonly');
    // Only the office.
    expect(await say(ENV, '催办 4.1.1')).toContain('办公室');
  });

  it('the policy buzzes overdue reminders once (urgent_app), falling back to a plain message where not allowed', async () => {
    expect(await say(OFFICE, '加急 3')).toContain('逾期 3 天及以上');
    await say(OFFICE, '催办 4.1.1 安定区');
    await waitFor(async () => ((await db.db.select().from(outbox)).find((o) => o.dedupeKey.startsWith('urge:') && o.messageId) ? true : undefined));
    const config = parseConfig(env);
    const im = createLarkIm(config, { download: 'sdk' });
    const step = (now: number) => runUrgentStep({ db: db.db, larkIm: im, logger: silentLogger, config }, now);
    expect(await step(Date.now())).toMatchObject({ buzzed: 1 });
    expect(fake.urgents).toHaveLength(1);
    expect(fake.urgents[0]!.user_id_list).toEqual([ANDING]);
    expect(await step(Date.now())).toMatchObject({ buzzed: 0, fallback: 0 });

    fake.failIm('urgent', 230027);
    await say(OFFICE, '催办 4.1.1 市生态环境局');
    await waitFor(async () => ((await db.db.select().from(outbox)).filter((o) => o.dedupeKey.startsWith('urge:') && o.messageId).length === 2 ? true : undefined));
    expect(await step(Date.now())).toMatchObject({ fallback: 1 });
    const fallback = (await db.db.select().from(outbox)).find((o) => o.dedupeKey.startsWith('urgent-fallback:'));
    expect(fallback?.receiveId).toBe(ENV);
    expect(fallback?.content).toContain('【加急】4.1.1（市生态环境局）');
    expect(fake.urgents).toHaveLength(1);
  });
});
