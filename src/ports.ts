// The port interfaces the core needs from its runtime, defined where the core can see them (implementations live at
// the edges: lark/ for Feishu, reports/ for the digest). Imports nothing of src/ but domain/ types.
import type { OutboundMessage } from './domain/types.js';

/** What one outbox flush did (the Lark sender's drainOutbox returns exactly this). */
export interface OutboxFlushResult {
  sent: number;
  failed: number;
  retried: number;
  rateLimited: number;
}

/**
 * Delivers pending outbox rows. `flush(at)` sends what is due at `at` now and says what it did; `kick()` wakes the
 * runtime's own sender without waiting (Node: the outbox loop; where there is none, a no-op).
 */
export interface OutboxFlush {
  flush(at: number): Promise<OutboxFlushResult>;
  kick(): void;
}

/** What the scheduler pass hands the digest builder when the weekly digest is due. */
export interface DigestHookInput {
  weekKey: string;
  /** The Shanghai date of the pass. */
  date: string;
  now: number;
}

/** Builds the weekly digest messages (reports/ owns the digest card); the pass queues what it returns. */
export type BuildDigest = (input: DigestHookInput) => Promise<OutboundMessage[]>;
