// The inbound store: de-duplication rows for every event Feishu pushes (event_id and message_id), recorded at the ack
// in one statement (a group commit on Node), claimed for processing by single conditional statements (so two
// processes or sweeps never take the same event), settled in the same batch as the reply, and pruned after a week.
// What is Feishu-specific about an event (its body, normalising it) stays in src/lark/inbox.ts.
import { and, eq, inArray, isNull, like, lt, or, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { inboundEvents } from './schema.js';
import { boundStatement, jsonRowChunks, rawRowsQuery, runBatch } from './batch.js';
import { preparedFor } from './prepared.js';
import type { InboundRecorder, OwnedInbound, RecordInbound } from '../ports.js';

const INBOUND_LEASE_MS = 60_000;
export const MAX_INBOUND_ATTEMPTS = 8;
/**
 * How long a processed (settled) inbound row is kept for de-duplication. Feishu re-pushes an unacknowledged event
 * after 15 s, 5 min, 1 h and 6 h (~7.1 h), and the accepted request-timestamp window must not outlast this: it must
 * stay at least 24 h (README "Retention"). A week.
 */
export const INBOUND_RETENTION_MS = 7 * 24 * 3600_000;

export const eventKey = (eventId: string) => `event:${eventId}`;
export const messageKey = (messageId: string) => `message:${messageId}`;

/** The stored payload without the verification token (it is a secret: never kept). */
function storablePayload(body: Record<string, unknown>): string {
  if ('token' in body) {
    // A v1.0 event carries its token at the top level.
    const { token: _t, ...rest } = body;
    body = rest;
  }
  const header = body.header as Record<string, unknown> | undefined;
  if (!header || typeof header !== 'object' || !('token' in header)) return JSON.stringify(body);
  const { token: _t, ...rest } = header;
  return JSON.stringify({ ...body, header: rest });
}

const p = sql.placeholder;
/** A placeholder where drizzle's `set()` wants SQL. */
const ps = (name: string) => sql`${p(name)}`;

// The statements every inbound event runs, prepared once per database.
const markDuplicateStmt = (db: Db) =>
  preparedFor(db, 'inbox.markDuplicate', (d) =>
    d.update(inboundEvents).set({ status: 'duplicate', processedAt: ps('now') }).where(eq(inboundEvents.key, p('key'))).prepare(),
  );
const claimStmt = (db: Db) =>
  preparedFor(db, 'inbox.claim', (d) =>
    d
      .update(inboundEvents)
      .set({ claimedUntil: ps('until'), attempts: sql`${inboundEvents.attempts} + 1` })
      .where(
        and(
          eq(inboundEvents.key, p('key')),
          eq(inboundEvents.status, 'pending'),
          or(isNull(inboundEvents.claimedUntil), lt(inboundEvents.claimedUntil, p('now'))),
        ),
      )
      .returning()
      .prepare(),
  );
// An event recorded already claimed (RecordInbound.claimUntil) whose processing started late: take it again only
// if nobody else did meanwhile (another process's sweep after the lease ran out).
const reclaimStmt = (db: Db) =>
  preparedFor(db, 'inbox.reclaim', (d) =>
    d
      .update(inboundEvents)
      .set({ claimedUntil: ps('until'), attempts: sql`${inboundEvents.attempts} + 1` })
      .where(and(eq(inboundEvents.key, p('key')), eq(inboundEvents.status, 'pending'), eq(inboundEvents.claimedUntil, p('held'))))
      .returning({ attempts: inboundEvents.attempts })
      .prepare(),
  );
// An event's stored body, or for a message row the key of the event that owns it.
const payloadStmt = (db: Db) =>
  preparedFor(db, 'inbox.payload', (d) =>
    d.select({ payload: inboundEvents.payload }).from(inboundEvents).where(eq(inboundEvents.key, p('key'))).prepare(),
  );
const finishStmt = (db: Db) =>
  preparedFor(db, 'inbox.finish', (d) =>
    d
      .update(inboundEvents)
      .set({ status: ps('status'), processedAt: ps('now'), claimedUntil: null, error: ps('error') })
      .where(eq(inboundEvents.key, p('key')))
      .prepare(),
  );

/**
 * Insert the de-dup rows in one statement. Returns false when the event (or, for a message, the message) was
 * seen before: the caller acknowledges and does nothing else.
 */
export async function recordInboundEvent(db: Db, ev: RecordInbound, now: number): Promise<boolean> {
  return (await recordInboundEvents(db, [{ ev, now }]))[0]!;
}

/**
 * Record many events in one statement (one commit): the group commit behind the Node service's recorder. The
 * same rows and answers as recordInboundEvent, event by event, in order (a message twice in one group: the first
 * event wins, the second is a duplicate).
 */
export async function recordInboundEvents(db: Db, evs: Array<{ ev: RecordInbound; now: number }>): Promise<boolean[]> {
  if (evs.length === 0) return [];
  const rows: unknown[][] = [];
  for (const { ev, now } of evs) {
    const ek = eventKey(ev.eventId);
    rows.push([ek, ev.eventType, now, ev.status ?? 'pending', storablePayload(ev.payload), ev.claimUntil ? 1 : 0, ev.claimUntil ?? null]);
    // The message row points at the event that owns it, so a half-recorded duplicate can be told apart later.
    if (ev.messageId) rows.push([messageKey(ev.messageId), ev.eventType, now, 'seen', ek, 0, null]);
  }
  const col = (i: number) => sql.raw(`json_extract(value, '$[${i}]')`);
  const results = (await runBatch(
    db,
    jsonRowChunks(rows).map((json) =>
      rawRowsQuery(
        db,
        sql`insert into inbound_events (key, event_type, received_at, status, payload, attempts, claimed_until)
          select ${col(0)}, ${col(1)}, ${col(2)}, ${col(3)}, ${col(4)}, ${col(5)}, ${col(6)}
          from json_each(${json}) where true
          on conflict (key) do nothing
          returning key`,
      ),
    ),
  )) as unknown[][][];
  const inserted = new Set<string>();
  for (const r of results) for (const row of r) inserted.add(row[0] as string);
  // A key inserted by this statement belongs to the first event in the group that carries it.
  const take = (key: string) => inserted.delete(key);
  const out: boolean[] = [];
  for (const { ev, now } of evs) {
    const ek = eventKey(ev.eventId);
    if (!take(ek)) {
      out.push(false);
    } else if (ev.messageId && !take(messageKey(ev.messageId))) {
      await markDuplicateStmt(db).execute({ key: ek, now });
      out.push(false);
    } else {
      out.push(true);
    }
  }
  return out;
}

/**
 * Group commit: every event recorded during one turn of the event loop goes into one statement, written when the
 * turn ends; each caller resolves (and may acknowledge) only once that commit is done. Under a burst this turns
 * dozens of commits into one; alone, an event waits less than a turn.
 */
export function createInboundRecorder(db: Db, maxGroup = 200): InboundRecorder {
  let group: Array<{ ev: RecordInbound; now: number; resolve: (fresh: boolean) => void; reject: (err: unknown) => void }> = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const batch = group;
    group = [];
    recordInboundEvents(db, batch).then(
      (fresh) => batch.forEach((b, i) => b.resolve(fresh[i]!)),
      (err: unknown) => batch.forEach((b) => b.reject(err)),
    );
  };
  return (ev, now) =>
    new Promise<boolean>((resolve, reject) => {
      group.push({ ev, now, resolve, reject });
      if (group.length >= maxGroup) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}

/** One recorder statement per event: the InboundRecorder of Workers and tests (Node groups them, below). */
export function createSingleInboundRecorder(db: Db): InboundRecorder {
  return (ev, now) => recordInboundEvent(db, ev, now);
}

/** Claim a pending event nobody holds (one conditional statement). Undefined: settled, or held by another. */
export async function claimInbound(db: Db, key: string, now: number) {
  const rows = await claimStmt(db).execute({ key, now, until: now + INBOUND_LEASE_MS });
  return rows[0];
}

/**
 * Claim again an event recorded claimed by this process (RecordInbound.claimUntil) whose processing starts late,
 * only if nobody took it meanwhile. Returns its attempt count, or undefined when another process has it.
 */
export async function reclaimOwnedInbound(db: Db, ev: OwnedInbound, now: number): Promise<number | undefined> {
  const rows = await reclaimStmt(db).execute({ key: ev.key, held: ev.claimedUntil, until: now + INBOUND_LEASE_MS });
  return rows[0]?.attempts;
}

/** The stored body of an event row, or for a message row the key of the event that owns it. */
export async function inboundPayload(db: Db, key: string): Promise<string | null | undefined> {
  return (await payloadStmt(db).execute({ key }))[0]?.payload;
}

/** Settle an event: done, ignored, duplicate or failed (with the error). */
export async function settleInbound(db: Db, key: string, status: string, now: number, error: string | null = null) {
  await finishStmt(db).execute({ key, status, now, error });
}

/** A failed attempt: the event stays pending, and the lease doubles as "not before" for the retry. */
export async function retryInboundAfter(db: Db, key: string, until: number, error: string): Promise<void> {
  await db.update(inboundEvents).set({ claimedUntil: until, error }).where(eq(inboundEvents.key, key));
}

/** How long an event recorded for processing here stays claimed (it waits in the work queue meanwhile). */
export const OWNED_CLAIM_MS = INBOUND_LEASE_MS;

/** The "processed" write as a query, for committing with other writes in one batch (the reply's). */
export function finishQuery(db: Db, key: string, status: string, now: number) {
  return boundStatement(db, finishStmt(db), { key, status, now, error: null }, () =>
    db.update(inboundEvents).set({ status, processedAt: now, claimedUntil: null, error: null }).where(eq(inboundEvents.key, key)),
  );
}

/** A pending event claimed from the database (by the sweep), ready for lark/inbox.ts runClaimedInbound. */
export interface ClaimedInbound {
  key: string;
  payload: string | null;
  attempts: number;
  receivedAt: number;
}

/**
 * Claim up to `limit` pending events that nobody holds (oldest first), in one statement: one commit for the whole
 * slice, and two sweeps at once can never claim the same event.
 */
export async function claimPendingInbound(db: Db, now: number, limit: number): Promise<ClaimedInbound[]> {
  const due = db
    .select({ key: inboundEvents.key })
    .from(inboundEvents)
    .where(
      and(
        eq(inboundEvents.status, 'pending'),
        like(inboundEvents.key, 'event:%'),
        or(isNull(inboundEvents.claimedUntil), lt(inboundEvents.claimedUntil, now)),
      ),
    )
    .orderBy(inboundEvents.receivedAt)
    .limit(limit);
  const rows = await db
    .update(inboundEvents)
    .set({ claimedUntil: now + INBOUND_LEASE_MS, attempts: sql`${inboundEvents.attempts} + 1` })
    .where(and(inArray(inboundEvents.key, due), eq(inboundEvents.status, 'pending')))
    .returning({ key: inboundEvents.key, payload: inboundEvents.payload, attempts: inboundEvents.attempts, receivedAt: inboundEvents.receivedAt });
  return rows.sort((a, b) => a.receivedAt - b.receivedAt || (a.key < b.key ? -1 : 1));
}

/** Every status but 'pending' (a card action still 'processing' after a week is as settled as it gets). */
const SETTLED_STATUSES = ['done', 'ignored', 'duplicate', 'failed', 'seen', 'processing'];

/**
 * Forget de-dup rows older than the retention (never a pending one); bounded work per call (up to 10 slices of
 * 1,000), so a sustained 1,000 events/s is pruned as fast as it arrives by the 30 s / 1 min sweeps.
 */
export async function pruneInbound(db: Db, now: number): Promise<number> {
  let total = 0;
  for (let round = 0; round < 10; round++) {
    const old = db
      .select({ key: inboundEvents.key })
      .from(inboundEvents)
      // Listed rather than `<> 'pending'`, so the (status, received_at) index finds them without a scan.
      .where(and(inArray(inboundEvents.status, SETTLED_STATUSES), lt(inboundEvents.receivedAt, now - INBOUND_RETENTION_MS)))
      .limit(1000);
    const gone = await db.delete(inboundEvents).where(inArray(inboundEvents.key, old)).returning({ key: inboundEvents.key });
    total += gone.length;
    if (gone.length < 1000) break;
  }
  return total;
}

/** Give up this process's claim on a pending event (it could not be queued here), so any sweep can take it. */
export async function releaseInbound(db: Db, key: string): Promise<void> {
  await db
    .update(inboundEvents)
    .set({ claimedUntil: null, attempts: sql`max(${inboundEvents.attempts} - 1, 0)` })
    .where(and(eq(inboundEvents.key, key), eq(inboundEvents.status, 'pending')));
}

/** Mark a card callback handled inline. */
export async function finishInbound(db: Db, eventId: string, status: 'done' | 'failed', now: number, error?: string) {
  await settleInbound(db, eventKey(eventId), status, now, error ?? null);
}
