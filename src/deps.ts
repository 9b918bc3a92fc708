// AppDeps: everything the app needs from its runtime, as one TYPE. Every member is required: each runtime supplies
// a real implementation of each port (src/ports.ts), built by src/compose.ts for the Node service (node.ts), Workers
// (worker.ts), the CLI sandbox and the tests. Where a runtime lacks something the product can do without (evidence
// files with no store, Feishu's IM calls offline, the weekly digest in tests), the member is an explicit null, and
// the code that needs it says so to the user.
import type { Config } from './config.js';
import type { Db } from './db/client.js';
import type { Logger } from './logger.js';
import type {
  AfterAck, BlobStore, BuildDigest, ContactDirectory, InboundHandler, InboundRecorder, IntakeGauge, LarkCrypto, LarkIm,
  Messenger, Outbox, SentMessageLookup,
} from './ports.js';

export interface AppDeps {
  db: Db;
  config: Config;
  logger: Logger;
  /** Epoch ms: time is an input. */
  clock: () => number;
  /**
   * Run work after the HTTP response (Workers: ctx.waitUntil; Node: fire and track; tests: tracked for settle()).
   * Card callbacks' follow-ups and start-up chores go here.
   */
  defer: (work: Promise<unknown>) => void;
  /** Delivers outbox messages: the Lark SDK when configured, else the console printer. */
  messenger: Messenger;
  /** Gets queued outbox rows sent: Node kicks its sender loop; Workers and tests drain inline. */
  outbox: Outbox;
  /** Records inbound events at the ack (Node: grouped, one commit per event-loop turn; else one statement each). */
  recordInbound: InboundRecorder;
  /** Processes acknowledged events after the ack (Node: the work queue; Workers: waitUntil; tests: deferred). */
  afterAck: AfterAck;
  /** Counts requests being taken in, so queued processing yields to them (only Node's work queue reads it). */
  intake: IntakeGauge;
  /** THE inbound entry point (commands/inbound.ts): what lark/ hands every normalised event to. */
  inbound: InboundHandler;
  /** Inbound signature and decryption: node:crypto on Node, WebCrypto elsewhere. */
  larkCrypto: LarkCrypto;
  /** Which bot message a reply answers (db/sent-messages.ts). */
  sentMessages: SentMessageLookup;
  /** Resolves emails/mobiles to open_ids and names (the Lark directory, built on first use; offline: says so). */
  contacts: ContactDirectory;
  /** How long a card callback may run before it is answered with a "处理中" toast (2.5 s; Feishu allows 3; tests lower it). */
  cardAnswerMs: number;
  /** A test seam, null in every runtime: a slow step injected before a card action's work (the late-answer path). */
  slowCardStep: (() => Promise<void>) | null;
  /** Builds the weekly digest messages when the scheduler finds one due; null: digests are not planned. */
  buildDigest: BuildDigest | null;
  /** Where evidence files are kept (Node: EVIDENCE_DIR; Workers: the R2 binding EVIDENCE); null: files are refused. */
  evidenceStore: BlobStore | null;
  /** Feishu calls for files, read receipts and buzz; null offline (no LARK_APP_ID). */
  larkIm: LarkIm | null;
}
