// People, their roles and units: who a sender is (resolveActor), binding people to roles and units (shared by chat
// commands and the CLI), bind requests, chats registered for a purpose, and whom to tell (a unit's contacts, the
// office). One code path for both drivers.
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { auditInsert } from './audit.js';
import { runBatch } from './batch.js';
import { preparedFor } from './prepared.js';
import { bindRequests, chats, people, roleHistory, roles, units } from './schema.js';
import { rolesOfRows, type Actor, type Role } from '../domain/actor.js';

// Every message resolves its sender: prepared once per database.
const personStmt = (db: Db) =>
  preparedFor(db, 'actor.person', (d) =>
    d.select().from(people).where(eq(people.openId, sql.placeholder('openId'))).limit(1).prepare(),
  );
const rolesStmt = (db: Db) =>
  preparedFor(db, 'actor.roles', (d) => d.select().from(roles).where(eq(roles.personId, sql.placeholder('personId'))).prepare());

/**
 * Resolve a sender's open_id to a person and roles. OFFICE_OPEN_IDS from the configuration count as office even
 * when the database has no role for them; a person row is created on first contact so every act has a person id.
 */
export async function resolveActor(
  deps: { db: Db; config: { OFFICE_OPEN_IDS: readonly string[] } },
  sender: { openId: string; userId?: string; unionId?: string },
  now: number,
): Promise<Actor> {
  const { db } = deps;
  let person = (await personStmt(db).execute({ openId: sender.openId }))[0];
  if (!person) {
    await db
      .insert(people)
      .values({ openId: sender.openId, userId: sender.userId ?? null, unionId: sender.unionId ?? null, createdAt: now })
      .onConflictDoNothing({ target: people.openId });
    person = (await personStmt(db).execute({ openId: sender.openId }))[0];
  }
  const rows = person ? await rolesStmt(db).execute({ personId: person.id }) : [];
  return {
    personId: person?.id ?? null,
    openId: sender.openId,
    name: person?.name ?? null,
    ...rolesOfRows(rows, deps.config.OFFICE_OPEN_IDS.includes(sender.openId)),
  };
}

export interface PersonKey {
  openId: string;
  name?: string | null;
  email?: string | null;
  mobile?: string | null;
}

/** Find or create the person with this open_id; fills in name/email/mobile when they were unknown. */
export async function upsertPerson(db: Db, p: PersonKey, now: number): Promise<number> {
  await db
    .insert(people)
    .values({ openId: p.openId, name: p.name ?? null, email: p.email ?? null, mobile: p.mobile ?? null, createdAt: now })
    .onConflictDoNothing({ target: people.openId });
  const row = (await db.select().from(people).where(eq(people.openId, p.openId)))[0]!;
  const fill: Partial<typeof people.$inferInsert> = {};
  if (p.name && !row.name) fill.name = p.name;
  if (p.email && !row.email) fill.email = p.email;
  if (p.mobile && !row.mobile) fill.mobile = p.mobile;
  if (Object.keys(fill).length) await db.update(people).set(fill).where(eq(people.id, row.id));
  return row.id;
}

/** Grant a role (idempotent); returns false when the person already had it. */
export async function grantRole(
  db: Db,
  personId: number,
  role: Role,
  unitId: number | null,
  audit: { at: number; actor: string; personId: number | null; channel: string; detail?: Record<string, unknown> },
  extra: unknown[] = [],
): Promise<boolean> {
  const u = role === 'contact' ? (unitId ?? 0) : 0;
  const existing = await db
    .select()
    .from(roles)
    .where(and(eq(roles.personId, personId), eq(roles.role, role), eq(roles.unitId, u)));
  if (existing.length) {
    if (extra.length) await runBatch(db, extra);
    return false;
  }
  await runBatch(db, [
    db.insert(roles).values({ personId, role, unitId: u, createdAt: audit.at }).onConflictDoNothing(),
    auditInsert(db, {
      at: audit.at,
      actor: audit.actor,
      personId: audit.personId,
      channel: audit.channel,
      action: 'role.grant',
      entity: 'person',
      entityId: personId,
      detail: { role, unitId: u || null, ...audit.detail },
    }),
    ...extra,
  ]);
  return true;
}

export type RoleRow = typeof roles.$inferSelect;

/** Current roles of a person (optionally one role / one unit). */
export async function rolesOf(db: Db, personId: number, role?: Role, unitId?: number): Promise<RoleRow[]> {
  const rows = await db.select().from(roles).where(eq(roles.personId, personId));
  return rows.filter((r) => (role === undefined || r.role === role) && (unitId === undefined || r.unitId === unitId));
}

/** Current contacts of a unit. */
export async function contactsOf(db: Db, unitId: number): Promise<Array<RoleRow & { name: string | null; openId: string | null }>> {
  const rows = await db
    .select({ r: roles, name: people.name, openId: people.openId })
    .from(roles)
    .innerJoin(people, eq(people.id, roles.personId))
    .where(and(eq(roles.role, 'contact'), eq(roles.unitId, unitId)));
  return rows.map((x) => ({ ...x.r, name: x.name, openId: x.openId }));
}

/**
 * End roles, keeping their history: each row is copied to role_history (with when, by whom, why) and leaves
 * `roles` in the same batch as its audit entry and `extra` (notices, the successor's grant).
 */
export function endRoleQueries(
  db: Db,
  rows: RoleRow[],
  e: { at: number; actor: string; personId: number | null; channel: string; reason: 'unbind' | 'handover' | 'removed'; successorId?: number | null; note?: string | null },
): unknown[] {
  return rows.flatMap((r) => [
    db.insert(roleHistory).values({
      personId: r.personId,
      role: r.role,
      unitId: r.unitId,
      startedAt: r.createdAt,
      // A role never ends before it began: when clocks disagree (the sandbox's --date against a role granted by
      // `people add` at the real time, or a skewed host) the end is the start, never earlier.
      endedAt: Math.max(e.at, r.createdAt),
      endedBy: e.personId,
      reason: e.reason,
      successorId: e.successorId ?? null,
      note: e.note ?? null,
    }),
    db.delete(roles).where(eq(roles.id, r.id)),
    auditInsert(db, {
      at: e.at,
      actor: e.actor,
      personId: e.personId,
      channel: e.channel,
      action: 'role.end',
      entity: 'person',
      entityId: r.personId,
      detail: { role: r.role, unitId: r.unitId || null, reason: e.reason, successorId: e.successorId ?? null, note: e.note ?? null },
    }),
  ]);
}

/** open_ids of a unit's contacts (for notices to the unit). */
export async function unitContactOpenIds(db: Db, unitId: number): Promise<string[]> {
  const rows = await db
    .select({ openId: people.openId })
    .from(roles)
    .innerJoin(people, eq(people.id, roles.personId))
    .where(and(eq(roles.role, 'contact'), eq(roles.unitId, unitId)));
  return rows.map((r) => r.openId).filter((x): x is string => !!x);
}

/** open_ids of office people in the database. */
export async function officeOpenIds(db: Db): Promise<string[]> {
  const rows = await db
    .select({ openId: people.openId })
    .from(roles)
    .innerJoin(people, eq(people.id, roles.personId))
    .where(eq(roles.role, 'office'));
  return rows.map((r) => r.openId).filter((x): x is string => !!x);
}

/** The person with this open_id, if known. */
export async function personByOpenId(db: Db, openId: string) {
  return (await db.select().from(people).where(eq(people.openId, openId)))[0];
}

/** Record the name a person gave (e.g. with 绑定). */
export async function setPersonName(db: Db, personId: number, name: string): Promise<void> {
  await db.update(people).set({ name }).where(eq(people.id, personId));
}

/** Units a person is a contact of. */
export async function contactUnitIds(db: Db, personId: number): Promise<number[]> {
  const rows = await db.select({ unitId: roles.unitId }).from(roles).where(and(eq(roles.personId, personId), eq(roles.role, 'contact')));
  return rows.map((r) => r.unitId);
}

/** A person's pending requests to bind to a unit. */
export async function pendingBindRequests(db: Db, personId: number, unitId: number) {
  return db
    .select()
    .from(bindRequests)
    .where(and(eq(bindRequests.personId, personId), eq(bindRequests.unitId, unitId), eq(bindRequests.status, 'pending')));
}

/** The insert of a new bind request (for a batch); returns its id. */
export function bindRequestInsert(db: Db, personId: number, unitId: number, now: number) {
  return db.insert(bindRequests).values({ personId, unitId, createdAt: now }).returning({ id: bindRequests.id });
}

/** A bind request with its person and unit. */
export async function bindRequestWithParties(db: Db, id: number) {
  return (
    await db
      .select({ r: bindRequests, p: people, u: units })
      .from(bindRequests)
      .innerJoin(people, eq(people.id, bindRequests.personId))
      .innerJoin(units, eq(units.id, bindRequests.unitId))
      .where(eq(bindRequests.id, id))
  )[0];
}

/** The update deciding a pending bind request (for a batch): a no-op when it was decided meanwhile. */
export function bindRequestDecision(db: Db, id: number, approve: boolean, by: number | null, now: number) {
  return db
    .update(bindRequests)
    .set({ status: approve ? 'approved' : 'rejected', decidedBy: by, decidedAt: now })
    .where(and(eq(bindRequests.id, id), eq(bindRequests.status, 'pending')));
}

/** The upsert registering a chat's purpose (office / leaders / a unit's group), for a batch. */
export function chatRegistration(db: Db, c: { chatId: string; purpose: string; unitId: number | null; registeredBy: number | null }, now: number) {
  return db
    .insert(chats)
    .values({ chatId: c.chatId, purpose: c.purpose, unitId: c.unitId, registeredBy: c.registeredBy, createdAt: now })
    .onConflictDoUpdate({ target: chats.chatId, set: { purpose: c.purpose, unitId: c.unitId, registeredBy: c.registeredBy } });
}

/** A person by id with their current role rows. */
export async function personWithRoles(db: Db, personId: number) {
  const [person] = await db.select().from(people).where(eq(people.id, personId)).limit(1);
  if (!person) return null;
  const rows = await db.select().from(roles).where(eq(roles.personId, personId));
  return { person, roles: rows };
}

/** The person behind a Feishu login (open_id), created on first sight as chat does; roles decide access. */
export async function personForOpenId(db: Db, user: { open_id: string; union_id?: string; user_id?: string; name?: string }, now: number): Promise<number> {
  await db
    .insert(people)
    .values({ openId: user.open_id, unionId: user.union_id ?? null, userId: user.user_id ?? null, name: user.name ?? null, createdAt: now })
    .onConflictDoUpdate({
      target: people.openId,
      set: { name: sql`coalesce(${people.name}, excluded.name)`, unionId: sql`coalesce(${people.unionId}, excluded.union_id)` },
    });
  const [p] = await db.select({ id: people.id }).from(people).where(eq(people.openId, user.open_id)).limit(1);
  return p!.id;
}
