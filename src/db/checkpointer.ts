// Node service: copy the SQLite WAL back into the database file from a worker thread, so request handlers never pay
// for it. With SQLite's default (wal_autocheckpoint = 1000 pages), every ~1000th commit runs the checkpoint inline,
// fsyncs included: a few ms stolen from whichever request happens to commit then, and ~30% of the average commit.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { Logger } from '../logger.js';

export interface WalCheckpointer {
  stop(): Promise<void>;
}

// SQLite starts the WAL over only when a write begins with every frame already copied back. A passive checkpoint
// from another thread always ends a little behind a writer that keeps writing, so under sustained load the file
// would only grow: past WAL_RESTART_BYTES the service's own connection restarts it (the worker has copied nearly
// everything by then, so this inline pause is rare; a pause in the load restarts it for free). journal_size_limit trims the file afterwards.
const WAL_RESTART_BYTES = 256 * 1024 * 1024;
const WAL_KEEP_BYTES = 16 * 1024 * 1024;

// A passive checkpoint never blocks the service's writes (it copies what no reader still needs); a busy database
// file is simply tried again on the next tick.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 50');
let running = true;
const tick = () => {
  if (!running) return;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    if (!/SQLITE_BUSY|SQLITE_LOCKED/.test(String(err && err.code))) parentPort.postMessage({ error: String(err && err.message) });
  }
  setTimeout(tick, workerData.intervalMs);
};
parentPort.on('message', (m) => {
  if (m === 'stop') {
    running = false;
    try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
    db.close();
    parentPort.close();
  }
});
tick();
`;

/**
 * Turn off the inline checkpoint on `sqlite` and run it every `intervalMs` from a worker thread with its own
 * connection. If the worker fails, inline checkpointing is switched back on, so the WAL cannot grow unbounded.
 */
export function startWalCheckpointer(
  sqlite: Database.Database,
  file: string,
  logger: Logger,
  opts: { intervalMs?: number } = {},
): WalCheckpointer | null {
  if (file === ':memory:' || sqlite.pragma('journal_mode', { simple: true }) !== 'wal') return null;
  const restoreInline = () => {
    if (sqlite.open) sqlite.pragma('wal_autocheckpoint = 1000');
  };
  let worker: Worker;
  try {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file, intervalMs: opts.intervalMs ?? 250 } });
  } catch (err) {
    logger.warn('WAL checkpointer not started; SQLite checkpoints inline', { error: (err as Error).message });
    return null;
  }
  sqlite.pragma('wal_autocheckpoint = 0');
  sqlite.pragma(`journal_size_limit = ${WAL_KEEP_BYTES}`);
  let stopping = false;
  const guard = setInterval(() => {
    let size = 0;
    try {
      size = fs.statSync(`${file}-wal`).size;
    } catch {
      return;
    }
    if (size > WAL_RESTART_BYTES && sqlite.open) {
      logger.debug('WAL restarted after sustained writes', { bytes: size });
      sqlite.pragma('wal_checkpoint(RESTART)');
    }
  }, 1_000);
  guard.unref();
  worker.unref();
  worker.on('message', (m: { error?: string }) => {
    if (m?.error) logger.warn('WAL checkpoint failed; will retry', { error: m.error });
  });
  worker.on('error', (err) => {
    logger.error('WAL checkpointer stopped; SQLite checkpoints inline again', { error: err.message });
    restoreInline();
  });
  worker.on('exit', () => {
    clearInterval(guard);
    if (!stopping) restoreInline();
  });
  return {
    stop() {
      stopping = true;
      clearInterval(guard);
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 2_000);
        worker.once('exit', () => {
          clearTimeout(timer);
          restoreInline();
          resolve();
        });
        worker.postMessage('stop');
      });
    },
  };
}
