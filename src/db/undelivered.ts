// Undelivered messages in front of the office: outbox rows Feishu refused for good ('failed', a permanent error),
// and rows still retrying after a long time. Listed by reason with what to do (未送达 in chat, `npx duban outbox`),
// re-sent on request, and announced to the office once a day when new ones appear.
import { and, asc, eq, inArray, lt, ne, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { chats, outbox, people, roles, tasks, units } from './schema.js';
import { outboxInsert } from './outbox-store.js';
import { runBatch } from './batch.js';
import { formatDateZh, shanghaiDate, shanghaiMinutes } from '../domain/dates.js';
import { sendErrorInfo, hintFor } from '../domain/send-errors.js';
import { err, ok, type Result } from '../domain/result.js';

type Row = typeof outbox.$inferSelect;

/** A row still pending this long after it was due is shown as "still retrying". */
export const STUCK_AFTER_MS = 3600_000;

export interface UndeliveredReport {
  failed: Row[];
  stuck: Row[];
}

export async function listUndelivered(db: Db, now: number, limit = 500): Promise<UndeliveredReport> {
  const failed = await db.select().from(outbox).where(eq(outbox.status, 'failed')).orderBy(asc(outbox.id)).limit(limit);
  const stuck = await db
    .select()
    .from(outbox)
    .where(and(inArray(outbox.status, ['pending', 'sending']), lt(outbox.createdAt, now - STUCK_AFTER_MS), sql`${outbox.lastError} is not null`))
    .orderBy(asc(outbox.id))
    .limit(limit);
  return { failed, stuck };
}

const PURPOSE_ZH: Record<string, string> = {
  reminder: '提醒',
  escalation: '督办通知',
  digest: '周报',
  reply: '回复',
  notice: '通知',
  card_update: '卡片更新',
};

function when(ms: number): string {
  const m = shanghaiMinutes(ms);
  return `${formatDateZh(shanghaiDate(ms))} ${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** Names for receivers and task codes, so the list reads as people, chats and tasks rather than ids. */
async function labels(db: Db, rows: Row[]) {
  const openIds = [...new Set(rows.filter((r) => r.receiveIdType === 'open_id' && r.receiveId).map((r) => r.receiveId!))].slice(0, 90);
  const chatIds = [...new Set(rows.filter((r) => r.receiveIdType === 'chat_id' && r.receiveId).map((r) => r.receiveId!))].slice(0, 90);
  const taskIds = [...new Set(rows.map((r) => r.taskId).filter((x): x is number => !!x))].slice(0, 90);
  const names = new Map<string, string>();
  if (openIds.length) for (const p of await db.select({ o: people.openId, n: people.name }).from(people).where(inArray(people.openId, openIds))) if (p.o && p.n) names.set(p.o, p.n);
  if (chatIds.length)
    for (const c of await db.select({ id: chats.chatId, purpose: chats.purpose, unit: units.name }).from(chats).leftJoin(units, eq(units.id, chats.unitId)).where(inArray(chats.chatId, chatIds)))
      names.set(c.id, c.purpose === 'unit' ? `${c.unit ?? ''}群` : c.purpose === 'office' ? '办公室群' : '领导群');
  const codes = new Map<number, string>();
  if (taskIds.length) for (const t of await db.select({ id: tasks.id, code: tasks.code }).from(tasks).where(inArray(tasks.id, taskIds))) codes.set(t.id, t.code);
  return (r: Row) => {
    const to = r.receiveId ? (names.get(r.receiveId) ? `${names.get(r.receiveId)}（${r.receiveId}）` : r.receiveIdType === 'chat_id' ? `群 ${r.receiveId}` : r.receiveId) : `回复 ${r.targetMessageId ?? ''}`;
    const what = `${PURPOSE_ZH[r.purpose] ?? r.purpose}${r.taskId && codes.get(r.taskId) ? ` ${codes.get(r.taskId)}` : ''}`;
    return `#${r.id} ${when(r.dueAt ?? r.createdAt)} → ${to}｜${what}`;
  };
}

/** The Chinese listing: failed rows grouped by reason, each group with what to do; then rows still retrying. */
export async function formatUndelivered(db: Db, report: UndeliveredReport, opts: { perGroup?: number; retryHint: string } ): Promise<string[]> {
  const { failed, stuck } = report;
  if (!failed.length && !stuck.length) return ['没有未送达的消息。'];
  const line = await labels(db, [...failed, ...stuck]);
  const out: string[] = [];
  if (failed.length) {
    out.push(`未送达的消息 ${failed.length} 条（飞书拒收，不会自动重发）：`);
    const groups = new Map<string, Row[]>();
    for (const r of failed) {
      const k = String(r.errorCode ?? 'unknown');
      const g = groups.get(k);
      if (g) g.push(r);
      else groups.set(k, [r]);
    }
    const per = opts.perGroup ?? 10;
    for (const [code, rows] of [...groups.entries()].sort((a, b) => b[1].length - a[1].length)) {
      const c = code === 'unknown' ? null : Number(code);
      const reason = sendErrorInfo(c)?.reason ?? rows[0]!.lastError?.replace(/\s*\(\d+\)$/, '') ?? '未知原因';
      out.push(`【${reason}${c !== null ? `（${c}）` : ''}】${rows.length} 条`);
      out.push(`  处理：${hintFor(c)}`);
      for (const r of rows.slice(0, per)) out.push(`  ${line(r)}`);
      if (rows.length > per) out.push(`  ……还有 ${rows.length - per} 条`);
    }
  }
  if (stuck.length) {
    out.push(`仍在自动重试的消息 ${stuck.length} 条（飞书暂时不可用或限流，恢复后按先后顺序送达，无需处理）：`);
    for (const r of stuck.slice(0, opts.perGroup ?? 10)) out.push(`  ${line(r)}：${r.lastError ?? ''}`);
    if (stuck.length > (opts.perGroup ?? 10)) out.push(`  ……还有 ${stuck.length - (opts.perGroup ?? 10)} 条`);
  }
  out.push(opts.retryHint);
  return out;
}

/** How many rows were queued again, or why not (Chinese). */
export type RetryOutcome = Result<number>;

/** Re-send one failed row (by id) or every failed row: due now, attempts from zero, same uuid. */
export async function retryUndelivered(db: Db, which: number | 'all', now: number): Promise<RetryOutcome> {
  const reset = { status: 'pending', attempts: 0, nextAttemptAt: now, claimedUntil: null, lastError: null, errorCode: null } as const;
  if (which === 'all') {
    const rows = await db.update(outbox).set(reset).where(eq(outbox.status, 'failed')).returning({ id: outbox.id });
    return ok(rows.length);
  }
  const row = (await db.select({ status: outbox.status }).from(outbox).where(eq(outbox.id, which)))[0];
  if (!row) return err(`没有编号为 ${which} 的消息。用「npx duban outbox list」查看未送达的消息及编号。`);
  if (row.status === 'sent') return err(`消息 #${which} 已经送达，无需重发。`);
  if (row.status === 'cancelled') return err(`消息 #${which} 已改为私信发送（原群已不可用），无需重发。`);
  // A pending row (still retrying) is brought forward; a failed one starts over.
  const rows = await db.update(outbox).set(reset).where(and(eq(outbox.id, which), ne(outbox.status, 'sent'))).returning({ id: outbox.id });
  return ok(rows.length);
}

/**
 * Tell the office, at most once a day, that messages could not be delivered (where to look). Its own failure
 * cannot start a loop: the key is per day and recipient, and it is not itself announced.
 */
export async function alertOfficeUndelivered(db: Db, officeOpenIds: string[], failedRow: Row, now: number): Promise<void> {
  if (failedRow.dedupeKey.startsWith('notice:undelivered:')) return;
  const officeChats = await db.select({ chatId: chats.chatId }).from(chats).where(eq(chats.purpose, 'office'));
  let to: Array<{ receiveIdType: 'chat_id' | 'open_id'; receiveId: string }> = officeChats
    .filter((c) => c.chatId !== failedRow.receiveId)
    .map((c) => ({ receiveIdType: 'chat_id' as const, receiveId: c.chatId }));
  if (!to.length) {
    const rows = await db
      .select({ openId: people.openId })
      .from(roles)
      .innerJoin(people, eq(people.id, roles.personId))
      .where(eq(roles.role, 'office'));
    const ids = new Set([...officeOpenIds, ...rows.map((r) => r.openId).filter((x): x is string => !!x)]);
    ids.delete(failedRow.receiveId ?? '');
    to = [...ids].map((id) => ({ receiveIdType: 'open_id' as const, receiveId: id }));
  }
  if (!to.length) return;
  const day = shanghaiDate(now);
  const text = '【未送达】今天有消息没能送达（例如机器人不在群里、对方不在应用可用范围内）。发送「未送达」查看原因和处理办法；处理后可重发。';
  await runBatch(
    db,
    to.map((r) =>
      outboxInsert(db, { dedupeKey: `notice:undelivered:${day}:${r.receiveId}`, op: 'send', ...r, msgType: 'text', content: { text }, purpose: 'notice' }, now),
    ),
  );
}
