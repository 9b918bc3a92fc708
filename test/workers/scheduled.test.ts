// Cron Triggers on Workers: scheduled() at a fixed instant runs the scheduler pass on D1, queues the reminder that
// is due and sends it through the SDK to the fake Feishu server; overlapping passes send it once.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { deadlines, outbox, reminderLog, schedulerSlices, settings } from '../../src/db/schema.js';
import { drainOutbox } from '../../src/lark/sender.js';
import { DEAD_SLICE_MS, runSchedulerPass } from '../../src/scheduler/pass.js';
import { createWorkerDeps } from '../../src/worker.js';
import { PASS_CRON, SENDER_CRON } from '../../src/worker-schedule.js';
import { messageCalls } from './fake-lark-client.js';
import { AT, clearPlanTables, db, runTrigger, seedReminderCase as seed } from './fixture.js';

const sendsTo = (openId: string) =>
  messageCalls((r) => r.method === 'POST' && r.path === '/open-apis/im/v1/messages' && r.body.receive_id === openId);

beforeEach(clearPlanTables);

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

  it('claims left by a pass that died before queueing them are given back and sent by the next pass', async () => {
    const { assignmentId, openId } = await seed();
    // What a pass killed between its two writes leaves: the claim and the slice's journal row, no message.
    const [claim] = await db()
      .insert(reminderLog)
      .values({ assignmentId, stepKey: 'before:10:2022-06-30', kind: 'reminder', dueDate: '2022-06-30', plannedAt: AT - 60_000 })
      .returning();
    await db().insert(schedulerSlices).values({ plannedAt: AT - 60_000, firstClaimId: claim!.id, lastClaimId: claim!.id, createdAt: AT - DEAD_SLICE_MS - 1 });
    await runTrigger(PASS_CRON, AT);
    expect(await db().select().from(schedulerSlices)).toHaveLength(0);
    const steps = await db().select().from(reminderLog).where(eq(reminderLog.assignmentId, assignmentId));
    expect(steps).toEqual([expect.objectContaining({ stepKey: 'before:10:2022-06-30', plannedAt: AT })]);
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

  it('a plan not live yet sends nothing to units on Workers either', async () => {
    const { assignmentId, openId } = await seed({ live: false });
    await runTrigger(PASS_CRON, AT);
    expect(await db().select().from(reminderLog).where(eq(reminderLog.assignmentId, assignmentId))).toHaveLength(0);
    expect(await sendsTo(openId)).toHaveLength(0);
  });

  it('holidays the office entered in D1 make a year chinese-days does not know usable', async () => {
    const { assignmentId, openId } = await seed();
    await db().update(deadlines).set({ dueDate: '2027-06-30' }).where(eq(deadlines.dueDate, '2022-06-30'));
    const at2027 = Date.parse('2027-06-16T09:30:00+08:00');
    await runTrigger(PASS_CRON, at2027);
    expect(await db().select().from(reminderLog).where(eq(reminderLog.assignmentId, assignmentId))).toHaveLength(0);
    await db().insert(settings).values({
      key: 'calendar:2027', value: { year: 2027, holidays: { '2027-06-09': '端午节' }, workdays: [] },
    });
    await runTrigger(PASS_CRON, at2027 + 60_000);
    // 2027 is covered now (by the office's entry): ten working days before 06-30 is 06-16.
    const steps = await db().select().from(reminderLog).where(eq(reminderLog.assignmentId, assignmentId));
    expect(steps.map((s) => s.stepKey)).toEqual(['before:10:2027-06-30']);
    expect(await sendsTo(openId)).toHaveLength(1);
  });
});
