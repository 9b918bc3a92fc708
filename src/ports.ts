// The ports: every interface the core (commands/, evidence/, scheduler/, lark/'s inbox) needs from the world outside
// it, defined here where all of them can see it. Imports only src/domain types; the implementations live with their
// technology and are chosen by the composition roots (src/compose.ts, node.ts, worker.ts, the test helpers):
//   Messenger          lark/messenger.ts (the Lark SDK; a console printer offline)
//   InboundRecorder    db/inbox-store.ts (one statement per event; the Node service's group commit)
//   InboundHandler     commands/inbound.ts (the one inbound entry point)
//   AfterAck           node.ts (the work queue), compose.ts (deps.defer: ctx.waitUntil on Workers, tracked in tests)
//   OutboxFlush        lark/outbox-flush.ts (the scheduled jobs' flush; Outbox: the runtime's, loop or inline)
//   SentMessageLookup  db/sent-messages.ts
//   ContactDirectory   lark/contact.ts (contact.v3; offline and static directories)
//   BlobStore          evidence/blob-store.ts (R2, memory), evidence/blob-fs.ts (EVIDENCE_DIR)
//   LarkIm             lark/im-extras.ts
//   LarkCrypto         lark/crypto.ts (WebCrypto), lark/crypto-node.ts (node:crypto)
//   IntakeGauge        lark/work-queue.ts
//   BuildDigest        reports/digest-run.ts
import type { Attachment } from './domain/evidence.js';
import { DubanError } from './domain/errors.js';
import type { Result } from './domain/result.js';
import type { CardAction, CardActionResult, IncomingMessage, LifecycleEvent, OutboundMessage } from './domain/types.js';

// ——— Outbound: one message to Feishu ———

/**
 * What the Messenger delivers: one message, as Feishu's send / reply / patch calls take it. The outbox drain
 * (lark/sender.ts) maps a claimed outbox row to this.
 */
export interface OutboundEnvelope {
  /** The sender's reference for this delivery (the outbox row's id): for logs and tests, never sent to Feishu. */
  id: number;
  /** send | reply | patch */
  op: string;
  /** send: who receives it (open_id | chat_id | …); reply: where a recalled target's reply goes instead. */
  receiveIdType: string | null;
  receiveId: string | null;
  /** reply: the message replied to; patch: the card message to update. */
  targetMessageId: string | null;
  /** text | post | interactive */
  msgType: string;
  /** The content as Feishu takes it: a JSON string. */
  content: string;
  /** Feishu de-duplicates sends and replies on it (derived from the outbox row's dedupe key). */
  uuid: string;
}

/** Why Feishu did not take a message, and what the sender should do about it. */
export interface SendFailure {
  /** Never retry (the office sees `reason`). */
  permanent: boolean;
  /** Over a rate limit: 'app' (99991400 / HTTP 429) or 'receiver' (230020). */
  rateLimited?: 'app' | 'receiver';
  /** Wait at least this long before the next try (from x-ogw-ratelimit-reset). */
  retryAfterMs?: number;
  /** Feishu could not be reached or answered 5xx: the sender stops this drain (an outage, not this row). */
  outage?: boolean;
  /** Feishu's code, the HTTP status, -1 (unreachable) or -2 (the message itself is unusable). */
  code: number;
  /** Chinese, for the office. */
  reason: string;
}

/** What one delivery did: the Feishu message id (empty for a card update by token), or why not. */
export type DeliverResult = Result<string, SendFailure>;

export interface BotInfo {
  openId: string;
  appName?: string;
  /** 2 = enabled (the only usable state); see LARK.md §1. */
  activateStatus?: number;
}

export interface Messenger {
  deliver(envelope: OutboundEnvelope): Promise<DeliverResult>;
  /** GET /open-apis/bot/v3/info (online only). Throws when Feishu cannot be reached or refuses. */
  botInfo?(): Promise<BotInfo>;
  /** POST /open-apis/interactive/v1/card/update with a card callback's token (online only). */
  updateCardByToken?(token: string, card: Record<string, unknown>): Promise<DeliverResult>;
}

/** What one outbox drain did. */
export interface DrainResult {
  sent: number;
  failed: number;
  retried: number;
  rateLimited: number;
}

/**
 * Delivering due outbox rows, as the scheduled jobs (scheduler/run.ts) need it: `flush(at)` sends what is due at
 * `at` now and says what it did; `kick()` wakes the runtime's own sender without waiting (Node: the outbox loop; where
 * there is none, a no-op).
 */
export interface OutboxFlush {
  /** Deliver the rows due at `at` now (within the runtime's time budget); what the drain did. */
  flush(at: number): Promise<DrainResult>;
  /** Wake the sender without waiting (Node: the loop; where no loop runs, nothing: the next drain sends). */
  kick(): void;
}

/**
 * The runtime's outbox (AppDeps.outbox): getting queued rows sent. Node: the in-process sender loop sends; Workers and
 * tests have no loop, so the work that queued a message drains the outbox itself. Implementations:
 * lark/outbox-flush.ts.
 */
export interface Outbox extends OutboxFlush {
  /**
   * Send what a piece of work after the ack just queued: Node kicks the loop; Workers and tests drain here (inside
   * the deferred work, so the reply goes out before the invocation ends).
   */
  sendQueued(now?: number): Promise<void>;
  /**
   * A background sender polls the outbox (Node's loop, here or in another process), rather than the work that
   * queued a message draining it: a reply may then be held a few seconds to merge several into one.
   */
  readonly background: boolean;
}

/** The bot message a reply answers (an outbox row the bot sent), as routing replies needs it. */
export interface SentMessage {
  op: string;
  dedupeKey: string;
  targetMessageId: string | null;
  assignmentId: number | null;
  taskId: number | null;
  /** The stored content (a card's renderer input for stored cards). */
  content: string;
}

export interface SentMessageLookup {
  /** The send or reply that produced Feishu message `messageId`, or undefined when the bot did not send it. */
  lookup(messageId: string): Promise<SentMessage | undefined>;
}

// ——— Inbound: from Feishu's request to the command layer ———

/** One inbound event to record (de-dup rows) at the ack. */
export interface RecordInbound {
  eventId: string;
  eventType: string;
  messageId?: string;
  payload: Record<string, unknown>;
  status?: string;
  /**
   * Record the event already claimed by this process until this instant (its first attempt), because it is about
   * to be processed here: no second write to claim it.
   */
  claimUntil?: number;
}

/**
 * Records events like recordInboundEvent (db/inbox-store.ts): resolves false when the event (or its message) was
 * seen before. Workers and tests: one statement per event; the Node service groups them (createInboundRecorder).
 */
export type InboundRecorder = (ev: RecordInbound, now: number) => Promise<boolean>;

/** An event this process recorded already claimed (RecordInbound.claimUntil), about to be processed here. */
export interface OwnedInbound {
  key: string;
  claimedUntil: number;
}

/**
 * Runs the processing of an acknowledged event after the ack. Node: the work queue (lark/work-queue.ts), which may be
 * full; Workers: ctx.waitUntil; tests: tracked deferred work.
 */
export interface AfterAck {
  /** Whether `take` would run an event now; false: the route records the event unclaimed for the pending sweep. */
  hasRoom(): boolean;
  /**
   * Process an event recorded claimed for this process, after the ack. If it cannot be taken after all (filled up
   * meanwhile), the claim is let go and the event left to the sweep.
   */
  take(owned: OwnedInbound): Promise<void>;
  /** An event was stored pending (no room): have the sweep take it as soon as there is room. */
  leftPending(): void;
}

/** Counts inbound requests between arrival and answer; work after the ack yields to them (lark/work-queue.ts). */
export interface IntakeGauge {
  begin(): void;
  end(): void;
  busy(): boolean;
}

/** The two operations inbound verification needs; results may be sync (node:crypto) or async (WebCrypto). */
export interface LarkCrypto {
  /** X-Lark-Signature: lowercase hex SHA-256 over timestamp + nonce + encryptKey + the raw body bytes. */
  signature(timestamp: string, nonce: string, encryptKey: string, rawBody: Uint8Array): string | Promise<string>;
  /** Decrypt an `{"encrypt": …}` payload to its UTF-8 text; throws DecryptError. */
  decrypt(encryptKey: string, encrypted: string): string | Promise<string>;
}

/**
 * THE inbound entry point: lark/ verifies, normalises and records each event, then hands it here (implemented by
 * commands/inbound.ts): text to the commands, files to evidence intake, card actions, lifecycle events.
 */
export interface InboundHandler {
  /**
   * A message, processed once. `done` are writes (the inbox marking the event processed) to commit in the same batch
   * as the reply, so a crash cannot answer twice or not at all. Resolves true when they were committed, false when
   * nothing was written (already answered): the inbox then writes them alone.
   */
  message(msg: IncomingMessage, files: Attachment[], now: number, done: unknown[]): Promise<boolean>;
  /** A press or form submit on a card: answered inline (toast and/or the card to show). */
  cardAction(action: CardAction, now: number): Promise<CardActionResult>;
  /** A lifecycle event (bot added/removed, disbanded, recall, p2p chat entered); idempotent per eventId. */
  lifecycle(ev: LifecycleEvent, eventId: string, now: number): Promise<void>;
}

// ——— People and files ———

export interface ResolvedContact {
  /** The email or mobile as asked. */
  key: string;
  openId: string | null;
}

export interface ContactDirectory {
  /** Resolve emails and mobiles (any mix) to open_ids; unknown ones come back with openId null. */
  resolve(keys: string[]): Promise<ResolvedContact[]>;
  /** A person's name by open_id (contact.v3.user.get); null when the directory does not say. Never throws. */
  nameOf?(openId: string): Promise<string | null>;
}

/** The directory cannot be asked at all (no Feishu credentials): the message says what to do instead. */
export class ContactDirectoryUnavailable extends DubanError {
  constructor(message: string) {
    super('contact_directory_unavailable', message);
  }
}

export interface StoredBlob {
  bytes: Uint8Array;
  contentType: string;
}

/** Where evidence files are kept, content-addressed by sha256. */
export interface BlobStore {
  /** Store bytes under their sha256 (idempotent: the same content twice is one blob). */
  put(sha256: string, bytes: Uint8Array, contentType: string): Promise<void>;
  get(sha256: string): Promise<StoredBlob | null>;
  delete(sha256: string): Promise<void>;
}

/** Why a Feishu IM call failed: Feishu's code (or HTTP status, -1 unreachable), the reason in Chinese, and whether retrying cannot help. */
export interface ImFailure {
  code: number;
  reason: string;
  permanent: boolean;
}

export type ImResult<T> = Result<T, ImFailure>;

export interface Resource {
  bytes: Uint8Array;
  contentType: string;
  /** Full size: Content-Length, else the bytes counted (the read stops just past `maxBytes`). */
  size: number;
}

/** The Feishu calls behind evidence, read receipts and buzz. */
export interface LarkIm {
  fetchResource(messageId: string, fileKey: string, type: 'image' | 'file', maxBytes: number): Promise<ImResult<Resource>>;
  /** The open_ids of everyone who read a message the bot sent. */
  readUsers(messageId: string): Promise<ImResult<string[]>>;
  /** Buzz these users on a message the bot sent; returns the ids Feishu refused (the rest were buzzed). */
  urgentApp(messageId: string, openIds: string[]): Promise<ImResult<{ invalid: string[] }>>;
}

// ——— The weekly digest ———

export interface DigestHookInput {
  weekKey: string;
  /** The Shanghai date of the pass. */
  date: string;
  now: number;
}

/** Builds the weekly digest messages (another module owns the digest card); the pass queues what it returns. */
export type BuildDigest = (input: DigestHookInput) => Promise<OutboundMessage[]>;
