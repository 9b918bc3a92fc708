// The weekly digest run: compute, store once per ISO week, and queue the card to leaders' and office chats.
// Safe to call from every scheduler pass and from overlapping processes: the week is claimed by one INSERT.
// The numbers come from src/domain/stats.ts over the stats store's input, the card from src/cards/digest-card.ts;
// the digests table and the audience are read and written through src/db/digest-store.ts, the outbox through
// src/db/outbox-store.ts.
//
// The folder src/reports/: what leaders and the office read as documents: this weekly digest run (the BuildDigest
// port the scheduler pass calls), and the 台账's report sheets (ledger-sheets.ts, evidence-sheet.ts) that
// src/export/ writes. Cards come from src/cards/, numbers from src/domain/, tables through src/db/ stores.
import type { Db } from '../db/client.js';
import { auditInsert } from '../db/audit.js';
import { claimDigestWeek, digestAudience, digestStored, previousDigest, releaseDigestClaim, storedDigestCard } from '../db/digest-store.js';
import { enqueueOutbox } from '../db/outbox-store.js';
import { loadStatsInput } from '../db/stats-store.js';
import { renderDigestCard } from '../cards/digest-card.js';
import { digestWeekKey, isDigestDue } from '../domain/digest.js';
import { shanghaiDate } from '../domain/dates.js';
import { computeStats, summarizeStats, type Stats, type StatsSummary } from '../domain/stats.js';
import type { OutboundMessage } from '../domain/types.js';
import type { Logger } from '../logger.js';
import type { BuildDigest } from '../ports.js';

export { isDigestDue } from '../domain/digest.js';

export interface DigestDeps {
  db: Db;
  logger?: Logger;
}

export interface DigestRecipient {
  receiveIdType: 'chat_id' | 'open_id';
  receiveId: string;
  /** 'chat:leaders' | 'chat:office' | 'person:leader' | 'person:office' */
  via: string;
}

export type DigestStatus = 'sent' | 'already_sent' | 'not_due' | 'dry_run' | 'no_plan';

export interface DigestRunResult {
  status: DigestStatus;
  weekKey: string;
  today: string;
  stats?: Stats;
  card?: Record<string, unknown>;
  /** The stored digest compared against (null for the first one). */
  previous?: { weekKey: string; summary: StatsSummary } | null;
  recipients: DigestRecipient[];
  outboxIds: number[];
}

export interface DigestRunOptions {
  /** Build and return the card; store and send nothing. */
  dryRun?: boolean;
  /** Skip the "first working day, 09:00" check (CLI); the once-per-week claim still applies. */
  force?: boolean;
  planId?: number;
  /** Who runs it, for the audit log: 'scheduler' (default) or 'cli'. */
  actor?: 'scheduler' | 'cli';
}

/** The latest stored digest of a week before weekKey (src/db/digest-store.ts). */
export { previousDigest };

/** The digest as of `at` without storing anything (also what `周报` answers with). */
export async function buildDigest(db: Db, at: number, planId?: number) {
  const today = shanghaiDate(at);
  const weekKey = digestWeekKey(at);
  const input = await loadStatsInput(db, planId, today);
  const stats = computeStats(input);
  const previous = await previousDigest(db, weekKey);
  const card = renderDigestCard(stats, previous?.summary ?? null);
  return { today, weekKey, stats, previous, card, hasPlan: input.planId !== null };
}

/**
 * Who gets the digest, for leaders and for the office each: their registered chats ('leaders' / 'office'), or when
 * that group has none (never registered, or the bot was removed from it), its people by direct message.
 */
export async function digestRecipients(db: Db): Promise<DigestRecipient[]> {
  const { chatRows, personRows } = await digestAudience(db);
  const seen = new Set<string>();
  const out: DigestRecipient[] = [];
  for (const [purpose, role] of [['leaders', 'leader'], ['office', 'office']] as const) {
    const groups = chatRows.filter((c) => c.purpose === purpose);
    if (groups.length) {
      for (const c of groups) out.push({ receiveIdType: 'chat_id', receiveId: c.chatId, via: `chat:${c.purpose}` });
      continue;
    }
    for (const p of personRows) {
      if (p.role !== role || !p.openId || seen.has(p.openId)) continue;
      seen.add(p.openId);
      out.push({ receiveIdType: 'open_id', receiveId: p.openId, via: `person:${p.role}` });
    }
  }
  return out;
}

/** One outbox message per recipient; the key names the week and the recipient, so it is sent at most once. */
export function digestMessages(weekKey: string, card: Record<string, unknown>, recipients: DigestRecipient[]): OutboundMessage[] {
  return recipients.map((r) => ({
    dedupeKey: `digest:${weekKey}:${r.receiveIdType}:${r.receiveId}`,
    op: 'send',
    receiveIdType: r.receiveIdType,
    receiveId: r.receiveId,
    msgType: 'interactive',
    content: card,
    purpose: 'digest',
  }));
}

/**
 * The scheduler's digest hook (`SchedulerDeps.buildDigest`): the pass decides the digest is due and claims its
 * step; this stores the week's digest (or reuses the one already stored, e.g. sent from the CLI) and returns
 * the messages for the pass to queue. Re-running it is harmless: the messages' keys are per week and recipient.
 */
export function createDigestHook(deps: DigestDeps): BuildDigest {
  return async ({ now }) => {
    const built = await buildDigest(deps.db, now);
    if (!built.hasPlan) return [];
    const claimed = await claimDigestWeek(deps.db, {
      weekKey: built.weekKey,
      generatedAt: now,
      stats: summarizeStats(built.stats) as unknown as Record<string, unknown>,
      card: JSON.stringify(built.card),
    });
    let card = built.card;
    if (claimed !== null) {
      await auditInsert(deps.db, {
        at: now,
        actor: 'scheduler',
        channel: 'system',
        action: 'digest.stored',
        entity: 'digest',
        entityId: built.weekKey,
        detail: { red: built.stats.lights.red, overdue: built.stats.overdue.length },
      });
    } else {
      const stored = await storedDigestCard(deps.db, built.weekKey);
      if (stored !== undefined) card = JSON.parse(stored) as Record<string, unknown>;
    }
    const recipients = await digestRecipients(deps.db);
    if (recipients.length === 0) {
      deps.logger?.warn('周报已生成，但没有接收对象：请在领导群或办公室群发送「本群设为 领导群/办公室群」', { weekKey: built.weekKey });
    }
    return digestMessages(built.weekKey, card, recipients);
  };
}

/**
 * One digest run at instant `at`. Not due (before 09:00 of the week's first working day) → nothing. Otherwise
 * the week is claimed by inserting its `digests` row (unique week_key); only the winner queues the card, one
 * outbox row per recipient keyed 'digest:<week>:<type>:<id>'. If queueing fails the claim is released so the
 * next pass retries.
 */
export async function runDigest(deps: DigestDeps, at: number, opts: DigestRunOptions = {}): Promise<DigestRunResult> {
  const { db } = deps;
  const today = shanghaiDate(at);
  const weekKey = digestWeekKey(at);
  if (!opts.force && !opts.dryRun && !isDigestDue(at)) {
    return { status: 'not_due', weekKey, today, recipients: [], outboxIds: [] };
  }
  if (!opts.dryRun) {
    // Cheap check first so a pass later in the week does not compute the whole plan for nothing.
    if (await digestStored(db, weekKey)) return { status: 'already_sent', weekKey, today, recipients: [], outboxIds: [] };
  }
  const built = await buildDigest(db, at, opts.planId);
  const base = { weekKey, today, stats: built.stats, card: built.card, previous: built.previous };
  if (!built.hasPlan) return { ...base, status: 'no_plan', recipients: [], outboxIds: [] };
  const recipients = await digestRecipients(db);
  if (opts.dryRun) return { ...base, status: 'dry_run', recipients, outboxIds: [] };

  const claimed = await claimDigestWeek(db, {
    weekKey,
    generatedAt: at,
    stats: summarizeStats(built.stats) as unknown as Record<string, unknown>,
    card: JSON.stringify(built.card),
  });
  if (claimed === null) return { ...base, status: 'already_sent', recipients: [], outboxIds: [] };

  const messages = digestMessages(weekKey, built.card, recipients);
  let outboxIds: number[];
  try {
    outboxIds = await enqueueOutbox(db, messages, at);
    await auditInsert(db, {
      at,
      actor: opts.actor ?? 'scheduler',
      channel: opts.actor === 'cli' ? 'cli' : 'system',
      action: 'digest.queued',
      entity: 'digest',
      entityId: weekKey,
      detail: { recipients: recipients.length, red: built.stats.lights.red, overdue: built.stats.overdue.length },
    });
  } catch (e) {
    await releaseDigestClaim(db, claimed);
    throw e;
  }
  if (recipients.length === 0) {
    deps.logger?.warn('周报已生成，但没有接收对象：请在领导群或办公室群发送「本群设为 领导群/办公室群」', { weekKey });
  }
  return { ...base, status: 'sent', recipients, outboxIds };
}
