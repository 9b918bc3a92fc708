// QA pass on the chat conversation: each rough edge as a rule, driven through the real inbound handlers.
import { and, eq, like } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createInboundHandlers } from '../../src/commands/handlers.js';
import { extensionRequests, outbox, people, roleHistory, roles } from '../../src/db/schema.js';
import type { IncomingMessage, InboundHandlers } from '../../src/domain/types.js';
import { normalizeLarkBody } from '../../src/lark/normalize.js';
import { ANDING, ENV, LEADER, OFFICE, message, seedFixture, type Fixture } from '../helpers/command-fixture.js';
import { createTestDeps, type TestDeps } from '../helpers/deps.js';
import { messageEvent } from '../helpers/lark-events.js';

let deps: TestDeps;
let h: InboundHandlers;
let fx: Fixture;

beforeEach(async () => {
  deps = createTestDeps({ OFFICE_OPEN_IDS: OFFICE });
  fx = await seedFixture(deps.db);
  h = createInboundHandlers(deps);
});
afterEach(() => deps.close());

async function say(openId: string, text: string, extra: Partial<IncomingMessage> = {}): Promise<string> {
  const m = message(openId, text, extra);
  await h.onMessage(m, deps.clock());
  const rows = await deps.db.select().from(outbox).where(like(outbox.dedupeKey, `reply:${m.messageId}%`));
  expect(rows.length, `one reply for “${text}”`).toBeGreaterThan(0);
  return rows.map((r) => (r.msgType === 'text' ? (JSON.parse(r.content) as { text: string }).text : r.content)).join('\n');
}

describe('延期 names the unit before or after the date', () => {
  for (const text of ['延期 4.1.1 安定区 2022-12-31 施工季节受限', '延期 4.1.1 2022-12-31 安定区 施工季节受限', '延期 4.1.1 安定 12月31日 施工季节受限']) {
    it(`the office: ${text}`, async () => {
      const r = await say(OFFICE, text);
      expect(r).toContain('已提交延期申请');
      expect(r).toContain('安定区');
      const [req] = await deps.db.select().from(extensionRequests);
      expect(req).toMatchObject({ assignmentId: fx.asg.t411anding, newDueDate: '2022-12-31', reason: '施工季节受限' });
    });
  }

  it('a bad date after a unit is reported as a date; a reason starting with a non-unit word stays the reason', async () => {
    expect(await say(OFFICE, '延期 4.1.1 安定区 2022-13-01 原因')).toContain('日期“2022-13-01”的月份不对');
    expect(await say(OFFICE, '延期 4.1.1 安定区')).toContain('之后缺少日期');
    // ANDING's only assignment of 4.1.2: the reason "市里要求" is not a unit and is kept whole.
    expect(await say(ANDING, '延期 4.1.2 2022-12-31 市里要求 推迟')).toContain('已提交延期申请');
    const [req] = await deps.db.select().from(extensionRequests).where(eq(extensionRequests.assignmentId, fx.asg.t412anding));
    expect(req!.reason).toBe('市里要求 推迟');
  });
});

describe('a leading @person before a command', () => {
  const zhang = { key: '@_user_1', name: '张三', openId: 'ou_zhang' };

  it('the normaliser drops the bot mention wherever it stands, leaving "@张三 绑定 安定区"', () => {
    const n = normalizeLarkBody(
      messageEvent({
        eventId: 'ev_at', messageId: 'om_at', chatId: 'oc_g', chatType: 'group', text: '@_user_1 绑定 安定区 @_user_2',
        mentions: [zhang, { key: '@_user_2', name: '督办', openId: 'ou_bot' }],
      }),
      { botOpenId: 'ou_bot' },
    );
    expect(n.kind === 'message' && n.message.text).toBe('@张三 绑定 安定区');
  });

  it('is the subject of 绑定 / 解绑 from the office', async () => {
    const r = await say(OFFICE, '@张三 绑定 安定区', { mentions: [zhang] });
    expect(r).toContain('已将 张三 绑定为「安定区」');
    const [p] = await deps.db.select().from(people).where(eq(people.openId, 'ou_zhang'));
    expect(await deps.db.select().from(roles).where(and(eq(roles.personId, p!.id), eq(roles.unitId, fx.unit.anding)))).toHaveLength(1);
    expect(await say(OFFICE, '@张三 解绑 安定区', { mentions: [zhang] })).not.toContain('看不懂');
    expect(await deps.db.select().from(roles).where(eq(roles.personId, p!.id))).toHaveLength(0);
  });

  it('before a command that takes no person, is told clearly and nothing runs', async () => {
    const r = await say(ENV, '@张三 进度 4.2.1 50%', { mentions: [zhang] });
    expect(r).toContain('「进度」不需要 @ 人');
    expect(r).toContain('@张三');
    expect(r).not.toContain('看不懂');
  });
});

describe('a recalled progress report is worded by who recalled it', () => {
  async function reportThenRecall(recallType?: 'message_owner' | 'group_manager' | 'group_owner') {
    const m = message(ANDING, '进度 4.1.2 50% 已开工');
    await h.onMessage(m, deps.clock());
    await h.onLifecycle({ type: 'recalled', messageId: m.messageId, ...(recallType ? { recallType } : {}) }, `ev_recall_${recallType}`, deps.clock());
    const rows = await deps.db.select().from(outbox).where(and(eq(outbox.receiveId, ANDING), like(outbox.dedupeKey, 'withdrawn:%')));
    expect(rows).toHaveLength(1);
    return (JSON.parse(rows[0]!.content) as { text: string }).text;
  }
  it('by a group manager', async () => {
    const t = await reportThenRecall('group_manager');
    expect(t).toContain('群管理员撤回了你的消息');
    expect(t).not.toContain('你撤回了');
  });
  it('by the group owner', async () => expect(await reportThenRecall('group_owner')).toContain('群主撤回了你的消息'));
  it('by the sender (or unknown)', async () => expect(await reportThenRecall('message_owner')).toContain('你撤回了'));

  it('the normaliser passes recall_type through', () => {
    const n = normalizeLarkBody({
      schema: '2.0',
      header: { event_id: 'ev_rc', event_type: 'im.message.recalled_v1', create_time: '1', token: 't', app_id: 'cli_x', tenant_key: 't' },
      event: { message_id: 'om_x', chat_id: 'oc_g', recall_time: '1655341200000', recall_type: 'group_manager' },
    });
    expect(n).toMatchObject({ kind: 'lifecycle', event: { type: 'recalled', messageId: 'om_x', recallType: 'group_manager' } });
  });
});

describe('an unknown task code suggests by role', () => {
  it('the office and leaders: 任务 <关键词> or 统计, never 我的任务', async () => {
    for (const who of [OFFICE, LEADER]) {
      const r = await say(who, '任务 9.9.9');
      expect(r).toContain('没有编号为 9.9.9');
      expect(r).toContain('任务 <关键词>');
      expect(r).toContain('统计');
      expect(r).not.toContain('我的任务');
    }
  });
  it('contacts: 我的任务', async () => {
    const r = await say(ENV, '进度 9.9.9 50%');
    expect(r).toContain('我的任务');
    expect(r).not.toContain('统计');
  });
  it('close codes first: one edit away, or the code’s own section', async () => {
    expect(await say(OFFICE, '任务 4.1.3')).toMatch(/4\.1\.1|4\.1\.2/);
    expect(await say(OFFICE, '任务 4.1.99')).toContain('任务 4.1');
  });
});

describe('role history never ends before it started', () => {
  it('a role granted at the real time and ended at an earlier (sandbox) time ends at its start', async () => {
    const [p] = await deps.db.select().from(people).where(eq(people.openId, ANDING));
    const later = Date.parse('2026-12-07T02:00:00Z');
    await deps.db.update(roles).set({ createdAt: later }).where(eq(roles.personId, p!.id));
    expect(await say(ANDING, '解绑')).toContain('已解除你的身份');
    const [hist] = await deps.db.select().from(roleHistory).where(eq(roleHistory.personId, p!.id));
    expect(hist!.startedAt).toBe(later);
    expect(hist!.endedAt).toBeGreaterThanOrEqual(hist!.startedAt);
  });
});

