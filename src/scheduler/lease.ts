// The scheduler lease: one pass at a time across processes and isolates (the lease table itself is
// db/lease-store.ts). Idempotency never depends on it: steps and outbox rows are claimed by single conditional
// statements; the lease only avoids two passes doing the same work at once.
import type { Db } from '../db/client.js';
import { acquireLease, releaseLease } from '../db/lease-store.js';

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
