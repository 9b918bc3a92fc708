// Everything the app needs from its runtime, passed in by the entry files (node.ts, worker.ts, tests).
import type { Config } from './config.js';
import type { Db } from './db/client.js';
import type { Logger } from './logger.js';

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
}
