// Prepared statements kept per database handle: built by drizzle and compiled by SQLite once, not per request.
// `.prepare()` exists on both drivers (better-sqlite3 and D1); run them with `await stmt.execute({...})`.
import type { Db } from './client.js';

const caches = new WeakMap<object, Map<string, unknown>>();

/**
 * The statement `name` for this database, built on first use. Keyed by the handle, so a closed database (and its
 * statements) is forgotten with it; a handle made per request (Workers) just gets a fresh set.
 */
export function preparedFor<T>(db: Db, name: string, build: (db: Db) => T): T {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  let stmt = cache.get(name) as T | undefined;
  if (stmt === undefined) {
    stmt = build(db);
    cache.set(name, stmt);
  }
  return stmt;
}
