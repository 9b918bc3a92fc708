// On Workers (D1) too: a unit contact reports 指标 only for targets of their units' tasks; a message that starts
// with a task code is a progress report.
import { eq } from 'drizzle-orm';
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { assignments, metricReports, plans, targets, tasks } from '../../src/db/schema.js';
import { messageEvent } from '../helpers/lark-events.js';
import { messageCalls } from './fake-lark-client.js';
import { AT, clearPlanTables, db, deliverToWorker, larkRequest, seedReminderCase, TOKEN } from './fixture.js';

beforeEach(async () => {
  await env.DB.prepare('delete from metric_reports').run();
  await env.DB.prepare('delete from targets').run();
  await clearPlanTables();
});

async function say(openId: string, text: string): Promise<string> {
  const messageId = `om_w17_${crypto.randomUUID()}`;
  const event = messageEvent({ token: TOKEN, messageId, senderOpenId: openId, text, createTime: AT });
  expect((await deliverToWorker(larkRequest('/lark/events', event))).status).toBe(200);
  const replies = await messageCalls((r) => r.path === `/open-apis/im/v1/messages/${messageId}/reply`);
  expect(replies).toHaveLength(1);
  return String(replies[0]!.body.content);
}

describe('指标 and code-led reports on Workers', () => {
  it('refuses a target of another unit’s task, records one of the contact’s own, and takes 4.1.6 50% 已开工', async () => {
    const { assignmentId, openId } = await seedReminderCase();
    const d = db();
    const [asg] = await d.select().from(assignments).where(eq(assignments.id, assignmentId));
    const [own] = await d.select().from(tasks).where(eq(tasks.id, asg!.taskId));
    const [plan] = await d.select().from(plans).where(eq(plans.id, own!.planId));
    const [other] = await d
      .insert(tasks)
      .values({ planId: plan!.id, code: '3.1.1', chapter: 3, section: 1, seq: 1, title: '空气质量', sourceText: 'PM2.5 控制在24以下' })
      .returning();
    await d.insert(targets).values([
      { planId: plan!.id, taskId: other!.id, code: 'T-PM25', indicator: 'PM2.5', aliases: [], comparator: '<=', value: 24, unit: 'μg/m³', year: 2025 },
      { planId: plan!.id, taskId: own!.id, code: 'T-BLACK', indicator: '黑臭水体消除比例', aliases: ['黑臭水体'], comparator: '>=', value: 90, unit: '%', year: 2025 },
    ]);
    const refused = await say(openId, '指标 PM2.5 22');
    expect(refused).toContain('不是你绑定单位的指标');
    expect(refused).toContain('黑臭水体消除比例');
    expect(await d.select().from(metricReports)).toEqual([]);
    expect(await say(openId, '指标 黑臭水体 92% 2022年5月')).toContain('已达标');
    const [m] = await d.select().from(metricReports);
    expect(m).toMatchObject({ value: 92, period: '2022-05', unitId: asg!.unitId });
    expect(await say(openId, '4.1.6 50% 已开工')).toContain('进度 50%');
    expect((await d.select().from(assignments).where(eq(assignments.id, assignmentId)))[0]!.percent).toBe(50);
  });
});
