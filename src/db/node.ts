// Node storage: open the SQLite file with better-sqlite3, apply migrations, and hand back a drizzle Db.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema.js';
import type { Db } from './client.js';
import { DubanError } from '../domain/errors.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

export class DatabaseOpenError extends DubanError {
  constructor(message: string) {
    super('database_open_failed', message);
  }
}

/**
 * SQLite's own words for a failure: drizzle wraps the driver's error ("Failed to run the query '…'") and keeps the
 * SqliteError as its cause; take the innermost error's message and code (e.g. "attempt to write a readonly database
 * (SQLITE_READONLY)").
 */
export function sqliteCause(err: unknown): string {
  let e: unknown = err;
  for (let i = 0; i < 10 && e instanceof Error && e.cause instanceof Error; i++) e = e.cause;
  const inner = e as Error & { code?: unknown };
  const code = typeof inner.code === 'string' && !inner.message.includes(inner.code) ? ` (${inner.code})` : '';
  return `${String(inner?.message ?? err).trim()}${code}`;
}

export interface NodeDatabase {
  db: Db;
  sqlite: Database.Database;
  close(): void;
}

/**
 * drizzle asks better-sqlite3 to compile every query it runs, even one it ran a moment ago; compiling is a good
 * part of a small statement's cost. Keep the most recently used compiled statements by SQL text. Safe because
 * drizzle runs statements to completion (no open iterators) and the only per-statement state it sets is raw
 * mode, which is reset on every reuse. SQLite recompiles a cached statement itself after a schema change.
 */
function cacheCompiledStatements(sqlite: Database.Database, max = 500): void {
  const compile = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, Database.Statement>();
  const prepare = (source: string): Database.Statement => {
    let stmt = cache.get(source);
    if (stmt) {
      // Most recently used last, so the first key is the one to evict.
      cache.delete(source);
      if (stmt.reader) stmt.raw(false);
    } else {
      stmt = compile(source);
      if (cache.size >= max) cache.delete(cache.keys().next().value as string);
    }
    cache.set(source, stmt);
    return stmt;
  };
  sqlite.prepare = prepare as typeof sqlite.prepare;
}

/**
 * Open (creating if needed) the SQLite database at `file` (':memory:' for tests) and migrate it.
 * Throws DatabaseOpenError with a message that tells the operator what to check.
 */
export function openNodeDatabase(file: string, opts: { migrate?: boolean } = {}): NodeDatabase {
  let opened: Database.Database | undefined;
  try {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const sqlite = (opened = new Database(file));
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    // Touch the file so a corrupt database fails here, not on the first request.
    const check = sqlite.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`integrity check failed: ${String(check)}`);
    // SQLite silently falls back to a read-only open when the file cannot be written; rewrite the header's
    // user_version so a read-only file fails at startup rather than on the first reminder.
    if (file !== ':memory:') sqlite.pragma(`user_version = ${Number(sqlite.pragma('user_version', { simple: true }))}`);
  } catch (err) {
    opened?.close();
    const code = (err as { code?: string }).code ?? '';
    const hint = /READONLY|CANTOPEN|PERM|ACCES/.test(code)
      ? '数据库文件或其所在目录不可写（需要能创建 -wal/-shm 文件）'
      : /NOTADB|CORRUPT/.test(code) || /integrity/.test((err as Error).message)
        ? '文件已损坏或不是 SQLite 数据库'
        : '文件可能不存在、不可读写或已损坏';
    throw new DatabaseOpenError(
      `无法打开数据库 ${file}：${hint}（${(err as Error).message}）。请检查 DATABASE_PATH 指向的文件是否存在、可读写且未损坏` +
        `（可用 \`npx duban backup\` 的备份恢复）。 / cannot open database ${file}: check DATABASE_PATH.`,
    );
  }
  const sqlite = opened;
  cacheCompiledStatements(sqlite);
  const db = drizzle(sqlite, { schema }) as unknown as Db;
  if (opts.migrate !== false) {
    try {
      migrate(drizzle(sqlite, { schema }), { migrationsFolder: MIGRATIONS_DIR });
    } catch (err) {
      sqlite.close();
      throw new DatabaseOpenError(
        `数据库迁移失败（${file}）：SQLite 报错：${sqliteCause(err)}。如果数据库文件是只读的，请检查文件权限；` +
          `如果数据库来自其他程序或更新版本的 duban，请先备份后换用新的 DATABASE_PATH。 / migration failed: ${sqliteCause(err)}`,
      );
    }
  }
  return { db, sqlite, close: () => sqlite.close() };
}
