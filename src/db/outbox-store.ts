// Writing to the durable outbox. A message is a row before it is anything else; the sender delivers rows.
import { createHash } from 'node:crypto';
import { and, desc, eq, gt, gte, inArray, lt, ne, or, sql } from 'drizzle-orm';
import { boundStatement, insertRowsQueries } from './batch.js';
import { preparedFor } from './prepared.js';
import type { Db } from './client.js';
import { outbox } from './schema.js';
import type { OutboundMessage } from '../domain/types.js';
import { inertTextMessage } from '../domain/text-escape.js';

/** An outbox row as stored. */
export type OutboxRow = typeof outbox.$inferSelect;

/** Open ids as Feishu issues them; anything else is never put inside a tag. */
const OPEN_ID = /^[\w-]{1,64}$/;

/**
 * Every text message passes here: user text inside it (names, notes, echoed commands) can never ping or style. The
 * bot's own mentions (`mentionOpenIds`) are added after, as the only live tags.
 */
function inertText(content: OutboundMessage['content'], mentionOpenIds: string[] = []): OutboundMessage['content'] {
  const c = content as { text?: unknown };
  if (typeof c.text !== 'string') return content;
  const at = mentionOpenIds.filter((id) => OPEN_ID.test(id)).map((id) => `<at user_id="${id}"></at>`).join(' ');
  return { ...content, text: (at ? `${at} ` : '') + inertTextMessage(c.text) };
}

/** Deterministic Feishu `uuid` (<= 50 chars) for a logical message: a retried send can never post twice. */
export function outboxUuid(dedupeKey: string): string {
  return 'db-' + createHash('sha256').update(dedupeKey).digest('hex').slice(0, 40);
}

/** Build the insert for one message (for use inside runBatch with other writes). Duplicate keys are ignored. */
export function outboxInsert(db: Db, msg: OutboundMessage, now: number) {
  return db
    .insert(outbox)
    .values(outboxRow(msg, now))
    .onConflictDoNothing({ target: outbox.dedupeKey });
}

const OUTBOX_COLUMNS = [
  'dedupeKey', 'uuid', 'op', 'receiveIdType', 'receiveId', 'targetMessageId', 'msgType', 'content', 'purpose', 'taskId',
  'assignmentId', 'status', 'nextAttemptAt', 'createdAt', 'dueAt',
] as const;

/**
 * Queue one message on its own (no other write to make atomic with it): the same insert as `outboxInsert`, prepared
 * once per database. Duplicate keys are ignored.
 */
export async function insertOutboxMessage(db: Db, msg: OutboundMessage, now: number): Promise<void> {
  await insertOneStmt(db).execute(outboxRow(msg, now) as Record<string, unknown>);
}

const insertOneStmt = (db: Db) =>
  preparedFor(db, 'outbox.insertOne', (d) =>
    d
      .insert(outbox)
      .values(Object.fromEntries(OUTBOX_COLUMNS.map((c) => [c, sql.placeholder(c)])) as unknown as typeof outbox.$inferInsert)
      .onConflictDoNothing({ target: outbox.dedupeKey })
      .prepare(),
  );

/** `outboxInsert` for runBatch from the prepared statement (no query built per message where the driver allows). */
export function outboxInsertPrepared(db: Db, msg: OutboundMessage, now: number) {
  const row = outboxRow(msg, now);
  return boundStatement(db, insertOneStmt(db), row as Record<string, unknown>, () =>
    db.insert(outbox).values(row).onConflictDoNothing({ target: outbox.dedupeKey }),
  );
}

export function outboxRow(msg: OutboundMessage, now: number): typeof outbox.$inferInsert {
  return {
    dedupeKey: msg.dedupeKey,
    uuid: outboxUuid(msg.dedupeKey),
    op: msg.op ?? (msg.targetMessageId ? 'reply' : 'send'),
    receiveIdType: msg.receiveIdType ?? null,
    receiveId: msg.receiveId ?? null,
    targetMessageId: msg.targetMessageId ?? null,
    msgType: msg.msgType,
    content: JSON.stringify(msg.msgType === 'text' ? inertText(msg.content, msg.mentionOpenIds) : msg.content),
    purpose: msg.purpose,
    taskId: msg.taskId ?? null,
    assignmentId: msg.assignmentId ?? null,
    status: 'pending',
    nextAttemptAt: msg.notBefore ?? now,
    createdAt: now,
    dueAt: msg.notBefore ?? now,
  };
}

/**
 * Inserts for many messages at once, for runBatch: multi-row statements sized to the driver (insertRowsQueries), so a
 * wave of thousands of messages is a few dozen statements on better-sqlite3 and a handful on D1. Duplicate keys
 * are skipped; each statement returns `[id, dedupeKey]` of each row it inserted.
 */
export function outboxInsertMany(db: Db, msgs: OutboundMessage[], now: number) {
  const rows = msgs.map((m) => {
    const r = outboxRow(m, now);
    return [
      r.dedupeKey, r.uuid, r.op, r.receiveIdType, r.receiveId, r.targetMessageId, r.msgType, r.content, r.purpose, r.taskId,
      r.assignmentId, r.nextAttemptAt, r.dueAt,
    ];
  });
  return insertRowsQueries(
    db,
    {
      table: 'outbox',
      columns: [
        'dedupe_key', 'uuid', 'op', 'receive_id_type', 'receive_id', 'target_message_id', 'msg_type', 'content', 'purpose',
        'task_id', 'assignment_id', 'next_attempt_at', 'due_at',
      ],
      constants: { status: 'pending', created_at: now },
      tail: 'on conflict (dedupe_key) do nothing returning id, dedupe_key',
    },
    rows,
  );
}

/** Queue messages; returns the ids of rows actually inserted (already-queued keys are skipped). */
export async function enqueueOutbox(db: Db, msgs: OutboundMessage[], now: number): Promise<number[]> {
  const ids: number[] = [];
  // Chunk to stay under SQLite's bound-parameter limit (D1: 100 params per statement).
  const CHUNK = 5;
  for (let i = 0; i < msgs.length; i += CHUNK) {
    const rows = msgs.slice(i, i + CHUNK).map((m) => outboxRow(m, now));
    const inserted = await db
      .insert(outbox)
      .values(rows)
      .onConflictDoNothing({ target: outbox.dedupeKey })
      .returning({ id: outbox.id });
    ids.push(...inserted.map((r) => r.id));
  }
  return ids;
}

export async function outboxByIds(db: Db, ids: number[]) {
  if (ids.length === 0) return [];
  return db.select().from(outbox).where(inArray(outbox.id, ids));
}

/**
 * Retention (README "Retention"): a sent row keeps its payload for 30 days; after that only what routes a reply
 * to it (message_id, purpose, task, assignment, dedupe key) stays, until 180 days; cancelled rows (re-addressed)
 * go after 30 days. Failed rows (未送达) stay until the office retries them: nothing undelivered disappears.
 */
export const OUTBOX_SENT_PAYLOAD_RETENTION_MS = 30 * 24 * 3600_000;
export const OUTBOX_SENT_RETENTION_MS = 180 * 24 * 3600_000;
const PRUNE_SLICE = 1000;
const PRUNE_ROUNDS = 10;

/** Prune old outbox rows (bounded work per call: the next scheduled run continues). Returns rows touched. */
export async function pruneOutbox(db: Db, now: number): Promise<number> {
  let touched = 0;
  for (let round = 0; round < PRUNE_ROUNDS; round++) {
    const gone = await db
      .delete(outbox)
      .where(
        inArray(
          outbox.id,
          db
            .select({ id: outbox.id })
            .from(outbox)
            .where(
              or(
                and(eq(outbox.status, 'sent'), lt(outbox.sentAt, now - OUTBOX_SENT_RETENTION_MS)),
                and(eq(outbox.status, 'cancelled'), lt(outbox.createdAt, now - OUTBOX_SENT_PAYLOAD_RETENTION_MS)),
              ),
            )
            .limit(PRUNE_SLICE),
        ),
      )
      .returning({ id: outbox.id });
    const stripped = await db
      .update(outbox)
      .set({ content: PRUNED_CONTENT })
      .where(
        inArray(
          outbox.id,
          db
            .select({ id: outbox.id })
            .from(outbox)
            // A week's band past the payload retention (not everything older): the (status, sent_at) index reads only
            // rows not yet stripped, as long as the scheduled jobs ran at least once in that week.
            .where(
              and(
                eq(outbox.status, 'sent'),
                lt(outbox.sentAt, now - OUTBOX_SENT_PAYLOAD_RETENTION_MS),
                gte(outbox.sentAt, now - OUTBOX_SENT_PAYLOAD_RETENTION_MS - 7 * 24 * 3600_000),
                ne(outbox.content, PRUNED_CONTENT),
              ),
            )
            .limit(PRUNE_SLICE),
        ),
      )
      .returning({ id: outbox.id });
    touched += gone.length + stripped.length;
    if (gone.length < PRUNE_SLICE && stripped.length < PRUNE_SLICE) break;
  }
  return touched;
}

/** What a sent row's content becomes once its payload is pruned. */
export const PRUNED_CONTENT = '{}';

/**
 * Whether a message with this dedupe key is already in the outbox (e.g. a reply that was already written). Prepared
 * once per database: every inbound message asks it.
 */
export async function outboxKeyExists(db: Db, dedupeKey: string): Promise<boolean> {
  const stmt = preparedFor(db, 'outbox.keyExists', (d) =>
    d.select({ id: outbox.id }).from(outbox).where(eq(outbox.dedupeKey, sql.placeholder('key'))).limit(1).prepare(),
  );
  const rows = await stmt.execute({ key: dedupeKey });
  return rows.length > 0;
}

// ---- the CLI sandbox (`npx duban chat`): it shows queued rows itself and marks them delivered ------------------

/** The highest outbox id (0 when empty). */
export async function lastOutboxId(db: Db): Promise<number> {
  const [r] = await db.select({ m: sql<number>`coalesce(max(${outbox.id}), 0)` }).from(outbox);
  return Number(r?.m ?? 0);
}

/** Pending rows queued after `afterId`, in id order. */
export async function pendingOutboxAfter(db: Db, afterId: number): Promise<OutboxRow[]> {
  const rows = await db.select().from(outbox).where(and(gt(outbox.id, afterId), eq(outbox.status, 'pending')));
  return rows.sort((a, b) => a.id - b.id);
}

/** Mark a row delivered with `messageId` (the sandbox showed it; nothing is sent to Feishu). */
export async function markOutboxShown(db: Db, id: number, messageId: string, sentAt: number): Promise<void> {
  await db.update(outbox).set({ status: 'sent', messageId, sentAt }).where(eq(outbox.id, id));
}

/** The newest `limit` pending or sent rows of `purposes` addressed to any of `receiveIds`, newest first. */
export async function recentOutboxTo(db: Db, receiveIds: string[], purposes: string[], limit: number): Promise<OutboxRow[]> {
  return db
    .select()
    .from(outbox)
    .where(and(inArray(outbox.status, ['pending', 'sent']), inArray(outbox.purpose, purposes), inArray(outbox.receiveId, receiveIds)))
    .orderBy(desc(outbox.id))
    .limit(limit);
}
