// Shared by the intake benches (webhook-intake, soak): the open-loop fixed-rate load, and what the service's
// database says about the events it acknowledged (recorded once? processed?).
import Database from 'better-sqlite3';
import { lastJsonLine, pinned, runCommand } from './proc.js';

export interface RateResult {
  target_rate: number;
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  achieved_rate: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
}

/** bench/lib/rate-load.ts as its own process pinned to `cpu`: `rate` events/s for `seconds` from the pool. */
export async function runFixedRate(o: {
  port: number;
  path: string;
  poolFile: string;
  rate: number;
  seconds: number;
  ackedFile: string;
  cpu: number;
}): Promise<RateResult> {
  const [cmd, args] = pinned(o.cpu, process.execPath, [
    '--import',
    'tsx',
    'bench/lib/rate-load.ts',
    String(o.port),
    o.path,
    o.poolFile,
    String(o.rate),
    String(o.seconds),
    o.ackedFile,
  ]);
  const run = await runCommand(cmd, args);
  const r = lastJsonLine<RateResult>(run.stdout, 'RATE_JSON');
  if (!r) throw new Error(`rate-load failed: ${run.stderr}`);
  return r;
}

/** Counts of inbound events still waiting for processing and processed, read beside the running service. */
export function pendingAndDone(dbFile: string): { pending: number; done: number } {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare("select status, count(*) as n from inbound_events where key like 'event:%' group by status").all() as Array<{
      status: string;
      n: number;
    }>;
    const n = (s: string) => rows.find((r) => r.status === s)?.n ?? 0;
    return { pending: n('pending'), done: rows.reduce((a, r) => a + r.n, 0) - n('pending') };
  } finally {
    db.close();
  }
}

/** Wait until no event is pending; returns how long that took. */
export async function waitProcessed(dbFile: string, timeoutMs = 300_000): Promise<number> {
  const t = performance.now();
  while (pendingAndDone(dbFile).pending > 0) {
    if (performance.now() - t > timeoutMs) throw new Error('events still pending after 5 minutes');
    await new Promise((r) => setTimeout(r, 50));
  }
  return performance.now() - t;
}

/** Rows in inbound_events for the acked event ids: each must be there exactly once. */
export function verifyRecorded(dbFile: string, ackedIds: string[]) {
  const db = new Database(dbFile, { readonly: true });
  // One 'event:<event_id>' row per event (plus a 'message:<message_id>' de-dup row pointing at it).
  const rows = db.prepare("select key, status from inbound_events where key like 'event:%'").all() as Array<{ key: string; status: string }>;
  db.close();
  const perId = new Map<string, number>();
  for (const r of rows) {
    const id = r.key.slice('event:'.length);
    perId.set(id, (perId.get(id) ?? 0) + 1);
  }
  let missing = 0;
  let duplicated = 0;
  for (const id of ackedIds) {
    const n = perId.get(id) ?? 0;
    if (n === 0) missing++;
    else if (n > 1) duplicated++;
  }
  const byStatus: Record<string, number> = {};
  const byPool: Record<string, number> = {};
  for (const r of rows) {
    byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    const pool = /^event:([a-z0-9]+)-/.exec(r.key)?.[1] ?? '?';
    byPool[pool] = (byPool[pool] ?? 0) + 1;
  }
  return { rows: rows.length, acked: ackedIds.length, missing, duplicated, byStatus, byPool };
}


/**
 * Of the acknowledged event ids: how many were processed ('done'; a processed message also has its reply queued in
 * the outbox), and how many are in any other state.
 */
export function verifyProcessed(dbFile: string, ackedIds: string[], messagePrefix: string) {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const status = new Map(
      (db.prepare("select key, status from inbound_events where key like 'event:%'").all() as Array<{ key: string; status: string }>).map((r) => [
        r.key.slice('event:'.length),
        r.status,
      ]),
    );
    let done = 0;
    const other: Record<string, number> = {};
    for (const id of ackedIds) {
      const s = status.get(id) ?? 'missing';
      if (s === 'done') done++;
      else other[s] = (other[s] ?? 0) + 1;
    }
    const replies = (db.prepare("select count(*) as n from outbox where dedupe_key like ? and dedupe_key not like '%:text'").get(`reply:${messagePrefix}%`) as { n: number }).n;
    return { acked: ackedIds.length, processed: done, not_processed: other, replies_queued: replies };
  } finally {
    db.close();
  }
}
