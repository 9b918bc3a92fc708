// The one file that relies on drizzle-orm's internals. Written against drizzle-orm 0.45.4 (package.json pins it
// exactly); re-check every function here when upgrading. Everything else in src/ uses drizzle's public API and, for
// atomic multi-statement writes and raw statements, src/db/batch.ts, which goes through these functions.
//
// What it relies on:
// - Telling the drivers apart: drizzle's D1 database has `batch()`; its better-sqlite3 database has none, but has
//   `$client` (the better-sqlite3 Database) and `values(sql)` / `run(sql)`.
// - On better-sqlite3, a batch runs in one `$client.transaction()`: each item is executed by the internal
//   `item._prepare().execute().sync()` (what drizzle's own sync session does for a query builder).
// - Items of our own making that look like query builders to both paths: `{ _prepare: () => preparedQuery }`, which
//   drizzle's D1 `batch()` accepts (it calls `_prepare()` on each item and binds the result), built on D1 with the
//   internal `db.session.prepareQuery(query, fields, executeMethod, isResponseInArrayMode)` and
//   `db.dialect.sqlToQuery(sql)`.
import { is, SQL } from 'drizzle-orm';
import type { Db } from './client.js';

/** Anything db.batch() takes: a drizzle query builder, or an item made below. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type BatchItem = any;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const internals = (db: Db): any => db;

/** True on D1 (drizzle's D1 database batches natively), false on better-sqlite3. */
export function hasNativeBatch(db: Db): boolean {
  return typeof internals(db).batch === 'function';
}

/**
 * Run `items` atomically and return each one's result: D1's db.batch(), or, on better-sqlite3 (synchronous), every
 * item inside one transaction, so nothing can interleave.
 */
export async function executeBatch(db: Db, items: BatchItem[]): Promise<unknown[]> {
  const d = internals(db);
  if (typeof d.batch === 'function') return d.batch(items);
  const client = d.$client;
  if (!client || typeof client.transaction !== 'function') {
    throw new Error('runBatch: unsupported database driver');
  }
  return client.transaction(() => items.map((q: BatchItem) => q._prepare().execute().sync()))();
}

/** A batch item (better-sqlite3 only) that runs `run` when the transaction gets to it. */
export function syncItem(run: () => unknown): BatchItem {
  return { _prepare: () => ({ execute: () => ({ sync: run }) }) };
}

/** A batch item (better-sqlite3 only) that executes a drizzle prepared statement with `values`. */
export function preparedItem(prepared: { execute(values: Record<string, unknown>): unknown }, values: Record<string, unknown>): BatchItem {
  return { _prepare: () => ({ execute: () => prepared.execute(values) }) };
}

/**
 * A batch item for D1 from a drizzle SQL expression or from SQL text and its parameters; rows come back as arrays
 * of column values ('all') or as the run result ('run'). drizzle's own `db.run(sql)` cannot go inside db.batch with
 * parameters, hence the prepared query.
 */
export function d1RawItem(db: Db, query: SQL | { sql: string; params: unknown[] }, method: 'all' | 'run'): BatchItem {
  const d = internals(db);
  const q = is(query, SQL) ? d.dialect.sqlToQuery(query) : query;
  const prepared = d.session.prepareQuery(q, undefined, method, true);
  return { _prepare: () => prepared };
}

/** better-sqlite3: run a drizzle SQL expression now, rows as arrays ('all') or the run result ('run'). */
export function sqliteRunSql(db: Db, query: SQL, method: 'all' | 'run'): unknown {
  const d = internals(db);
  return method === 'all' ? d.values(query) : d.run(query);
}

/** better-sqlite3: run SQL text with positional parameters now, rows as arrays ('all') or the run result ('run'). */
export function sqliteRunText(db: Db, text: string, params: unknown[], method: 'all' | 'run'): unknown {
  const stmt = internals(db).$client.prepare(text);
  return method === 'all' ? stmt.raw(true).all(params) : stmt.run(params);
}
