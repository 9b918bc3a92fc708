// Issue 17 end to end: signed Feishu events over real HTTP into the Node service, replies out through the SDK to the
// fake Feishu server. Replies and commands as people write them: code-led reports, replies to the monthly card and
// to 任务 answers, 全部无变化, 延期/撤回, paging and search, people changes, 指标, and the home of unused messages.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storedCard } from '../../src/cards/stored-card.js';
import { openNodeDatabase, type NodeDatabase } from '../../src/db/node.js';
import {
  assignments,
  bindRequests,
  extensionRequests,
  metricReports,
  outbox,
  people,
  progressReports,
  roleHistory,
  roles,
  targets,
  tasks,
  unmatchedMessages,
} from '../../src/db/schema.js';
import { startNodeService, type NodeService } from '../../src/node.js';
import { loadStatsInput } from '../../src/db/stats-store.js';
import { computeStats } from '../../src/domain/stats.js';
import { buildLedger } from '../../src/export/ledger.js';
import { startFakeLark, type FakeLark } from '../fake-lark/server.js';
import { ANDING, ENV, LEADER, OFFICE, seedFixture, type Fixture } from '../helpers/command-fixture.js';
import { messageEvent, postLarkEvent } from '../helpers/lark-events.js';
import { fakeFeishuServiceEnv, waitFor } from '../helpers/e2e.js';

const TOKEN = 'c17_token';
const KEY = 'c17_key';
let svc: NodeService;
let fake: FakeLark;
let db: NodeDatabase;
let fx: Fixture;
let base: string;
let dir: string;

beforeEach(async () => {
  fake = await startFakeLark({ directory: { names: { ou_newbie: '周八' } } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-c17-'));
  const file = path.join(dir, 'd.db');
  const seed = openNodeDatabase(file);
  fx = await seedFixture(seed.db);
  // 30 more tasks for 市生态环境局 (so 我的任务 pages), and a water-class target on 4.2.1.
  const [t421] = await seed.db.select().from(tasks).where(eq(tasks.id, fx.task.t421));
  for (let i = 1; i <= 30; i++) {
    const [t] = await seed.db
      .insert(tasks)
      .values({ planId: t421!.planId, code: `6.1.${i}`, chapter: 6, section: 1, seq: i, title: `黑臭水体整治第${i}段`, sourceText: `开展第${i}段黑臭水体整治。` })
      .returning();
    await seed.db.insert(assignments).values({ taskId: t!.id, unitId: fx.unit.env, role: 'lead' });
  }
  await seed.db.insert(targets).values({
    planId: t421!.planId, taskId: fx.task.t421, code: 'T-TAOHE', indicator: '洮河干流水质类别', aliases: ['洮河水质'],
    comparator: '<=', value: 2, unit: '类（Ⅱ类）', year: 2025,
  });
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
interface SayOpts {
  parentId?: string;
  rootId?: string;
  chatId?: string;
  chatType?: 'p2p' | 'group';
  mentions?: Array<{ key: string; name: string; openId: string }>;
}
/** Post a signed, encrypted message event; wait for the bot's reply; return its text (or card JSON) and id. */
async function sayFull(openId: string, text: string, extra: SayOpts = {}): Promise<{ text: string; messageId: string }> {
  const messageId = `om_c17_${++n}`;
  const res = await postLarkEvent(base, '/lark/events', messageEvent({ token: TOKEN, senderOpenId: openId, messageId, text, ...extra }), { encryptKey: KEY });
  expect(res.status).toBe(200);
  const m = await waitFor(() => fake.messages.find((x) => x.op === 'reply' && x.parent_id === messageId));
  // The reply's outbox row gets its Feishu message_id right after the send: wait so a reply to it can be tied.
  await waitFor(async () => (await db.db.select().from(outbox).where(eq(outbox.messageId, m.message_id)))[0]);
  const content = JSON.parse(m.content) as { text?: string };
  return { text: content.text ?? m.content, messageId: m.message_id };
}
const say = async (openId: string, text: string, extra: SayOpts = {}) => (await sayFull(openId, text, extra)).text;

const asg = async (id: number) => (await db.db.select().from(assignments).where(eq(assignments.id, id)))[0]!;
const reportsOf = async (id: number) => db.db.select().from(progressReports).where(eq(progressReports.assignmentId, id));

describe('replies and reports people naturally send', () => {
  it('a message starting with a task code is a progress report; a bare code shows the task', async () => {
    expect(await say(ENV, '4.1.1 进度50%')).toContain('已记录 4.1.1（市生态环境局）进度 50%');
    expect(await say(ANDING, '4.1.2 30% 已开工')).toContain('已记录 4.1.2（安定区）进度 30%');
    expect((await reportsOf(fx.asg.t412anding)).map((r) => [r.kind, r.percent, r.note])).toEqual([['progress', 30, '已开工']]);
    expect(await say(ANDING, '４。１。２ 完成')).toContain('申报完成');
    expect((await asg(fx.asg.t412anding)).state).toBe('claimed');
    expect(await say(ANDING, '4.2.1 50%')).toContain('不是你绑定的单位');
    expect(await say(ENV, '4.1.1')).toContain('"schema":"2.0"');
  });

  it('a reply to the bot’s answer to 任务 <编号> reports on the replier’s own assignment of that task', async () => {
    const answer = await sayFull(ANDING, '任务 4.1.1');
    expect(answer.text).toContain('"schema":"2.0"');
    expect(await say(ANDING, '40% 已完成摸底', { parentId: answer.messageId, rootId: answer.messageId })).toContain('已记录 4.1.1（安定区）进度 40%');
    expect((await asg(fx.asg.t411anding)).percent).toBe(40);
    // The percent is read out of the reply, not kept again in the note (as for a coded line).
    expect((await reportsOf(fx.asg.t411anding)).map((r) => [r.kind, r.percent, r.note])).toEqual([['progress', 40, '已完成摸底']]);
    expect((await asg(fx.asg.t411env)).percent).toBe(0);
    const envAnswer = await sayFull(ENV, '任务 4.1.1');
    expect(await say(ENV, '已完成排查，形成整治方案', { parentId: envAnswer.messageId })).toContain('已记录 4.1.1（市生态环境局）进展说明');
  });

  it('the monthly progress-request card: one line per task in the card’s own format, then 全部无变化', async () => {
    await db.db.insert(outbox).values({
      dedupeKey: `periodic:${fx.unit.env}:2022-07:c17:p1`,
      uuid: 'c17-periodic',
      receiveIdType: 'open_id',
      receiveId: ENV,
      msgType: 'interactive',
      content: JSON.stringify(
        storedCard('progress_request', {
          unitName: '市生态环境局',
          period: '2022-07',
          items: [
            { assignmentId: fx.asg.t421env, taskCode: '4.2.1', taskTitle: 'PM2.5 浓度控制', percent: 0, lastReportAt: null },
            { assignmentId: fx.asg.t511env, taskCode: '5.1.1', taskTitle: '长期巡查', percent: 0, lastReportAt: null },
          ],
          now: Date.now(),
        }),
      ),
      purpose: 'reminder',
      nextAttemptAt: 0,
    });
    await say(ENV, '帮助'); // wakes the sender
    const card = await waitFor(() => fake.messages.find((m) => m.op === 'send' && m.content.includes('进度报送')));
    expect(card.content).toContain('4.2.1 80% 已完成排查');
    await waitFor(async () => (await db.db.select().from(outbox).where(eq(outbox.messageId, card.message_id)))[0]);
    // The example the card itself suggests.
    expect(await say(ENV, '4.2.1 80% 已完成清单编制', { parentId: card.message_id })).toContain('已记录 4.2.1（市生态环境局）进度 80%');
    // Several lines for several tasks.
    const both = await say(ENV, '4.2.1 85% 清单已报省厅\n5.1.1 60% 巡查 12 次', { parentId: card.message_id });
    expect(both).toContain('4.2.1（市生态环境局）进度 85%');
    expect(both).toContain('5.1.1（市生态环境局）进度 60%');
    expect((await reportsOf(fx.asg.t511env)).map((r) => r.note)).toEqual(['巡查 12 次']);
    // Without a code on a two-task card: asked to name the task, the text is kept.
    expect(await say(ENV, '进展顺利', { parentId: card.message_id })).toContain('请在每行开头写任务编号');
    // The whole card.
    const all = await say(ENV, '全部无变化', { parentId: card.message_id });
    expect(all).toContain('4.2.1（市生态环境局） 本期无变化');
    expect(all).toContain('5.1.1（市生态环境局） 本期无变化');
    expect((await reportsOf(fx.asg.t421env)).map((r) => r.kind)).toEqual(['progress', 'progress', 'no_change']);
    // Not a reply: the bot cannot know which card, and says how.
    expect(await say(ENV, '全部无变化')).toContain('要回复（引用）那张进度报送卡片');
    // Someone else's card reply is refused per line.
    expect(await say(ANDING, '全部无变化', { parentId: card.message_id })).toContain('不是你绑定单位的任务');
  });
});

describe('延期 and 撤回', () => {
  it('a past date is refused showing the date understood, never moved to next year; the requester withdraws', async () => {
    const year = new Date().getUTCFullYear();
    const refused = await say(ENV, '延期 4.2.1 1月2日 数据滞后');
    expect(refused).toContain(`${year}年1月2日`);
    expect(refused).toContain('已经过去');
    expect(await db.db.select().from(extensionRequests)).toEqual([]);
    const id = Number(/#(\d+)/.exec(await say(ENV, `延期 4.2.1 ${year + 1}-03-31 数据滞后`))![1]);
    expect(await say(ANDING, `撤回 ${id}`)).toContain('不是你提交的');
    expect(await say(ENV, `撤回 ${id}`)).toContain(`已撤回延期申请 #${id}`);
    expect((await db.db.select().from(extensionRequests))[0]!.status).toBe('withdrawn');
    expect(await say(OFFICE, `批准 ${id}`)).toContain('撤回');
    expect((await asg(fx.asg.t421env)).extendedTo).toBeNull();
  });
});

describe('我的任务 pages; 任务 by section and keyword', () => {
  it('pages through 33 open tasks and lists a section or a keyword', async () => {
    const p1 = await say(ENV, '我的任务');
    expect(p1).toContain('未完成任务 33 项');
    expect(p1).toContain('第1/2页，发送「我的任务 2」或「下一页」查看下一页');
    const p2 = await say(ENV, '下一页');
    expect(p2).toContain('第2/2页');
    expect(p2.split('\n').filter((l) => /^\d+\.\d+\.\d+ /.test(l))).toHaveLength(13);
    expect(await say(ENV, '我的任务 2')).toEqual(p2);
    const section = await say(LEADER, '任务 4.1');
    expect(section).toContain('4.1.1 开展工业炉窑排查');
    expect(section).toContain('4.1.2 整治散乱污企业');
    expect(section).not.toContain('4.2.1');
    expect(section).toContain('第 4.1 节任务 2 项');
    expect(await say(LEADER, '任务 4')).toContain('第 4 章任务');
    expect(await say(LEADER, '任务 第4章')).toContain('第 4 章任务');
    expect(await say(LEADER, '任务 9.9')).toContain('没有第 9.9 节的任务');
    const found = await say(ENV, '任务 黑臭');
    expect(found).toContain('含“黑臭”的任务 30 项');
    expect(found).toContain('第1/2页');
    expect(await say(ENV, '任务 炉窑')).toContain('"schema":"2.0"');
    expect(await say(ENV, '任务 不存在的词')).toContain('没有找到含“不存在的词”的任务');
  });
});

describe('people change, keeping history', () => {
  it('a bind request names the person from the contact directory, or asks for the name', async () => {
    const r = await say('ou_newbie', '绑定 安定区');
    expect(r).toContain('周八 → 安定区');
    const notice = await waitFor(() => fake.messages.find((m) => m.op === 'send' && m.content.includes('绑定申请')));
    expect(notice.content).toContain('周八');
    expect(notice.content).not.toContain('ou_newbie');
    expect(await say('ou_anon', '绑定 安定区')).toContain('请写上你的姓名');
    expect(await say('ou_anon', '绑定 安定区 吴九')).toContain('吴九 → 安定区');
    expect((await db.db.select().from(bindRequests)).length).toBe(2);
  });

  it('the office’s 绑定 @某人 whose mention cannot be resolved says so and files nothing', async () => {
    expect(await say(OFFICE, '绑定 @王五 安定区')).toContain('没能识别你 @ 的人');
    expect(await db.db.select().from(bindRequests)).toEqual([]);
    const m = [{ key: '@_user_1', name: '赵六', openId: 'ou_zhao' }];
    expect(await say(OFFICE, '绑定 @_user_1 安定区', { mentions: m })).toContain('已将 赵六 绑定为「安定区」联络员');
  });

  it('交接 hands a unit over; 解绑 ends a role; both keep history', async () => {
    const m = [{ key: '@_user_1', name: '赵六', openId: 'ou_zhao' }];
    expect(await say(ANDING, '交接 @_user_1', { mentions: m })).toContain('已将 安定区 的联络员工作交接给 赵六');
    const zhao = (await db.db.select().from(people).where(eq(people.openId, 'ou_zhao')))[0]!;
    const anding = (await db.db.select().from(people).where(eq(people.openId, ANDING)))[0]!;
    expect(await db.db.select().from(roles).where(and(eq(roles.personId, zhao.id), eq(roles.unitId, fx.unit.anding)))).toHaveLength(1);
    expect(await db.db.select().from(roles).where(eq(roles.personId, anding.id))).toEqual([]);
    const hist = await db.db.select().from(roleHistory);
    expect(hist).toMatchObject([{ personId: anding.id, role: 'contact', unitId: fx.unit.anding, reason: 'handover', successorId: zhao.id }]);
    // The former contact can no longer report; the new one can.
    expect(await say(ANDING, '进度 4.1.2 10%')).toContain('还没有绑定');
    expect(await say('ou_zhao', '进度 4.1.2 10%')).toContain('已记录 4.1.2（安定区）进度 10%');
    // 解绑 oneself.
    const left = await say(ENV, '解绑');
    expect(left).toContain('已解除你的身份：市生态环境局联络员');
    // The contact who left is not told to run office commands; the office is told how, with the unit filled in.
    expect(left).toContain('市生态环境局 已没有联络员，已告知办公室安排接任。');
    expect(left).not.toContain('绑定 @某人');
    const notice = await waitFor(() => fake.messages.find((x) => x.op === 'send' && x.content.includes('【解绑】')));
    expect(notice.content).toContain('「交接 市生态环境局 @新联络员」或「绑定 @某人 市生态环境局」');
    expect((await db.db.select().from(roleHistory)).map((h) => h.reason)).toEqual(['handover', 'unbind']);
  });
});

describe('指标', () => {
  it('accepts values as the plan writes them, a period and a county; only the units’ targets; lists all', async () => {
    expect(await say(ENV, '指标 PM2.5 22 2022年7月')).toMatch(/已记录 PM2.5（细颗粒物） 2022年7月（市生态环境局） = 22μg\/m³。目标（2025年）≤ 24μg\/m³：✅ 已达标/);
    expect(await say(ENV, '指标 洮河水质 Ⅱ类')).toContain('✅ 已达标');
    expect(await say(ENV, '指标 洮河水质 III类 2022年8月')).toContain('⚠️ 未达标');
    // The unit goes once, before 以下/以上 (never "24以下μg/m³" or "22μg/m³μg/m³").
    expect(await say(ENV, '指标 细颗粒物 24以下 2022年9月')).toContain('= 24μg/m³以下。目标（2025年）≤ 24μg/m³：✅ 已达标');
    const rows = await db.db.select().from(metricReports);
    expect(rows.map((r) => [r.value, r.period])).toEqual([[22, '2022-07'], [2, null], [3, '2022-08'], [24, '2022-09']]);
    // A contact of units without targets is refused, told what they may report.
    expect(await say(ANDING, '指标 PM2.5 30')).toContain('不是你绑定单位的指标');
    expect(await say(ENV, '指标 臭氧 5')).toContain('你可以报送的指标：');
    const noValue = await say(ENV, '指标 PM2.5 很好');
    expect(noValue).toContain('看不懂数值“很好”');
    expect(noValue).toContain('你可以报送的指标：PM2.5（细颗粒物）、洮河干流水质类别（洮河水质）');
    expect(await say(ENV, '指标 PM2.5 22 安定区')).toContain('你不是 安定区 的联络员');
    // The office may report any, for a county.
    expect(await say(OFFICE, '指标 PM2.5 25 安定区 2022年8月')).toContain('（安定区）');
    expect((await db.db.select().from(metricReports)).at(-1)!.unitId).toBe(fx.unit.anding);
    const list = await say(LEADER, '指标');
    expect(list).toContain('全部指标 2 项');
    expect(list).toContain('PM2.5');
    expect(list).toContain('≤ 24μg/m³');
    expect(list).toContain('2022年8月');
    expect(list).toContain('洮河干流水质类别');
    expect(list).toContain('最新 Ⅲ类');
    expect(list).toContain('⚠️ 未达标');
    expect(await say(ANDING, '指标')).toContain('没有量化指标');
  });

  it('a county’s value never stands for the city: 指标, the digest’s numbers and the 台账 judge by city-wide reports', async () => {
    expect(await say(ENV, '指标 PM2.5 22 2022年7月')).toContain('✅ 已达标');
    // Later, a county reports a value over the target: the city's PM2.5 stays met.
    expect(await say(OFFICE, '指标 PM2.5 30 安定区 2022年8月')).toContain('（安定区）');
    const list = await say(LEADER, '指标');
    expect(list).toContain('全部指标 2 项：✅ 已达标 1，⚠️ 未达标 0，暂无数据 1');
    expect(list).toMatch(/• PM2\.5.*：最新 22μg\/m³（2022年7月，市生态环境局） ✅ 已达标\n  ◦ 安定区：最新 30μg\/m³（2022年8月） ⚠️ 未达标/);
    // No data is said once, not 尚无报送 and 暂无数据 both.
    expect(list).toMatch(/• 洮河干流水质类别.*：暂无数据$/m);
    expect(list).not.toContain('尚无报送');
    const input = await loadStatsInput(db.db, undefined, '2022-09-01');
    const pm = computeStats(input).targets.find((t) => t.indicator.startsWith('PM2.5'))!;
    expect([pm.latest?.value, pm.latest?.period, pm.status]).toEqual([22, '2022-07', 'met']);
    const ledger = (await buildLedger(db.db, 'dx2022', Date.now()))!;
    const row = ledger.targets.find((t) => t.indicator.startsWith('PM2.5'))!;
    expect([row.latestValue, row.latestPeriod, row.met]).toEqual([22, '2022年7月', '已达标']);
    // Only counties reported: the city has no value (and says so), the county line still shows.
    expect(await say(OFFICE, '指标 洮河水质 Ⅲ类 安定区')).toContain('（安定区）');
    const water = computeStats(await loadStatsInput(db.db, undefined, '2022-09-01')).targets.find((t) => t.indicator.startsWith('洮河'))!;
    expect([water.latest, water.status]).toEqual([null, 'no_data']);
    expect(await say(LEADER, '指标')).toMatch(/• 洮河干流水质类别.*：全市暂无数据\n  ◦ 安定区：最新 Ⅲ类（.+报送） ⚠️ 未达标/);
  });
});

describe('every message the bot could not use has a home', () => {
  it('the office lists kept messages and attaches one to a task as that unit’s progress note', async () => {
    expect(await say(ENV, '今天召开了推进会，部署下一步工作')).toContain('已保存');
    const list = await say(OFFICE, '未识别');
    const id = Number(/#(\d+)/.exec(list)![1]);
    expect(list).toContain('张环');
    expect(list).toContain('今天召开了推进会');
    expect(await say(OFFICE, `归入 ${id} 4.2.1`)).toContain(`已将消息 #${id}（张环）归入 4.2.1（市生态环境局）`);
    const notes = await reportsOf(fx.asg.t421env);
    expect(notes.map((r) => [r.kind, r.note, r.channel])).toEqual([['note', '今天召开了推进会，部署下一步工作', 'attach']]);
    expect(notes[0]!.personId).toBe((await db.db.select().from(people).where(eq(people.openId, ENV)))[0]!.id);
    expect((await db.db.select().from(unmatchedMessages))[0]!.resolvedAt).not.toBeNull();
    expect(await say(OFFICE, '未识别')).toContain('没有待处理的未识别消息');
    expect(await say(OFFICE, `归入 ${id} 4.2.1`)).toContain('已经归入过');
    expect(await say(ENV, '未识别')).toContain('仅限办公室');
  });
});

describe('本群设为 <单位>群', () => {
  it('notices for the unit go to its group, mentioning its contacts', async () => {
    const reg = await say(OFFICE, '本群设为 安定区群', { chatId: 'oc_anding_group', chatType: 'group' });
    expect(reg).toContain('安定区的提醒和通知今后发到本群，并 @ 该单位联络员（当前：李安）');
    await say(ANDING, '完成 4.1.2');
    expect(await say(OFFICE, '退回 4.1.2 缺少验收材料')).toContain('已退回');
    const notice = await waitFor(() => fake.messages.find((m) => m.op === 'send' && m.content.includes('缺少验收材料')));
    expect(notice.receive_id).toBe('oc_anding_group');
    expect(JSON.parse(notice.content).text).toMatch(/^<at user_id="ou_anding"><\/at> 【退回】/);
  });
});
