import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startWalCheckpointer } from '../../src/db/checkpointer.js';
import { openNodeDatabase, type NodeDatabase } from '../../src/db/node.js';
import { silentLogger } from '../../src/logger.js';

let database: NodeDatabase | undefined;
afterEach(() => {
  database?.close();
  database = undefined;
});

async function until(cond: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A database file with the checkpointer running on it, and a statement that writes a 1 KB row. */
function withCheckpointer(opts: Parameters<typeof startWalCheckpointer>[3]) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'duban-ckpt-')), 'd.db');
  database = openNodeDatabase(file);
  const { sqlite } = database;
  const ck = startWalCheckpointer(sqlite, file, silentLogger, opts);
  const insert = sqlite.prepare('insert into settings (key, value, updated_at) values (?, ?, 0)');
  return { file, sqlite, ck, write: (i: number) => insert.run(`k${i}`, 'x'.repeat(1000)) };
}

describe('startWalCheckpointer', () => {
  it('copies the WAL into the database file from its own thread, and hands checkpoints back when stopped', async () => {
    const { file, sqlite, ck, write } = withCheckpointer({ intervalMs: 10 });
    expect(ck).not.toBeNull();
    // The service's own connection no longer checkpoints inline.
    expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const before = fs.statSync(file).size;
    for (let i = 0; i < 2000; i++) write(i);
    // Only a checkpoint writes pages into the main file: the worker did it.
    await until(() => fs.statSync(file).size > before + 1_000_000);
    await ck!.stop();
    expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(sqlite.prepare('select count(*) as n from settings').get()).toEqual({ n: 2000 });
  });

  it('keeps the WAL from growing without end under writes that never pause', async () => {
    const { sqlite, ck, write } = withCheckpointer({ intervalMs: 5, restartFrames: 200 });
    let restarted = false;
    // The service's pattern: a few writes per turn of the event loop, turn after turn.
    for (let i = 0; i < 6000 && !restarted; i++) {
      write(i);
      if (i % 10 === 9) await new Promise((r) => setImmediate(r));
      // SQLite numbers frames from the start of the WAL: a restart makes the count small again.
      if (i > 1000 && i % 100 === 0) {
        const [r] = sqlite.pragma('wal_checkpoint(NOOP)') as Array<{ log: number }>;
        restarted = r!.log < 400;
      }
    }
    await ck!.stop();
    expect(restarted).toBe(true);
  });

  it('gives the disk back once writes stop: the WAL file is truncated when the database is idle', async () => {
    const { file, sqlite, ck, write } = withCheckpointer({ intervalMs: 10, truncateBytes: 100_000 });
    for (let i = 0; i < 1000; i++) write(i);
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(1_000_000);
    await until(() => fs.statSync(`${file}-wal`).size === 0);
    await ck!.stop();
    expect(sqlite.prepare('select count(*) as n from settings').get()).toEqual({ n: 1000 });
  });

  it('is not started for an in-memory database', () => {
    database = openNodeDatabase(':memory:');
    expect(startWalCheckpointer(database.sqlite, ':memory:', silentLogger)).toBeNull();
  });
});
