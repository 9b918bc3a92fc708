// The slice writer: commits a pass's steps in slices. Each slice claims its steps in reminder_log with a journal row,
// then queues the messages of the claims it won in one batch (the queries are db/scheduler-store.ts); a failure
// gives the claims back. Slices bound memory and batch size on a province-scale catch-up.
import type { Db } from '../db/client.js';
import { closeEmptySlice, commitSlice, giveBackSlice, openSlice } from '../db/scheduler-store.js';
import type { PlannedAction } from '../domain/reminder-plan.js';
import type { Built, QueuedItem } from './messages.js';

/**
 * Steps per committed slice. Each commit writes every page its claims touched, so fewer, larger slices write less
 * (2,000 took a fresh 100,000-assignment plan's first pass from ~1.1 s to ~0.9 s); larger still gained nothing and
 * held more in memory (see bench/README.md).
 */
export const SLICE = 2000;

/** Where a pass collects what its slices queued (the pass's result). */
export interface SliceSink {
  queued: QueuedItem[];
  outboxIds: number[];
  suppressed: number;
}

export interface SliceDeps {
  db: Db;
  /** Real time, for the journal row (the pass's instant may be any time). */
  clock?: () => number;
}

export function slicesByUnit(list: PlannedAction[]): PlannedAction[][] {
  const byUnit = new Map<number, PlannedAction[]>();
  for (const a of list) {
    const unit = 'assignment' in a ? a.assignment.unitId : 0;
    const l = byUnit.get(unit);
    if (l) l.push(a);
    else byUnit.set(unit, [a]);
  }
  const out: PlannedAction[][] = [];
  let cur: PlannedAction[] = [];
  for (const l of byUnit.values()) {
    if (cur.length && cur.length + l.length > SLICE) {
      out.push(cur);
      cur = [];
    }
    cur.push(...l);
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * Claim the steps in reminder_log (a concurrent pass's claim makes ours return nothing), then queue the
 * messages and audit entries of the claims won, in one batch; if that batch fails the claims are given back.
 */
export async function commitSteps(
  deps: SliceDeps,
  at: number,
  actions: PlannedAction[],
  result: SliceSink,
  build: (mine: PlannedAction[]) => Promise<Built>,
): Promise<void> {
  const { db } = deps;
  const { sliceId, claimed } = await openSlice(db, at, (deps.clock ?? Date.now)(), actions);
  if (claimed.length === 0) {
    await closeEmptySlice(db, sliceId);
    return;
  }
  // Usually every claim is won; only when a concurrent pass took some are ours picked out.
  let mine = actions;
  if (claimed.length < actions.length) {
    const won = new Set(claimed.map((c) => `${c.assignmentId}|${c.stepKey}`));
    mine = actions.filter((a) => won.has(`${a.assignmentId}|${a.stepKey}`));
  }
  let inserted: Array<{ id: number; dedupeKey: string }>;
  let built: Built;
  try {
    built = await build(mine);
    result.suppressed += built.suppressed;
    // The claim rows (planned_at = this pass's instant) are the per-step record; the audit log gets one entry per
    // committed slice saying what it queued, written in the same batch.
    const byKind: Record<string, number> = {};
    for (const a of mine) byKind[a.kind] = (byKind[a.kind] ?? 0) + 1;
    inserted = await commitSlice(db, at, sliceId, built.messages, { steps: mine.length, byKind });
  } catch (err) {
    // Give the steps back so the next pass plans them again (with the journal row, in one commit).
    await giveBackSlice(db, sliceId, claimed.map((c) => c.id));
    throw err;
  }
  const idByKey = new Map(inserted.map((r) => [r.dedupeKey, r.id]));
  // Steps grouped into one message (a unit's periodic card, the office's escalation list) share one list of ids.
  const idsOf = new Map<string[], number[]>();
  for (const { item, keys } of built.items) {
    let ids = idsOf.get(keys);
    if (!ids) idsOf.set(keys, (ids = keys.map((k) => idByKey.get(k)).filter((x): x is number => x !== undefined)));
    item.outboxIds = ids;
    result.queued.push(item);
  }
  for (const r of inserted) result.outboxIds.push(r.id);
}
