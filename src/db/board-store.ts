// The board's own reads and writes (src/board/): single-use login links (board_links), the stored signing key, the
// digest trend, and the task page's rows (deadlines, assignments with units, reports, extension requests, evidence
// links). The numbers themselves come from stats-store.ts, shared with 统计 and the weekly digest.
import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lt } from 'drizzle-orm';
import type { Db } from './client.js';
import { assignments, boardLinks, deadlines, digests, extensionRequests, people, progressReports, settings, tasks, units } from './schema.js';

// ---- sign-in --------------------------------------------------------------------------------------------------

/** The writes issuing a link (one batch): links a day past expiry are dropped (a late click is told "expired", not
 * "unknown" until then), and the new link's nonce is stored. */
export function boardLinkWrites(db: Db, link: { nonce: string; personId: number; expiresAt: number }, now: number): unknown[] {
  return [
    db.delete(boardLinks).where(lt(boardLinks.expiresAt, now - 86_400_000)),
    db.insert(boardLinks).values({ nonce: link.nonce, personId: link.personId, expiresAt: link.expiresAt, createdAt: now }),
  ];
}

export async function boardLinkByNonce(db: Db, nonce: string) {
  const [row] = await db.select().from(boardLinks).where(eq(boardLinks.nonce, nonce)).limit(1);
  return row ?? null;
}

/** Use a link: one conditional UPDATE claims the nonce, so two clicks cannot both succeed. False when taken. */
export async function claimBoardLink(db: Db, nonce: string, personId: number, now: number): Promise<boolean> {
  const claimed = await db
    .update(boardLinks)
    .set({ usedAt: now })
    .where(and(eq(boardLinks.nonce, nonce), eq(boardLinks.personId, personId), isNull(boardLinks.usedAt), gt(boardLinks.expiresAt, now)))
    .returning({ nonce: boardLinks.nonce });
  return claimed.length > 0;
}

/** The setting `key` as stored, writing `candidate` first when there is none (the first writer wins). */
export async function settingOrInsert(db: Db, key: string, candidate: unknown, now: number): Promise<unknown> {
  // Insert-if-absent, then read: two isolates racing both end up with the first writer's value.
  await db.insert(settings).values({ key, value: candidate, updatedAt: now }).onConflictDoNothing({ target: settings.key });
  const rows = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, key));
  return rows[0]?.value;
}

// ---- the overview ---------------------------------------------------------------------------------------------

/** The newest stored weekly digests' summaries, newest first. */
export async function recentDigestSummaries(db: Db, limit: number) {
  return db.select({ weekKey: digests.weekKey, stats: digests.stats }).from(digests).orderBy(desc(digests.weekKey)).limit(limit);
}

// ---- the task page --------------------------------------------------------------------------------------------

/** Evidence links carried by progress reports on these assignments, oldest first, with the reporter's name. */
export async function reportEvidenceLinks(db: Db, assignmentIds: number[]) {
  return db
    .select({ assignmentId: progressReports.assignmentId, url: progressReports.evidenceUrl, at: progressReports.createdAt, by: people.name })
    .from(progressReports)
    .leftJoin(people, eq(people.id, progressReports.personId))
    .where(and(inArray(progressReports.assignmentId, assignmentIds), isNotNull(progressReports.evidenceUrl)))
    .orderBy(asc(progressReports.createdAt));
}

/** The plan's active task with this code. */
export async function activePlanTask(db: Db, planId: number, code: string) {
  const [task] = await db
    .select()
    .from(tasks)
    .where(and(eq(tasks.planId, planId), eq(tasks.code, code), eq(tasks.state, 'active')))
    .limit(1);
  return task ?? null;
}

/** A task's deadlines in plan order. */
export async function deadlinesInOrder(db: Db, taskId: number) {
  return db.select().from(deadlines).where(eq(deadlines.taskId, taskId)).orderBy(asc(deadlines.id));
}

/** A task's assignments with their unit's name and kind, in id order. */
export async function assignmentsWithUnits(db: Db, taskId: number) {
  return db
    .select({ a: assignments, unitName: units.name, unitKind: units.kind })
    .from(assignments)
    .innerJoin(units, eq(units.id, assignments.unitId))
    .where(eq(assignments.taskId, taskId))
    .orderBy(asc(assignments.id));
}

/** Every report on these assignments, oldest first, with the reporter's name. */
export async function reportsWithNames(db: Db, assignmentIds: number[]) {
  return db
    .select({ r: progressReports, by: people.name })
    .from(progressReports)
    .leftJoin(people, eq(people.id, progressReports.personId))
    .where(inArray(progressReports.assignmentId, assignmentIds))
    .orderBy(asc(progressReports.createdAt), asc(progressReports.id));
}

/** Extension requests on these assignments, oldest first. */
export async function extensionRequestsOf(db: Db, assignmentIds: number[]) {
  return db.select().from(extensionRequests).where(inArray(extensionRequests.assignmentId, assignmentIds)).orderBy(asc(extensionRequests.createdAt));
}
