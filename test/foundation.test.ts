import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../src/app.js';
import { ConfigError, parseConfig } from '../src/config.js';
import { openNodeDatabase, DatabaseOpenError } from '../src/db/node.js';
import { runBatch } from '../src/db/batch.js';
import { auditLog, units } from '../src/db/schema.js';
import { createTestDeps, type TestDeps } from './helpers/deps.js';

describe('schema and migrations', () => {
  it('migrates an empty database and creates every table', () => {
    const { sqlite, close } = openNodeDatabase(':memory:');
    const names = sqlite
      .prepare("select name from sqlite_master where type='table' and name not like '\\_%' escape '\\' and name not like 'sqlite%'")
      .all()
      .map((r) => (r as { name: string }).name)
      .sort();
    expect(names).toEqual(
      [
        'assignments', 'audit_log', 'bind_requests', 'board_links', 'chats', 'deadlines', 'digests', 'evidence', 'extension_requests',
        'inbound_events', 'leases', 'metric_reports', 'outbox', 'people', 'plans', 'progress_reports',
        'reminder_log', 'role_history', 'roles', 'scheduler_slices', 'settings', 'targets', 'tasks', 'units', 'unmatched_messages',
        'urgent_log',
      ].sort(),
    );
    close();
  });

  it('reopening a migrated file applies nothing twice', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-'));
    const file = path.join(dir, 'sub', 'x.db');
    openNodeDatabase(file).close();
    const again = openNodeDatabase(file);
    const n = again.sqlite.prepare('select count(*) n from __drizzle_migrations').get() as { n: number };
    expect(n.n).toBe(fs.readdirSync('migrations').filter((f) => f.endsWith('.sql')).length);
    again.close();
  });

  it('a corrupt database file gives a clear error', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-'));
    const file = path.join(dir, 'bad.db');
    fs.writeFileSync(file, 'this is not a sqlite database'.repeat(200));
    expect(() => openNodeDatabase(file)).toThrow(DatabaseOpenError);
    expect(() => openNodeDatabase(file)).toThrow(/DATABASE_PATH/);
  });

  it('runBatch is atomic: a failing statement rolls back the others', async () => {
    const { db, close } = openNodeDatabase(':memory:');
    await db.insert(units).values({ name: '生态环境局', kind: 'department' });
    await expect(
      runBatch(db, [
        db.insert(auditLog).values({ at: 1, actor: 'system', channel: 'cli', action: 'x', entity: 'unit' }),
        db.insert(units).values({ name: '生态环境局', kind: 'department' }),
      ]),
    ).rejects.toThrow();
    const rows = await db.select({ n: sql<number>`count(*)` }).from(auditLog);
    expect(rows[0]!.n).toBe(0);
    const res = await runBatch(db, [db.insert(units).values({ name: '住建局', kind: 'department' }).returning()]);
    expect((res[0] as Array<{ name: string }>)[0]!.name).toBe('住建局');
    close();
  });
});

describe('config', () => {
  it('has working defaults', () => {
    const c = parseConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.DATABASE_PATH).toBe('./data/duban.db');
    expect(c.LARK_BASE_URL).toBe('https://open.feishu.cn');
    expect(c.larkConfigured).toBe(false);
  });

  it('lists every bad key in one error', () => {
    try {
      parseConfig({ PORT: 'abc', LARK_BASE_URL: 'not a url', WORK_DAY_START: '9am' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const keys = (e as ConfigError).issues.map((i) => i.key).sort();
      expect(keys).toEqual(['LARK_BASE_URL', 'PORT', 'WORK_DAY_START']);
      expect((e as Error).message).toMatch(/PORT/);
    }
  });

  it('requires app id and secret together', () => {
    expect(() => parseConfig({ LARK_APP_ID: 'cli_x' })).toThrow(/LARK_APP_SECRET/);
    expect(parseConfig({ LARK_APP_ID: 'cli_x', LARK_APP_SECRET: 's', OFFICE_OPEN_IDS: 'ou_a, ou_b' })).toMatchObject({
      larkConfigured: true,
      OFFICE_OPEN_IDS: ['ou_a', 'ou_b'],
    });
  });
});

describe('GET /healthz', () => {
  let deps: TestDeps;
  afterEach(() => deps?.close());

  it('answers 200 with status, database, plan and version', async () => {
    deps = createTestDeps();
    const res = await createApp(deps).request('/healthz');
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ status: 'ok', database: 'ok', planLoaded: false, version: expect.any(String) });
  });
});
