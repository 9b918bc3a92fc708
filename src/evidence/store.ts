// Evidence rows (佐证材料) and the office's evidence policy: reads, attach, recall. One code path for both drivers.
import { and, asc, desc, eq, gte, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { runBatch } from '../db/batch.js';
import { assignments, auditLog, evidence, people, progressReports, settings, tasks, units } from '../db/schema.js';
import { DEFAULT_EVIDENCE_POLICY, EVIDENCE_WINDOW_MS, type EvidencePolicy } from '../domain/evidence.js';
import type { BlobStore } from '../ports.js';

export type EvidenceRow = typeof evidence.$inferSelect;

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
export async function removeEvidenceForMessage(db: Db, store: BlobStore | undefined, messageId: string, now: number): Promise<EvidenceRow[]> {
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
