// Files people send (image, file, media, and posts with images) become evidence on an assignment.
//
// Where a file goes, in this order (README "Evidence"):
//   1. a reply to one of the bot's messages about an assignment or task (reminder, task card, progress request,
//      退回 notice, 催办): that assignment (for a task, the sender's unit's assignment of it);
//   2. a caption (post text) or file name starting with a task code ("4.1.1 现场照片"): the sender's assignment of it;
//   3. sent within EVIDENCE_WINDOW_MS (10 minutes) of the sender's own report on exactly one assignment: that one;
//   4. otherwise kept as pending, and the sender is asked which task: `佐证 <编号>` or a reply to that question with
//      the code attaches every pending file.
// Each file is downloaded (deps.larkIm), checked (size and type, src/domain/evidence.ts) and stored by sha256
// (deps.evidenceStore) before its row is written; the reply (one per message: task, unit, count, refusals) is
// committed in the same batch as the rows and the inbox's "event done".
import { and, desc, eq, gte, like, sql } from 'drizzle-orm';
import type { AppDeps } from '../deps.js';
import { runBatch } from '../db/batch.js';
import { outboxInsert, outboxRow } from '../db/outbox-store.js';
import { auditInsert, actorOf } from '../db/audit.js';
import { evidence, outbox, tasks } from '../db/schema.js';
import { shanghaiDate } from '../domain/dates.js';
import {
  acceptFile, evidenceName, leadingTaskCode, MAX_FILES_PER_MESSAGE, type Attachment,
} from '../domain/evidence.js';
import { mayUpdateUnit, strangerHint } from '../domain/permissions.js';
import type { IncomingMessage } from '../domain/types.js';
import { resolveActor } from '../commands/actor.js';
import { matchCommandName, normaliseText } from '../commands/parse.js';
import { label, pickAssignment } from '../commands/record.js';
import type { CommandContext } from '../commands/registry.js';
import { assignmentView, findTask, type AssignmentView } from '../commands/store.js';
import { sha256Hex } from './blob-store.js';
import { attachPending, countAttached, pendingOf, recentReportAssignment, reportOfMessage } from './store.js';

export interface EvidenceIntake {
  files: Attachment[];
  /** A post whose text is a command ("进度 4.1.1 60%" + photo): the command runs first, then the files. */
  textFirst: boolean;
}

/** The files a message carries (read from the event by lark/inbox.ts), and whether its text is a command to run first. */
export function evidenceIntakeOf(files: Attachment[], msg: IncomingMessage, commandNames: string[]): EvidenceIntake | null {
  if (files.length === 0) return null;
  const text = normaliseText(msg.text);
  const textFirst = msg.messageType === 'post' && !!text && !leadingTaskCode(text) && !!matchCommandName(text, commandNames);
  return { files, textFirst };
}

type Placement = { view: AssignmentView; via: 'reply' | 'code' | 'window' } | { view: null; why: string };

async function place(deps: AppDeps, ctx: CommandContext, msg: IncomingMessage, files: Attachment[]): Promise<Placement> {
  const { db } = deps;
  const sent =
    (msg.parentId ? await ctx.sentMessages.lookup(msg.parentId) : undefined) ??
    (msg.rootId && msg.rootId !== msg.parentId ? await ctx.sentMessages.lookup(msg.rootId) : undefined);
  if (sent?.assignmentId) {
    const v = await assignmentView(db, sent.assignmentId, ctx.today);
    if (v && mayUpdateUnit(ctx.actor, v.unit.id)) return { view: v, via: 'reply' };
    if (v) return { view: null, why: `${label(v)} 不是你绑定单位的任务` };
  } else if (sent?.taskId) {
    const [t] = await db.select().from(tasks).where(eq(tasks.id, sent.taskId)).limit(1);
    if (t) {
      const p = await pickAssignment(ctx, t, null);
      if (p.ok) return { view: p.value, via: 'reply' };
    }
  }
  const caption = leadingTaskCode(normaliseText(msg.text)) ?? leadingTaskCode(files.find((f) => f.name)?.name ?? '');
  if (caption) {
    const t = await findTask(db, caption.code);
    if (t.ok) {
      const p = await pickAssignment(ctx, t.value, null);
      if (p.ok) return { view: p.value, via: 'code' };
      return { view: null, why: p.error };
    }
  }
  const recent = (await reportOfMessage(db, msg.messageId)) ?? (await recentReportAssignment(db, ctx.actor.personId, ctx.now));
  if (recent) {
    const v = await assignmentView(db, recent, ctx.today);
    if (v && mayUpdateUnit(ctx.actor, v.unit.id)) return { view: v, via: 'window' };
  }
  return { view: null, why: '' };
}

/**
 * Handle the files of one message. `replyKey`: the outbox key of the answer (`reply:<id>`, or `evidence:<id>` after
 * a command answered the text). `withReply`: writes to commit with it (the inbox's "done").
 */
export async function handleEvidenceMessage(
  deps: AppDeps,
  msg: IncomingMessage,
  intake: EvidenceIntake,
  now: number,
  opts: { replyKey: string; withReply?: unknown[] },
): Promise<void> {
  const { db } = deps;
  const [answered] = await db.select({ id: outbox.id }).from(outbox).where(eq(outbox.dedupeKey, opts.replyKey)).limit(1);
  if (answered) {
    if (opts.withReply?.length) await runBatch(db, opts.withReply);
    return;
  }
  const actor = await resolveActor(deps, msg.sender, now);
  const ctx: CommandContext = { deps, actor, msg, now, today: shanghaiDate(now), channel: 'chat', sentMessages: deps.sentMessages };
  // Node only (its sender loop polls every second; Workers drain at once): hold confirmations a few seconds to merge them.
  const batching = deps.outbox.background && deps.config.EVIDENCE_BATCH_SECONDS > 0 && !intake.textFirst;
  const answer = async (text: string, extra: unknown[] = [], asgId: number | null = null): Promise<void> => {
    await runBatch(db, [
      ...extra,
      outboxInsert(
        db,
        {
          dedupeKey: opts.replyKey, op: 'reply', targetMessageId: msg.messageId, msgType: 'text', content: { text }, purpose: 'reply', assignmentId: asgId,
          ...(batching && asgId ? { notBefore: now + deps.config.EVIDENCE_BATCH_SECONDS * 1000 } : {}),
        },
        now,
      ),
      ...(opts.withReply ?? []),
    ]);
  };
  if (!actor.roles.includes('contact'))
    return answer(actor.roles.length ? '佐证材料由责任单位联络员提交：请让该单位联络员回复提醒或任务卡片发送照片或文件。' : strangerHint());
  if (!deps.larkIm || !deps.evidenceStore)
    return answer('本服务尚未配置佐证材料的下载或存储（飞书应用或 EVIDENCE 存储），文件未保存。请改发链接，或联系办公室。');

  const placed = await place(deps, ctx, msg, intake.files);
  const maxBytes = deps.config.EVIDENCE_MAX_MB * 1024 * 1024;
  const files = intake.files.slice(0, MAX_FILES_PER_MESSAGE);
  const kept: Array<typeof evidence.$inferInsert> = [];
  const refused: string[] = [];
  const date = shanghaiDate(now);
  for (const [i, f] of files.entries()) {
    const r = await deps.larkIm.fetchResource(msg.messageId, f.fileKey, f.type, maxBytes);
    const shown = f.name ?? `第 ${i + 1} 张图片`;
    if (!r.ok) {
      // A passing failure (network, 5xx, 234019) fails the event so the inbox retries it; nothing is written yet.
      if (!r.permanent) throw new Error(`evidence download failed: ${r.reason}`);
      refused.push(`${shown}：无法下载，${r.reason}`);
      continue;
    }
    const name = evidenceName(f, r.value.contentType, i, date);
    const ok = acceptFile({ name, kind: f.kind, bytes: r.value.bytes, size: r.value.size, maxBytes });
    if (!ok.ok) {
      refused.push(`${f.name ?? name}：${ok.reason}`);
      continue;
    }
    const sha = await sha256Hex(r.value.bytes);
    await deps.evidenceStore.put(sha, r.value.bytes, ok.contentType);
    kept.push({
      assignmentId: placed.view?.asg.id ?? null,
      personId: actor.personId,
      senderOpenId: actor.openId,
      chatId: msg.chatId,
      messageId: msg.messageId,
      fileKey: f.fileKey,
      kind: f.kind,
      name,
      contentType: ok.contentType,
      size: r.value.bytes.length,
      sha256: sha,
      status: placed.view ? 'attached' : 'pending',
      via: placed.view ? placed.via : null,
      createdAt: now,
      attachedAt: placed.view ? now : null,
    });
  }
  const over = intake.files.length > files.length ? `\n一条消息最多收 ${MAX_FILES_PER_MESSAGE} 个文件，其余 ${intake.files.length - files.length} 个未保存，请分开发送。` : '';
  const refusedText = refused.length ? `\n未保存 ${refused.length} 个：\n${refused.map((r) => `• ${r}`).join('\n')}` : '';
  if (kept.length === 0) return answer(`没有保存任何文件。${refusedText}${over}`.trim());
  const writes: unknown[] = [
    db.insert(evidence).values(kept).onConflictDoNothing({ target: [evidence.messageId, evidence.fileKey] }),
    auditInsert(db, {
      at: now,
      actor: actorOf(actor.personId),
      personId: actor.personId,
      channel: 'chat',
      action: placed.view ? 'evidence.attach' : 'evidence.pending',
      entity: placed.view ? 'assignment' : 'message',
      entityId: placed.view ? placed.view.asg.id : msg.messageId,
      detail: { files: kept.map((k) => ({ name: k.name, size: k.size, sha256: k.sha256 })), via: placed.view ? placed.via : null, messageId: msg.messageId },
    }),
  ];
  if (placed.view) {
    const total = (await countAttached(db, placed.view.asg.id)) + kept.length;
    const how = placed.via === 'window' ? '（按你刚才的报送归入）' : '';
    if (batching && !refused.length && !over) {
      const merged = await mergeIntoPending(deps, msg, actor.openId, placed.view, kept.length, total, how, now);
      if (merged) {
        await runBatch(db, [...writes, merged.marker, ...(opts.withReply ?? [])]);
        await merged.recount();
        return;
      }
    }
    return answer(
      `已收到 ${label(placed.view)} 的佐证材料 ${kept.length} 个${how}，该项共 ${total} 个。发送「任务 ${placed.view.task.code}」可查看。${refusedText}${over}`,
      writes,
      placed.view.asg.id,
    );
  }
  const why = placed.why ? `（${placed.why}）` : '';
  return answer(
    `已暂存 ${kept.length} 个文件，但不知道属于哪项任务${why}。请直接回复本消息任务编号（如 4.1.1），或发送「佐证 <任务编号>」归入。` +
      `以后可在图片说明开头写任务编号，或回复提醒卡片发送。${refusedText}${over}`,
    writes,
  );
}

/** `佐证 <编号> [单位]` and a reply with the code to the bot's question: attach the sender's pending files. */
export async function attachPendingTo(ctx: CommandContext, code: string, unit: string | null, onlyMessageId?: string): Promise<string> {
  const { db } = ctx.deps;
  const t = await findTask(db, code, ctx.actor);
  if (!t.ok) return t.error;
  const v = await pickAssignment(ctx, t.value, unit);
  if (!v.ok) return v.error;
  const pending = await pendingOf(db, ctx.actor.openId, ctx.now, onlyMessageId);
  if (pending.length === 0)
    return `你没有待归属的文件。要提交 ${label(v.value)} 的佐证，直接回复该任务的提醒或任务卡片发送照片或文件，或在图片说明开头写「${t.value.code}」。`;
  const n = await attachPending(db, pending.map((p) => p.id), v.value.asg.id, ctx.now);
  await auditInsert(db, {
    at: ctx.now,
    actor: actorOf(ctx.actor.personId),
    personId: ctx.actor.personId,
    channel: ctx.channel,
    action: 'evidence.attach',
    entity: 'assignment',
    entityId: v.value.asg.id,
    detail: { files: pending.map((p) => p.name), via: 'follow_up' },
  });
  const total = await countAttached(db, v.value.asg.id);
  return `已将 ${n} 个文件归入 ${label(v.value)} 的佐证材料，该项共 ${total} 个。`;
}

/**
 * A text reply to the bot's "which task?" question (its outbox row replied to a message with pending files from
 * this sender) that starts with a task code: attach those files. Null when the reply is something else.
 */
export async function attachByReply(ctx: CommandContext, repliedMessageId: string | null, text: string): Promise<string | null> {
  if (!repliedMessageId || !ctx.actor.roles.includes('contact')) return null;
  const code = leadingTaskCode(text);
  if (!code) return null;
  const pending = await pendingOf(ctx.deps.db, ctx.actor.openId, ctx.now, repliedMessageId);
  if (pending.length === 0) return null;
  const unit = code.rest ? code.rest.split(/\s+/)[0]! : null;
  return attachPendingTo(ctx, code.code, unit, repliedMessageId);
}

/**
 * Several files to one assignment in quick succession: rewrite the confirmation still waiting to be sent (same
 * sender, same assignment, under a minute old) with the new count, and mark this message answered by a row that is
 * never sent (status 'merged'). Returns that marker's insert, or null when there is nothing to merge into.
 */
async function mergeIntoPending(
  deps: AppDeps,
  msg: IncomingMessage,
  openId: string,
  view: AssignmentView,
  added: number,
  total: number,
  how: string,
  now: number,
) {
  const { db } = deps;
  const [prev] = await db
    .select({ id: outbox.id, target: outbox.targetMessageId, createdAt: outbox.createdAt, content: outbox.content })
    .from(outbox)
    .where(and(eq(outbox.purpose, 'reply'), eq(outbox.assignmentId, view.asg.id), eq(outbox.status, 'pending'), gte(outbox.createdAt, now - 60_000), like(outbox.dedupeKey, 'reply:%')))
    .orderBy(desc(outbox.id))
    .limit(1);
  if (!prev?.target || !prev.content.includes('的佐证材料') || prev.content.includes('未保存')) return null;
  const earlier = await db
    .select({ n: sql<number>`count(*)`, m: sql<number>`count(distinct ${evidence.messageId})` })
    .from(evidence)
    .where(and(eq(evidence.assignmentId, view.asg.id), eq(evidence.senderOpenId, openId), gte(evidence.createdAt, prev.createdAt), eq(evidence.status, 'attached')));
  const [own] = await db.select({ id: evidence.id }).from(evidence).where(and(eq(evidence.messageId, prev.target), eq(evidence.senderOpenId, openId))).limit(1);
  if (!own) return null;
  const n = Number(earlier[0]?.n ?? 0) + added;
  const m = Number(earlier[0]?.m ?? 0) + 1;
  const text = `已收到 ${label(view)} 的佐证材料 ${n} 个（${m} 条消息）${how}，该项共 ${total} 个。发送「任务 ${view.task.code}」可查看。`;
  const updated = await db
    .update(outbox)
    .set({ content: JSON.stringify({ text }), nextAttemptAt: now + deps.config.EVIDENCE_BATCH_SECONDS * 1000 })
    .where(and(eq(outbox.id, prev.id), eq(outbox.status, 'pending')))
    .returning({ id: outbox.id });
  if (updated.length === 0) return null;
  // The count again, in SQL, after this message's rows are committed: SQLite runs writes one at a time, so the last
  // message of a burst always leaves the confirmation with every file counted, whatever order they were processed in.
  // The burst: this sender's files on this assignment from the minute before the confirmation (messages are processed
  // concurrently, so an earlier one may merge into a later one's row), less those another answer already confirmed.
  const since = prev.createdAt - 60_000;
  const where = sql`assignment_id = ${view.asg.id} and sender_open_id = ${openId} and created_at >= ${since} and status = 'attached'
    and message_id not in (select o.target_message_id from outbox o where o.purpose = 'reply' and o.status <> 'merged' and o.id <> ${prev.id}
      and o.created_at >= ${since} and o.target_message_id is not null)`;
  const recount = async () => {
    await db
      .update(outbox)
      .set({
        content: sql`json_object('text', ${`已收到 ${label(view)} 的佐证材料 `} || (select count(*) from evidence where ${where}) || ${' 个（'} || (select count(distinct message_id) from evidence where ${where}) || ${` 条消息）${how}，该项共 `} || (select count(*) from evidence where assignment_id = ${view.asg.id} and status = 'attached') || ${` 个。发送「任务 ${view.task.code}」可查看。`})`,
      })
      .where(and(eq(outbox.id, prev.id), eq(outbox.status, 'pending')));
  };
  // Wrapped: a query builder is a thenable, and an async function would run it instead of returning it.
  const marker = db
    .insert(outbox)
    .values({ ...outboxRow({ dedupeKey: `reply:${msg.messageId}`, op: 'reply', targetMessageId: msg.messageId, msgType: 'text', content: { text: `（已合并到对 ${prev.target} 的确认）` }, purpose: 'reply', assignmentId: view.asg.id }, now), status: 'merged' })
    .onConflictDoNothing({ target: outbox.dedupeKey });
  return { marker, recount };
}
