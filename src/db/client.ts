// The database type every store is written against: one code path for better-sqlite3 (sync) and D1 (async).
// Stores always `await` query builders and never call .all()/.run()/transaction() directly.
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import type * as schema from './schema.js';

export type Schema = typeof schema;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Db = BaseSQLiteDatabase<'sync' | 'async', any, Schema>;
