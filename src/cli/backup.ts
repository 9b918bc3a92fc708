// `npx duban backup <file>`: a consistent online copy of the SQLite database, safe while the service writes.
import { backupEvidenceDir } from '../evidence/backup.js';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DatabaseOpenError } from '../db/node.js';
import { CliUsageError, parseArgs, type CliCommand } from './types.js';
import { DubanError } from '../domain/errors.js';

export interface BackupResult {
  file: string;
  bytes: number;
  tables: Array<{ name: string; rows: number }>;
}

export class BackupError extends DubanError {
  constructor(message: string) {
    super('backup_failed', message);
  }
}

/** Row counts of every user table (migrations bookkeeping and sqlite internals left out). */
export function countTables(sqlite: Database.Database): Array<{ name: string; rows: number }> {
  const names = sqlite
    .prepare(
      "select name from sqlite_master where type = 'table' and name not like 'sqlite%' and name not like '\\_\\_%' escape '\\' order by name",
    )
    .all() as Array<{ name: string }>;
  return names.map(({ name }) => ({
    name,
    rows: (sqlite.prepare(`select count(*) as n from "${name.replace(/"/g, '""')}"`).get() as { n: number }).n,
  }));
}

/** The real path of a file that may not exist yet: its directory resolved through symlinks, plus its name. */
function realTarget(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(p)), path.basename(p));
    } catch {
      return path.resolve(p);
    }
  }
}

/**
 * Whether `target` is the live database or one of its sidecar files, by any path: compared by real path (symlinks,
 * relative paths, `..`) and, for files that exist, by device and inode (hard links, bind mounts).
 */
export function isLiveDatabase(source: string, target: string): boolean {
  const live = realTarget(source);
  const t = realTarget(target);
  const candidates = [live, `${live}-wal`, `${live}-shm`, `${live}-journal`];
  if (candidates.includes(t)) return true;
  let ts: fs.Stats;
  try {
    ts = fs.statSync(target);
  } catch {
    return false;
  }
  for (const c of candidates) {
    try {
      const cs = fs.statSync(c);
      if (cs.dev === ts.dev && cs.ino === ts.ino) return true;
    } catch {
      // that sidecar does not exist
    }
  }
  return false;
}

/**
 * Copy the database at `source` to `dest` with SQLite's online backup API. The remaining pages are copied in a
 * single step, so the copy is one consistent snapshot even while another connection keeps writing (a
 * page-by-page copy would restart on every foreign write and might never finish under load).
 */
export async function backupDatabase(source: string, dest: string, opts: { force?: boolean } = {}): Promise<BackupResult> {
  if (!fs.existsSync(source)) {
    throw new BackupError(`数据库文件不存在：${source}。请检查 DATABASE_PATH 是否指向正在使用的数据库。`);
  }
  const target = path.resolve(dest);
  if (isLiveDatabase(source, target)) {
    throw new BackupError(
      `备份文件 ${dest} 就是正在使用的数据库 ${source}（或其 -wal/-shm/-journal 文件，可能经由符号链接、相对路径或硬链接指向它），` +
        '不能覆盖。请换一个文件名，例如 ./backup/duban-备份.db。',
    );
  }
  const dir = path.dirname(target);
  let dirStat: fs.Stats;
  try {
    dirStat = fs.statSync(dir);
  } catch {
    throw new BackupError(`无法写入备份：目录 ${dir} 不存在，请先创建它或换一个位置。`);
  }
  if (!dirStat.isDirectory()) throw new BackupError(`无法写入备份：${dir} 不是目录，请换一个位置。`);
  if (fs.existsSync(target)) {
    if (fs.statSync(target).isDirectory()) throw new BackupError(`无法写入备份：${target} 是一个目录，请给出文件名。`);
    if (!opts.force) {
      throw new BackupError(`备份文件已存在：${target}。如需覆盖，请加 --force；或换一个文件名。`);
    }
    for (const f of [target, `${target}-wal`, `${target}-shm`, `${target}-journal`]) fs.rmSync(f, { force: true });
  }

  // Opened directly (not through openNodeDatabase): a backup must work from a read-only database too.
  let src: Database.Database;
  try {
    src = new Database(source, { fileMustExist: true });
    src.pragma('busy_timeout = 5000');
    const check = src.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`integrity check failed: ${String(check)}`);
  } catch (err) {
    throw new BackupError(
      `无法读取数据库 ${source}：${(err as Error).message}。请检查 DATABASE_PATH 指向的是否为完好的 duban 数据库。`,
    );
  }
  try {
    await src.backup(target, { progress: () => 0x7fffffff });
  } catch (err) {
    fs.rmSync(target, { force: true });
    throw new BackupError(`无法写入备份 ${target}：${(err as Error).message}。请检查该位置是否可写、磁盘空间是否足够。`);
  } finally {
    src.close();
  }

  const copy = new Database(target, { readonly: true, fileMustExist: true });
  try {
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new BackupError(`备份文件校验失败（${String(check)}），请重试。`);
    return { file: target, bytes: fs.statSync(target).size, tables: countTables(copy) };
  } finally {
    copy.close();
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export const backupCommand: CliCommand = {
  name: 'backup',
  usage: 'backup <文件> [--force]',
  summary: '在线备份数据库（服务运行时也可用）/ consistent online copy of the SQLite database',
  async run(args, ctx) {
    const { positionals, options } = parseArgs(args, { force: 'boolean' });
    if (positionals.length !== 1) throw new CliUsageError('请给出一个备份文件名，例如 backup ./backup/duban-20220616.db');
    try {
      const res = await backupDatabase(ctx.config.DATABASE_PATH, positionals[0]!, { force: options.force === true });
      const total = res.tables.reduce((s, t) => s + t.rows, 0);
      ctx.out(`已备份到 ${res.file}（${formatBytes(res.bytes)}，${res.tables.length} 张表，共 ${total} 行）`);
      for (const t of res.tables) ctx.out(`  ${t.name.padEnd(20)} ${t.rows}`);
      // The evidence files (EVIDENCE_DIR) go beside the copy: <文件>.evidence/
      const ev = await backupEvidenceDir(ctx.config.EVIDENCE_DIR, res.file);
      if (ev) ctx.out(`佐证材料：${ev.files} 个文件（${formatBytes(ev.bytes)}）已备份到 ${ev.dir}（本次新复制 ${ev.copied} 个）`);
      return 0;
    } catch (err) {
      if (err instanceof BackupError || err instanceof DatabaseOpenError) {
        ctx.err(err.message);
        return 1;
      }
      throw err;
    }
  },
};
