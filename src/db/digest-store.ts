// The weekly digests table and who receives the digest: the stored digest of each ISO week (claimed once by a unique
// week_key), and the leaders' / office chats and people the digest goes to (src/reports/digest-run.ts decides).
import { and, desc, eq, inArray, isNotNull, lt } from 'drizzle-orm';
import type { StatsSummary } from '../domain/stats.js';
import type { Db } from './client.js';
import { chats, digests, people, roles } from './schema.js';

/** The latest stored digest of a week before weekKey. */
export async function previousDigest(db: Db, weekKey: string) {
  const rows = await db
    .select({ weekKey: digests.weekKey, stats: digests.stats })
    .from(digests)
    .where(lt(digests.weekKey, weekKey))
    .orderBy(desc(digests.weekKey))
    .limit(1);
  const r = rows[0];
  return r ? { weekKey: r.weekKey, summary: r.stats as unknown as StatsSummary } : null;
}

/** True when the digest of `weekKey` is stored (claimed) already. */
export async function digestStored(db: Db, weekKey: string): Promise<boolean> {
  const existing = await db.select({ id: digests.id }).from(digests).where(eq(digests.weekKey, weekKey)).limit(1);
  return existing.length > 0;
}

/** The stored card (JSON text) of `weekKey`'s digest, or undefined. */
export async function storedDigestCard(db: Db, weekKey: string): Promise<string | undefined> {
  const stored = await db.select({ card: digests.card }).from(digests).where(eq(digests.weekKey, weekKey)).limit(1);
  return stored[0]?.card;
}

/**
 * Claim the week: insert its digest row unless one exists (one statement, so overlapping runs cannot both win).
 * Returns the new row's id, or null when the week was claimed already.
 */
export async function claimDigestWeek(
  db: Db,
  row: { weekKey: string; generatedAt: number; stats: Record<string, unknown>; card: string },
): Promise<number | null> {
  const claimed = await db.insert(digests).values(row).onConflictDoNothing({ target: digests.weekKey }).returning({ id: digests.id });
  return claimed[0]?.id ?? null;
}

/** Release a claim whose messages could not be queued, so the next pass retries. */
export async function releaseDigestClaim(db: Db, id: number): Promise<void> {
  await db.delete(digests).where(eq(digests.id, id));
}

/** The registered leaders' and office chats, and the people holding the leader or office role (with an open_id). */
export async function digestAudience(db: Db) {
  const chatRows = await db
    .select({ chatId: chats.chatId, purpose: chats.purpose })
    .from(chats)
    .where(inArray(chats.purpose, ['leaders', 'office']))
    .orderBy(chats.purpose, chats.chatId);
  const personRows = await db
    .select({ openId: people.openId, role: roles.role })
    .from(roles)
    .innerJoin(people, eq(people.id, roles.personId))
    .where(and(inArray(roles.role, ['leader', 'office']), isNotNull(people.openId)))
    .orderBy(roles.role, people.openId);
  return { chatRows, personRows };
}
