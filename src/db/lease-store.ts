// Leases for singleton jobs across processes: a conditional upsert, so only one holder runs at a time.
// Idempotency never depends on a lease; it only avoids two processes doing the same work at once.
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { leases } from './schema.js';

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
