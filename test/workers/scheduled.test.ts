// Cron Triggers on Workers: scheduled() at a fixed instant runs the scheduler pass on D1, queues the reminder that
// is due and sends it through the SDK to the fake Feishu server; overlapping passes send it once.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import * as schema from '../../src/db/schema.js';
import { assignments, deadlines, outbox, people, plans, reminderLog, roles, tasks, units } from '../../src/db/schema.js';
import { drainOutbox } from '../../src/lark/sender.js';
import { runSchedulerPass } from '../../src/scheduler/pass.js';
import worker, { createWorkerDeps } from '../../src/worker.js';
import { PASS_CRON, SENDER_CRON } from '../../src/worker-schedule.js';
import { messageCalls } from './fake-lark-client.js';

const db = () => drizzle(env.DB as never, { schema }) as unknown as Db;
/** Thursday 2022-06-16 09:30 in Beijing: 10 working days before the survey's deadline (2022-06-30). */
const AT = Date.parse('2022-06-16T09:30:00+08:00');

let seq = 0;

/** One task due 2022-06-30 for 安定区, whose contact is a fresh open_id (so each test's sends are its own). */
async function seed(): Promise<{ assignmentId: number; openId: string }> {
  const openId = `ou_workers_contact_${Date.now().toString(36)}_${++seq}`;
  const d = db();
  const [plan] = await d.insert(plans).values({ code: `workers-${seq}`, title: '测试方案' }).returning();
  const [unit] = await d.insert(units).values({ name: `安定区${seq}`, kind: 'county' }).returning();
  const [task] = await d
    .insert(tasks)
    .values({ planId: plan!.id, code: '4.1.6', chapter: 4, section: 1, seq: 6, title: '完成县级城市建成区黑臭水体排查', sourceText: '2022年6月底前完成排查' })
    .returning();
  await d.insert(deadlines).values({ taskId: task!.id, kind: 'month_end', dueDate: '2022-06-30', label: '2022年6月底前' });
  const [asg] = await d.insert(assignments).values({ taskId: task!.id, unitId: unit!.id, role: 'lead' }).returning();
  const [person] = await d.insert(people).values({ openId, name: '安定区联络员' }).returning();
  await d.insert(roles).values({ personId: person!.id, role: 'contact', unitId: unit!.id });
  return { assignmentId: asg!.id, openId };
}

async function runTrigger(cron: string, scheduledTime: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron, scheduledTime }), env as never, ctx);
  await waitOnExecutionContext(ctx);
}

const sendsTo = (openId: string) =>
  messageCalls((r) => r.method === 'POST' && r.path === '/open-apis/im/v1/messages' && r.body.receive_id === openId);

beforeEach(async () => {
  // Each test seeds its own plan; clear the previous one (storage is isolated per file, not per test).
  for (const t of ['outbox', 'reminder_log', 'audit_log', 'roles', 'people', 'assignments', 'deadlines', 'tasks', 'units', 'plans', 'leases']) {
    await env.DB.prepare(`delete from ${t}`).run();
  }
});

describe('scheduled() on Workers', () => {
  it('the pass trigger at 09:30 on 2022-06-16 queues the 10-day reminder and sends it', async () => {
    const { assignmentId, openId } = await seed();
    await runTrigger(PASS_CRON, AT);

    const steps = await db().select().from(reminderLog).where(eq(reminderLog.assignmentId, assignmentId));
    expect(steps.map((s) => s.stepKey)).toEqual([expect.stringMatching(/^before:10:2022-06-30/)]);
    const rows = await db().select().from(outbox).where(and(eq(outbox.assignmentId, assignmentId), eq(outbox.purpose, 'reminder')));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'sent', receiveId: openId, msgType: 'interactive', nextAttemptAt: AT });

    const calls = await sendsTo(openId);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ status: 200, code: 0, query: { receive_id_type: 'open_id' } });
    expect(calls[0]!.body).toMatchObject({ msg_type: 'interactive', uuid: rows[0]!.uuid });
    expect(String(calls[0]!.body.content)).toContain('4.1.6');
  });

  it('the sender trigger runs no pass; a pass outside working hours queues nothing', async () => {
    const { assignmentId, openId } = await seed();
    await runTrigger(SENDER_CRON, AT);
    expect(await db().select().from(reminderLog).where(eq(reminderLog.assignmentId, assignmentId))).toHaveLength(0);
    await runTrigger(PASS_CRON, Date.parse('2022-06-16T20:00:00+08:00'));
    expect(await db().select().from(reminderLog).where(eq(reminderLog.assignmentId, assignmentId))).toHaveLength(0);
    expect(await sendsTo(openId)).toHaveLength(0);
  });

  it('two overlapping pass triggers at the same instant send the reminder once', async () => {
    const { assignmentId, openId } = await seed();
    await Promise.all([runTrigger(PASS_CRON, AT), runTrigger(PASS_CRON, AT), runTrigger(SENDER_CRON, AT)]);
    expect(await db().select().from(reminderLog).where(eq(reminderLog.assignmentId, assignmentId))).toHaveLength(1);
    expect(await sendsTo(openId)).toHaveLength(1);
  });

  it('two passes and drains at once, without the lease, still send the reminder once (claims alone)', async () => {
    const { assignmentId, openId } = await seed();
    const ctx = createExecutionContext();
    const run = async () => {
      const deps = createWorkerDeps(env as never, ctx, () => AT);
      const pass = await runSchedulerPass(deps, AT);
      const drained = await drainOutbox(deps, { now: AT });
      return { queued: pass.outboxIds.length, sent: drained.sent };
    };
    const results = await Promise.all([run(), run(), run()]);
    await waitOnExecutionContext(ctx);
    expect(results.reduce((n, r) => n + r.queued, 0)).toBe(1);
    expect(results.reduce((n, r) => n + r.sent, 0)).toBe(1);
    expect(await db().select().from(reminderLog).where(eq(reminderLog.assignmentId, assignmentId))).toHaveLength(1);
    expect(await sendsTo(openId)).toHaveLength(1);
  });
});
