// Crash recovery for the pass: the claims of slices whose pass died between committing them and queueing their
// messages are given back (db/scheduler-store.ts giveBackDeadSlices), so the next pass plans those steps again.
import type { Db } from '../db/client.js';
import { giveBackDeadSlices } from '../db/scheduler-store.js';
import type { Logger } from '../logger.js';

/** A slice journal row older than this belongs to a pass that died (a live one deletes its row within seconds). */
export const DEAD_SLICE_MS = 10 * 60_000;

/** Give back the claims of dead passes' slices; returns how many claims were given back. */
export async function recoverDeadSlices(deps: { db: Db; logger?: Logger; clock?: () => number }): Promise<number> {
  const now = (deps.clock ?? Date.now)();
  const { slices, claims } = await giveBackDeadSlices(deps.db, now, now - DEAD_SLICE_MS);
  if (slices === 0) return 0;
  deps.logger?.warn('scheduler: claims of an interrupted pass given back', { slices, claims });
  return claims;
}
