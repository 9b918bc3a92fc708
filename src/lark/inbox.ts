// Processing a recorded Feishu event, after the ack or by the pending sweep: claim it (db/inbox-store.ts), read its
// stored body back, normalise it (./normalize.ts) and hand it to the one inbound entry point, deps.inbound (the
// InboundHandler port, src/ports.ts; implemented by commands/inbound.ts). This file keeps only what is Feishu-specific
// (the stored body, the bot's identity for mentions, the files a message carries) and the retry bookkeeping; the
// de-dup rows themselves live in the inbound store.
import type { AppDeps } from '../deps.js';
import { pruneOutbox } from '../db/outbox-store.js';
import {
  claimInbound, claimPendingInbound, finishQuery, inboundPayload, MAX_INBOUND_ATTEMPTS, messageKey, pruneInbound,
  reclaimOwnedInbound, retryInboundAfter, settleInbound, type ClaimedInbound,
} from '../db/inbox-store.js';
import { attachmentsOf, type Attachment } from '../domain/evidence.js';
import type { OwnedInbound } from '../ports.js';
import { normalizeLarkBody } from './normalize.js';
import { botOpenIdFor } from './bot-identity.js';

/** Run one stored event through the inbound entry point, once. Returns true when this call processed it. */
export async function runInboundEvent(deps: AppDeps, key: string, now: number): Promise<boolean> {
  const row = await claimInbound(deps.db, key, now);
  if (!row) return false;
  await processClaimed(deps, { key, payload: row.payload, attempts: row.attempts, checkOwner: true }, now);
  return true;
}

/** Leave this much of the claim for the processing itself; closer to its end, claim again first. */
const OWNED_CLAIM_MARGIN_MS = 20_000;

/** Process an event recorded by this process for itself. Returns true when this call processed it. */
export async function runOwnedInbound(deps: AppDeps, ev: OwnedInbound, now: number): Promise<boolean> {
  let attempts = 1;
  if (now > ev.claimedUntil - OWNED_CLAIM_MARGIN_MS) {
    const again = await reclaimOwnedInbound(deps.db, ev, now);
    if (again === undefined) return false;
    attempts = again;
  }
  // Only the key waited in memory: the body is read back from the row written at the ack.
  const payload = (await inboundPayload(deps.db, ev.key)) ?? null;
  // Both de-dup rows were inserted by this process in one statement: the message is this event's.
  await processClaimed(deps, { key: ev.key, payload, attempts, checkOwner: false }, now);
  return true;
}

async function processClaimed(
  deps: AppDeps,
  ev: { key: string; payload: string | null; attempts: number; checkOwner: boolean },
  now: number,
): Promise<void> {
  const { key } = ev;
  try {
    const body = parseStored(ev.payload);
    // The bot's identity matters only for a message's mentions: not looked up for other events.
    const botOpenId = body.header && (body.header as Record<string, unknown>).event_type === 'im.message.receive_v1' ? await botOpenIdFor(deps) : undefined;
    const n = normalizeLarkBody(body, { botOpenId });
    if (n.kind === 'lifecycle') {
      await deps.inbound.lifecycle(n.event, n.eventId, now);
      await settleInbound(deps.db, key, 'done', now);
      return;
    }
    if (n.kind !== 'message') {
      await settleInbound(deps.db, key, 'ignored', now);
      return;
    }
    const msg = n.message;
    if (ev.checkOwner) {
      // A crash between recording and marking a duplicate leaves a pending row: check who owns the message.
      const owner = await inboundPayload(deps.db, messageKey(msg.messageId));
      if (owner !== undefined && owner !== key) {
        await settleInbound(deps.db, key, 'duplicate', now);
        return;
      }
    }
    // The event is marked done in the same commit as the reply, so a crash cannot answer twice or not at all.
    const finished = await deps.inbound.message(msg, filesOf(body), now, [finishQuery(deps.db, key, 'done', now)]);
    if (!finished) await settleInbound(deps.db, key, 'done', now);
  } catch (err) {
    const message = String((err as Error)?.message ?? err).slice(0, 500);
    deps.logger.error('inbound event failed', { key, attempt: ev.attempts, error: message });
    if (ev.attempts >= MAX_INBOUND_ATTEMPTS) {
      await settleInbound(deps.db, key, 'failed', now, message);
    } else {
      // Stay pending; the lease doubles as "not before" for the retry.
      const wait = Math.min(5_000 * 2 ** (ev.attempts - 1), 30 * 60_000);
      await retryInboundAfter(deps.db, key, now + wait, message);
    }
  }
}

/** The files a message event carries (image, file, media, a post's images): evidence, for the inbound entry point. */
function filesOf(body: Record<string, unknown>): Attachment[] {
  const m = ((body.event as Record<string, unknown> | undefined)?.message ?? {}) as { message_type?: unknown; content?: unknown };
  if (typeof m.content !== 'string' || typeof m.message_type !== 'string') return [];
  return attachmentsOf(m.message_type, m.content);
}

/** A stored body; one that does not parse normalises as invalid and is marked ignored. */
function parseStored(payload: string | null): Record<string, unknown> {
  try {
    return JSON.parse(payload ?? '{}') as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Process after the ack: the deferred half of an inbound message recorded (and claimed) for this process. */
export async function processInboundAfterAck(deps: AppDeps, ev: OwnedInbound): Promise<void> {
  if (await runOwnedInbound(deps, ev, deps.clock())) await deps.outbox.sendQueued();
}

/**
 * Pick up events left pending (crash, a failure waiting for its retry, an overflow of the work queue), and prune
 * old de-dup rows (`prune: false` for the quick slices that drain an overflow).
 */
export async function processPendingInbound(deps: AppDeps, now: number, limit = 50, opts: { prune?: boolean } = {}): Promise<number> {
  const claimed = await claimPendingInbound(deps.db, now, limit);
  for (const row of claimed) await runClaimedInbound(deps, row, now);
  if (opts.prune !== false) {
    await pruneInbound(deps.db, now);
    await pruneOutbox(deps.db, now);
  }
  if (claimed.length) await deps.outbox.sendQueued(now);
  return claimed.length;
}

/** Process an event claimed by claimPendingInbound. */
export async function runClaimedInbound(deps: AppDeps, row: ClaimedInbound, now: number): Promise<void> {
  await processClaimed(deps, { key: row.key, payload: row.payload, attempts: row.attempts, checkOwner: true }, now);
}
