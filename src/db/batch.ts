// Atomic multi-statement writes on both drivers: D1's db.batch(), or one better-sqlite3 transaction.
// Never use db.transaction(): D1 rejects BEGIN. Results of queries with .returning() are row arrays on both.
import type { SQL } from 'drizzle-orm';
import type { Db } from './client.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Query = any;

export async function runBatch(db: Db, queries: Query[]): Promise<unknown[]> {
  if (queries.length === 0) return [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const d = db as any;
  if (typeof d.batch === 'function') return d.batch(queries);
  const client = d.$client;
  if (!client || typeof client.transaction !== 'function') {
    throw new Error('runBatch: unsupported database driver');
  }
  // better-sqlite3 is synchronous: the whole batch runs inside one transaction, nothing can interleave.
  return client.transaction(() => queries.map((q: Query) => q._prepare().execute().sync()))();
}

/**
 * A write for runBatch from a statement prepared once (see preparedFor) and its values. On better-sqlite3 the
 * compiled statement runs inside the batch's transaction, with no query to build; D1's batch binds statements of
 * its own, so there `build` makes the same query afresh.
 */
export function boundStatement(db: Db, prepared: { execute(values: Record<string, unknown>): unknown }, values: Record<string, unknown>, build: () => Query): Query {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  if (typeof (db as any).batch === 'function') return build();
  return { _prepare: () => ({ execute: () => prepared.execute(values) }) };
}

/**
 * Bound parameters one statement may carry on this driver: D1 refuses more than 100; the SQLite inside
 * better-sqlite3 is built with SQLITE_MAX_VARIABLE_NUMBER=32766. Multi-row inserts size their chunks with it,
 * so one code path writes thousands of rows in a few statements on Node and stays legal on D1.
 */
export function maxBoundParams(db: Db): number {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return typeof (db as any).batch === 'function' ? D1_MAX_PARAMS : SQLITE_MAX_PARAMS;
}

export const D1_MAX_PARAMS = 100;
const SQLITE_MAX_PARAMS = 32766;

/**
 * A raw statement that returns rows as arrays of column values (in SELECT/RETURNING order), deferred so runBatch
 * runs it with the others in one transaction. D1: a drizzle prepared query (drizzle's own raw query cannot carry
 * parameters inside db.batch); better-sqlite3: run when the batch's transaction gets to it.
 */
export function rawRowsQuery(db: Db, query: SQL): Query {
  return deferred(db, query, 'all');
}

/** Like rawRowsQuery, for a statement without RETURNING. */
export function rawRunQuery(db: Db, query: SQL): Query {
  return deferred(db, query, 'run');
}

function deferred(db: Db, query: SQL, method: 'all' | 'run'): Query {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const d = db as any;
  if (typeof d.batch === 'function') {
    const prepared = d.session.prepareQuery(d.dialect.sqlToQuery(query), undefined, method, true);
    return { _prepare: () => prepared };
  }
  return { _prepare: () => ({ execute: () => ({ sync: () => (method === 'all' ? d.values(query) : d.run(query)) }) }) };
}

/**
 * Rows for an `INSERT … SELECT … FROM json_each(?)`: each chunk is one JSON array of row arrays, a single bound
 * parameter however many rows it holds. Chunks stay under ~1.5 MB of UTF-8 (D1 caps a value at 2 MB).
 */
export function jsonRowChunks(rows: unknown[][], maxChars = JSON_PARAM_MAX_CHARS): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  let len = 2;
  for (const r of rows) {
    const s = JSON.stringify(r);
    if (cur.length && len + s.length + 1 > maxChars) {
      out.push(`[${cur.join(',')}]`);
      cur = [];
      len = 2;
    }
    cur.push(s);
    len += s.length + 1;
  }
  if (cur.length) out.push(`[${cur.join(',')}]`);
  return out;
}

const JSON_PARAM_MAX_CHARS = 500_000;
