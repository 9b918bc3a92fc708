// Inbound events: de-duplicate in the database (event_id and message_id), process after the ack, recover after a crash.
import { and, eq, inArray, isNull, like, lt, or, sql } from 'drizzle-orm';
import type { AppDeps } from '../deps.js';
import type { Db } from '../db/client.js';
import { inboundEvents } from '../db/schema.js';
import { outboxInsertPrepared, pruneOutbox } from '../db/outbox-store.js';
import { boundStatement, jsonRowChunks, rawRowsQuery, runBatch } from '../db/batch.js';
import { preparedFor } from '../db/prepared.js';
import { createInboundHandlers } from '../commands/handlers.js';
import type { InboundHandlers } from '../domain/types.js';
import { normalizeLarkBody } from './normalize.js';
import { drainOutbox } from './sender.js';
import { botOpenIdFor } from './bot-identity.js';
import { allNames, buildRegistry } from '../commands/index.js';
import { handleEvidenceMessage, evidenceIntakeOf } from '../commands/evidence-intake.js';

export const UNSUPPORTED_REPLY = '暂时只能处理文字、图片和文件（佐证材料），请用文字回复，例如：进度 4.1.2 60%';
const SUPPORTED_TYPES = new Set(['text', 'post']);
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

export interface RecordInbound {
  eventId: string;
  eventType: string;
  messageId?: string;
  payload: Record<string, unknown>;
  status?: string;
  /**
   * Record the event already claimed by this process until this instant (its first attempt), because it is about
   * to be processed here: no second write to claim it.
   */
  claimUntil?: number;
}

/** The stored payload without the verification token. */
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

/** Records events like recordInboundEvent; how the Node service groups them (see createInboundRecorder). */
export type InboundRecorder = (ev: RecordInbound, now: number) => Promise<boolean>;

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

async function claimInbound(db: Db, key: string, now: number) {
  const rows = await claimStmt(db).execute({ key, now, until: now + INBOUND_LEASE_MS });
  return rows[0];
}

async function finish(db: Db, key: string, status: string, now: number, error: string | null = null) {
  await finishStmt(db).execute({ key, status, now, error });
}

// The command handlers hold no per-message state: build them (registry, name index) once per deps.
const handlersByDeps = new WeakMap<AppDeps, InboundHandlers>();
function handlersFor(deps: AppDeps): InboundHandlers {
  let h = handlersByDeps.get(deps);
  if (!h) {
    h = createInboundHandlers(deps);
    handlersByDeps.set(deps, h);
  }
  return h;
}

/** Run one stored event through the command layer, once. Returns true when this call processed it. */
export async function runInboundEvent(deps: AppDeps, key: string, now: number): Promise<boolean> {
  const row = await claimInbound(deps.db, key, now);
  if (!row) return false;
  await processClaimed(deps, { key, payload: row.payload, attempts: row.attempts, checkOwner: true }, now);
  return true;
}

/** An event this process recorded already claimed (RecordInbound.claimUntil), about to be processed here. */
export interface OwnedInbound {
  key: string;
  claimedUntil: number;
}

/** Leave this much of the claim for the processing itself; closer to its end, claim again first. */
const OWNED_CLAIM_MARGIN_MS = 20_000;
/** How long an event recorded for processing here stays claimed (it waits in the work queue meanwhile). */
export const OWNED_CLAIM_MS = INBOUND_LEASE_MS;

/** Process an event recorded by this process for itself. Returns true when this call processed it. */
export async function runOwnedInbound(deps: AppDeps, ev: OwnedInbound, now: number): Promise<boolean> {
  let attempts = 1;
  if (now > ev.claimedUntil - OWNED_CLAIM_MARGIN_MS) {
    const rows = await reclaimStmt(deps.db).execute({ key: ev.key, held: ev.claimedUntil, until: now + INBOUND_LEASE_MS });
    if (!rows[0]) return false;
    attempts = rows[0].attempts;
  }
  // Only the key waited in memory: the body is read back from the row written at the ack.
  const payload = (await payloadStmt(deps.db).execute({ key: ev.key }))[0]?.payload ?? null;
  // Both de-dup rows were inserted by this process in one statement: the message is this event's.
  await processClaimed(deps, { key: ev.key, payload, attempts, checkOwner: false }, now);
  return true;
}

async function processClaimed(
  deps: AppDeps,
  ev: { key: string; payload: string | null; attempts: number; checkOwner: boolean },
  now: number,
): Promise<void> {
  const { key } = ev;
  try {
    const body = parseStored(ev.payload);
    // The bot's identity matters only for a message's mentions: not looked up for other events.
    const botOpenId = body.header && (body.header as Record<string, unknown>).event_type === 'im.message.receive_v1' ? await botOpenIdFor(deps) : undefined;
    const n = normalizeLarkBody(body, { botOpenId });
    if (n.kind === 'lifecycle') {
      await handlersFor(deps).onLifecycle(n.event, n.eventId, now);
      await finish(deps.db, key, 'done', now);
      return;
    }
    if (n.kind !== 'message') {
      await finish(deps.db, key, 'ignored', now);
      return;
    }
    const msg = n.message;
    if (ev.checkOwner) {
      // A crash between recording and marking a duplicate leaves a pending row: check who owns the message.
      const owner = await payloadStmt(deps.db).execute({ key: messageKey(msg.messageId) });
      if (owner[0] && owner[0].payload !== key) {
        await finish(deps.db, key, 'duplicate', now);
        return;
      }
    }
    // Images, files and posts with images: evidence (src/evidence/intake.ts). A post whose text is a command runs the
    // command first, then its files (so "进度 4.1.1 60%" + photo puts the photo on that report's assignment).
    const files = evidenceIntakeOf(body, msg, (commandNames ??= allNames(buildRegistry())));
    if (files && !files.textFirst) {
      await handleEvidenceMessage(deps, msg, files, now, { replyKey: `reply:${msg.messageId}`, withReply: [finishQuery(deps.db, key, 'done', now)] });
      return;
    }
    if (files?.textFirst) {
      await handlersFor(deps).onMessage(msg, now);
      await handleEvidenceMessage(deps, msg, files, now, { replyKey: `evidence:${msg.messageId}`, withReply: [finishQuery(deps.db, key, 'done', now)] });
      return;
    }
    if (!SUPPORTED_TYPES.has(msg.messageType)) {
      await runBatch(deps.db, [
        outboxInsertPrepared(
          deps.db,
          {
            dedupeKey: `unsupported:${msg.messageId}`,
            op: 'reply',
            targetMessageId: msg.messageId,
            ...(msg.chatType === 'p2p'
              ? { receiveIdType: 'open_id' as const, receiveId: msg.sender.openId }
              : { receiveIdType: 'chat_id' as const, receiveId: msg.chatId }),
            msgType: 'text',
            content: { text: UNSUPPORTED_REPLY },
            purpose: 'reply',
          },
          now,
        ),
        finishQuery(deps.db, key, 'done', now),
      ]);
      return;
    }
    // The event is marked done in the same commit as the reply, so a crash cannot answer twice or not at all.
    const finished = await handlersFor(deps).onMessage(msg, now, [finishQuery(deps.db, key, 'done', now)]);
    if (!finished) await finish(deps.db, key, 'done', now);
  } catch (err) {
    const message = String((err as Error)?.message ?? err).slice(0, 500);
    deps.logger.error('inbound event failed', { key, attempt: ev.attempts, error: message });
    if (ev.attempts >= MAX_INBOUND_ATTEMPTS) {
      await finish(deps.db, key, 'failed', now, message);
    } else {
      // Stay pending; the lease doubles as "not before" for the retry.
      const wait = Math.min(5_000 * 2 ** (ev.attempts - 1), 30 * 60_000);
      await deps.db
        .update(inboundEvents)
        .set({ claimedUntil: now + wait, error: message })
        .where(eq(inboundEvents.key, key));
    }
  }
}

let commandNames: string[] | undefined;

/** A stored body; one that does not parse normalises as invalid and is marked ignored. */
function parseStored(payload: string | null): Record<string, unknown> {
  try {
    return JSON.parse(payload ?? '{}') as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The "processed" write as a query, for committing with other writes in one batch. */
function finishQuery(db: Db, key: string, status: string, now: number) {
  return boundStatement(db, finishStmt(db), { key, status, now, error: null }, () =>
    db.update(inboundEvents).set({ status, processedAt: now, claimedUntil: null, error: null }).where(eq(inboundEvents.key, key)),
  );
}

/** Send what processing queued: kick the Node loop, or drain here (Workers, inside waitUntil). */
export async function flushOutbox(deps: AppDeps, now?: number): Promise<void> {
  if (deps.kickOutbox) deps.kickOutbox();
  else await drainOutbox(deps, { maxMs: 10_000, ...(now !== undefined ? { now } : {}) });
}

/** Process after the ack: the deferred half of an inbound message recorded (and claimed) for this process. */
export async function processInboundAfterAck(deps: AppDeps, ev: OwnedInbound): Promise<void> {
  if (await runOwnedInbound(deps, ev, deps.clock())) await flushOutbox(deps);
}

/**
 * Pick up events left pending (crash, a failure waiting for its retry, an overflow of the work queue), and prune
 * old de-dup rows (`prune: false` for the quick slices that drain an overflow).
 */
export async function processPendingInbound(deps: AppDeps, now: number, limit = 50, opts: { prune?: boolean } = {}): Promise<number> {
  const claimed = await claimPendingInbound(deps.db, now, limit);
  for (const row of claimed) await runClaimedInbound(deps, row, now);
  if (opts.prune !== false) {
    await pruneInbound(deps.db, now);
    await pruneOutbox(deps.db, now);
  }
  if (claimed.length) await flushOutbox(deps, now);
  return claimed.length;
}

/** A pending event claimed from the database (by the sweep), ready for runClaimedInbound. */
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

/** Process an event claimed by claimPendingInbound. */
export async function runClaimedInbound(deps: AppDeps, row: ClaimedInbound, now: number): Promise<void> {
  await processClaimed(deps, { key: row.key, payload: row.payload, attempts: row.attempts, checkOwner: true }, now);
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
  await finish(db, eventKey(eventId), status, now, error ?? null);
}
