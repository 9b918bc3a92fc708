// The scheduler pass over the bundled 2022 plan for issue 16: go-live, the live-day summary, a Saturday deadline's
// four reminders, escalation wording, the daily 【无法送达】 summary, unchecked claims, and the office's calendar.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq, inArray } from 'drizzle-orm';
import { parseConfig } from '../../src/config.js';
import type { Db } from '../../src/db/client.js';
import type { NodeDatabase } from '../../src/db/node.js';
import { saveCalendarYear } from '../../src/db/calendar-store.js';
import { setPlanLive } from '../../src/db/plan-live-store.js';
import { setPolicy } from '../../src/db/policy-store.js';
import { assignments, deadlines, outbox, tasks } from '../../src/db/schema.js';
import { addWorkdays, parseHolidayInput, setCalendarOverrides } from '../../src/domain/calendar.js';
import { shanghaiInstant } from '../../src/domain/dates.js';
import { runSchedulerPass, type SchedulerDeps } from '../../src/scheduler/pass.js';
import { wireContent } from '../../src/cards/stored-card.js';
import { bundledPlan } from '../../src/plans/bundled.js';
import { createTestDatabase } from '../helpers/db.js';
import { bindContacts, COUNTIES, registerOfficeChat, seedPlan, SURVEY_TITLE, surveyAssignment } from './fixture.js';

const at = (date: string, hhmm = '09:30') => shanghaiInstant(date, hhmm);
const config = parseConfig({});
let database: NodeDatabase;
let db: Db;
let deps: SchedulerDeps;

const rows = () => db.select().from(outbox).orderBy(outbox.id);
const officeTexts = async () => (await rows()).filter((r) => r.receiveId === 'oc_office').map((r) => JSON.parse(r.content).text as string);
const unitRows = async () => (await rows()).filter((r) => r.receiveId?.startsWith('ou_contact_'));
const cardOf = (r: { content: string }) => JSON.parse(wireContent(r.content));
async function surveyTaskId() {
  return (await db.select({ id: tasks.id }).from(tasks).where(eq(tasks.title, SURVEY_TITLE)))[0]!.id;
}

beforeEach(() => {
  database = createTestDatabase();
  db = database.db;
  deps = { db, config };
});
afterEach(() => {
  setCalendarOverrides([]);
  database.close();
});

describe('go-live', () => {
  it('sends nothing to units until the office says the plan is live, and tells the office once a day what waits', async () => {
    await seedPlan(db, { liveFrom: null });
    await bindContacts(db);
    await registerOfficeChat(db);
    const first = await runSchedulerPass(deps, at('2022-07-05'));
    expect(await unitRows()).toHaveLength(0);
    expect(first.warnings.join()).toContain('计划尚未上线');
    let texts = await officeTexts();
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain('【计划未上线】');
    expect(texts[0]).toContain('上线 <日期>');
    expect(texts[0]).toMatch(/其中 \d+ 项已逾期/);
    await runSchedulerPass(deps, at('2022-07-05', '11:00'));
    expect(await officeTexts()).toHaveLength(1);
    await runSchedulerPass(deps, at('2022-07-06'));
    texts = await officeTexts();
    expect(texts).toHaveLength(2);
    expect(await unitRows()).toHaveLength(0);
  });

  it('what was overdue on the live day reaches the office as one summary; from then on the ladder runs as usual', async () => {
    await seedPlan(db, { liveFrom: null });
    await bindContacts(db);
    await registerOfficeChat(db);
    await setPlanLive(db, bundledPlan(), '2022-07-06', { now: 0, actor: 'cli', channel: 'cli' });
    // Before the live day: still waiting.
    await runSchedulerPass(deps, at('2022-07-05'));
    expect(await unitRows()).toHaveLength(0);
    const live = await runSchedulerPass(deps, at('2022-07-06'));
    const survey = await surveyTaskId();
    // No red card for the survey (due 2022-06-30) to any county on the live day.
    expect((await unitRows()).filter((r) => r.taskId === survey)).toHaveLength(0);
    expect(live.queued.filter((q) => q.kind === 'live_backlog' && q.task?.includes(SURVEY_TITLE))).toHaveLength(COUNTIES.length + 2);
    const summaries = (await officeTexts()).filter((t) => t.startsWith('【上线时已逾期】'));
    expect(summaries).toHaveLength(1);
    for (const c of COUNTIES) expect(summaries[0]).toContain(c);
    expect(summaries[0]).toContain('4.1.6');
    expect(summaries[0]).toContain('发送「逾期」查看全部');
    // The next overdue step after the live day goes to the units.
    await runSchedulerPass(deps, at('2022-07-07'));
    expect((await unitRows()).filter((r) => r.taskId === survey)).toHaveLength(0);
    await runSchedulerPass(deps, at('2022-07-08'));
    const red = (await unitRows()).filter((r) => r.taskId === survey);
    expect(red).toHaveLength(COUNTIES.length);
    expect(red.every((r) => r.dedupeKey.includes(':after:2:2022-06-30:'))).toBe(true);
    expect(cardOf(red[0]!).header.template).toBe('red');
  });
});

describe('a deadline on Saturday 2022-12-31', () => {
  it('gets its 10-, 3-, 1-working-day and due-day reminders on four different days, each card with the right count', async () => {
    await seedPlan(db);
    const contacts = await bindContacts(db);
    await db.update(deadlines).set({ dueDate: '2022-12-31' }).where(eq(deadlines.taskId, await surveyTaskId()));
    const survey = await surveyTaskId();
    const seen: Array<[string, string, string]> = [];
    for (let d = '2022-12-12'; d <= '2022-12-30'; d = addWorkdays(d, 1)) {
      const before = (await rows()).length;
      await runSchedulerPass(deps, at(d));
      const fresh = (await rows()).slice(before).filter((r) => r.taskId === survey && r.receiveId === contacts.get('安定区'));
      for (const r of fresh) {
        const card = cardOf(r);
        seen.push([d, card.header.title.content as string, (card.body.elements[0].content as string).split('\n').find((l: string) => l.startsWith('**剩余**')) ?? '']);
      }
    }
    expect(seen).toEqual([
      ['2022-12-16', '督办提醒：距截止还有 10 个工作日', '**剩余**：15 天'],
      ['2022-12-27', '督办提醒：距截止还有 3 个工作日', '**剩余**：4 天'],
      ['2022-12-29', '督办提醒：距截止还有 1 个工作日', '**剩余**：2 天'],
      ['2022-12-30', '督办提醒：截止日前最后一个工作日', '**剩余**：1 天'],
    ]);
  });
});

describe('office notices', () => {
  it('an escalation for a unit never reminded (no contact bound) says 未绑定联络员, not 经多次提醒', async () => {
    await seedPlan(db);
    await bindContacts(db, ['通渭县']);
    await registerOfficeChat(db);
    for (let d = '2022-06-30'; d <= '2022-07-08'; d = addWorkdays(d, 1)) await runSchedulerPass(deps, at(d));
    const esc = (await rows()).filter((r) => r.purpose === 'escalation').map((r) => JSON.parse(r.content).text as string);
    const text = esc.find((t) => t.includes(SURVEY_TITLE))!;
    expect(text).toContain('【逾期升级】');
    const tongwei = text.split('\n').find((l) => l.includes('（通渭县）'))!;
    expect(tongwei).toContain('未绑定联络员');
    const anding = text.split('\n').find((l) => l.includes('（安定区）'))!;
    expect(anding).not.toContain('未绑定联络员');
    expect(text).toContain('标「未绑定联络员」的单位从未收到提醒');
  });

  it('only units without a contact: the whole escalation says so', async () => {
    await seedPlan(db);
    await registerOfficeChat(db);
    for (let d = '2022-06-30'; d <= '2022-07-08'; d = addWorkdays(d, 1)) await runSchedulerPass(deps, at(d));
    const esc = (await rows()).filter((r) => r.purpose === 'escalation').map((r) => JSON.parse(r.content).text as string);
    expect(esc.length).toBeGreaterThan(0);
    for (const t of esc) {
      expect(t).toContain('未绑定联络员，从未收到提醒');
      expect(t).not.toContain('经多次提醒');
    }
  });

  it('【无法送达】 is one summary a day, not one per reminder step', async () => {
    await seedPlan(db);
    await bindContacts(db, ['岷县']);
    await registerOfficeChat(db);
    for (const [d, hhmm] of [['2022-06-16', '09:30'], ['2022-06-16', '10:00'], ['2022-06-27', '09:30'], ['2022-06-27', '15:00'], ['2022-06-29', '09:30'], ['2022-06-30', '09:30']]) {
      await runSchedulerPass(deps, at(d!, hhmm));
    }
    const notices = (await officeTexts()).filter((t) => t.startsWith('【无法送达】'));
    // One per working day that had undeliverable steps: 06-16, 06-27, 06-29, 06-30.
    expect(notices).toHaveLength(4);
    expect(notices.every((t) => t.includes('岷县'))).toBe(true);
    expect(notices[1]).toContain('4.1.6（截止2022年6月30日）');
    expect(new Set((await rows()).filter((r) => r.dedupeKey.startsWith('notice:no_contact:')).map((r) => r.dedupeKey.split(':')[2])).size).toBe(4);
  });

  it('steps that could not be delivered after the day’s summary go into the next day’s', async () => {
    await seedPlan(db);
    await bindContacts(db, ['岷县']);
    await registerOfficeChat(db);
    await setPolicy(db, { onDueDay: false }, { now: 0 });
    await runSchedulerPass(deps, at('2022-06-16', '09:30'));
    // Later that day 岷县's survey reaches another step (an extension to 2022-06-17 makes 06-16 its before:1 day).
    const minxian = await surveyAssignment(db, '岷县');
    await db.update(assignments).set({ extendedTo: '2022-06-17' }).where(eq(assignments.id, minxian));
    await runSchedulerPass(deps, at('2022-06-16', '15:00'));
    expect((await officeTexts()).filter((t) => t.startsWith('【无法送达】'))).toHaveLength(1);
    // The next day has no new undeliverable step of its own for 岷县's survey, but the summary still tells it.
    const next = await runSchedulerPass(deps, at('2022-06-17', '09:30'));
    expect(next.queued.filter((q) => q.kind === 'no_contact')).toHaveLength(0);
    const notices = (await officeTexts()).filter((t) => t.startsWith('【无法送达】'));
    expect(notices).toHaveLength(2);
    expect(notices[1]).toContain('4.1.6（截止2022年6月17日）');
  });

  it('a completion claim left unchecked for the stated working days is put before the office again', async () => {
    await seedPlan(db);
    await bindContacts(db);
    await registerOfficeChat(db);
    const anding = await surveyAssignment(db, '安定区');
    await db.update(assignments).set({ state: 'claimed', percent: 100, claimedAt: at('2022-06-20', '11:00') }).where(eq(assignments.id, anding));
    await runSchedulerPass(deps, at('2022-06-24'));
    expect((await officeTexts()).filter((t) => t.startsWith('【待核验】'))).toHaveLength(0);
    await runSchedulerPass(deps, at('2022-06-27'));
    await runSchedulerPass(deps, at('2022-06-27', '14:00'));
    const notices = (await officeTexts()).filter((t) => t.startsWith('【待核验】'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(`4.1.6 ${SURVEY_TITLE}（安定区）：6月20日申报完成，已等待 5 个工作日`);
    expect(notices[0]).toContain('销号 <编号> <单位>');
    // Once closed, no more.
    await db.update(assignments).set({ state: 'closed' }).where(inArray(assignments.id, [anding]));
    await runSchedulerPass(deps, at('2022-07-04'));
    expect((await officeTexts()).filter((t) => t.startsWith('【待核验】'))).toHaveLength(1);
  });
});

describe('the office’s calendar outlives chinese-days', () => {
  it('with 2027 entered in the database, a pass runs on a 2027 make-up Sunday and not on a 2027 holiday', async () => {
    await seedPlan(db);
    await bindContacts(db);
    await registerOfficeChat(db);
    expect((await runSchedulerPass(deps, at('2027-02-14'))).skippedReason).toBe('no_calendar_data');
    const parsed = parseHolidayInput('二、春节：2月6日至13日放假调休，共8天。2月14日（周日）、2月20日（周六）上班。', 2027);
    if (!parsed.ok) throw new Error(parsed.error);
    await saveCalendarYear(db, parsed.value.calendar, { now: 0, actor: 'cli', channel: 'cli' });
    setCalendarOverrides([]); // the pass reads the entries from the database itself
    expect((await runSchedulerPass(deps, at('2027-02-08'))).skippedReason).toBe('not_workday');
    setCalendarOverrides([]);
    const sunday = await runSchedulerPass(deps, at('2027-02-14'));
    expect(sunday.skippedReason).toBeUndefined();
    expect(sunday.queued.some((q) => q.stepKey === 'periodic:2027-02')).toBe(true);
  });

  it('warns the office from 1 November, once a week, while next year is not covered', async () => {
    await seedPlan(db);
    await registerOfficeChat(db);
    await runSchedulerPass(deps, at('2026-10-30'));
    expect((await officeTexts()).filter((t) => t.includes('节假日数据待补'))).toHaveLength(0);
    await runSchedulerPass(deps, at('2026-11-02'));
    await runSchedulerPass(deps, at('2026-11-03'));
    expect((await officeTexts()).filter((t) => t.includes('节假日数据待补'))).toHaveLength(1);
    await runSchedulerPass(deps, at('2026-11-09'));
    const warned = (await officeTexts()).filter((t) => t.includes('节假日数据待补'));
    expect(warned).toHaveLength(2);
    // Entered: no more warnings.
    const parsed = parseHolidayInput('一、元旦：1月1日（周五）至3日（周日）放假调休，共3天。', 2027);
    if (!parsed.ok) throw new Error(parsed.error);
    await saveCalendarYear(db, parsed.value.calendar, { now: 0, actor: 'cli', channel: 'cli' });
    await runSchedulerPass(deps, at('2026-11-16'));
    expect((await officeTexts()).filter((t) => t.includes('节假日数据待补'))).toHaveLength(2);
    expect(warned[0]).toContain('节假日 2027');
    expect(warned[0]).toContain('npx duban calendar set 2027');
  });
});

describe('upgrading a deployment from before go-live', () => {
  it('a plan that was already reminding units is taken as live from its first step; a fresh one keeps waiting', async () => {
    await seedPlan(db, { liveFrom: null });
    await bindContacts(db);
    await registerOfficeChat(db);
    const anding = await surveyAssignment(db, '安定区');
    const { reminderLog } = await import('../../src/db/schema.js');
    await db.insert(reminderLog).values({ assignmentId: anding, stepKey: 'before:10:2022-06-30', kind: 'reminder', dueDate: '2022-06-30', plannedAt: at('2022-06-16') });
    await runSchedulerPass(deps, at('2022-06-27'));
    const { listPlanLive } = await import('../../src/db/plan-live-store.js');
    expect((await listPlanLive(db))[0]!.liveFrom).toBe('2022-06-16');
    expect((await unitRows()).filter((r) => r.dedupeKey.includes(':before:3:2022-06-30:'))).toHaveLength(COUNTIES.length);
  });
});
