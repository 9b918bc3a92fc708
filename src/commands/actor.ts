// Resolve a sender's open_id to a person and roles. OFFICE_OPEN_IDS from the configuration count as office even
// when the database has no role for them; a person row is created on first contact so every act has a person id.
import { eq, sql } from 'drizzle-orm';
import type { AppDeps } from '../deps.js';
import type { Db } from '../db/client.js';
import { preparedFor } from '../db/prepared.js';
import { people, roles } from '../db/schema.js';
import { rolesOfRows, type Actor } from '../domain/actor.js';

// Every message resolves its sender: prepared once per database.
const personStmt = (db: Db) =>
  preparedFor(db, 'actor.person', (d) =>
    d.select().from(people).where(eq(people.openId, sql.placeholder('openId'))).limit(1).prepare(),
  );
const rolesStmt = (db: Db) =>
  preparedFor(db, 'actor.roles', (d) => d.select().from(roles).where(eq(roles.personId, sql.placeholder('personId'))).prepare());

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
