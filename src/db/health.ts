// What GET /healthz asks of the database: does it answer, and is a plan loaded.
import { sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { plans } from './schema.js';

/** Throws when the database does not answer. */
export async function pingDatabase(db: Db): Promise<void> {
  await db.run(sql`select 1`);
}

/** How many plans are loaded (the health check's sign that the database is set up). */
export async function countPlans(db: Db): Promise<number> {
  const rows = await db.select({ n: sql<number>`count(*)` }).from(plans);
  return Number(rows[0]?.n ?? 0);
}
