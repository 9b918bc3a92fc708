// The roster as the operator's CLI lists it (`npx duban people`): people with their current roles, people found by one
// identifying column, the history of ended roles, and the chats registered for units.
import { desc, eq, inArray } from 'drizzle-orm';
import type { Db } from './client.js';
import { chats, people, roleHistory, roles } from './schema.js';

export type PersonRow = typeof people.$inferSelect;

/** Every person joined with each of their roles (a person without a role comes once, with r null). */
export async function listPeopleWithRoles(db: Db) {
  return db.select({ p: people, r: roles }).from(people).leftJoin(roles, eq(roles.personId, people.id));
}

/** People whose open_id, email, mobile or name is exactly `value`. */
export async function findPeopleBy(db: Db, key: 'openId' | 'email' | 'mobile' | 'name', value: string): Promise<PersonRow[]> {
  return db.select().from(people).where(eq(people[key], value));
}

/** Ended roles, latest first, with the person's name and open_id. */
export async function listRoleHistory(db: Db) {
  return db
    .select({ h: roleHistory, name: people.name, openId: people.openId })
    .from(roleHistory)
    .innerJoin(people, eq(people.id, roleHistory.personId))
    .orderBy(desc(roleHistory.endedAt));
}

/** The chat ids registered for any of `unitIds`. */
export async function chatIdsOfUnits(db: Db, unitIds: number[]): Promise<string[]> {
  if (unitIds.length === 0) return [];
  return (await db.select({ chatId: chats.chatId }).from(chats).where(inArray(chats.unitId, unitIds))).map((c) => c.chatId);
}
