// Everything the app needs from its runtime, passed in by the entry files (node.ts, worker.ts, tests).
import type { Config } from './config.js';
import type { Db } from './db/client.js';
import type { Logger } from './logger.js';
import type { Messenger } from './lark/messenger.js';
import type { BuildDigest } from './scheduler/pass.js';

export interface AppDeps {
  db: Db;
  config: Config;
  logger: Logger;
  /** Epoch ms: time is an input. */
  clock: () => number;
  /**
   * Run work after the HTTP response (Workers: ctx.waitUntil; Node: fire and track). Inbound events are
   * acknowledged first and processed here.
   */
  defer: (work: Promise<unknown>) => void;
  /**
   * Node: queue the processing of an acknowledged event to run in slices after the ack (see lark/work-queue.ts),
   * so processing cannot starve the accept path. Absent (Workers, tests): the work goes to `defer` at once.
   */
  queueWork?: (task: () => Promise<unknown>) => void;
  /** Delivers outbox rows: the Lark SDK when configured, else the console printer. */
  messenger: Messenger;
  /**
   * Node: wake the in-process outbox loop after queueing messages. Absent (Workers): the deferred work drains
   * the outbox itself.
   */
  kickOutbox?: () => void;
  /** Builds the weekly digest messages when the scheduler finds one due (absent: digests are not planned). */
  buildDigest?: BuildDigest;
}
