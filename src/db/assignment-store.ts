// Table access of the assignment lifecycle: the assignment row, its progress_reports, its extension requests (and
// the bind requests 撤回 shares numbers with), the office's 待办 lists, the list a person is paging through, and
// the reads a recalled message's withdrawal needs. Writes are returned as query builders so a command commits
// the change, its report row, its audit row and its notices in one runBatch; reads are awaited here.
import { and, desc, eq, gt, isNull, ne } from 'drizzle-orm';
import type { Db } from './client.js';
import {
  assignments,
  auditLog,
  bindRequests,
  extensionRequests,
  inboundEvents,
  people,
  progressReports,
  settings,
  tasks,
  units,
} from './schema.js';

export type AssignmentPatch = Partial<typeof assignments.$inferInsert>;
export type ProgressReportRow = typeof progressReports.$inferSelect;
export type ExtensionRequestRow = typeof extensionRequests.$inferSelect;
export type BindRequestRow = typeof bindRequests.$inferSelect;

/** The update of one assignment row. */
export function updateAssignment(db: Db, assignmentId: number, patch: AssignmentPatch) {
  return db.update(assignments).set(patch).where(eq(assignments.id, assignmentId));
}

/** One progress_reports row (a report, or the office's 退回/销号/延期 entry in the assignment's history). */
export function insertProgressReport(db: Db, row: typeof progressReports.$inferInsert) {
  return db.insert(progressReports).values(row);
}

/** The assignment's report history, newest first (kind and percent: what 退回 reads to restore the percent). */
export async function reportHistory(db: Db, assignmentId: number): Promise<Array<{ kind: string; percent: number | null }>> {
  return db
    .select({ kind: progressReports.kind, percent: progressReports.percent })
    .from(progressReports)
    .where(eq(progressReports.assignmentId, assignmentId))
    .orderBy(desc(progressReports.createdAt), desc(progressReports.id));
}

// ---- extension requests ---------------------------------------------------------------------------------------

export async function pendingExtensionOf(db: Db, assignmentId: number): Promise<ExtensionRequestRow | undefined> {
  const rows = await db
    .select()
    .from(extensionRequests)
    .where(and(eq(extensionRequests.assignmentId, assignmentId), eq(extensionRequests.status, 'pending')));
  return rows[0];
}

/** The insert of a new (pending) request, returning its id. */
export function insertExtensionRequest(db: Db, row: typeof extensionRequests.$inferInsert) {
  return db.insert(extensionRequests).values(row).returning({ id: extensionRequests.id });
}

export async function extensionRequestById(db: Db, id: number): Promise<ExtensionRequestRow | undefined> {
  return (await db.select().from(extensionRequests).where(eq(extensionRequests.id, id)))[0];
}

/** Decide (or withdraw) a request: a single conditional statement, so only a still-pending request changes. */
export function settleExtensionRequest(
  db: Db,
  id: number,
  set: Pick<typeof extensionRequests.$inferInsert, 'status' | 'decidedBy' | 'decidedAt' | 'decisionNote'>,
) {
  return db
    .update(extensionRequests)
    .set(set)
    .where(and(eq(extensionRequests.id, id), eq(extensionRequests.status, 'pending')));
}

export async function bindRequestById(db: Db, id: number): Promise<BindRequestRow | undefined> {
  return (await db.select().from(bindRequests).where(eq(bindRequests.id, id)))[0];
}

/** The requester takes back a still-pending bind request. */
export function withdrawBindRequest(db: Db, id: number, by: number | null, now: number) {
  return db
    .update(bindRequests)
    .set({ status: 'withdrawn', decidedBy: by, decidedAt: now })
    .where(and(eq(bindRequests.id, id), eq(bindRequests.status, 'pending')));
}

export async function personOpenId(db: Db, personId: number): Promise<string | null> {
  return (await db.select({ openId: people.openId }).from(people).where(eq(people.id, personId)))[0]?.openId ?? null;
}

/** The office's 待办: pending extension and bind requests, and claims waiting to be checked. */
export async function officePendingWork(db: Db) {
  const ext = await db
    .select({ r: extensionRequests, code: tasks.code, unit: units.name })
    .from(extensionRequests)
    .innerJoin(assignments, eq(assignments.id, extensionRequests.assignmentId))
    .innerJoin(tasks, eq(tasks.id, assignments.taskId))
    .innerJoin(units, eq(units.id, assignments.unitId))
    .where(eq(extensionRequests.status, 'pending'));
  const binds = await db
    .select({ r: bindRequests, who: people.name, openId: people.openId, unit: units.name })
    .from(bindRequests)
    .innerJoin(people, eq(people.id, bindRequests.personId))
    .innerJoin(units, eq(units.id, bindRequests.unitId))
    .where(eq(bindRequests.status, 'pending'));
  const claims = await db
    .select({ code: tasks.code, unit: units.name, title: tasks.title, claimedAt: assignments.claimedAt })
    .from(assignments)
    .innerJoin(tasks, eq(tasks.id, assignments.taskId))
    .innerJoin(units, eq(units.id, assignments.unitId))
    .where(eq(assignments.state, 'claimed'));
  return { ext, binds, claims };
}

// ---- paging (下一页) --------------------------------------------------------------------------------------------

export interface PagingState {
  command?: string;
  arg?: string;
  page?: number;
}

const pagingKey = (personId: number) => `paging:${personId}`;

/** Remember what the person is paging through, so 下一页 knows what comes next. */
export async function savePaging(db: Db, personId: number, value: Required<PagingState>, now: number): Promise<void> {
  await db
    .insert(settings)
    .values({ key: pagingKey(personId), value, updatedAt: now })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: now } });
}

export async function loadPaging(db: Db, personId: number): Promise<PagingState | undefined> {
  const row = (await db.select().from(settings).where(eq(settings.key, pagingKey(personId))))[0];
  return row?.value as PagingState | undefined;
}

// ---- a recalled message withdraws its reports -------------------------------------------------------------------

/** Reports a message made that still stand. */
export async function liveReportsOfMessage(db: Db, messageId: string): Promise<ProgressReportRow[]> {
  return db
    .select()
    .from(progressReports)
    .where(and(eq(progressReports.sourceMessageId, messageId), isNull(progressReports.withdrawnAt)));
}

/** True when the message was received but its event is still waiting to be processed (the recall overtook it). */
export async function messageStillPending(db: Db, messageId: string): Promise<boolean> {
  const seen = (await db.select({ owner: inboundEvents.payload }).from(inboundEvents).where(eq(inboundEvents.key, `message:${messageId}`)))[0];
  const owner = seen?.owner ? (await db.select({ status: inboundEvents.status }).from(inboundEvents).where(eq(inboundEvents.key, seen.owner)))[0] : undefined;
  return owner?.status === 'pending';
}

/** The assignment row with its task's id and code and its unit's name (absent parts as undefined). */
export async function assignmentWithNames(db: Db, assignmentId: number) {
  const asg = (await db.select().from(assignments).where(eq(assignments.id, assignmentId)))[0];
  if (!asg) return undefined;
  const task = (await db.select({ id: tasks.id, code: tasks.code }).from(tasks).where(eq(tasks.id, asg.taskId)))[0];
  const unit = (await db.select({ name: units.name }).from(units).where(eq(units.id, asg.unitId)))[0];
  return { asg, task, unit };
}

/** The audit detail a report wrote (its from / to states), matched by action and instant. */
export async function reportAuditDetail(db: Db, assignmentId: number, kind: string, at: number): Promise<unknown> {
  const audit = (
    await db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.entity, 'assignment'), eq(auditLog.entityId, String(assignmentId)), eq(auditLog.action, `assignment.${kind}`), eq(auditLog.at, at)))
      .orderBy(desc(auditLog.id))
      .limit(1)
  )[0];
  return audit?.detail;
}

/** Whether a standing report on the assignment came after report `reportId`. */
export async function hasLaterLiveReport(db: Db, assignmentId: number, reportId: number): Promise<boolean> {
  const later = await db
    .select({ id: progressReports.id })
    .from(progressReports)
    .where(and(eq(progressReports.assignmentId, assignmentId), gt(progressReports.id, reportId), isNull(progressReports.withdrawnAt)))
    .limit(1);
  return later.length > 0;
}

/** When the newest other standing report on the assignment was made (the last_report_at to restore). */
export async function previousLiveReportAt(db: Db, assignmentId: number, reportId: number): Promise<number | null> {
  const previous = await db
    .select({ createdAt: progressReports.createdAt })
    .from(progressReports)
    .where(and(eq(progressReports.assignmentId, assignmentId), ne(progressReports.id, reportId), isNull(progressReports.withdrawnAt)))
    .orderBy(desc(progressReports.createdAt))
    .limit(1);
  return previous[0]?.createdAt ?? null;
}

export function markReportWithdrawn(db: Db, reportId: number, now: number) {
  return db.update(progressReports).set({ withdrawnAt: now }).where(and(eq(progressReports.id, reportId), isNull(progressReports.withdrawnAt)));
}

/** Put the assignment back, only if it is still in the state and percent it was read in (one conditional statement). */
export function restoreAssignment(db: Db, seen: { id: number; state: string; percent: number }, patch: AssignmentPatch) {
  return db
    .update(assignments)
    .set(patch)
    .where(and(eq(assignments.id, seen.id), eq(assignments.state, seen.state), eq(assignments.percent, seen.percent)));
}
