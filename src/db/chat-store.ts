// Table access for registered chats and where notices go: a chat's registration (office / leaders / a unit's
// group), the chats of a purpose or unit, leaders' open_ids, and what happens to a chat's unsent messages when the
// bot leaves it (cancelled, re-sent to people by direct message).
import { and, eq, inArray, ne } from 'drizzle-orm';
import type { Db } from './client.js';
import { outboxUuid } from './outbox-store.js';
import { chats, outbox, people, roles, units } from './schema.js';

export type ChatRow = typeof chats.$inferSelect;
export type OutboxRow = typeof outbox.$inferSelect;

export async function chatById(db: Db, chatId: string): Promise<ChatRow | undefined> {
  return (await db.select().from(chats).where(eq(chats.chatId, chatId)))[0];
}

/** The office's registered group chats, optionally without one (the chat the bot just left). */
export async function officeChatIds(db: Db, except?: string): Promise<string[]> {
  const rows = await db
    .select({ chatId: chats.chatId })
    .from(chats)
    .where(except === undefined ? eq(chats.purpose, 'office') : and(eq(chats.purpose, 'office'), ne(chats.chatId, except)));
  return rows.map((r) => r.chatId);
}

/** The unit's registered group chats (purpose unit). */
export async function unitChatIds(db: Db, unitId: number): Promise<string[]> {
  const groups = await db.select().from(chats).where(eq(chats.unitId, unitId));
  return groups.filter((g) => g.purpose === 'unit').map((g) => g.chatId);
}

/** open_ids of everyone with the leader role. */
export async function leaderOpenIds(db: Db): Promise<string[]> {
  const rows = await db
    .select({ openId: people.openId })
    .from(roles)
    .innerJoin(people, eq(people.id, roles.personId))
    .where(eq(roles.role, 'leader'));
  return [...new Set(rows.map((r) => r.openId).filter((x): x is string => !!x))];
}

export async function unitNameById(db: Db, unitId: number): Promise<string | undefined> {
  return (await db.select({ name: units.name }).from(units).where(eq(units.id, unitId)))[0]?.name;
}

export async function unitNamesByIds(db: Db, unitIds: number[]): Promise<string[]> {
  if (unitIds.length === 0) return [];
  return (await db.select({ name: units.name }).from(units).where(inArray(units.id, unitIds))).map((u) => u.name);
}

/** Forget a chat's registration. */
export function deleteChat(db: Db, chatId: string) {
  return db.delete(chats).where(eq(chats.chatId, chatId));
}

/** Messages still waiting for this chat, or failed for it (one being sent right now is left to its sender). */
export async function strandedOutbox(db: Db, chatId: string): Promise<OutboxRow[]> {
  return db
    .select()
    .from(outbox)
    .where(and(eq(outbox.receiveIdType, 'chat_id'), eq(outbox.receiveId, chatId), inArray(outbox.status, ['pending', 'failed'])));
}

/** Cancel stranded messages that are still pending or failed, saying why. */
export function cancelStranded(db: Db, ids: number[], lastError: string, errorCode: number) {
  return db
    .update(outbox)
    .set({ status: 'cancelled', claimedUntil: null, lastError, errorCode })
    .where(and(inArray(outbox.id, ids), inArray(outbox.status, ['pending', 'failed'])));
}

/** A stranded message re-sent to one person by direct message (keyed `<original key>:dm:<open_id>`). */
export function rerouteToPerson(db: Db, row: OutboxRow, openId: string, now: number) {
  const key = `${row.dedupeKey}:dm:${openId}`;
  return db
    .insert(outbox)
    .values({
      dedupeKey: key,
      uuid: outboxUuid(key),
      op: 'send',
      receiveIdType: 'open_id',
      receiveId: openId,
      msgType: row.msgType,
      content: row.content,
      purpose: row.purpose,
      taskId: row.taskId,
      assignmentId: row.assignmentId,
      status: 'pending',
      nextAttemptAt: now,
      // Kept from the original: it goes out in its place in the queue, and says so if it is late.
      createdAt: row.createdAt,
      dueAt: row.dueAt ?? row.createdAt,
    })
    .onConflictDoNothing({ target: outbox.dedupeKey });
}
