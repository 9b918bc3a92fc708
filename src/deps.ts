// Everything the app needs from its runtime, passed in by the entry files (node.ts, worker.ts, tests).
import type { Config } from './config.js';
import type { Db } from './db/client.js';
import type { Logger } from './logger.js';
import type { LarkCrypto } from './lark/crypto.js';
import type { InboundRecorder } from './lark/inbox.js';
import type { IntakeGauge } from './lark/work-queue.js';
import type { Messenger } from './lark/messenger.js';
import type { BuildDigest } from './ports.js';
import type { BlobStore } from './evidence/blob-store.js';
import type { LarkIm } from './lark/im-extras.js';

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
   * so processing cannot starve the accept path. Returns false when the queue is full (the caller's durable state
   * covers the task). Absent (Workers, tests): the work goes to `defer` at once.
   */
  queueWork?: (task: () => Promise<unknown>) => boolean;
  /** Delivers outbox rows: the Lark SDK when configured, else the console printer. */
  messenger: Messenger;
  /**
   * Node: wake the in-process outbox loop after queueing messages. Absent (Workers): the deferred work drains
   * the outbox itself.
   */
  kickOutbox?: () => void;
  /** Node: records inbound events in groups, one commit per event-loop turn. Absent: one statement per event. */
  recordInbound?: InboundRecorder;
  /**
   * Node: whether queueWork would take a task now. False means full: the caller stores the event pending instead
   * and, once that is committed, calls leftPending, so the sweep picks it up as soon as the queue drains.
   */
  queueHasRoom?: () => boolean;
  leftPending?: () => void;
  /** Node: counts requests being taken in, so queued processing yields to them (see lark/work-queue.ts). */
  intake?: IntakeGauge;
  /** Inbound signature and decryption (Node: node:crypto); absent: WebCrypto, which both runtimes have. */
  larkCrypto?: LarkCrypto;
  /** How long a card callback may run before it is answered with a "处理中" toast (default 2.5 s; Feishu allows 3). */
  cardAnswerMs?: number;
  /** A test seam: a slow step injected before a card action's work (to drive the late-answer path). */
  slowCardStep?: () => Promise<void>;
  /** Builds the weekly digest messages when the scheduler finds one due (absent: digests are not planned). */
  buildDigest?: BuildDigest;
  /** Where evidence files are kept (Node: EVIDENCE_DIR; Workers: the R2 binding EVIDENCE). Absent: files are refused. */
  evidenceStore?: BlobStore;
  /** Feishu calls for files, read receipts and buzz (absent offline). */
  larkIm?: LarkIm;
}
