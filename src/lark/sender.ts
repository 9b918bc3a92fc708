// The outbox sender: claims due rows with one conditional UPDATE, delivers them within Feishu's rate limits with
// each row's deterministic uuid, and records the outcome (sent / retry with backoff / failed with a reason). The
// statements are the outbox delivery store's (db/outbox-delivery.ts); the Messenger gets a plain envelope.
import type { AppDeps } from '../deps.js';
import type { Db } from '../db/client.js';
import type { OutboxRow } from '../db/outbox-store.js';
import {
  claimOutboxRows, clearOutageBreaker, markOutboxFailed, markOutboxSent, readOutageBreaker, releaseRow, retryOutboxRow,
  tripOutageBreaker, wakeRetries,
} from '../db/outbox-delivery.js';
import type { DeliverResult, DrainResult, OutboundEnvelope } from '../ports.js';
import { err } from '../domain/result.js';
import { createRateLimiter, type RateLimiter } from './rate-limiter.js';
import { alertOfficeUndelivered } from '../db/undelivered.js';
import { StoredCardError, wireContent } from '../cards/stored-card.js';
import { LATE_NOTE_AFTER_MS, lateNoteText, withLateNote } from '../cards/late-note.js';

export interface DrainOptions {
  /** DB time for claims and schedules (epoch ms); default deps.clock() at each step. */
  now?: number;
  maxMessages?: number;
  /** Stop starting new sends after this long (limiter clock). Default 20 s. */
  maxMs?: number;
  limiter?: RateLimiter;
  /** How long a claim is held before another sender may take the row over. Default 60 s. */
  leaseMs?: number;
  batchSize?: number;
  /** The instant a late note measures against (a rehearsal's `tick --at`); default the claim time. */
  deliveredAt?: number;
}

// A transient failure is retried forever (an outage of any length loses nothing): the backoff grows to this cap
// and stays there. Only a permanent error (domain/send-errors.ts) stops a row, as 'failed', shown to the office (未送达).
const BACKOFF_BASE_MS = 2_000;
export const BACKOFF_CAP_MS = 15 * 60_000;
/** Messages whose late arrival is said on them (lateNoteText). */
const LATE_NOTE_PURPOSES = new Set(['reminder', 'escalation']);
/** A row waiting longer than this behind a rate limit goes back to the queue instead of holding the drain. */
const MAX_INLINE_WAIT_MS = 2_000;

/** What the Messenger needs of a claimed row: the plain envelope (src/ports.ts), with the content as sent. */
function envelopeOf(row: OutboxRow, content: string): OutboundEnvelope {
  return {
    id: row.id,
    op: row.op,
    receiveIdType: row.receiveIdType,
    receiveId: row.receiveId,
    targetMessageId: row.targetMessageId,
    msgType: row.msgType,
    content,
    uuid: row.uuid,
  };
}

export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1), BACKOFF_CAP_MS);
  return Math.round(base * (0.75 + 0.5 * random()));
}

/** Rate-limit key: the receiver for sends; for replies and patches the receiver when known, else the target. */
export function rateKeyOf(row: OutboxRow): string {
  if (row.receiveId) return `${row.receiveIdType ?? 'id'}:${row.receiveId}`;
  return `msg:${row.targetMessageId ?? row.id}`;
}

async function recordOutcome(
  db: Db,
  row: OutboxRow,
  res: DeliverResult,
  now: number,
  limiter: RateLimiter,
  officeOpenIds: string[],
): Promise<keyof DrainResult> {
  if (res.ok) {
    await markOutboxSent(db, row, res.value, now);
    return 'sent';
  }
  const f = res.error;
  if (f.rateLimited) {
    const wait = Math.max(f.retryAfterMs ?? 1000, 200);
    limiter.block(f.rateLimited === 'app' ? null : rateKeyOf(row), wait);
    // Being told to slow down is not a failed attempt.
    await retryOutboxRow(db, row, { at: now + wait, refundAttempt: true, reason: f.reason, code: f.code });
    return 'rateLimited';
  }
  if (f.outage) {
    // Not this row's fault: it stays due, in its place in the queue, and goes first once Feishu answers again.
    await retryOutboxRow(db, row, { at: now, refundAttempt: false, reason: f.reason, code: f.code });
    return 'retried';
  }
  if (f.permanent) {
    await markOutboxFailed(db, row, f.reason, f.code);
    // Put it in front of the office (once a day): 未送达 lists it with what to do.
    await alertOfficeUndelivered(db, officeOpenIds, row, now);
    return 'failed';
  }
  await retryOutboxRow(db, row, { at: now + backoffMs(row.attempts), refundAttempt: false, reason: f.reason, code: f.code });
  return 'retried';
}

/**
 * Deliver due outbox rows until none is due, maxMessages were handled, or maxMs passed.
 * Safe to run concurrently in several processes/isolates: a row is only ever held by one claim at a time.
 *
 * The outage breaker (a row in `leases`, so every process and isolate sees it; db/outbox-delivery.ts): after Feishu
 * failed as a whole (unreachable, timeouts, 5xx) n times in a row, no drain sends before `until` = last failure +
 * backoffMs(n) (capped at 15 minutes); then one drain probes with the oldest due row. The rows keep their order
 * meanwhile, so after an outage of any length the backlog goes out oldest first.
 */
export async function drainOutbox(
  deps: Pick<AppDeps, 'db' | 'clock' | 'messenger' | 'logger'> & Partial<Pick<AppDeps, 'config'>>,
  opts: DrainOptions = {},
): Promise<DrainResult> {
  const limiter = opts.limiter ?? createRateLimiter();
  const dbNow = () => opts.now ?? deps.clock();
  const maxMessages = opts.maxMessages ?? Infinity;
  const maxMs = opts.maxMs ?? 20_000;
  const leaseMs = opts.leaseMs ?? 60_000;
  const batchSize = opts.batchSize ?? 10;
  const started = limiter.now();
  const result: DrainResult = { sent: 0, failed: 0, retried: 0, rateLimited: 0 };
  let handled = 0;
  let breaker = await readOutageBreaker(deps.db);
  if (breaker && breaker.until > dbNow()) return result;

  while (handled < maxMessages && limiter.now() - started < maxMs) {
    const rows = await claimOutboxRows(deps.db, dbNow(), Math.min(batchSize, maxMessages - handled), leaseMs);
    if (rows.length === 0) break;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const key = rateKeyOf(row);
      let wait = limiter.waitFor(key);
      const outOfTime = limiter.now() + wait - started >= maxMs;
      if (wait > MAX_INLINE_WAIT_MS || outOfTime) {
        await releaseRow(deps.db, row, dbNow() + wait);
        if (outOfTime) {
          for (const rest of rows.slice(i + 1)) await releaseRow(deps.db, rest, dbNow());
          return result;
        }
        continue;
      }
      while (wait > 0) {
        await limiter.sleep(wait);
        wait = limiter.waitFor(key);
      }
      let res: DeliverResult;
      try {
        let content = wireContent(row.content);
        const dueAt = row.dueAt ?? row.createdAt;
        if (LATE_NOTE_PURPOSES.has(row.purpose) && (opts.deliveredAt ?? dbNow()) - dueAt > LATE_NOTE_AFTER_MS) {
          content = withLateNote(row.msgType, content, lateNoteText(dueAt, row.attempts > 1));
        }
        res = await deps.messenger.deliver(envelopeOf(row, content));
      } catch (thrown) {
        res =
          thrown instanceof StoredCardError
            ? err({ permanent: true, code: -2, reason: `卡片无法生成：${thrown.message}` })
            : err({ permanent: false, code: -1, reason: `发送出错：${(thrown as Error).message}` });
      }
      // Counted when the call completes: Feishu saw it no later than that, so the window can never be undercut.
      limiter.record(key);
      const outcome = await recordOutcome(deps.db, row, res, dbNow(), limiter, deps.config?.OFFICE_OPEN_IDS ?? []);
      result[outcome] += 1;
      handled += 1;
      if (res.ok && breaker) {
        await clearOutageBreaker(deps.db);
        breaker = undefined;
        deps.logger.info('outbox: Feishu answers again; sending the backlog oldest first');
      }
      if (res.ok && row.attempts > 1) await wakeRetries(deps.db, dbNow());
      if (!res.ok) {
        deps.logger[outcome === 'failed' ? 'warn' : 'info']('outbox: message not sent', {
          id: row.id,
          outcome,
          code: res.error.code,
          reason: res.error.reason,
        });
        if (res.error.outage) {
          // Feishu is down or unreachable: the rest of the slice goes back untouched (no attempt counted) rather
          // than each waiting out its own timeout; after the breaker's wait a drain probes with the oldest row.
          const failures = (breaker?.failures ?? 0) + 1;
          await tripOutageBreaker(deps.db, dbNow() + backoffMs(failures), failures);
          for (const rest of rows.slice(i + 1)) await releaseRow(deps.db, rest, dbNow());
          return result;
        }
      }
    }
  }
  return result;
}

export interface OutboxLoop {
  start(): void;
  /** Drain now (coalesced with a drain already running). */
  kick(): void;
  /** Stop the timer and wait for the drain in progress. */
  stop(): Promise<void>;
}

/** Node: drain every intervalMs and whenever kicked; one drain at a time; one limiter for the process. */
export function createOutboxLoop(
  deps: Pick<AppDeps, 'db' | 'clock' | 'messenger' | 'logger'> & Partial<Pick<AppDeps, 'config'>>,
  opts: { intervalMs?: number; limiter?: RateLimiter } = {},
): OutboxLoop {
  const limiter = opts.limiter ?? createRateLimiter();
  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const run = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = drainOutbox(deps, { limiter, maxMs: 5_000 })
      .then(() => undefined)
      .catch((err) => deps.logger.error('outbox drain failed', { error: (err as Error).message }))
      .finally(() => {
        running = undefined;
        if (again && !stopped) {
          again = false;
          run();
        }
      });
  };

  return {
    start() {
      if (timer || stopped) return;
      timer = setInterval(run, opts.intervalMs ?? 1000);
      timer.unref?.();
      run();
    },
    kick: run,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      while (running) await running;
    },
  };
}
