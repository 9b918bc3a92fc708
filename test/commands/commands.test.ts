import { and, eq, like } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createInboundHandlers } from '../../src/commands/handlers.js';
import {
  assignments,
  auditLog,
  bindRequests,
  chats,
  extensionRequests,
  metricReports,
  outbox,
  people,
  progressReports,
  roles,
  unmatchedMessages,
} from '../../src/db/schema.js';
import type { IncomingMessage, InboundHandlers } from '../../src/domain/types.js';
import { createStaticContactDirectory } from '../../src/lark/contact.js';
import { ANDING, ENV, LEADER, OFFICE, STRANGER, message, seedFixture, type Fixture } from '../helpers/command-fixture.js';
import { createTestDeps, type TestDeps } from '../helpers/deps.js';

let deps: TestDeps;
let h: InboundHandlers;
let fx: Fixture;

beforeEach(async () => {
  deps = createTestDeps({ OFFICE_OPEN_IDS: OFFICE });
  fx = await seedFixture(deps.db);
  deps.contacts = createStaticContactDirectory({ 'zhao@dx.gov.cn': 'ou_zhao', '13800000001': 'ou_qian' });
  h = createInboundHandlers(deps);
});
afterEach(() => deps.close());

/** Send a message; return the text of the bot's reply (or the card JSON as a string). */
async function say(openId: string, text: string, extra: Partial<IncomingMessage> = {}): Promise<string> {
  const m = message(openId, text, extra);
  await h.onMessage(m, deps.clock());
  const rows = await deps.db.select().from(outbox).where(like(outbox.dedupeKey, `reply:${m.messageId}%`));
  expect(rows.length, `one reply for “${text}”`).toBeGreaterThan(0);
  expect(rows.every((r) => r.op === 'reply' && r.targetMessageId === m.messageId)).toBe(true);
  return rows.map((r) => (r.msgType === 'text' ? (JSON.parse(r.content) as { text: string }).text : r.content)).join('\n');
}

const asg = async (id: number) => (await deps.db.select().from(assignments).where(eq(assignments.id, id)))[0]!;
const audits = () => deps.db.select().from(auditLog);
const reports = () => deps.db.select().from(progressReports);
const unmatched = () => deps.db.select().from(unmatchedMessages);
const notices = () => deps.db.select().from(outbox).where(eq(outbox.purpose, 'notice'));

/** Snapshot of everything a failed command must not touch. */
async function stateSnapshot() {
  return JSON.stringify([
    await deps.db.select().from(assignments),
    await audits(),
    await reports(),
    await deps.db.select().from(extensionRequests),
    await deps.db.select().from(roles),
    await notices(),
  ]);
}

describe('帮助', () => {
  it('lists what the role may use; strangers are told how to get bound', async () => {
    const office = await say(OFFICE, '帮助');
    expect(office).toContain('批准 <申请号>');
    expect(office).toContain('进度 <编号>');
    const contact = await say(ENV, '/help');
    expect(contact).toContain('进度 <编号>');
    expect(contact).not.toContain('批准 <申请号>');
    const leader = await say(LEADER, 'help');
    expect(leader).toContain('任务 <编号>');
    expect(leader).not.toContain('进度 <编号>');
    const stranger = await say(STRANGER, '帮助');
    expect(stranger).toContain('绑定 <单位名称>');
    expect(stranger).not.toContain('任务 <编号>');
  });
});

describe('我的任务 and 任务', () => {
  it('lists the contact’s open assignments, nearest deadline first, with lights', async () => {
    const r = await say(ANDING, '我的任务');
    expect(r).toContain('4.1.1');
    expect(r).toContain('4.1.2');
    expect(r.indexOf('4.1.1')).toBeLessThan(r.indexOf('4.1.2'));
    expect(r).toContain('🟡');
    expect(r).not.toContain('4.2.1');
  });
  it('shows a task card with source text, units, deadlines, targets and buttons for the own unit', async () => {
    const r = await say(ENV, '任务 ４。２。１');
    const card = JSON.parse(r) as { schema: string; body: { elements: unknown[] } };
    expect(card.schema).toBe('2.0');
    expect(r).toContain('PM2.5浓度控制在24微克');
    expect(r).toContain('市生态环境局');
    expect(r).toContain('到2025年');
    expect(r).toContain('"a":"progress_form"');
  });
  it('a near-miss code gets did-you-mean', async () => {
    const r = await say(ENV, '任务 4.1.3');
    expect(r).toContain('没有编号为 4.1.3');
    expect(r).toContain('4.1.1');
  });
});

describe('进度 / 完成 / 无变化', () => {
  it('records progress atomically: assignment, report and audit, with a short factual reply', async () => {
    const r = await say(ENV, '进度 4.1.1 60% 已完成排查，形成整治方案');
    expect(r).toContain('已记录 4.1.1（市生态环境局）进度 60%');
    expect(r).toContain('截止 6月30日');
    const a = await asg(fx.asg.t411env);
    expect(a).toMatchObject({ percent: 60, state: 'in_progress' });
    expect(await reports()).toMatchObject([{ kind: 'progress', percent: 60, note: '已完成排查，形成整治方案', channel: 'chat' }]);
    expect(await audits()).toMatchObject([{ action: 'assignment.progress', entity: 'assignment', entityId: String(fx.asg.t411env) }]);
    // The co-unit's assignment on the same task is untouched.
    expect((await asg(fx.asg.t411anding)).percent).toBe(0);
  });
  it('accepts full-width text, English aliases and emoji in notes', async () => {
    expect(await say(ENV, 'ｐｒｏｇｒｅｓｓ　４．１．１　８０％ 👍 进展顺利')).toContain('进度 80%');
    expect((await reports())[0]!.note).toBe('👍 进展顺利');
    expect(await say(ENV, '进度4.1.1 85%')).toContain('进度 85%');
  });
  it('无变化 keeps the percent and records a no_change report', async () => {
    await say(ANDING, '进度 4.1.2 30%');
    const r = await say(ANDING, '无变化 4.1.2');
    expect(r).toContain('本期无变化，进度仍为 30%');
    expect((await reports()).map((x) => x.kind)).toEqual(['progress', 'no_change']);
  });
  it('完成 claims completion and notifies the office', async () => {
    const r = await say(ANDING, '完成 4.1.2 已全部取缔');
    expect(r).toContain('申报完成，等待办公室核验');
    expect(await asg(fx.asg.t412anding)).toMatchObject({ state: 'claimed', percent: 100 });
    const n = await notices();
    expect(n).toHaveLength(1);
    expect(n[0]).toMatchObject({ receiveIdType: 'open_id', receiveId: OFFICE });
    expect(n[0]!.content).toContain('销号 4.1.2');
  });
  it('a contact bound to one of two units of a task updates only their own', async () => {
    await say(ANDING, '进度 4.1.1 20%');
    expect((await asg(fx.asg.t411anding)).percent).toBe(20);
    expect((await asg(fx.asg.t411env)).percent).toBe(0);
  });
  it('5,000 characters: the note is cut to 1,000 and the reply says so', async () => {
    const r = await say(ENV, `进度 4.1.1 50% ${'很长的说明'.repeat(1000)}`);
    expect(r).toContain('已保留前 1000 字');
    expect([...(await reports())[0]!.note!].length).toBe(1000);
  });
});

describe('bad input: exact error, correct form, nothing written but the reply', () => {
  it.each([
    [ENV, '进度 4.1.1 150%', ['0–100', '正确格式：进度 <编号>']],
    [ENV, '进度 4.1.1', ['缺少进度', '例如：进度 4.1.1 60%']],
    [ENV, '进度 4.1.9 50%', ['没有编号为 4.1.9', '4.1.1']],
    [ENV, '进度 abc 50%', ['不是任务编号']],
    [ENV, '延期 4.1.1 明天吧 施工季节', ['日期“明天吧”看不懂', '7月31日']],
    [ENV, '延期 4.1.1 2022-02-30 原因', ['不存在']],
    [ANDING, '进度 4.2.1 50%', ['不是你绑定的单位']],
    [ENV, '进读 4.1.1 50%', ['你是不是要用「进度」']],
    [ENV, '', ['消息是空的']],
    [ENV, '   \u200b ', ['消息是空的']],
  ])('%s: “%s”', async (who, text, wants) => {
    const before = await stateSnapshot();
    const r = await say(who, text);
    for (const w of wants) expect(r).toContain(w);
    expect(await stateSnapshot()).toBe(before);
  });
  it('unparseable text is kept in unmatched_messages', async () => {
    await say(ENV, '今天天气不错 ☀️');
    await say(ENV, '进度 4.1.1 150%');
    const u = await unmatched();
    expect(u.map((x) => [x.text, x.reason])).toEqual([
      ['今天天气不错 ☀️', 'unknown_command'],
      ['进度 4.1.1 150%', 'bad_args:进度'],
    ]);
  });
  it('5,000 characters of free text are kept whole and answered', async () => {
    const text = '测'.repeat(5000);
    const r = await say(ENV, text);
    expect(r).toContain('已保存');
    expect((await unmatched())[0]!.text).toBe(text);
  });
  it('a non-text message is answered and recorded', async () => {
    expect(await say(ENV, '', { messageType: 'image' })).toContain('只能识别文字消息');
    expect((await unmatched())[0]!.reason).toBe('non_text:image');
  });
  it('the same message delivered twice is answered and applied once', async () => {
    const m = message(ENV, '进度 4.1.1 40%');
    await h.onMessage(m, deps.clock());
    await h.onMessage(m, deps.clock());
    expect(await reports()).toHaveLength(1);
  });
});

describe('role refusals', () => {
  it.each([
    [LEADER, '进度 4.1.1 50%', '「进度」仅限办公室或单位联络员使用，你的身份是领导'],
    [LEADER, '批准 1', '仅限办公室'],
    [ENV, '销号 4.1.1', '仅限办公室'],
    [ENV, '本群设为 办公室群', '仅限办公室'],
    [STRANGER, '进度 4.1.1 50%', '绑定 <单位名称>'],
    [STRANGER, '我的任务', '你还没有绑定单位'],
  ])('%s: %s', async (who, text, want) => {
    const before = await stateSnapshot();
    expect(await say(who, text)).toContain(want);
    expect(await stateSnapshot()).toBe(before);
  });
  it('the office may report for any unit but must name it when a task has two', async () => {
    expect(await say(OFFICE, '进度 4.1.1 50%')).toContain('有多个责任单位');
    expect(await say(OFFICE, '进度 4.1.1 安定 50%')).toContain('已记录 4.1.1（安定区）进度 50%');
    expect(await say(OFFICE, '无变化 4.1.1 市生态环境局')).toContain('已记录 4.1.1（市生态环境局）本期无变化');
    expect(await say(OFFICE, '完成 4.1.1 安定区 已验收')).toContain('已记录 4.1.1（安定区）申报完成');
    expect((await reports()).at(-1)!.note).toBe('已验收');
  });
});

describe('extension round trip', () => {
  it('request → office notified → approve → requester told, deadline moved', async () => {
    const r = await say(ENV, '延期 4.1.1 7月底 施工季节受限');
    expect(r).toMatch(/已提交延期申请 #(\d+)/);
    const id = Number(/#(\d+)/.exec(r)![1]);
    expect((await notices()).some((n) => n.receiveId === OFFICE && n.content.includes(`批准 ${id}`))).toBe(true);
    expect(await say(ENV, `延期 4.1.1 8月底 再延`)).toContain('待审批的延期申请');
    expect(await say(OFFICE, '待办')).toContain(`#${id} 4.1.1（市生态环境局）延至 7月31日`);
    const ok = await say(OFFICE, `批准 ${id}`);
    expect(ok).toContain('已批准延期申请');
    expect(await asg(fx.asg.t411env)).toMatchObject({ extendedTo: '2022-07-31' });
    expect((await notices()).some((n) => n.receiveId === ENV && n.content.includes('已批准'))).toBe(true);
    expect(await say(OFFICE, '待办')).toBe('没有待处理事项。');
    expect(await say(OFFICE, `批准 ${id}`)).toContain('不能重复处理');
    expect(await say(ENV, '进度 4.1.1 10%')).toContain('截止 7月31日（已延期）');
  });
  it('reject keeps the deadline and tells the requester why', async () => {
    const id = Number(/#(\d+)/.exec(await say(ANDING, '延期 4.1.2 2022-12-31 资金未到位'))![1]);
    expect(await say(OFFICE, `驳回 ${id}`)).toContain('请写明驳回原因');
    expect(await say(OFFICE, `驳回 ＃${id} 省级考核节点不能推迟`)).toContain('已驳回');
    expect((await asg(fx.asg.t412anding)).extendedTo).toBeNull();
    expect((await notices()).some((n) => n.receiveId === ANDING && n.content.includes('省级考核节点不能推迟'))).toBe(true);
    const ext = await deps.db.select().from(extensionRequests);
    expect(ext[0]).toMatchObject({ status: 'rejected', decisionNote: '省级考核节点不能推迟' });
  });
});

describe('answering a request notice by replying to it', () => {
  it('批准 / 驳回 <原因> / 同意 as a reply need no request number', async () => {
    const deliver = async (keyPrefix: string, mid: string) => {
      const n = (await notices()).find((x) => x.dedupeKey.startsWith(keyPrefix))!;
      await deps.db.update(outbox).set({ status: 'sent', messageId: mid }).where(eq(outbox.id, n.id));
    };
    const id = Number(/#(\d+)/.exec(await say(ENV, '延期 4.1.1 7月底 雨季'))![1]);
    await deliver(`notice:ext:${id}:`, 'om_ext_notice');
    expect(await say(OFFICE, '批准', { parentId: 'om_ext_notice' })).toContain(`已批准延期申请 #${id}`);
    const id2 = Number(/#(\d+)/.exec(await say(ANDING, '延期 4.1.2 年底 资金'))![1]);
    await deliver(`notice:ext:${id2}:`, 'om_ext_notice2');
    expect(await say(OFFICE, '驳回 节点不能推迟', { parentId: 'om_ext_notice2' })).toContain(`已驳回延期申请 #${id2}`);
    const b = Number(/#(\d+)/.exec(await say(STRANGER, '绑定 住建局 孙七'))![1]);
    await deliver(`notice:bind:${b}:`, 'om_bind_notice');
    expect(await say(OFFICE, '同意', { parentId: 'om_bind_notice' })).toContain(`已同意绑定申请 #${b}`);
    // Two requests and two decisions; the replies were not taken as progress notes.
    expect(await reports()).toHaveLength(4);
  });
});

describe('return / close round trip', () => {
  it('claim → return (unit told) → claim again → close', async () => {
    await say(ANDING, '完成 4.1.2');
    expect(await say(OFFICE, '待办')).toContain('4.1.2（安定区）');
    expect(await say(OFFICE, '退回 4.1.2 缺少验收材料')).toContain('已退回 4.1.2（安定区）');
    expect(await asg(fx.asg.t412anding)).toMatchObject({ state: 'in_progress' });
    expect((await notices()).some((n) => n.receiveId === ANDING && n.content.includes('缺少验收材料'))).toBe(true);
    expect(await say(OFFICE, '退回 4.1.2 再退')).toContain('没有待核验的完成申报');
    await say(ANDING, '完成 4.1.2 已补充材料');
    expect(await say(OFFICE, '销号 4.1.2')).toContain('已销号 4.1.2（安定区）');
    expect(await asg(fx.asg.t412anding)).toMatchObject({ state: 'closed' });
    expect(await say(ANDING, '进度 4.1.2 50%')).toContain('已销号');
    expect((await reports()).map((r) => r.kind)).toEqual(['done_claim', 'return', 'done_claim', 'close']);
    expect((await audits()).map((a) => a.action)).toEqual([
      'assignment.done_claim',
      'assignment.return',
      'assignment.done_claim',
      'assignment.close',
    ]);
  });
  it('the office picks the only claimed unit of a two-unit task, or names one', async () => {
    await say(ENV, '完成 4.1.1');
    expect(await say(OFFICE, '销号 4.1.1')).toContain('已销号 4.1.1（市生态环境局）');
    expect(await say(OFFICE, '销号 4.1.1 安定区')).toContain('已销号 4.1.1（安定区）');
  });
});

describe('replies to the bot’s cards', () => {
  async function reminder(asgId: number, messageId: string) {
    await deps.db.insert(outbox).values({
      dedupeKey: `reminder:${asgId}:test`,
      uuid: 'u',
      op: 'send',
      msgType: 'interactive',
      content: '{}',
      purpose: 'reminder',
      assignmentId: asgId,
      status: 'sent',
      messageId,
    });
  }
  it('a sentence becomes a note; 80% sets the percent; 完成 claims', async () => {
    await reminder(fx.asg.t411env, 'om_rem_1');
    expect(await say(ENV, '已完成排查，形成整治方案', { parentId: 'om_rem_1', rootId: 'om_rem_1' })).toContain('已记录 4.1.1（市生态环境局）进展说明');
    expect(await say(ENV, '目前 80%，正在招标', { parentId: 'om_rem_1' })).toContain('进度 80%');
    expect(await say(ENV, '完成了招标文件编制', { parentId: 'om_rem_1' })).toContain('进展说明');
    expect(await say(ENV, '完成', { rootId: 'om_rem_1' })).toContain('申报完成');
    expect((await reports()).map((r) => [r.kind, r.percent, r.channel])).toEqual([
      ['note', null, 'reply'],
      ['progress', 80, 'reply'],
      ['note', null, 'reply'],
      ['done_claim', 100, 'reply'],
    ]);
  });
  it('a contact of two units replying to a card updates the card’s assignment', async () => {
    // Bind ANDING also to 市生态环境局.
    const p = (await deps.db.select().from(people).where(eq(people.openId, ANDING)))[0]!;
    await deps.db.insert(roles).values({ personId: p.id, role: 'contact', unitId: fx.unit.env });
    await reminder(fx.asg.t411anding, 'om_rem_2');
    await say(ANDING, '50%', { parentId: 'om_rem_2' });
    expect((await asg(fx.asg.t411anding)).percent).toBe(50);
    expect((await asg(fx.asg.t411env)).percent).toBe(0);
  });
  it('a reply to another unit’s card is refused; an untied reply is kept', async () => {
    await reminder(fx.asg.t421env, 'om_rem_3');
    expect(await say(ANDING, '60%', { parentId: 'om_rem_3' })).toContain('不是你绑定单位');
    expect((await asg(fx.asg.t421env)).percent).toBe(0);
    expect(await say(ENV, '这是回复', { parentId: 'om_unknown' })).toContain('没能把这条回复对应到任务');
    expect((await unmatched()).map((u) => u.reason)).toEqual(['reply_untied']);
  });
  it('an explicit command in a reply still runs as a command', async () => {
    await reminder(fx.asg.t411env, 'om_rem_4');
    expect(await say(ENV, '进度 4.2.1 30%', { parentId: 'om_rem_4' })).toContain('4.2.1');
    expect((await asg(fx.asg.t421env)).percent).toBe(30);
  });
});

describe('card buttons and forms', () => {
  const act = (openId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>) =>
    h.onCardAction({ eventId: 'e', operator: { openId }, value, formValue, openMessageId: 'om_card' }, deps.clock());

  it('无变化 and 已完成 answer with a toast and an updated card', async () => {
    const r = await act(ENV, { a: 'same', asg: fx.asg.t411env });
    expect(r.toast).toMatchObject({ type: 'success' });
    expect(r.toast!.content).toContain('无变化');
    expect(JSON.stringify(r.card)).toContain('4.1.1');
    const d = await act(ENV, { a: 'done', asg: fx.asg.t411env });
    expect(d.toast!.content).toContain('申报完成');
    expect(JSON.stringify(d.card)).not.toContain('progress_form'); // no buttons once claimed
    expect((await reports()).map((x) => [x.kind, x.channel])).toEqual([
      ['no_change', 'card'],
      ['done_claim', 'card'],
    ]);
  });
  it('报送进度 opens a form whose submit records percent, note and evidence', async () => {
    const f = await act(ENV, { a: 'progress_form', asg: fx.asg.t411env });
    expect(JSON.stringify(f.card)).toContain('"form_action_type":"submit"');
    const bad = await act(ENV, { a: 'progress', asg: fx.asg.t411env }, { percent: '150', note: 'x' });
    expect(bad.toast).toMatchObject({ type: 'error' });
    expect(await reports()).toHaveLength(0);
    const okr = await act(ENV, { a: 'progress', asg: fx.asg.t411env }, { percent: '７０', note: '方案已送审', evidence: 'https://docs.example/1' });
    expect(okr.toast).toMatchObject({ type: 'success' });
    expect((await reports())[0]).toMatchObject({ percent: 70, note: '方案已送审', evidenceUrl: 'https://docs.example/1', channel: 'card' });
  });
  it('申请延期 form submit files a request', async () => {
    const f = await act(ANDING, { a: 'extend_form', asg: fx.asg.t412anding });
    expect(JSON.stringify(f.card)).toContain('延期至');
    const r = await act(ANDING, { a: 'extend', asg: fx.asg.t412anding }, { date: '10月底', reason: '雨季' });
    expect(r.toast!.content).toContain('已提交延期申请');
    expect((await deps.db.select().from(extensionRequests))[0]).toMatchObject({ newDueDate: '2022-10-31', reason: '雨季' });
  });
  it('another unit’s button, a stranger and a bogus value are refused without writes', async () => {
    expect((await act(ANDING, { a: 'same', asg: fx.asg.t421env })).toast).toMatchObject({ type: 'error' });
    expect((await act(STRANGER, { a: 'done', asg: fx.asg.t421env })).toast!.content).toContain('绑定');
    expect((await act(ENV, { a: 'explode', asg: 1 })).toast).toMatchObject({ type: 'error' });
    expect(await reports()).toHaveLength(0);
    expect(await audits()).toHaveLength(0);
  });
});

describe('binding and chats', () => {
  it('a stranger asks to be bound; the office approves; the person is told and can report', async () => {
    const r = await say(STRANGER, '绑定 住建局 孙七');
    const id = Number(/#(\d+)/.exec(r)![1]);
    expect(r).toContain('市住建局');
    expect((await notices()).some((n) => n.receiveId === OFFICE && n.content.includes(`同意 ${id}`))).toBe(true);
    expect(await say(OFFICE, 'pending')).toContain(`#${id}`);
    expect(await say(OFFICE, `同意 ${id}`)).toContain('绑定为 市住建局 联络员');
    expect((await notices()).some((n) => n.receiveId === STRANGER && n.content.includes('已通过'))).toBe(true);
    expect(await say(STRANGER, '帮助')).toContain('进度 <编号>');
    expect((await deps.db.select().from(bindRequests))[0]!.status).toBe('approved');
  });
  it('拒绝 closes a request; a misspelt unit gets did-you-mean', async () => {
    expect(await say(STRANGER, '绑定 市生太环境局')).toContain('你是不是要找：市生态环境局');
    const id = Number(/#(\d+)/.exec(await say(STRANGER, '绑定 安定区 孙七'))![1]);
    expect(await say(OFFICE, `拒绝 ${id} 非本单位`)).toContain('已拒绝');
    expect(await say(STRANGER, '我的任务')).toContain('还没有绑定');
  });
  it('the office binds by @mention, to a unit or as leader', async () => {
    const m = [{ key: '@_user_1', name: '赵六', openId: 'ou_zhao6' }];
    expect(await say(OFFICE, '绑定 @赵六 安定区', { mentions: m })).toContain('已将 赵六 绑定为「安定区」联络员');
    expect(await say('ou_zhao6', '进度 4.1.2 10%')).toContain('已记录');
    expect(await say(OFFICE, '绑定 @赵六 领导', { mentions: m })).toContain('「领导」');
    expect(await say(ENV, '绑定 @赵六 安定区', { mentions: m })).toContain('只有办公室');
  });
  it('批量绑定 resolves emails and mobiles through the contact directory', async () => {
    const r = await say(OFFICE, '批量绑定 安定区 zhao@dx.gov.cn 13800000001 13900000009');
    expect(r).toContain('新绑定 2 人');
    expect(r).toContain('未找到 1 人：13900000009');
    const rows = await deps.db.select().from(people).where(eq(people.openId, 'ou_qian'));
    expect(rows[0]!.mobile).toBe('13800000001');
    expect(await say(OFFICE, '批量绑定 安定区 not-an-email')).toContain('看不懂这些邮箱/手机号');
  });
  it('本群设为 registers a group; office notices then go to that group', async () => {
    expect(await say(OFFICE, '本群设为 办公室群')).toContain('请在要登记的群里');
    expect(await say(OFFICE, '本群设为 办公室群', { chatType: 'group', chatId: 'oc_office' })).toContain('已将本群登记为「办公室群」');
    expect(await say(OFFICE, '本群设为 安定群', { chatType: 'group', chatId: 'oc_anding' })).toContain('安定区群');
    expect((await deps.db.select().from(chats)).map((c) => [c.chatId, c.purpose, c.unitId])).toEqual([
      ['oc_office', 'office', null],
      ['oc_anding', 'unit', fx.unit.anding],
    ]);
    await say(ANDING, '完成 4.1.2');
    const n = await notices();
    expect(n.map((x) => [x.receiveIdType, x.receiveId])).toEqual([['chat_id', 'oc_office']]);
    await say(OFFICE, '退回 4.1.2 材料不全');
    expect((await notices()).at(-1)).toMatchObject({ receiveIdType: 'chat_id', receiveId: 'oc_anding' });
  });
});

describe('指标', () => {
  it('records a value against its target and says whether it is met', async () => {
    expect(await say(ENV, '指标 PM2.5 23.6')).toContain('已达标');
    expect(await say(ENV, '指标 细颗粒物 30')).toContain('未达标');
    expect(await say(ENV, '指标 ｐｍ２．５ 20')).toContain('已达标');
    expect(await say(ENV, '指标 PM10 30')).toContain('没有名为“PM10”的指标');
    expect(await say(ENV, '指标 PM2.5')).toContain('正确格式：指标');
    const rows = await deps.db.select().from(metricReports);
    expect(rows.map((r) => r.value)).toEqual([23.6, 30, 20]);
    expect((await audits()).filter((a) => a.action === 'metric.report')).toHaveLength(3);
  });
});

it('the first contact creates a people row; OFFICE_OPEN_IDS count as office without one', async () => {
  await say(OFFICE, '帮助');
  expect(await deps.db.select().from(people).where(and(eq(people.openId, OFFICE)))).toHaveLength(1);
  expect(await deps.db.select().from(roles).where(eq(roles.unitId, 0))).toHaveLength(1); // only the leader's
});

describe('faults', () => {
  it('a command that throws is answered and kept; when nothing can be written the error propagates for a retry', async () => {
    const sqlite = (deps.db as unknown as { $client: { exec(s: string): void } }).$client;
    sqlite.exec("CREATE TRIGGER pr_down BEFORE INSERT ON progress_reports BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;");
    expect(await say(ENV, '进度 4.1.1 60%')).toContain('处理这条消息时出错了');
    expect((await unmatched()).map((u) => u.reason)).toEqual(['error']);
    expect((await asg(fx.asg.t411env)).percent).toBe(0); // the batch rolled back whole
    expect(await audits()).toHaveLength(0);
    sqlite.exec("CREATE TRIGGER ob_down BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;");
    await expect(h.onMessage(message(ENV, '进度 4.1.1 70%'), deps.clock())).rejects.toThrow('disk I/O error');
  });
});
