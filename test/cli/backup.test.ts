import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backupDatabase, BackupError, countTables } from '../../src/cli/backup.js';
import { openNodeDatabase } from '../../src/db/node.js';
import { runCli } from '../../src/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-backup-'));

function seeded(name: string, units = 50): string {
  const dir = fs.mkdtempSync(path.join(tmp, `${name}-`));
  const file = path.join(dir, 'duban.db');
  const { sqlite, close } = openNodeDatabase(file);
  const ins = sqlite.prepare("insert into units (name, kind) values (?, 'department')");
  sqlite.transaction(() => {
    for (let i = 0; i < units; i++) ins.run(`单位${i}`);
  })();
  close();
  return file;
}

async function cli(args: string[], file: string) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), env: { DATABASE_PATH: file } });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('npx duban backup', () => {
  it('copies while another connection keeps writing, and the copy is one consistent snapshot', async () => {
    const file = seeded('live', 2000);
    // A second connection, like the running service: each write adds a unit and its audit row atomically.
    const writer = new Database(file);
    writer.pragma('busy_timeout = 5000');
    const addUnit = writer.prepare("insert into units (name, kind) values (?, 'county')");
    const addAudit = writer.prepare("insert into audit_log (at, actor, channel, action, entity) values (?, 'system', 'cli', 'create', 'unit')");
    const pair = writer.transaction((i: number) => {
      addUnit.run(`新单位${i}`);
      addAudit.run(i);
    });
    let writes = 0;
    let writing = true;
    const loop = () => {
      if (!writing) return;
      for (let k = 0; k < 20; k++) pair(writes++);
      setImmediate(loop);
    };
    loop();
    const writesBefore = writes;
    const res = await backupDatabase(file, path.join(path.dirname(file), 'copy.db'));
    const writesDuring = writes - writesBefore;
    writing = false;
    writer.close();

    expect(writesDuring).toBeGreaterThan(0);
    const copy = new Database(res.file, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    const counts = Object.fromEntries(countTables(copy).map((t) => [t.name, t.rows]));
    copy.close();
    // Consistent: every unit added by the writer comes with its audit row, none half-copied.
    expect(counts.units! - 2000).toBe(counts.audit_log);
    expect(counts.units).toBeGreaterThanOrEqual(2000);
    expect(counts.units).toBeLessThanOrEqual(2000 + writes);
    expect(Object.fromEntries(res.tables.map((t) => [t.name, t.rows]))).toEqual(counts);
  });

  it('prints size and table counts that match the source', async () => {
    const file = seeded('cli', 7);
    const dest = path.join(path.dirname(file), 'b.db');
    const r = await cli(['backup', dest], file);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/已备份到 .*b\.db（[\d.]+ (KB|MB|B)，\d+ 张表/);
    expect(r.out).toMatch(/units\s+7/);
    const copy = new Database(dest, { readonly: true });
    const src = new Database(file, { readonly: true });
    expect(countTables(copy)).toEqual(countTables(src));
    expect((copy.prepare('select name from units order by id').all() as Array<{ name: string }>).map((u) => u.name)).toEqual(
      Array.from({ length: 7 }, (_, i) => `单位${i}`),
    );
    copy.close();
    src.close();
  });

  it('refuses to overwrite an existing file unless --force', async () => {
    const file = seeded('force', 3);
    const dest = path.join(path.dirname(file), 'exists.db');
    fs.writeFileSync(dest, 'keep me');
    const r = await cli(['backup', dest], file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/备份文件已存在.*--force/);
    expect(fs.readFileSync(dest, 'utf8')).toBe('keep me');

    const f = await cli(['backup', dest, '--force'], file);
    expect(f.code).toBe(0);
    const copy = new Database(dest, { readonly: true });
    expect((copy.prepare('select count(*) n from units').get() as { n: number }).n).toBe(3);
    copy.close();
  });

  it('--force never overwrites the live database: same path, relative path, symlink, hard link, its WAL', async () => {
    const file = seeded('live', 7);
    const dir = path.dirname(file);
    const bytes = fs.readFileSync(file);
    fs.symlinkSync(file, path.join(dir, 'link.db'));
    fs.linkSync(file, path.join(dir, 'hard.db'));
    fs.symlinkSync(dir, path.join(tmp, `dirlink-${path.basename(dir)}`));
    const viaDirLink = path.join(tmp, `dirlink-${path.basename(dir)}`, 'duban.db');
    const relative = path.relative(process.cwd(), file);
    const dotted = path.join(dir, '..', path.basename(dir), '.', 'duban.db');
    for (const dest of [file, relative, dotted, path.join(dir, 'link.db'), path.join(dir, 'hard.db'), viaDirLink, `${file}-wal`, `${viaDirLink}-shm`]) {
      const r = await cli(['backup', dest, '--force'], file);
      expect(r.code, dest).toBe(1);
      expect(r.err).toMatch(/就是正在使用的数据库.*不能覆盖/);
    }
    // The same through a symlinked DATABASE_PATH.
    const r = await cli(['backup', file, '--force'], path.join(dir, 'link.db'));
    expect(r.code).toBe(1);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    const db = new Database(file, { readonly: true });
    expect((db.prepare('select count(*) n from units').get() as { n: number }).n).toBe(7);
    db.close();
    // A different file next to it is fine.
    expect((await cli(['backup', path.join(dir, 'copy.db'), '--force'], file)).code).toBe(0);
  });

  it('a missing source database is a clear Chinese error naming DATABASE_PATH, and creates nothing', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'missing-'));
    const file = path.join(dir, 'nope.db');
    const r = await cli(['backup', path.join(dir, 'b.db')], file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/数据库文件不存在.*DATABASE_PATH/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('an unwritable destination is a clear error', async () => {
    const file = seeded('dest', 1);
    const dir = path.dirname(file);
    await expect(backupDatabase(file, path.join(dir, 'no', 'such', 'dir', 'b.db'))).rejects.toThrow(/目录 .* 不存在/);
    fs.writeFileSync(path.join(dir, 'plain'), '');
    await expect(backupDatabase(file, path.join(dir, 'plain', 'b.db'))).rejects.toThrow(/不是目录/);
    await expect(backupDatabase(file, dir, { force: true })).rejects.toThrow(BackupError);
    await expect(backupDatabase(file, file)).rejects.toThrow(/就是正在使用的数据库/);
  });

  it('a corrupt source is refused with a clear error', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'corrupt-'));
    const file = path.join(dir, 'bad.db');
    fs.writeFileSync(file, 'garbage'.repeat(1000));
    const r = await cli(['backup', path.join(dir, 'b.db')], file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/无法读取数据库.*DATABASE_PATH/);
    expect(fs.existsSync(path.join(dir, 'b.db'))).toBe(false);
  });

  it('needs exactly one file name', async () => {
    const r = await cli(['backup'], seeded('usage', 1));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/用法：npx duban backup/);
  });
});
