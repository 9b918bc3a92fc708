// The reminders the bot sent about assignments, as 催办 (one per half hour), 已读情况 (the last one) and the buzz
// step (加急, src/evidence/urgent.ts) read them from the outbox; and urgent_log, whose primary key claims each sent
// reminder once so overlapping runs and restarts never buzz a message twice. One code path for both drivers.
import { and, desc, eq, gte, isNotNull, isNull, like } from 'drizzle-orm';
import type { Db } from './client.js';
import { outbox, urgentLog } from './schema.js';

export type OutboxRow = typeof outbox.$inferSelect;

/** When the newest 催办 of this assignment was written, if one was at or after `since`. */
export async function lastUrgeSince(db: Db, assignmentId: number, since: number): Promise<number | null> {
  const recent = await db
    .select({ createdAt: outbox.createdAt })
    .from(outbox)
    .where(and(like(outbox.dedupeKey, `urge:${assignmentId}:%`), gte(outbox.createdAt, since)))
    .orderBy(desc(outbox.createdAt))
    .limit(1);
  return recent[0]?.createdAt ?? null;
}

/** The last reminder (red card or 催办) the bot sent to the unit about this assignment. */
export async function lastSentReminder(db: Db, assignmentId: number): Promise<OutboxRow | null> {
  const [row] = await db
    .select()
    .from(outbox)
    .where(and(eq(outbox.assignmentId, assignmentId), eq(outbox.purpose, 'reminder'), eq(outbox.status, 'sent'), eq(outbox.op, 'send'), isNotNull(outbox.messageId)))
    .orderBy(desc(outbox.sentAt), desc(outbox.id))
    .limit(1);
  return row ?? null;
}

/** Reminders about an assignment sent at or after `since` and not yet claimed in urgent_log (at most `limit`). */
export async function unbuzzedReminders(db: Db, since: number, limit: number): Promise<OutboxRow[]> {
  const rows = await db
    .select({ o: outbox })
    .from(outbox)
    .leftJoin(urgentLog, eq(urgentLog.outboxId, outbox.id))
    .where(
      and(
        eq(outbox.purpose, 'reminder'),
        eq(outbox.status, 'sent'),
        eq(outbox.op, 'send'),
        isNotNull(outbox.messageId),
        isNotNull(outbox.assignmentId),
        gte(outbox.sentAt, since),
        isNull(urgentLog.outboxId),
      ),
    )
    .limit(limit);
  return rows.map((r) => r.o);
}

/** Claim a sent reminder for the buzz step: false when another run claimed it first. */
export async function claimUrgent(db: Db, outboxId: number, messageId: string, result: 'pending' | 'skipped', now: number): Promise<boolean> {
  const claimed = await db
    .insert(urgentLog)
    .values({ outboxId, messageId, result, createdAt: now })
    .onConflictDoNothing({ target: urgentLog.outboxId })
    .returning({ id: urgentLog.outboxId });
  return claimed.length > 0;
}

/** The update recording how a claimed reminder ended (for a batch, or awaited alone). */
export function urgentResult(db: Db, outboxId: number, result: 'buzzed' | 'skipped' | 'fallback', detail: string | null) {
  return db.update(urgentLog).set({ result, detail }).where(eq(urgentLog.outboxId, outboxId));
}

/** Give a claim back so the next run tries again (a passing failure). */
export async function releaseUrgent(db: Db, outboxId: number): Promise<void> {
  await db.delete(urgentLog).where(eq(urgentLog.outboxId, outboxId));
}
