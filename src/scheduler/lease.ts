// Leases for singleton jobs across processes: a conditional upsert, so only one holder runs at a time.
// Idempotency never depends on the lease; it only avoids two passes doing the same work at once.
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { leases } from '../db/schema.js';

/** Take (or renew) the lease `name` until now + ttlMs; false when someone else holds an unexpired lease. */
export async function acquireLease(db: Db, name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
  const rows = await db
    .insert(leases)
    .values({ name, holder, until: now + ttlMs })
    .onConflictDoUpdate({
      target: leases.name,
      set: { holder, until: now + ttlMs },
      setWhere: sql`${leases.until} <= ${now} or ${leases.holder} = ${holder}`,
    })
    .returning({ holder: leases.holder });
  return rows.length === 1 && rows[0]!.holder === holder;
}

export async function releaseLease(db: Db, name: string, holder: string): Promise<void> {
  await db.delete(leases).where(and(eq(leases.name, name), eq(leases.holder, holder)));
}

/** The lease every scheduler pass takes, on Node (node-cron) and on Workers (Cron Triggers) alike. */
export const SCHEDULER_LEASE = 'scheduler';
/** Held at most this long by a pass that dies without releasing it; a pass takes seconds. */
export const SCHEDULER_LEASE_MS = 10 * 60_000;

/** Run `work` under the scheduler lease; null (and nothing run) when another holder has it. */
export async function withSchedulerLease<T>(db: Db, holder: string, now: number, work: () => Promise<T>): Promise<T | null> {
  if (!(await acquireLease(db, SCHEDULER_LEASE, holder, now, SCHEDULER_LEASE_MS))) return null;
  try {
    return await work();
  } finally {
    await releaseLease(db, SCHEDULER_LEASE, holder);
  }
}
