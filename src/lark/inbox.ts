// Inbound events: de-duplicate in the database (event_id and message_id), process after the ack, recover after a crash.
import { and, eq, inArray, isNull, like, lt, or, sql } from 'drizzle-orm';
import type { AppDeps } from '../deps.js';
import type { Db } from '../db/client.js';
import { inboundEvents } from '../db/schema.js';
import { enqueueOutbox } from '../db/outbox-store.js';
import { preparedFor } from '../db/prepared.js';
import { createInboundHandlers } from '../commands/handlers.js';
import type { InboundHandlers } from '../domain/types.js';
import { normalizeLarkBody } from './normalize.js';
import { drainOutbox } from './sender.js';

export const UNSUPPORTED_REPLY = '暂时只能处理文字消息，请用文字回复，例如：进度 4.1.2 60%';
const SUPPORTED_TYPES = new Set(['text', 'post']);
const INBOUND_LEASE_MS = 60_000;
export const MAX_INBOUND_ATTEMPTS = 8;
/** Feishu re-sends for about 7.1 h; keep a week of memory. */
export const INBOUND_RETENTION_MS = 7 * 24 * 3600_000;

export const eventKey = (eventId: string) => `event:${eventId}`;
export const messageKey = (messageId: string) => `message:${messageId}`;

export interface RecordInbound {
  eventId: string;
  eventType: string;
  messageId?: string;
  payload: Record<string, unknown>;
  status?: string;
}

/** The stored payload without the verification token. */
function storablePayload(body: Record<string, unknown>): string {
  const header = body.header as Record<string, unknown> | undefined;
  if (!header || typeof header !== 'object' || !('token' in header)) return JSON.stringify(body);
  const { token: _t, ...rest } = header;
  return JSON.stringify({ ...body, header: rest });
}

const p = sql.placeholder;
/** A placeholder where drizzle's `set()` wants SQL. */
const ps = (name: string) => sql`${p(name)}`;

// The statements every inbound event runs, prepared once per database.
const eventRow = () => ({ key: p('ek'), eventType: p('type'), receivedAt: p('now'), status: p('status'), payload: p('payload') });
const recordEventStmt = (db: Db) =>
  preparedFor(db, 'inbox.recordEvent', (d) =>
    d.insert(inboundEvents).values(eventRow()).onConflictDoNothing().returning({ key: inboundEvents.key }).prepare(),
  );
const recordMessageStmt = (db: Db) =>
  preparedFor(db, 'inbox.recordMessage', (d) =>
    d
      .insert(inboundEvents)
      .values([eventRow(), { key: p('mk'), eventType: p('type'), receivedAt: p('now'), status: 'seen', payload: p('ek') }])
      .onConflictDoNothing()
      .returning({ key: inboundEvents.key })
      .prepare(),
  );
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
const ownerStmt = (db: Db) =>
  preparedFor(db, 'inbox.owner', (d) =>
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
  const ek = eventKey(ev.eventId);
  const values = { ek, type: ev.eventType, now, status: ev.status ?? 'pending', payload: storablePayload(ev.payload) };
  // The message row points at the event that owns it, so a half-recorded duplicate can be told apart later.
  const inserted = ev.messageId
    ? await recordMessageStmt(db).execute({ ...values, mk: messageKey(ev.messageId) })
    : await recordEventStmt(db).execute(values);
  const keys = new Set(inserted.map((r) => r.key));
  if (!keys.has(ek)) return false;
  if (ev.messageId && !keys.has(messageKey(ev.messageId))) {
    await markDuplicateStmt(db).execute({ key: ek, now });
    return false;
  }
  return true;
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
  try {
    const body = JSON.parse(row.payload ?? '{}') as Record<string, unknown>;
    const n = normalizeLarkBody(body, { botOpenId: deps.config.LARK_BOT_OPEN_ID || undefined });
    if (n.kind !== 'message') {
      await finish(deps.db, key, 'ignored', now);
      return true;
    }
    const msg = n.message;
    // A crash between recording and marking a duplicate leaves a pending row: check who owns the message.
    const owner = await ownerStmt(deps.db).execute({ key: messageKey(msg.messageId) });
    if (owner[0] && owner[0].payload !== key) {
      await finish(deps.db, key, 'duplicate', now);
      return true;
    }
    if (!SUPPORTED_TYPES.has(msg.messageType)) {
      await enqueueOutbox(
        deps.db,
        [
          {
            dedupeKey: `unsupported:${msg.messageId}`,
            op: 'reply',
            targetMessageId: msg.messageId,
            receiveIdType: 'chat_id',
            receiveId: msg.chatId,
            msgType: 'text',
            content: { text: UNSUPPORTED_REPLY },
            purpose: 'reply',
          },
        ],
        now,
      );
    } else {
      await handlersFor(deps).onMessage(msg, now);
    }
    await finish(deps.db, key, 'done', now);
    return true;
  } catch (err) {
    const message = String((err as Error)?.message ?? err).slice(0, 500);
    deps.logger.error('inbound event failed', { key, attempt: row.attempts, error: message });
    if (row.attempts >= MAX_INBOUND_ATTEMPTS) {
      await finish(deps.db, key, 'failed', now, message);
    } else {
      // Stay pending; the lease doubles as "not before" for the retry.
      const wait = Math.min(5_000 * 2 ** (row.attempts - 1), 30 * 60_000);
      await deps.db
        .update(inboundEvents)
        .set({ claimedUntil: now + wait, error: message })
        .where(eq(inboundEvents.key, key));
    }
    return true;
  }
}

/** Send what processing queued: kick the Node loop, or drain here (Workers, inside waitUntil). */
export async function flushOutbox(deps: AppDeps, now?: number): Promise<void> {
  if (deps.kickOutbox) deps.kickOutbox();
  else await drainOutbox(deps, { maxMs: 10_000, ...(now !== undefined ? { now } : {}) });
}

/** Process after the ack: the deferred half of an inbound message. */
export async function processInboundAfterAck(deps: AppDeps, key: string): Promise<void> {
  if (await runInboundEvent(deps, key, deps.clock())) await flushOutbox(deps);
}

/** Pick up events left pending (crash, or a failure waiting for its retry), and prune old de-dup rows. */
export async function processPendingInbound(deps: AppDeps, now: number, limit = 50): Promise<number> {
  const due = await deps.db
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
  let processed = 0;
  for (const { key } of due) if (await runInboundEvent(deps, key, now)) processed += 1;
  await pruneInbound(deps.db, now);
  if (processed) await flushOutbox(deps, now);
  return processed;
}

/** Forget de-dup rows older than the retention (never a pending one). */
export async function pruneInbound(db: Db, now: number): Promise<void> {
  const old = db
    .select({ key: inboundEvents.key })
    .from(inboundEvents)
    .where(and(lt(inboundEvents.receivedAt, now - INBOUND_RETENTION_MS), sql`${inboundEvents.status} <> 'pending'`))
    .limit(500);
  await db.delete(inboundEvents).where(inArray(inboundEvents.key, old));
}

/** Mark a card callback handled inline. */
export async function finishInbound(db: Db, eventId: string, status: 'done' | 'failed', now: number, error?: string) {
  await finish(db, eventKey(eventId), status, now, error ?? null);
}
