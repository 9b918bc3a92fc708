// The outbox sender: claims due rows with one conditional UPDATE, delivers them within Feishu's rate limits with
// each row's deterministic uuid, and records the outcome (sent / retry with backoff / failed with a reason).
import { and, asc, eq, inArray, lt, lte, or, sql } from 'drizzle-orm';
import type { AppDeps } from '../deps.js';
import type { Db } from '../db/client.js';
import { outbox } from '../db/schema.js';
import { preparedFor } from '../db/prepared.js';
import type { DeliverResult, OutboxRow } from './messenger.js';
import { createRateLimiter, type RateLimiter } from './rate-limiter.js';
import { StoredCardError, wireContent } from '../cards/stored-card.js';

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
}

export interface DrainResult {
  sent: number;
  failed: number;
  retried: number;
  rateLimited: number;
}

export const MAX_SEND_ATTEMPTS = 12;
const BACKOFF_BASE_MS = 2_000;
const BACKOFF_CAP_MS = 10 * 60_000;
/** A row waiting longer than this behind a rate limit goes back to the queue instead of holding the drain. */
const MAX_INLINE_WAIT_MS = 2_000;

export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1), BACKOFF_CAP_MS);
  return Math.round(base * (0.75 + 0.5 * random()));
}

/** Rate-limit key: the receiver for sends; for replies and patches the receiver when known, else the target. */
export function rateKeyOf(row: OutboxRow): string {
  if (row.receiveId) return `${row.receiveIdType ?? 'id'}:${row.receiveId}`;
  return `msg:${row.targetMessageId ?? row.id}`;
}

const dueCondition = (now: number) =>
  or(
    and(eq(outbox.status, 'pending'), lte(outbox.nextAttemptAt, now)),
    and(eq(outbox.status, 'sending'), lt(outbox.claimedUntil, now)),
  );

/** Claim up to `limit` due rows (including rows whose lease expired) in one conditional UPDATE. */
export async function claimOutboxRows(db: Db, now: number, limit: number, leaseMs: number): Promise<OutboxRow[]> {
  const ids = db
    .select({ id: outbox.id })
    .from(outbox)
    .where(dueCondition(now))
    .orderBy(asc(outbox.nextAttemptAt), asc(outbox.id))
    .limit(limit);
  const rows = await db
    .update(outbox)
    .set({ status: 'sending', claimedUntil: now + leaseMs, attempts: sql`${outbox.attempts} + 1` })
    .where(and(inArray(outbox.id, ids), dueCondition(now)))
    .returning();
  return rows.sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id);
}

async function releaseRow(db: Db, row: OutboxRow, at: number): Promise<void> {
  await db
    .update(outbox)
    .set({ status: 'pending', claimedUntil: null, nextAttemptAt: at, attempts: sql`max(${outbox.attempts} - 1, 0)` })
    .where(and(eq(outbox.id, row.id), eq(outbox.status, 'sending')));
}

async function recordOutcome(db: Db, row: OutboxRow, res: DeliverResult, now: number, limiter: RateLimiter): Promise<keyof DrainResult> {
  const mine = and(eq(outbox.id, row.id), eq(outbox.status, 'sending'));
  if (res.ok) {
    await db
      .update(outbox)
      .set({ status: 'sent', messageId: res.messageId, sentAt: now, claimedUntil: null, lastError: null, errorCode: null })
      .where(mine);
    return 'sent';
  }
  if (res.rateLimited) {
    const wait = Math.max(res.retryAfterMs ?? 1000, 200);
    limiter.block(res.rateLimited === 'app' ? null : rateKeyOf(row), wait);
    await db
      .update(outbox)
      .set({
        status: 'pending',
        claimedUntil: null,
        nextAttemptAt: now + wait,
        // Being told to slow down is not a failed attempt.
        attempts: sql`max(${outbox.attempts} - 1, 0)`,
        lastError: res.reason,
        errorCode: res.code,
      })
      .where(mine);
    return 'rateLimited';
  }
  if (res.permanent || row.attempts >= MAX_SEND_ATTEMPTS) {
    const reason = res.permanent ? res.reason : `重试 ${row.attempts} 次仍失败，已放弃：${res.reason}`;
    await db
      .update(outbox)
      .set({ status: 'failed', claimedUntil: null, lastError: reason, errorCode: res.code })
      .where(mine);
    return 'failed';
  }
  await db
    .update(outbox)
    .set({
      status: 'pending',
      claimedUntil: null,
      nextAttemptAt: now + backoffMs(row.attempts),
      lastError: res.reason,
      errorCode: res.code,
    })
    .where(mine);
  return 'retried';
}

/**
 * Deliver due outbox rows until none is due, maxMessages were handled, or maxMs passed.
 * Safe to run concurrently in several processes/isolates: a row is only ever held by one claim at a time.
 */
export async function drainOutbox(deps: Pick<AppDeps, 'db' | 'clock' | 'messenger' | 'logger'>, opts: DrainOptions = {}): Promise<DrainResult> {
  const limiter = opts.limiter ?? createRateLimiter();
  const dbNow = () => opts.now ?? deps.clock();
  const maxMessages = opts.maxMessages ?? Infinity;
  const maxMs = opts.maxMs ?? 20_000;
  const leaseMs = opts.leaseMs ?? 60_000;
  const batchSize = opts.batchSize ?? 10;
  const started = limiter.now();
  const result: DrainResult = { sent: 0, failed: 0, retried: 0, rateLimited: 0 };
  let handled = 0;

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
        res = await deps.messenger.deliver({ ...row, content: wireContent(row.content) });
      } catch (err) {
        res =
          err instanceof StoredCardError
            ? { ok: false, permanent: true, code: -2, reason: `卡片无法生成：${err.message}` }
            : { ok: false, permanent: false, code: -1, reason: `发送出错：${(err as Error).message}` };
      }
      // Counted when the call completes: Feishu saw it no later than that, so the window can never be undercut.
      limiter.record(key);
      const outcome = await recordOutcome(deps.db, row, res, dbNow(), limiter);
      result[outcome] += 1;
      handled += 1;
      if (!res.ok) {
        deps.logger[outcome === 'failed' ? 'warn' : 'info']('outbox: message not sent', {
          id: row.id,
          outcome,
          code: res.code,
          reason: res.reason,
        });
      }
    }
  }
  return result;
}

/** The outbox row for a message the bot sent (task / assignment it was about), to route replies to it. */
export async function lookupSentMessage(db: Db, messageId: string): Promise<OutboxRow | undefined> {
  // Card patches carry the id of the message they update: the original send/reply is what the message was about.
  const stmt = preparedFor(db, 'sender.sentMessage', (d) =>
    d
      .select()
      .from(outbox)
      .where(and(eq(outbox.messageId, sql.placeholder('messageId')), inArray(outbox.op, ['send', 'reply'])))
      .orderBy(asc(outbox.id))
      .limit(1)
      .prepare(),
  );
  const rows = await stmt.execute({ messageId });
  return rows[0];
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
  deps: Pick<AppDeps, 'db' | 'clock' | 'messenger' | 'logger'>,
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
