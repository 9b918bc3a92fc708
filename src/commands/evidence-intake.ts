// The command side of evidence intake (README "Evidence"): who sent the files, which assignment they belong to, and
// the answer; the files themselves are downloaded, checked, stored and recorded by src/evidence/intake.ts.
//
// Where a file goes, in this order:
//   1. a reply to one of the bot's messages about an assignment or task (reminder, task card, progress request,
//      退回 notice, 催办): that assignment (for a task, the sender's unit's assignment of it);
//   2. a caption (post text) or file name starting with a task code ("4.1.1 现场照片"): the sender's assignment of it;
//   3. sent within EVIDENCE_WINDOW_MS (10 minutes) of the sender's own report on exactly one assignment: that one;
//   4. otherwise kept as pending, and the sender is asked which task: `佐证 <编号>` or a reply to that question with
//      the code attaches every pending file.
// The reply (one per message: task, unit, count, refusals) is committed in the same batch as the rows and the
// inbox's "event done".
import type { AppDeps } from '../deps.js';
import { auditInsert, actorOf } from '../db/audit.js';
import { runBatch } from '../db/batch.js';
import { attachPending, countAttached, pendingOf, recentReportAssignment, reportOfMessage } from '../db/evidence-store.js';
import { outboxInsert, outboxKeyExists } from '../db/outbox-store.js';
import { resolveActor } from '../db/people-store.js';
import { assignmentView, taskById, type AssignmentView } from '../db/task-store.js';
import { shanghaiDate } from '../domain/dates.js';
import { leadingTaskCode, type Attachment } from '../domain/evidence.js';
import { strangerHint } from '../domain/permissions.js';
import { unitRefusal } from './assignment-text.js';
import type { IncomingMessage } from '../domain/types.js';
import { evidenceWrites, keepFiles, mergeIntoPending, type Placed } from '../evidence/intake.js';
import { findTask } from './lookup.js';
import { matchCommandName, normaliseText } from './parse.js';
import { label, pickAssignment } from './record.js';
import type { CommandContext } from './registry.js';

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
    const refused = v && unitRefusal(ctx.actor, v, 'brief');
    if (v && !refused) return { view: v, via: 'reply' };
    if (refused) return { view: null, why: refused };
  } else if (sent?.taskId) {
    const t = await taskById(db, sent.taskId);
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
    if (v && !unitRefusal(ctx.actor, v)) return { view: v, via: 'window' };
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
  if (await outboxKeyExists(db, opts.replyKey)) {
    if (opts.withReply?.length) await runBatch(db, opts.withReply);
    return;
  }
  const actor = await resolveActor(deps, msg.sender, now);
  const ctx: CommandContext = { deps, actor, msg, now, today: shanghaiDate(now), channel: 'chat', sentMessages: deps.sentMessages };
  // Node only (its sender polls every second; Workers drain at once): hold confirmations a few seconds to merge them.
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
  const where: Placed | null = placed.view ? { assignmentId: placed.view.asg.id, via: placed.via } : null;
  const { kept, refused, over } = await keepFiles({ ...deps, larkIm: deps.larkIm, evidenceStore: deps.evidenceStore }, msg, intake.files, where, actor, now);
  const refusedText = refused.length ? `\n未保存 ${refused.length} 个：\n${refused.map((r) => `• ${r}`).join('\n')}` : '';
  if (kept.length === 0) return answer(`没有保存任何文件。${refusedText}${over}`.trim());
  const writes = evidenceWrites(db, kept, where, actor, msg, now);
  if (placed.view) {
    const total = (await countAttached(db, placed.view.asg.id)) + kept.length;
    const how = placed.via === 'window' ? '（按你刚才的报送归入）' : '';
    if (batching && !refused.length && !over) {
      const merged = await mergeIntoPending(deps, msg, actor.openId, placed.view, label(placed.view), kept.length, total, how, now);
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
