// Atomic multi-statement writes on both drivers: D1's db.batch(), or one better-sqlite3 transaction.
// Never use db.transaction(): D1 rejects BEGIN. Results of queries with .returning() are row arrays on both.
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
