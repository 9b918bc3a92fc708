import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { parseConfig } from '../../src/config.js';
import type { Db } from '../../src/db/client.js';
import { openNodeDatabase, type NodeDatabase } from '../../src/db/node.js';
import { setPolicy } from '../../src/db/policy-store.js';
import { assignments, auditLog, deadlines, outbox, reminderLog, schedulerSlices } from '../../src/db/schema.js';
import { addWorkdays } from '../../src/domain/calendar.js';
import { shanghaiInstant } from '../../src/domain/dates.js';
import { runSchedulerPass, type PassResult, type SchedulerDeps } from '../../src/scheduler/pass.js';
import { wireContent } from '../../src/cards/stored-card.js';
import { createTestDatabase } from '../helpers/db.js';
import { bindContacts, COUNTIES, registerOfficeChat, seedPlan, SURVEY_TITLE, surveyAssignment } from './fixture.js';

const at = (date: string, hhmm = '09:30') => shanghaiInstant(date, hhmm);
const config = parseConfig({});

let database: NodeDatabase;
let db: Db;
let deps: SchedulerDeps;

/** Queued items about the survey task (the plan has other tasks, e.g. an ongoing duty). */
const survey = (r: PassResult) => r.queued.filter((q) => q.task?.includes(SURVEY_TITLE));
const surveyReminderItems = (r: PassResult) => survey(r).filter((q) => q.kind === 'reminder');

async function rows() {
  return db.select().from(outbox).orderBy(outbox.id);
}
/** The card Feishu gets for an outbox row (reminder cards are stored as their renderer's input). */
const cardOf = (r: { content: string }) => JSON.parse(wireContent(r.content));

async function surveyReminders() {
  return (await rows()).filter((r) => r.purpose === 'reminder' && r.content.includes(SURVEY_TITLE));
}

beforeEach(async () => {
  database = createTestDatabase();
  db = database.db;
  deps = { db, config };
  await seedPlan(db);
});
afterEach(() => database.close());

describe('scheduler pass against the plan', () => {
  it('on 2022-06-16 (10 working days before 2022-06-30) reminds the bound contact of each county', async () => {
    const contacts = await bindContacts(db);
    const res = await runSchedulerPass(deps, at('2022-06-16'));
    expect(res.skippedReason).toBeUndefined();
    const sent = await surveyReminders();
    expect(sent).toHaveLength(7);
    expect(new Set(sent.map((r) => r.receiveId))).toEqual(new Set(contacts.values()));
    for (const r of sent) {
      expect(r.receiveIdType).toBe('open_id');
      expect(r.msgType).toBe('interactive');
      expect(r.taskId).toBeGreaterThan(0);
      expect(r.assignmentId).toBeGreaterThan(0);
      expect(r.dedupeKey).toMatch(/^reminder:\d+:before:10:2022-06-30:p\d+$/);
      // Stored compactly as the card's input, rendered when sent.
      expect(JSON.parse(r.content)).toMatchObject({ $card: 'reminder', v: { step: 'before', dueDate: '2022-06-30' } });
      expect(r.content.length).toBeLessThan(600);
      const card = cardOf(r);
      expect(card.schema).toBe('2.0');
      expect(card.header.template).toBe('blue');
      expect(card.header.title.content).toContain('10 个工作日');
    }
    const anding = await surveyAssignment(db, '安定区');
    expect(sent.find((r) => r.receiveId === contacts.get('安定区'))!.assignmentId).toBe(anding);
    expect(surveyReminderItems(res)).toHaveLength(7);
    expect(surveyReminderItems(res)[0]!.step).toBe('截止前 10 个工作日提醒');
    // Each step's record is its claim row; the audit log has one entry per committed slice that counts them.
    const claims = await db.select().from(reminderLog).where(eq(reminderLog.plannedAt, at('2022-06-16')));
    const surveyClaims = claims.filter((c) => c.stepKey === 'before:10:2022-06-30');
    expect(surveyClaims).toHaveLength(7);
    expect(new Set(surveyClaims.map((c) => c.assignmentId))).toEqual(new Set(sent.map((r) => r.assignmentId)));
    expect(surveyClaims.every((c) => c.kind === 'reminder' && c.dueDate === '2022-06-30')).toBe(true);
    const audits = await db.select().from(auditLog).where(eq(auditLog.action, 'reminder.batch'));
    expect(audits.length).toBeGreaterThan(0);
    expect(audits.every((a) => a.actor === 'scheduler' && a.channel === 'system' && a.entityId === '2022-06-16')).toBe(true);
    const counted = audits.map((a) => a.detail as { plannedAt: number; steps: number; byKind: Record<string, number>; messages: number });
    expect(counted.every((d) => d.plannedAt === at('2022-06-16'))).toBe(true);
    expect(counted.reduce((n, d) => n + d.steps, 0)).toBe(claims.length);
    expect(counted.reduce((n, d) => n + (d.byKind.reminder ?? 0), 0)).toBe(claims.filter((c) => c.kind === 'reminder').length);
    expect(counted.reduce((n, d) => n + d.messages, 0)).toBe(res.outboxIds.length);
    expect(await db.select().from(auditLog).where(eq(auditLog.action, 'reminder.reminder'))).toHaveLength(0);
  });

  it('sends nothing on a holiday (2022-10-03) and sends on the make-up Saturday 2022-10-08', async () => {
    await bindContacts(db);
    await runSchedulerPass(deps, at('2022-09-30'));
    const before = (await rows()).length;
    const holiday = await runSchedulerPass(deps, at('2022-10-03'));
    expect(holiday.skippedReason).toBe('not_workday');
    expect(holiday.queued).toHaveLength(0);
    expect((await rows()).length).toBe(before);
    const saturday = await runSchedulerPass(deps, at('2022-10-08'));
    expect(saturday.skippedReason).toBeUndefined();
    expect(saturday.queued.filter((q) => q.kind === 'reminder').length).toBeGreaterThanOrEqual(7);
    expect((await rows()).length).toBeGreaterThan(before);
  });

  it('sends nothing outside working hours', async () => {
    await bindContacts(db);
    expect((await runSchedulerPass(deps, at('2022-06-16', '08:59'))).skippedReason).toBe('outside_hours');
    expect((await runSchedulerPass(deps, at('2022-06-16', '18:00'))).skippedReason).toBe('outside_hours');
    expect(await rows()).toHaveLength(0);
    expect((await runSchedulerPass(deps, at('2022-06-16', '09:00'))).queued.length).toBeGreaterThan(0);
  });

  it('a pass repeated at the same instant queues nothing', async () => {
    await bindContacts(db);
    const first = await runSchedulerPass(deps, at('2022-06-16'));
    expect(first.outboxIds.length).toBeGreaterThan(0);
    const second = await runSchedulerPass(deps, at('2022-06-16'));
    expect(second.queued).toHaveLength(0);
    expect(second.outboxIds).toHaveLength(0);
    expect(await rows()).toHaveLength(first.outboxIds.length);
  });

  it('two passes at once on the same database queue each message once', async () => {
    await bindContacts(db);
    const [a, b] = await Promise.all([runSchedulerPass(deps, at('2022-06-16')), runSchedulerPass(deps, at('2022-06-16'))]);
    // Both planned the same steps (the race really happened); only one won each claim.
    expect(a.planned).toBeGreaterThan(7);
    expect(b.planned).toBe(a.planned);
    expect(surveyReminderItems(a).length + surveyReminderItems(b).length).toBe(7);
    expect(await surveyReminders()).toHaveLength(7);
    // Each slice's journal row went with its messages (or at once, for a slice whose claims were all lost).
    expect(await db.select().from(schedulerSlices)).toHaveLength(0);
  });

  it('a step another pass claimed after this one planned it is left to that pass; the rest of the slice is queued', async () => {
    const contacts = await bindContacts(db);
    const [first, taken] = [await surveyAssignment(db, '安定区'), await surveyAssignment(db, '临洮县')].sort((x, y) => x - y);
    // The race, made certain: the moment this pass claims its first survey step, a "concurrent pass" claims another.
    database.sqlite.exec(`create trigger race before insert on reminder_log when new.assignment_id = ${first} begin
      insert or ignore into reminder_log (assignment_id, step_key, kind, due_date, planned_at)
        values (${taken}, 'before:10:2022-06-30', 'reminder', '2022-06-30', 1); end`);
    const res = await runSchedulerPass(deps, at('2022-06-16'));
    expect(surveyReminderItems(res).map((q) => q.assignmentId)).not.toContain(taken);
    expect(surveyReminderItems(res)).toHaveLength(6);
    const sent = await surveyReminders();
    expect(sent).toHaveLength(6);
    expect(sent.map((r) => r.assignmentId)).not.toContain(taken);
    expect(new Set(sent.map((r) => r.receiveId)).size).toBe(contacts.size - 1);
  });

  it('when queueing the messages fails, the claims of the slice are given back and the next pass sends them', async () => {
    await bindContacts(db);
    database.sqlite.exec(`create trigger full before insert on outbox begin select raise(abort, 'database or disk is full'); end`);
    await expect(runSchedulerPass(deps, at('2022-06-16'))).rejects.toThrow(/disk is full/);
    expect(await db.select().from(reminderLog).where(eq(reminderLog.plannedAt, at('2022-06-16')))).toHaveLength(0);
    expect(await db.select().from(schedulerSlices)).toHaveLength(0);
    database.sqlite.exec('drop trigger full');
    await runSchedulerPass(deps, at('2022-06-16', '09:45'));
    expect(await surveyReminders()).toHaveLength(7);
  });

  it('two processes (two connections to one file) at once queue each message once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-sched-'));
    const file = path.join(dir, 'db.sqlite');
    const one = openNodeDatabase(file);
    const two = openNodeDatabase(file);
    try {
      await seedPlan(one.db);
      await bindContacts(one.db);
      const [a, b] = await Promise.all([
        runSchedulerPass({ db: one.db, config }, at('2022-06-16')),
        runSchedulerPass({ db: two.db, config }, at('2022-06-16', '09:31')),
      ]);
      expect(surveyReminderItems(a).length + surveyReminderItems(b).length).toBe(7);
      expect((await one.db.select().from(outbox)).filter((r) => r.purpose === 'reminder' && r.content.includes(SURVEY_TITLE))).toHaveLength(7);
    } finally {
      one.close();
      two.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('after a 10-day outage sends one catch-up reminder per assignment (the latest missed step)', async () => {
    await bindContacts(db);
    await runSchedulerPass(deps, at('2022-06-16'));
    // Down from 06-17 to 06-30: before:3 (06-27), before:1 (06-29) and due (06-30) were all missed.
    const res = await runSchedulerPass(deps, at('2022-06-30'));
    const reminders = res.queued.filter((q) => q.kind === 'reminder' && q.task?.includes(SURVEY_TITLE));
    expect(reminders).toHaveLength(7);
    expect(new Set(reminders.map((q) => q.stepKey))).toEqual(new Set(['due:2022-06-30']));
    expect(await surveyReminders()).toHaveLength(14);
    expect((await runSchedulerPass(deps, at('2022-07-01'))).queued.filter((q) => q.kind === 'reminder' && q.task?.includes(SURVEY_TITLE))).toHaveLength(0);
  });

  it('a late catch-up step says the working days actually left, and goes red once the deadline has passed', async () => {
    await bindContacts(db);
    await runSchedulerPass(deps, at('2022-06-20')); // first pass four days after before:10
    const card = cardOf((await surveyReminders())[0]!);
    expect(card.header).toMatchObject({ template: 'blue', title: { content: '督办提醒：距截止还有 8 个工作日' } });
    await runSchedulerPass(deps, at('2022-07-01')); // the due-day step, caught up a day late
    const late = (await surveyReminders()).filter((r) => r.dedupeKey.includes(':due:2022-06-30:'));
    expect(late).toHaveLength(7);
    expect(cardOf(late[0]!).header).toMatchObject({ template: 'red', title: { content: '逾期提醒：已逾期 1 天' } });
  });

  it('an assignment marked done (claimed or closed) gets no reminder', async () => {
    await bindContacts(db);
    await db.update(assignments).set({ state: 'claimed', percent: 100 }).where(eq(assignments.id, await surveyAssignment(db, '漳县')));
    await db.update(assignments).set({ state: 'closed', percent: 100 }).where(eq(assignments.id, await surveyAssignment(db, '岷县')));
    await runSchedulerPass(deps, at('2022-06-16'));
    const sent = await surveyReminders();
    expect(sent).toHaveLength(5);
    expect(sent.map((r) => r.receiveId)).not.toContain('ou_contact_5');
    expect(sent.map((r) => r.receiveId)).not.toContain('ou_contact_6');
  });

  it('an extended assignment is reminded for the new date only', async () => {
    await bindContacts(db);
    const lintao = await surveyAssignment(db, '临洮县');
    await db.update(assignments).set({ extendedTo: '2022-07-29' }).where(eq(assignments.id, lintao));
    const onOldDate = await runSchedulerPass(deps, at('2022-06-30'));
    expect(onOldDate.queued.filter((q) => q.assignmentId === lintao)).toHaveLength(0);
    expect(onOldDate.queued.filter((q) => q.kind === 'reminder' && q.task?.includes(SURVEY_TITLE))).toHaveLength(6);
    const tenBefore = addWorkdays('2022-07-29', -10);
    const res = await runSchedulerPass(deps, at(tenBefore));
    const mine = res.queued.filter((q) => q.assignmentId === lintao);
    expect(mine.map((q) => q.stepKey)).toEqual(['before:10:2022-07-29']);
  });

  it('a report skips the next routine reminder only: the 3-, 1-day and due-day warnings reach every unit not done', async () => {
    await bindContacts(db);
    const weiyuan = await surveyAssignment(db, '渭源县');
    await runSchedulerPass(deps, at('2022-06-16'));
    // Reported weeks before the last warnings.
    await db.update(assignments).set({ percent: 40, state: 'in_progress', lastReportAt: at('2022-06-17', '10:00') }).where(eq(assignments.id, weiyuan));
    for (const [d, key] of [['2022-06-27', 'before:3:2022-06-30'], ['2022-06-29', 'before:1:2022-06-30'], ['2022-06-30', 'due:2022-06-30']]) {
      const res = await runSchedulerPass(deps, at(d!));
      expect(res.suppressed).toBe(0);
      expect(res.queued.filter((q) => q.assignmentId === weiyuan).map((q) => q.stepKey)).toEqual([key]);
      expect(surveyReminderItems(res)).toHaveLength(7);
    }
    // Overdue reminders are routine: a report after after:1 skips after:2, and after:3 reminds again.
    await runSchedulerPass(deps, at('2022-07-05'));
    await db.update(assignments).set({ percent: 60, lastReportAt: at('2022-07-06', '10:00') }).where(eq(assignments.id, weiyuan));
    const after2 = await runSchedulerPass(deps, at('2022-07-08'));
    expect(after2.suppressed).toBe(1);
    expect(after2.queued.filter((q) => q.assignmentId === weiyuan && q.kind === 'reminder')).toHaveLength(0);
    const after3 = await runSchedulerPass(deps, at('2022-07-13'));
    expect(after3.queued.filter((q) => q.assignmentId === weiyuan && q.kind === 'reminder').map((q) => q.stepKey)).toEqual(['after:3:2022-06-30']);
  });

  it('moves the escalation ladder one step per interval: red card, office, leaders', async () => {
    await bindContacts(db);
    await registerOfficeChat(db);
    await setPolicy(db, { escalateToOfficeAfter: 2, escalateToLeadersAfter: 3 }, { now: at('2022-06-01') });
    const anding = await surveyAssignment(db, '安定区');
    await runSchedulerPass(deps, at('2022-06-30'));
    const seen: Array<{ date: string; kinds: string[] }> = [];
    for (let d = '2022-07-01'; d <= '2022-07-14'; d = addWorkdays(d, 1)) {
      const res = await runSchedulerPass(deps, at(d));
      const kinds = res.queued.filter((q) => q.assignmentId === anding).map((q) => `${q.kind}:${q.stepKey.split(':').slice(0, 2).join(':')}`);
      if (kinds.length) seen.push({ date: d, kinds: kinds.sort() });
    }
    // after:k falls every 3 working days after 06-30: 07-05, 07-08, 07-13.
    expect(seen).toEqual([
      { date: '2022-07-05', kinds: ['reminder:after:1'] },
      { date: '2022-07-08', kinds: ['escalate_office:escalate:office', 'reminder:after:2'] },
      { date: '2022-07-13', kinds: ['escalate_leaders:escalate:leaders', 'reminder:after:3'] },
    ]);
    const redCard = (await surveyReminders()).find((r) => r.dedupeKey.startsWith(`reminder:${anding}:after:1:`))!;
    expect(cardOf(redCard).header.template).toBe('red');
    const office = (await rows()).filter((r) => r.purpose === 'escalation');
    expect(office).toHaveLength(1); // the seven counties are grouped in one office message
    expect(office[0]!.receiveId).toBe('oc_office');
    expect(JSON.parse(office[0]!.content).text).toContain('安定区');
    const leaders = await db.select().from(reminderLog).where(eq(reminderLog.escalationLevel, 3));
    // All nine assignees (two departments without contacts too): escalation does not depend on reminders.
    expect(leaders.filter((r) => r.stepKey === 'escalate:leaders:2022-06-30')).toHaveLength(9);
  });

  it('reports a unit without a bound contact to the office, then reminds once a contact is bound', async () => {
    await bindContacts(db, ['岷县']);
    await registerOfficeChat(db);
    const res = await runSchedulerPass(deps, at('2022-06-16'));
    expect((await surveyReminders()).length).toBe(6);
    const notices = (await rows()).filter((r) => r.purpose === 'notice');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.receiveId).toBe('oc_office');
    const text = JSON.parse(notices[0]!.content).text as string;
    expect(text).toContain('岷县');
    expect(text).not.toContain('漳县');
    expect(survey(res).filter((q) => q.kind === 'no_contact').map((q) => q.task)).toEqual(
      expect.arrayContaining([expect.stringContaining('（岷县）'), expect.stringContaining('（市生态环境局）')]),
    );
    // Later the same day nothing repeats; after binding, the open step is delivered.
    expect((await runSchedulerPass(deps, at('2022-06-16', '10:00'))).queued).toHaveLength(0);
    const { people, roles } = await import('../../src/db/schema.js');
    const [p] = await db.insert(people).values({ openId: 'ou_minxian', name: '岷县联络员' }).returning();
    const { unitId } = await import('./fixture.js');
    await db.insert(roles).values({ personId: p!.id, role: 'contact', unitId: await unitId(db, '岷县') });
    const after = await runSchedulerPass(deps, at('2022-06-16', '11:00'));
    expect(surveyReminderItems(after).map((q) => q.recipient)).toEqual(['岷县联络员（岷县联络员）']);
  });

  it('holds office notices back until the office has a chat or member, then sends them', async () => {
    await bindContacts(db, ['岷县']);
    const res = await runSchedulerPass(deps, at('2022-06-16'));
    expect(res.queued.filter((q) => q.kind === 'no_contact')).toHaveLength(0);
    expect(res.warnings.join()).toContain('本群设为办公室');
    await registerOfficeChat(db);
    const later = await runSchedulerPass(deps, at('2022-06-16', '09:45'));
    expect(survey(later).filter((q) => q.kind === 'no_contact').map((q) => q.task)).toContain(`4.1.6 ${SURVEY_TITLE}（岷县）`);
    expect((await rows()).filter((r) => r.purpose === 'notice' && r.receiveId === 'oc_office')).toHaveLength(1);
  });

  it('flags a year without calendar data to the office once and sends nothing on guessed days', async () => {
    await bindContacts(db);
    await registerOfficeChat(db);
    const res = await runSchedulerPass(deps, at('2027-03-01'));
    expect(res.skippedReason).toBe('no_calendar_data');
    expect(res.queued.map((q) => q.kind)).toEqual(['calendar_flag']);
    const notices = (await rows()).filter((r) => r.purpose === 'notice');
    expect(notices).toHaveLength(1);
    expect(JSON.parse(notices[0]!.content).text).toContain('2027');
    expect(await surveyReminders()).toHaveLength(0);
    expect((await runSchedulerPass(deps, at('2027-03-02'))).queued).toHaveLength(0);
  });

  it('flags the deadline year when a 2027 deadline comes near in 2026', async () => {
    await bindContacts(db);
    await registerOfficeChat(db);
    await db.update(deadlines).set({ dueDate: '2027-01-15' }).where(eq(deadlines.kind, 'month_end'));
    const res = await runSchedulerPass(deps, at('2026-12-28'));
    // The deadline's own flag, and the warning ahead of the year's end (from 1 November) that 2027 is not covered.
    expect(res.queued.filter((q) => q.kind === 'calendar_flag').map((q) => q.stepKey).sort()).toEqual(['calendar:2027', 'calendar_ahead:2027:2026-W53']);
    expect(survey(res)).toHaveLength(0);
  });

  it('asks for progress on standing duties once a month, one card per unit, from the first working day', async () => {
    const contacts = await bindContacts(db);
    const anding = contacts.get('安定区')!;
    const periodic = (r: PassResult) => r.queued.filter((q) => q.stepKey.startsWith('periodic:') && q.task?.endsWith('（安定区）'));
    const cardsTo = async (openId: string, period: string) =>
      (await rows()).filter((r) => r.receiveId === openId && r.dedupeKey.startsWith('periodic:') && r.dedupeKey.includes(`:${period}:`));
    const sept = periodic(await runSchedulerPass(deps, at('2022-09-30')));
    const n = sept.length;
    expect(n).toBeGreaterThan(15); // 安定区 has dozens of standing duties in the plan
    const septCards = await cardsTo(anding, '2022-09');
    expect(septCards).toHaveLength(Math.ceil(n / 15));
    expect(JSON.parse(septCards[0]!.content).$card).toBe('progress_request');
    const card = cardOf(septCards[0]!);
    expect(card.header.title.content).toMatch(/^进度报送：2022年9月 \(1\/\d\)$/);
    expect(JSON.stringify(card)).toContain('"a":"same"');
    // 2022-10-01..07 are holidays: the October request goes out on the 8th (make-up Saturday), once.
    expect(periodic(await runSchedulerPass(deps, at('2022-09-30', '15:00')))).toHaveLength(0);
    expect(new Set(periodic(await runSchedulerPass(deps, at('2022-10-08'))).map((q) => q.stepKey))).toEqual(new Set(['periodic:2022-10']));
    expect(periodic(await runSchedulerPass(deps, at('2022-10-10')))).toHaveLength(0);
    // A report made in November before the pass answers November's request for that duty only.
    const reported = sept[0]!.assignmentId;
    await db.update(assignments).set({ lastReportAt: at('2022-11-01', '08:00') }).where(eq(assignments.id, reported));
    const nov = periodic(await runSchedulerPass(deps, at('2022-11-01')));
    expect(nov).toHaveLength(n - 1);
    expect(nov.map((q) => q.assignmentId)).not.toContain(reported);
    expect(periodic(await runSchedulerPass(deps, at('2022-12-01')))).toHaveLength(n);
  });

  it('plans the weekly digest on the first working day of the ISO week when a builder is provided', async () => {
    const calls: string[] = [];
    const withDigest: SchedulerDeps = {
      db, config,
      buildDigest: async ({ weekKey }) => {
        calls.push(weekKey);
        return [{ dedupeKey: `digest:${weekKey}:oc_leaders`, receiveIdType: 'chat_id', receiveId: 'oc_leaders', msgType: 'text', content: { text: '周报' }, purpose: 'digest' }];
      },
    };
    await runSchedulerPass(withDigest, at('2022-10-08')); // week 40 began with holidays: its first working day
    await runSchedulerPass(withDigest, at('2022-10-09'));
    await runSchedulerPass(withDigest, at('2022-10-10')); // Monday of week 41
    await runSchedulerPass(withDigest, at('2022-10-10', '15:00'));
    expect(calls).toEqual(['2022-W40', '2022-W41']);
    expect((await rows()).filter((r) => r.purpose === 'digest')).toHaveLength(2);
    // Without a builder the step is left open, so a digest module landing later still gets the week.
    const plain = await runSchedulerPass(deps, at('2022-10-17'));
    expect(plain.queued.filter((q) => q.kind === 'digest')).toHaveLength(0);
  });

  it('falls back to office members by direct message when no office chat is registered', async () => {
    await bindContacts(db, COUNTIES);
    const res = await runSchedulerPass({ db, config: parseConfig({ OFFICE_OPEN_IDS: 'ou_office_a' }) }, at('2022-06-16'));
    const notices = (await rows()).filter((r) => r.purpose === 'notice');
    expect(notices.map((n) => [n.receiveIdType, n.receiveId])).toEqual([['open_id', 'ou_office_a']]);
    expect(res.warnings).toHaveLength(0);
    expect(JSON.parse(notices[0]!.content).text).toContain('安定区');
  });
});
