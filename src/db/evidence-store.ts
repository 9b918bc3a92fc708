// Evidence rows (佐证材料) and the office's evidence policy: reads, intake's writes and the folding of quick
// confirmations, attach, recall. The files' bytes are not here: they live in a BlobStore (src/evidence/blob-store.ts),
// keyed by sha256. One code path for both drivers.
import { and, asc, desc, eq, gte, inArray, isNull, like, ne, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { runBatch } from './batch.js';
import { assignments, auditLog, evidence, outbox, people, progressReports, settings, tasks, units } from './schema.js';
import { DEFAULT_EVIDENCE_POLICY, EVIDENCE_WINDOW_MS, type EvidencePolicy } from '../domain/evidence.js';

export type EvidenceRow = typeof evidence.$inferSelect;
export type EvidenceInsert = typeof evidence.$inferInsert;

/** What recall needs of the blob store (src/evidence/blob-store.ts's BlobStore has it). */
interface BlobDeleter {
  delete(sha256: string): Promise<void>;
}

export const EVIDENCE_POLICY_KEY = 'evidence_policy';

export async function getEvidencePolicy(db: Db): Promise<EvidencePolicy> {
  const [row] = await db.select().from(settings).where(eq(settings.key, EVIDENCE_POLICY_KEY)).limit(1);
  const v = (row?.value ?? {}) as Partial<EvidencePolicy>;
  return {
    requireForClose: typeof v.requireForClose === 'boolean' ? v.requireForClose : DEFAULT_EVIDENCE_POLICY.requireForClose,
    urgentAfterOverdueDays:
      typeof v.urgentAfterOverdueDays === 'number' && v.urgentAfterOverdueDays >= 0 ? v.urgentAfterOverdueDays : DEFAULT_EVIDENCE_POLICY.urgentAfterOverdueDays,
  };
}

export async function setEvidencePolicy(db: Db, patch: Partial<EvidencePolicy>, now: number, actor: { personId: number | null; channel: string }): Promise<EvidencePolicy> {
  const next = { ...(await getEvidencePolicy(db)), ...patch };
  await runBatch(db, [
    db
      .insert(settings)
      .values({ key: EVIDENCE_POLICY_KEY, value: next, updatedAt: now })
      .onConflictDoUpdate({ target: settings.key, set: { value: next, updatedAt: now } }),
    db.insert(auditLog).values({
      at: now,
      actor: actor.personId ? `person:${actor.personId}` : 'cli',
      personId: actor.personId,
      channel: actor.channel,
      action: 'policy.evidence',
      entity: 'settings',
      entityId: EVIDENCE_POLICY_KEY,
      detail: next as unknown as Record<string, unknown>,
    }),
  ]);
  return next;
}

/** Attached evidence of these assignments, oldest first, with the sender's name. */
export async function evidenceOfAssignments(db: Db, ids: number[]) {
  if (ids.length === 0) return [];
  const out: Array<EvidenceRow & { by: string | null }> = [];
  for (let i = 0; i < ids.length; i += 90) {
    const rows = await db
      .select({ e: evidence, by: people.name })
      .from(evidence)
      .leftJoin(people, eq(people.id, evidence.personId))
      .where(and(inArray(evidence.assignmentId, ids.slice(i, i + 90)), eq(evidence.status, 'attached')))
      .orderBy(asc(evidence.createdAt), asc(evidence.id));
    for (const r of rows) out.push({ ...r.e, by: r.by });
  }
  return out;
}

export async function countAttached(db: Db, assignmentId: number): Promise<number> {
  const [r] = await db
    .select({ n: sql<number>`count(*)` })
    .from(evidence)
    .where(and(eq(evidence.assignmentId, assignmentId), eq(evidence.status, 'attached')));
  return Number(r?.n ?? 0);
}

/** The one assignment this person reported on within the window before `now`, if exactly one. */
export async function recentReportAssignment(db: Db, personId: number | null, now: number): Promise<number | null> {
  if (!personId) return null;
  const rows = await db
    .selectDistinct({ a: progressReports.assignmentId })
    .from(progressReports)
    .where(
      and(
        eq(progressReports.personId, personId),
        gte(progressReports.createdAt, now - EVIDENCE_WINDOW_MS),
        inArray(progressReports.kind, ['progress', 'done_claim', 'no_change', 'note']),
      ),
    )
    .orderBy(desc(progressReports.assignmentId))
    .limit(2);
  return rows.length === 1 ? rows[0]!.a : null;
}

/** The assignment a report made by this very message is on (a post "进度 4.1.1 60%" with photos). */
export async function reportOfMessage(db: Db, messageId: string): Promise<number | null> {
  const rows = await db.selectDistinct({ a: progressReports.assignmentId }).from(progressReports).where(eq(progressReports.sourceMessageId, messageId)).limit(2);
  return rows.length === 1 ? rows[0]!.a : null;
}

/** Pending (unplaced) files of a sender, newest first (the last 7 days). */
export async function pendingOf(db: Db, openId: string, now: number, messageId?: string) {
  return db
    .select()
    .from(evidence)
    .where(
      and(
        eq(evidence.senderOpenId, openId),
        eq(evidence.status, 'pending'),
        isNull(evidence.assignmentId),
        gte(evidence.createdAt, now - 7 * 86_400_000),
        ...(messageId ? [eq(evidence.messageId, messageId)] : []),
      ),
    )
    .orderBy(desc(evidence.createdAt));
}

/** Attach a sender's pending files (all, or those of one message) to an assignment; returns how many. */
export async function attachPending(db: Db, ids: number[], assignmentId: number, now: number): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await db
    .update(evidence)
    .set({ assignmentId, status: 'attached', via: 'follow_up', attachedAt: now })
    .where(and(inArray(evidence.id, ids), eq(evidence.status, 'pending')))
    .returning({ id: evidence.id });
  return rows.length;
}

/** An evidence row with what it belongs to (for the link route and the export). */
export async function evidenceWithContext(db: Db, id: number) {
  const [r] = await db
    .select({ e: evidence, unitId: assignments.unitId, unitName: units.name, code: tasks.code })
    .from(evidence)
    .leftJoin(assignments, eq(assignments.id, evidence.assignmentId))
    .leftJoin(units, eq(units.id, assignments.unitId))
    .leftJoin(tasks, eq(tasks.id, assignments.taskId))
    .where(eq(evidence.id, id))
    .limit(1);
  return r ?? null;
}

/** Every attached file with task and unit, for the 台账 and `npx duban evidence export`. */
export async function evidenceForExport(db: Db, filter: { taskCode?: string; unitId?: number } = {}) {
  const rows = await db
    .select({
      id: evidence.id,
      assignmentId: evidence.assignmentId,
      name: evidence.name,
      kind: evidence.kind,
      contentType: evidence.contentType,
      size: evidence.size,
      sha256: evidence.sha256,
      createdAt: evidence.createdAt,
      by: people.name,
      byOpenId: evidence.senderOpenId,
      taskCode: tasks.code,
      taskTitle: tasks.title,
      unitId: units.id,
      unitName: units.name,
    })
    .from(evidence)
    .innerJoin(assignments, eq(assignments.id, evidence.assignmentId))
    .innerJoin(tasks, eq(tasks.id, assignments.taskId))
    .innerJoin(units, eq(units.id, assignments.unitId))
    .leftJoin(people, eq(people.id, evidence.personId))
    .where(
      and(
        eq(evidence.status, 'attached'),
        ...(filter.taskCode ? [eq(tasks.code, filter.taskCode)] : []),
        ...(filter.unitId ? [eq(units.id, filter.unitId)] : []),
      ),
    )
    .orderBy(asc(tasks.id), asc(units.id), asc(evidence.createdAt), asc(evidence.id));
  return rows;
}

/**
 * A recalled message takes its evidence with it: the rows go, and each blob no other row uses is deleted from the
 * store. For issue 14's `im.message.recalled_v1` handler to call. Returns the rows removed.
 */
export async function removeEvidenceForMessage(db: Db, store: BlobDeleter | undefined, messageId: string, now: number): Promise<EvidenceRow[]> {
  const removed = await db.delete(evidence).where(eq(evidence.messageId, messageId)).returning();
  if (removed.length === 0) return [];
  await db.insert(auditLog).values({
    at: now,
    actor: 'system',
    personId: removed[0]!.personId,
    channel: 'chat',
    action: 'evidence.recalled',
    entity: 'message',
    entityId: messageId,
    detail: { files: removed.map((r) => ({ id: r.id, name: r.name, assignmentId: r.assignmentId })) },
  });
  if (store) {
    for (const sha of new Set(removed.map((r) => r.sha256))) {
      const [still] = await db.select({ id: evidence.id }).from(evidence).where(and(eq(evidence.sha256, sha), ne(evidence.messageId, messageId))).limit(1);
      if (!still) await store.delete(sha);
    }
  }
  return removed;
}

/** The insert of a message's evidence rows (for a batch); a redelivered message adds nothing twice. */
export function evidenceInsert(db: Db, rows: EvidenceInsert[]) {
  return db.insert(evidence).values(rows).onConflictDoNothing({ target: [evidence.messageId, evidence.fileKey] });
}

// Folding quick confirmations (src/evidence/intake.ts): several files to one assignment within a minute get one
// confirmation, rewritten while it waits in the outbox.

/** The newest confirmation about this assignment still waiting to be sent, created at or after `since`. */
export async function waitingConfirmation(db: Db, assignmentId: number, since: number) {
  const [prev] = await db
    .select({ id: outbox.id, target: outbox.targetMessageId, createdAt: outbox.createdAt, content: outbox.content })
    .from(outbox)
    .where(and(eq(outbox.purpose, 'reply'), eq(outbox.assignmentId, assignmentId), eq(outbox.status, 'pending'), gte(outbox.createdAt, since), like(outbox.dedupeKey, 'reply:%')))
    .orderBy(desc(outbox.id))
    .limit(1);
  return prev ?? null;
}

/** This sender's attached files on the assignment since `since`: how many, in how many messages. */
export async function senderFilesSince(db: Db, assignmentId: number, openId: string, since: number): Promise<{ files: number; messages: number }> {
  const earlier = await db
    .select({ n: sql<number>`count(*)`, m: sql<number>`count(distinct ${evidence.messageId})` })
    .from(evidence)
    .where(and(eq(evidence.assignmentId, assignmentId), eq(evidence.senderOpenId, openId), gte(evidence.createdAt, since), eq(evidence.status, 'attached')));
  return { files: Number(earlier[0]?.n ?? 0), messages: Number(earlier[0]?.m ?? 0) };
}

/** Whether this sender's files came with that message. */
export async function senderSentFilesIn(db: Db, messageId: string, openId: string): Promise<boolean> {
  const [own] = await db.select({ id: evidence.id }).from(evidence).where(and(eq(evidence.messageId, messageId), eq(evidence.senderOpenId, openId))).limit(1);
  return !!own;
}

/** Rewrite a waiting confirmation's text and push its send back; false when it was sent (or taken) meanwhile. */
export async function rewriteWaitingConfirmation(db: Db, outboxId: number, text: string, nextAttemptAt: number): Promise<boolean> {
  const updated = await db
    .update(outbox)
    .set({ content: JSON.stringify({ text }), nextAttemptAt })
    .where(and(eq(outbox.id, outboxId), eq(outbox.status, 'pending')))
    .returning({ id: outbox.id });
  return updated.length > 0;
}

/**
 * The confirmation's counts again, in SQL, after the burst's rows are committed. The burst: this sender's files on
 * this assignment from `since`, less those another answer already confirmed. The text is
 * `words[0] <files> words[1] <messages> words[2] <all files of the assignment> words[3]`.
 */
export async function recountWaitingConfirmation(
  db: Db,
  outboxId: number,
  burst: { assignmentId: number; openId: string; since: number },
  words: [string, string, string, string],
): Promise<void> {
  const { assignmentId, openId, since } = burst;
  const where = sql`assignment_id = ${assignmentId} and sender_open_id = ${openId} and created_at >= ${since} and status = 'attached'
    and message_id not in (select o.target_message_id from outbox o where o.purpose = 'reply' and o.status <> 'merged' and o.id <> ${outboxId}
      and o.created_at >= ${since} and o.target_message_id is not null)`;
  await db
    .update(outbox)
    .set({
      content: sql`json_object('text', ${words[0]} || (select count(*) from evidence where ${where}) || ${words[1]} || (select count(distinct message_id) from evidence where ${where}) || ${words[2]} || (select count(*) from evidence where assignment_id = ${assignmentId} and status = 'attached') || ${words[3]})`,
    })
    .where(and(eq(outbox.id, outboxId), eq(outbox.status, 'pending')));
}

/** The outbox row marking a message answered by a merged confirmation: never sent (status 'merged'), for a batch. */
export function mergedAnswerInsert(db: Db, row: typeof outbox.$inferInsert) {
  return db
    .insert(outbox)
    .values({ ...row, status: 'merged' })
    .onConflictDoNothing({ target: outbox.dedupeKey });
}
