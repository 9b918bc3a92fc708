// Resolve a sender's open_id to a person and roles. OFFICE_OPEN_IDS from the configuration count as office even
// when the database has no role for them; a person row is created on first contact so every act has a person id.
import { eq, sql } from 'drizzle-orm';
import type { AppDeps } from '../deps.js';
import type { Db } from '../db/client.js';
import { preparedFor } from '../db/prepared.js';
import { people, roles } from '../db/schema.js';
import type { Actor, Role } from './registry.js';

// Every message resolves its sender: prepared once per database.
const personStmt = (db: Db) =>
  preparedFor(db, 'actor.person', (d) =>
    d.select().from(people).where(eq(people.openId, sql.placeholder('openId'))).limit(1).prepare(),
  );
const rolesStmt = (db: Db) =>
  preparedFor(db, 'actor.roles', (d) => d.select().from(roles).where(eq(roles.personId, sql.placeholder('personId'))).prepare());

/**
 * Pure: a person's roles (in a fixed order) and contact units from their role rows; open_ids in OFFICE_OPEN_IDS
 * (`configuredOffice`) count as office. Chat and the board decide who someone is by this one rule.
 */
export function rolesOfRows(
  rows: ReadonlyArray<{ role: string; unitId: number }>,
  configuredOffice: boolean,
): { roles: Role[]; unitIds: number[] } {
  const set = new Set<Role>();
  const unitIds: number[] = [];
  for (const r of rows) {
    if (r.role === 'office' || r.role === 'leader') set.add(r.role);
    if (r.role === 'contact' && r.unitId > 0) {
      set.add('contact');
      unitIds.push(r.unitId);
    }
  }
  if (configuredOffice) set.add('office');
  const order: Role[] = ['office', 'contact', 'leader'];
  return { roles: order.filter((r) => set.has(r)), unitIds };
}

export async function resolveActor(
  deps: Pick<AppDeps, 'db' | 'config'>,
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
