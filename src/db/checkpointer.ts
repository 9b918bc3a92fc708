// Node service: copy the SQLite WAL back into the database file from a worker thread, so request handlers rarely
// pay for it. With SQLite's default (wal_autocheckpoint = 1000 pages) every ~1000th page written makes the commit
// that crosses it run the whole checkpoint inline, fsyncs included: ms stolen from whichever request commits then.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { Logger } from '../logger.js';

export interface WalCheckpointer {
  stop(): Promise<void>;
}

// SQLite starts the WAL over only when a write begins with every frame already copied back, and a checkpoint from
// another thread always ends a little behind a writer that keeps writing: under steady load the WAL would only
// grow. So once the worker reports more than RESTART_FRAMES in the WAL, the service's own connection runs one
// passive checkpoint between two requests: the worker has copied (and synced) nearly everything, so it copies only
// the last few frames, and the next write starts the WAL over. The file keeps its size meanwhile: shrinking a
// large file is itself a pause of 100 ms or more, so the worker truncates it only once the database has been idle
// for a tick (nothing written since its last checkpoint, everything copied).
const RESTART_FRAMES = 16_384; // 64 MB of 4 KB pages
const TRUNCATE_BYTES = 16 * 1024 * 1024;

const WORKER_SOURCE = `
const fs = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
let running = true;
let lastFrames = -1;
const walBytes = () => {
  try {
    return fs.statSync(workerData.file + '-wal').size;
  } catch {
    return 0;
  }
};
const tick = () => {
  if (!running) return;
  try {
    // Passive: never waits for or blocks the service's writes; a busy database is tried again next tick.
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ frames: r.log, copied: r.checkpointed });
    const idle = r.log === lastFrames && r.checkpointed === r.log;
    lastFrames = r.log;
    if (idle && walBytes() > workerData.truncateBytes) db.pragma('wal_checkpoint(TRUNCATE)');
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
  opts: { intervalMs?: number; restartFrames?: number; truncateBytes?: number } = {},
): WalCheckpointer | null {
  if (file === ':memory:' || sqlite.pragma('journal_mode', { simple: true }) !== 'wal') return null;
  const restoreInline = () => {
    if (sqlite.open) sqlite.pragma('wal_autocheckpoint = 1000');
  };
  let worker: Worker;
  try {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file, intervalMs: opts.intervalMs ?? 250, truncateBytes: opts.truncateBytes ?? TRUNCATE_BYTES } });
  } catch (err) {
    logger.warn('WAL checkpointer not started; SQLite checkpoints inline', { error: (err as Error).message });
    return null;
  }
  sqlite.pragma('wal_autocheckpoint = 0');
  const restartFrames = opts.restartFrames ?? RESTART_FRAMES;
  let stopping = false;
  let restartQueued = false;
  worker.unref();
  worker.on('message', (m: { error?: string; frames?: number }) => {
    if (m?.error) logger.warn('WAL checkpoint failed; will retry', { error: m.error });
    if ((m?.frames ?? 0) > restartFrames && !restartQueued) {
      restartQueued = true;
      // Between two requests, not inside one.
      setImmediate(() => {
        restartQueued = false;
        if (!sqlite.open || stopping) return;
        try {
          sqlite.pragma('wal_checkpoint(PASSIVE)');
        } catch (err) {
          logger.warn('WAL checkpoint failed; will retry', { error: (err as Error).message });
        }
      });
    }
  });
  worker.on('error', (err) => {
    logger.error('WAL checkpointer stopped; SQLite checkpoints inline again', { error: err.message });
    restoreInline();
  });
  worker.on('exit', () => {
    if (!stopping) restoreInline();
  });
  return {
    stop() {
      stopping = true;
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
