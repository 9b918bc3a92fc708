// Chat commands of issue 16: 退回 restores the percent and says the office returned it; 上线 (office only);
// 节假日 shows the calendar and lets the office enter a year from the State Council notice.
import { eq, like } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createInboundHandlers } from '../../src/commands/handlers.js';
import { assignments, auditLog, progressReports, settings, outbox } from '../../src/db/schema.js';
import { listPlanLive } from '../../src/db/plan-live-store.js';
import { hasCalendarData, isWorkday, setCalendarOverrides } from '../../src/domain/calendar.js';
import { buildLedger } from '../../src/export/ledger.js';
import type { IncomingMessage, InboundHandlers } from '../../src/domain/types.js';
import { ANDING, ENV, LEADER, OFFICE, message, seedFixture, type Fixture } from '../helpers/command-fixture.js';
import { createTestDeps, type TestDeps } from '../helpers/deps.js';

let deps: TestDeps;
let h: InboundHandlers;
let fx: Fixture;

beforeEach(async () => {
  deps = createTestDeps({ OFFICE_OPEN_IDS: OFFICE });
  fx = await seedFixture(deps.db);
  h = createInboundHandlers(deps);
});
afterEach(() => {
  setCalendarOverrides([]);
  deps.close();
});

async function say(openId: string, text: string, extra: Partial<IncomingMessage> = {}): Promise<string> {
  const m = message(openId, text, extra);
  await h.onMessage(m, deps.clock());
  const rows = await deps.db.select().from(outbox).where(like(outbox.dedupeKey, `reply:${m.messageId}%`));
  expect(rows.length, `one reply for “${text}”`).toBeGreaterThan(0);
  return rows.map((r) => (r.msgType === 'text' ? (JSON.parse(r.content) as { text: string }).text : r.content)).join('\n');
}

describe('退回', () => {
  it('returns the assignment to in progress with its percent from before the claim; history says the office returned it', async () => {
    await say(ANDING, '进度 4.1.2 40% 完成摸排');
    await say(ANDING, '完成 4.1.2 全部整治完毕');
    expect((await deps.db.select().from(assignments).where(eq(assignments.id, fx.asg.t412anding)))[0]).toMatchObject({ state: 'claimed', percent: 100 });
    expect(await say(OFFICE, '退回 4.1.2 缺少验收材料')).toContain('进度恢复为申报完成前的 40%');
    expect((await deps.db.select().from(assignments).where(eq(assignments.id, fx.asg.t412anding)))[0]).toMatchObject({ state: 'in_progress', percent: 40, claimedAt: null });
    const last = (await deps.db.select().from(progressReports).where(eq(progressReports.assignmentId, fx.asg.t412anding))).at(-1)!;
    expect(last).toMatchObject({ kind: 'return', percent: 40, note: '缺少验收材料' });
    const audit = (await deps.db.select().from(auditLog)).find((a) => a.action === 'assignment.return')!;
    expect(audit.detail).toMatchObject({ percent: 40, from: 'claimed', to: 'in_progress' });
    // The task card's history names the office; 无变化 afterwards does not hide the unit's last real note.
    const card = await say(ANDING, '任务 4.1.2');
    expect(card).toContain('办公室退回 40%：缺少验收材料');
    await say(ANDING, '无变化 4.1.2');
    const ledger = await buildLedger(deps.db, 'dx2022', deps.clock());
    const row = ledger!.rows.find((r) => r.code === '4.1.2')!;
    expect(row.latestProgress).toBe('安定区：全部整治完毕');
    expect(row.latestProgress).not.toContain('缺少验收材料');
  });
});

describe('上线', () => {
  it('is for the office only, sets the live day, and shows the state without a date', async () => {
    expect(await say(ENV, '上线 2022-06-01')).toMatch(/办公室/);
    expect((await listPlanLive(deps.db))[0]!.liveFrom).toBeNull();
    expect(await say(OFFICE, '上线')).toContain('未上线');
    expect(await say(OFFICE, '上线 2022-06-01')).toContain('自 2022年6月1日 上线');
    expect((await listPlanLive(deps.db))[0]!.liveFrom).toBe('2022-06-01');
    expect(await say(OFFICE, 'golive')).toContain('2022年6月1日起上线');
    expect(await say(OFFICE, '上线 明天吧')).toContain('正确格式：上线');
    expect(await say(OFFICE, '上线 2022-06-01 no-such-plan')).toContain('没有编号为 no-such-plan 的计划');
    expect((await listPlanLive(deps.db))[0]!.liveFrom).toBe('2022-06-01');
  });
});

describe('节假日', () => {
  const NOTICE = '一、元旦：1月1日（周五）至3日（周日）放假调休，共3天。1月4日（周一）上班。\n二、春节：2月6日至13日放假调休，共8天。2月14日（周日）、2月20日（周六）上班。';
  it('shows what the calendar covers; the office enters 2027 from the notice text, shown back for checking', async () => {
    const status = await say(LEADER, '节假日');
    expect(status).toContain('内置节假日数据（chinese-days）：2004—2026 年');
    expect(await say(LEADER, '节假日 2027')).toContain('没有 2027 年的节假日数据，该年不会发提醒。请办公室在国务院办公厅发布放假通知后录入。');
    expect(await say(OFFICE, '节假日 2027')).toContain('发送「节假日 2027 <通知全文>」录入');
    expect(await say(LEADER, `节假日 2027 ${NOTICE}`)).toContain('只有办公室');
    expect(await say(ENV, '节假日')).toMatch(/办公室|领导/);
    const saved = await say(OFFICE, `节假日 2027 ${NOTICE}`);
    expect(saved).toContain('已录入 2027 年节假日，请核对');
    expect(saved).toContain('春节：2月6日至2月13日 放假（8 天）');
    expect(saved).toContain('调休上班：1月4日、2月14日、2月20日');
    expect(hasCalendarData(2027)).toBe(true);
    expect(isWorkday('2027-02-14')).toBe(true);
    expect((await deps.db.select().from(settings).where(eq(settings.key, 'calendar:2027'))).length).toBe(1);
    expect(await say(LEADER, '节假日 2027')).toContain('2027 年节假日（办公室录入）');
    // Typed dates, and bad input that loses nothing stored.
    expect(await say(OFFICE, '节假日 2027 放假 2027-02-30')).toContain('看不懂');
    expect(isWorkday('2027-02-14')).toBe(true);
    expect(await say(OFFICE, '节假日 2027 放假 劳动节 2027-05-01至2027-05-05 上班 2027-04-25')).toContain('劳动节：5月1日至5月5日 放假（5 天）');
    expect(isWorkday('2027-02-14')).toBe(false); // the new entry replaced the year
    expect(await say(OFFICE, '节假日 2027 清除')).toContain('已清除');
    expect(hasCalendarData(2027)).toBe(false);
    expect(await say(OFFICE, '节假日 明年')).toContain('请先写年份');
  });
});

describe('one roll-up everywhere', () => {
  it('after the lead unit’s 销号 with a co-unit overdue, 统计, 逾期, the task card and the 台账 all say 逾期', async () => {
    // 4.1.1: lead 市生态环境局, co-unit 安定区; due 2022-06-30.
    await deps.db.update(assignments).set({ state: 'closed', percent: 100, closedAt: 0 }).where(eq(assignments.id, fx.asg.t411env));
    const later = Date.parse('2022-07-05T10:00:00+08:00');
    const sayAt = async (who: string, text: string) => {
      const m = message(who, text);
      await h.onMessage(m, later);
      const rows = await deps.db.select().from(outbox).where(like(outbox.dedupeKey, `reply:${m.messageId}%`));
      return rows.map((r) => (r.msgType === 'text' ? (JSON.parse(r.content) as { text: string }).text : r.content)).join('\n');
    };
    const stats = await sayAt(LEADER, '统计');
    expect(stats).toMatch(/任务 4 项：未开始 \d+ · 进行中 \d+ · 待核验 0 · 已销号 0 · 逾期 1/);
    const overdue = await sayAt(OFFICE, '逾期');
    expect(overdue).toContain('安定区');
    expect(overdue).toContain('4.1.1');
    const card = await sayAt(OFFICE, '任务 4.1.1');
    expect(card).toContain('任务状态：逾期');
    // The lead unit first on the card.
    expect(card.indexOf('市生态环境局（牵头）')).toBeLessThan(card.indexOf('安定区（配合）'));
    const ledger = await buildLedger(deps.db, 'dx2022', later);
    expect(ledger!.rows.find((r) => r.code === '4.1.1')!.status).toBe('逾期');
    // Nor does its 进度 say 100%: the lead's 100 and the overdue co-unit's 0.
    expect(ledger!.rows.find((r) => r.code === '4.1.1')!.percent).toBe(50);
  });
});
