// Messages the bot could not use (unmatched_messages): the office's list (未识别) and attaching one to an assignment
// (归入) as that unit's progress note in the sender's name; the row the inbound handler writes with its reply.
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { people, progressReports, unmatchedMessages } from './schema.js';

export type UnmatchedRow = typeof unmatchedMessages.$inferSelect;

/** The statement keeping a message the bot could not use, to batch with the reply that says what was understood. */
export function unmatchedInsert(db: Db, row: Omit<typeof unmatchedMessages.$inferInsert, 'id' | 'resolvedAt'>) {
  return db.insert(unmatchedMessages).values(row);
}

/** How many unmatched messages there are (all, or only those not yet attached). */
export async function countUnmatched(db: Db, all: boolean): Promise<number> {
  const where = all ? undefined : isNull(unmatchedMessages.resolvedAt);
  const [{ n }] = (await db.select({ n: sql<number>`count(*)` }).from(unmatchedMessages).where(where)) as [{ n: number }];
  return n;
}

/** One page of unmatched messages, newest first, with the sender's name. */
export async function unmatchedPage(db: Db, all: boolean, limit: number, offset: number) {
  const where = all ? undefined : isNull(unmatchedMessages.resolvedAt);
  return db
    .select({ m: unmatchedMessages, name: people.name })
    .from(unmatchedMessages)
    .leftJoin(people, eq(people.openId, unmatchedMessages.openId))
    .where(where)
    .orderBy(desc(unmatchedMessages.createdAt), desc(unmatchedMessages.id))
    .limit(limit)
    .offset(offset);
}

export async function unmatchedById(db: Db, id: number): Promise<UnmatchedRow | undefined> {
  return (await db.select().from(unmatchedMessages).where(eq(unmatchedMessages.id, id)))[0];
}

/**
 * The writes of 归入 (for one batch with the audit row): the message becomes a progress note on the assignment, and
 * the message is marked attached, only if it was not attached meanwhile.
 */
export function attachUnmatchedQueries(
  db: Db,
  a: { id: number; assignmentId: number; personId: number | null; note: string; sourceMessageId: string | null; resolvedBy: number | null },
  now: number,
): unknown[] {
  return [
    db.insert(progressReports).values({
      assignmentId: a.assignmentId,
      personId: a.personId,
      kind: 'note',
      percent: null,
      note: a.note,
      channel: 'attach',
      sourceMessageId: a.sourceMessageId,
      createdAt: now,
    }),
    db
      .update(unmatchedMessages)
      .set({ assignmentId: a.assignmentId, resolvedBy: a.resolvedBy, resolvedAt: now })
      .where(and(eq(unmatchedMessages.id, a.id), isNull(unmatchedMessages.resolvedAt))),
  ];
}
