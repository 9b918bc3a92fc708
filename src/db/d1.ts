// The Workers database: a D1 binding wrapped by drizzle with the schema (the Node twin is src/db/node.ts).
// Runtime-neutral: no better-sqlite3 or node: imports, so src/worker.ts can bundle it.
import { drizzle } from 'drizzle-orm/d1';
import type { Db } from './client.js';
import * as schema from './schema.js';

/** The drizzle database over a D1 binding (`env.DB`). */
export function openD1Database(binding: unknown): Db {
  return drizzle(binding as Parameters<typeof drizzle>[0], { schema }) as unknown as Db;
}
