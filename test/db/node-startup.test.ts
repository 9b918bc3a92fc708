import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { DatabaseOpenError, MIGRATIONS_DIR, openNodeDatabase, sqliteCause } from '../../src/db/node.js';
import { startNodeService } from '../../src/node.js';
import { runCli } from '../../src/cli.js';
import { canMakeReadOnly, makeReadOnly, type ReadOnlyHandle } from '../helpers/read-only.js';
import { SERVICE_ARGS } from '../helpers/service-process.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-startup-'));
const readOnlyWorks = canMakeReadOnly(tmp);
const handles: ReadOnlyHandle[] = [];
afterEach(() => {
  while (handles.length) handles.pop()!.restore();
});

function env(file: string): Record<string, string> {
  return { DATABASE_PATH: file, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', PLAN_AUTOLOAD: 'false', SCHEDULER_ENABLED: 'false' };
}

function migratedFile(name: string): string {
  const dir = fs.mkdtempSync(path.join(tmp, `${name}-`));
  const file = path.join(dir, 'duban.db');
  openNodeDatabase(file).close();
  return file;
}

describe('database startup errors', () => {
  it('a corrupted file stops startNodeService with a message naming DATABASE_PATH', async () => {
    const file = migratedFile('corrupt');
    // Keep the SQLite header but overwrite the schema page: the file looks like SQLite and is broken.
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(4096, 0xab), 0, 4096, 100);
    fs.closeSync(fd);
    const err = await startNodeService(env(file)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DatabaseOpenError);
    expect((err as Error).message).toMatch(/DATABASE_PATH/);
    expect((err as Error).message).toMatch(/损坏/);
  });

  it('the service process exits 1 and prints the error for a corrupt file', () => {
    const file = path.join(fs.mkdtempSync(path.join(tmp, 'proc-')), 'bad.db');
    fs.writeFileSync(file, 'not a database '.repeat(400));
    const res = spawnSync(process.execPath, SERVICE_ARGS, {
      env: { ...process.env, ...env(file) },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/无法打开数据库/);
    expect(res.stderr).toMatch(/DATABASE_PATH/);
    expect(fs.readFileSync(file, 'utf8')).toBe('not a database '.repeat(400));
  });

  it('CLI commands refuse a corrupted database with the same message, exit code 1', async () => {
    const file = migratedFile('clicorrupt');
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(4096, 0xab), 0, 4096, 100);
    fs.closeSync(fd);
    const errs: string[] = [];
    const code = await runCli(['people', 'list'], { out: () => undefined, err: (l) => errs.push(l), env: env(file) });
    expect(code).toBe(1);
    expect(errs.join('\n')).toMatch(/无法打开数据库.*DATABASE_PATH/s);
  });

  it.skipIf(!readOnlyWorks)('a read-only database file fails at startup, not on the first write', async () => {
    const file = migratedFile('rofile');
    const h = makeReadOnly(file);
    expect(h).toBeDefined();
    handles.push(h!);
    const err = await startNodeService(env(file)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DatabaseOpenError);
    expect((err as Error).message).toMatch(/不可写/);
    expect((err as Error).message).toMatch(/DATABASE_PATH/);
  });

  it.skipIf(!readOnlyWorks)('a database in a read-only directory (no -wal/-shm possible) fails at startup', async () => {
    const file = migratedFile('rodir');
    const h = makeReadOnly(path.dirname(file));
    expect(h).toBeDefined();
    handles.push(h!);
    const err = await startNodeService(env(file)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DatabaseOpenError);
    expect((err as Error).message).toMatch(/DATABASE_PATH/);
  });

  it('a healthy file still starts (the write probe changes nothing)', async () => {
    const file = migratedFile('ok');
    const before = openNodeDatabase(file, { migrate: false });
    const version = before.sqlite.pragma('user_version', { simple: true });
    before.close();
    const svc = await startNodeService(env(file));
    await svc.close();
    const after = openNodeDatabase(file, { migrate: false });
    expect(after.sqlite.pragma('user_version', { simple: true })).toBe(version);
    after.close();
  });
});

describe('a migration that fails says SQLite own error', () => {
  it('a table in the way of a migration: the message carries SQLite text, the service and the CLI say it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-migfail-'));
    const file = path.join(dir, 'd.db');
    const raw = new Database(file);
    raw.exec('create table units (x integer)');
    raw.close();
    const err = (() => {
      try {
        openNodeDatabase(file);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DatabaseOpenError);
    expect((err as Error).message).toMatch(/数据库迁移失败/);
    expect((err as Error).message).toMatch(/table `?units`? already exists/);
    const errs: string[] = [];
    const code = await runCli(['people', 'list'], { out: () => undefined, err: (l) => errs.push(l), env: { DATABASE_PATH: file } });
    expect(code).toBe(1);
    expect(errs.join('\n')).toMatch(/already exists/);
  });

  it('a read-only connection: SQLITE_READONLY is named', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-migro-'));
    const file = path.join(dir, 'd.db');
    new Database(file).close();
    const ro = new Database(file, { readonly: true });
    let msg = '';
    try {
      migrate(drizzle(ro), { migrationsFolder: MIGRATIONS_DIR });
    } catch (e) {
      msg = sqliteCause(e);
    } finally {
      ro.close();
    }
    expect(msg).toMatch(/readonly database/);
    expect(msg).toMatch(/SQLITE_READONLY/);
  });
});
