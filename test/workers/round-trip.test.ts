// The whole loop on Workers: a Cron Trigger sends the reminder card, the contact replies to it in Feishu, the
// signed event comes back to the worker, progress lands in D1 and the confirmation reaches Feishu.
import { eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { assignments, outbox, progressReports } from '../../src/db/schema.js';
import { PASS_CRON } from '../../src/worker-schedule.js';
import { cardActionEvent, messageEvent } from '../helpers/lark-events.js';
import { messageCalls } from './fake-lark-client.js';
import { AT, clearPlanTables, db, deliverToWorker, larkRequest, runTrigger, seedReminderCase, TOKEN } from './fixture.js';
import { wireContent } from '../../src/cards/stored-card.js';

beforeEach(clearPlanTables);

describe('reminder and reply on Workers', () => {
  it('a reply to the cron-sent reminder card records progress and is answered', async () => {
    const { assignmentId, openId } = await seedReminderCase();
    await runTrigger(PASS_CRON, AT);
    const [reminder] = await db().select().from(outbox).where(eq(outbox.assignmentId, assignmentId));
    expect(reminder).toMatchObject({ purpose: 'reminder', status: 'sent' });
    const reminderMessageId = reminder!.messageId!;
    expect(reminderMessageId).toMatch(/^om_/);
    // Feishu got the rendered card, not the stored input.
    const [sent] = await messageCalls((r) => r.body.uuid === reminder!.uuid);
    expect(JSON.parse(String(sent!.body.content))).toMatchObject({ schema: '2.0', header: { template: expect.any(String) } });

    const incomingId = `om_in_reply_${crypto.randomUUID()}`;
    const event = messageEvent({
      token: TOKEN,
      messageId: incomingId,
      senderOpenId: openId,
      parentId: reminderMessageId,
      rootId: reminderMessageId,
      text: '已完成排查，70%',
      createTime: AT + 3_600_000,
    });
    expect((await deliverToWorker(larkRequest('/lark/events', event))).status).toBe(200);

    const [asg] = await db().select().from(assignments).where(eq(assignments.id, assignmentId));
    expect(asg?.percent).toBe(70);
    const reports = await db().select().from(progressReports).where(eq(progressReports.assignmentId, assignmentId));
    expect(reports).toEqual([expect.objectContaining({ channel: 'reply', percent: 70, sourceMessageId: incomingId })]);

    const replies = await messageCalls((r) => r.path === `/open-apis/im/v1/messages/${incomingId}/reply`);
    expect(replies).toHaveLength(1);
    expect(String(replies[0]!.body.content)).toContain('进度 70%');
  });

  it('a button on the cron-sent card is answered inline within the 3 s window and recorded', async () => {
    const { assignmentId, openId } = await seedReminderCase();
    await runTrigger(PASS_CRON, AT);
    const [reminder] = await db().select().from(outbox).where(eq(outbox.assignmentId, assignmentId));
    // Stored as the card's input; the card Feishu gets carries the buttons.
    expect(wireContent(reminder!.content)).toContain('"a":"same"');

    const click = cardActionEvent({
      token: TOKEN,
      operatorOpenId: openId,
      value: { a: 'same', asg: assignmentId },
      openMessageId: reminder!.messageId!,
      openChatId: 'oc_p2p_contact',
    });
    const res = await deliverToWorker(larkRequest('/lark/cards', click));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { toast?: { type: string; content: string } };
    expect(body.toast?.type).toBe('success');
    const reports = await db().select().from(progressReports).where(eq(progressReports.assignmentId, assignmentId));
    expect(reports).toEqual([expect.objectContaining({ kind: 'no_change', channel: 'card' })]);
  });
});
