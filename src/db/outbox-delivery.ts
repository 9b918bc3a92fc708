// The outbox delivery store: the statements the sender (lark/sender.ts) runs on outbox rows and the outage breaker.
// Every one is a single conditional statement on rows this claim holds (status 'sending'), so overlapping drains in
// several processes or isolates never send a row twice nor overwrite each other's outcome.
import { and, asc, eq, gt, inArray, isNotNull, lt, lte, or, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { leases, outbox } from './schema.js';
import type { OutboxRow } from './outbox-store.js';

const dueCondition = (now: number) =>
  or(
    and(eq(outbox.status, 'pending'), lte(outbox.nextAttemptAt, now)),
    and(eq(outbox.status, 'sending'), lt(outbox.claimedUntil, now)),
  );

/**
 * Claim up to `limit` due rows (including rows whose lease expired) in one conditional UPDATE, oldest first (by id,
 * the order they were queued in): after an outage the backlog goes out in the order it was written.
 */
export async function claimOutboxRows(db: Db, now: number, limit: number, leaseMs: number): Promise<OutboxRow[]> {
  const ids = db
    .select({ id: outbox.id })
    .from(outbox)
    .where(dueCondition(now))
    .orderBy(asc(outbox.id))
    .limit(limit);
  const rows = await db
    .update(outbox)
    .set({ status: 'sending', claimedUntil: now + leaseMs, attempts: sql`${outbox.attempts} + 1` })
    .where(and(inArray(outbox.id, ids), dueCondition(now)))
    .returning();
  return rows.sort((a, b) => a.id - b.id);
}

/**
 * Feishu answered again after failures: every row waiting out its backoff is due now, so the backlog goes out
 * oldest first at the sending rate instead of each row at the end of its own (up to 15-minute) wait.
 */
export async function wakeRetries(db: Db, now: number): Promise<void> {
  await db
    .update(outbox)
    .set({ nextAttemptAt: now })
    .where(and(eq(outbox.status, 'pending'), gt(outbox.nextAttemptAt, now), gt(outbox.attempts, 0), isNotNull(outbox.lastError)));
}

/** Put a claimed row back, due at `at` (the attempt it was claimed for is not counted). */
export async function releaseRow(db: Db, row: OutboxRow, at: number): Promise<void> {
  await db
    .update(outbox)
    .set({ status: 'pending', claimedUntil: null, nextAttemptAt: at, attempts: sql`max(${outbox.attempts} - 1, 0)` })
    .where(and(eq(outbox.id, row.id), eq(outbox.status, 'sending')));
}

/** Statements on a row this drain holds (claimed, still 'sending'). */
const mine = (row: OutboxRow) => and(eq(outbox.id, row.id), eq(outbox.status, 'sending'));

export async function markOutboxSent(db: Db, row: OutboxRow, messageId: string, now: number): Promise<void> {
  await db
    .update(outbox)
    .set({ status: 'sent', messageId, sentAt: now, claimedUntil: null, lastError: null, errorCode: null })
    .where(mine(row));
}

/** Back to pending, due at `at`, with the failure kept; `refundAttempt`: the attempt is not counted (rate limits). */
export async function retryOutboxRow(
  db: Db,
  row: OutboxRow,
  r: { at: number; refundAttempt: boolean; reason: string; code: number },
): Promise<void> {
  await db
    .update(outbox)
    .set({
      status: 'pending',
      claimedUntil: null,
      nextAttemptAt: r.at,
      ...(r.refundAttempt ? { attempts: sql`max(${outbox.attempts} - 1, 0)` } : {}),
      lastError: r.reason,
      errorCode: r.code,
    })
    .where(mine(row));
}

/** A permanent failure: 'failed', shown to the office (未送达) with the reason. */
export async function markOutboxFailed(db: Db, row: OutboxRow, reason: string, code: number): Promise<void> {
  await db.update(outbox).set({ status: 'failed', claimedUntil: null, lastError: reason, errorCode: code }).where(mine(row));
}

/** The outage breaker: a row in `leases`, so every process and isolate sees it (see lark/sender.ts). */
const BREAKER = 'outbox-outage';

export async function readOutageBreaker(db: Db): Promise<{ failures: number; until: number } | undefined> {
  const row = (await db.select().from(leases).where(eq(leases.name, BREAKER)))[0];
  if (!row) return undefined;
  return { failures: Number(/^outage:(\d+)$/.exec(row.holder)?.[1] ?? 1), until: row.until };
}

export async function tripOutageBreaker(db: Db, until: number, failures: number): Promise<void> {
  await db
    .insert(leases)
    .values({ name: BREAKER, holder: `outage:${failures}`, until })
    .onConflictDoUpdate({ target: leases.name, set: { holder: `outage:${failures}`, until } });
}

export async function clearOutageBreaker(db: Db): Promise<void> {
  await db.delete(leases).where(eq(leases.name, BREAKER));
}
