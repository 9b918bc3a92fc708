// src/db/: all table access. schema.ts is the one drizzle schema for both drivers; each *-store.ts owns the queries
// of one part of the product (tasks, people, assignments, evidence, the inbox, the outbox, plans, the board, …) and
// is the only place outside the composition roots that imports the schema. batch.ts runs atomic multi-statement
// writes; drizzle-adapter.ts is the one file that relies on drizzle's internals (and names the version); node.ts and
// d1.ts open the two drivers. The folder imports only src/domain/, the port interfaces, logger and config.
//
// This file: the database type every store is written against: one code path for better-sqlite3 (sync) and D1
// (async). Stores always `await` query builders and never call .all()/.run()/transaction() directly.
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import type * as schema from './schema.js';

export type Schema = typeof schema;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Db = BaseSQLiteDatabase<'sync' | 'async', any, Schema>;
