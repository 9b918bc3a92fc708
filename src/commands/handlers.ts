// Inbound handlers: turn a normalised message or card action into command effects and replies.
// Every message gets exactly one reply (outbox key `reply:<message_id>`); text the bot cannot use is kept in
// unmatched_messages, so nothing a person types is lost.
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { runBatch } from '../db/batch.js';
import { insertOutboxMessage, outboxInsert, outboxInsertPrepared } from '../db/outbox-store.js';
import { preparedFor } from '../db/prepared.js';
import { outbox, tasks, unmatchedMessages } from '../db/schema.js';
import { shanghaiDate } from '../domain/dates.js';
import { mayRun, mayUpdateUnit, refusalText, strangerHint } from '../domain/permissions.js';
import type { CardAction, CardActionResult, IncomingMessage, InboundHandlers } from '../domain/types.js';
import { renderExtendForm, renderProgressForm } from '../cards/task-card.js';
import { createLarkContactDirectory, type ContactDirectory } from '../lark/contact.js';
import { resolveActor } from './actor.js';
import { allNames, buildRegistry } from './index.js';
import {
  didYouMean,
  interpretReply,
  isTaskCode,
  normaliseCode,
  matchCommandName,
  MAX_KEPT_CHARS,
  MAX_PARSE_CHARS,
  normaliseText,
  parseDate,
  parsePercent,
  splitFirst,
} from './parse.js';
import { label, pickAssignment, recordReport } from './record.js';
import type { CommandContext, CommandReply } from './registry.js';
import { assignmentView, type AssignmentView } from './store.js';
import { lookupSentMessage } from '../lark/sender.js';
import { assignmentCard, requestExtension } from './task-commands.js';
import { attachByReply } from '../evidence/intake.js';

export interface InboundOptions {
  contacts?: ContactDirectory;
}

const buttonValue = z.object({
  a: z.enum(['progress_form', 'same', 'done', 'extend_form', 'extend', 'progress']),
  asg: z.coerce.number().int().positive(),
});

/** Commands whose failed parse inside a reply to a card means "treat the reply as a report". */
const REPORT_COMMANDS = new Set(['进度', '完成', '无变化']);

/** The request number a notice was about, for 批准/驳回 (extension) and 同意/拒绝 (binding) sent as replies. */
function fillRequestNo(command: string, noticeKey: string, rest: string): string | null {
  const ext = /^notice:ext:(\d+):/.exec(noticeKey);
  const bind = /^notice:bind:(\d+):/.exec(noticeKey);
  const id = (command === '批准' || command === '驳回' ? ext : command === '同意' || command === '拒绝' ? bind : null)?.[1];
  return id ? `${id} ${rest}`.trim() : null;
}

const HOW_TO = '发送「帮助」查看命令；回复提醒卡片可直接报送，例如“60% 已完成排查”。';

export function createInboundHandlers(deps: AppDeps, opts: InboundOptions = {}): InboundHandlers {
  const registry = buildRegistry();
  const names = allNames(registry);
  let contacts = opts.contacts;
  // Built on first use: most messages never need the directory (or its SDK client).
  const lazyContacts: ContactDirectory = {
    resolve: (keys) => (contacts ??= createLarkContactDirectory(deps.config)).resolve(keys),
  };

  // Writes the inbox wants committed with this message's reply (set per message by onMessage), and whether they were.
  const withReplyFor = new Map<string, { writes: unknown[]; committed: boolean }>();

  async function reply(msg: IncomingMessage, r: CommandReply, now: number, unmatchedReason?: string, asgId?: number | null) {
    const base = { op: 'reply' as const, targetMessageId: msg.messageId, purpose: 'reply' as const, assignmentId: asgId ?? null };
    const pending = withReplyFor.get(msg.messageId);
    // Committed once: a second reply (the error path after a failed first one) carries them only if the first failed.
    const also = pending && !pending.committed ? pending.writes : [];
    // The common case is one row: a single prepared insert, no batch needed for atomicity.
    if (!r.card && !unmatchedReason && also.length === 0) {
      return insertOutboxMessage(deps.db, { ...base, dedupeKey: `reply:${msg.messageId}`, msgType: 'text', content: { text: r.text ?? '' } }, now);
    }
    const q: unknown[] = [];
    if (r.card) {
      q.push(outboxInsert(deps.db, { ...base, dedupeKey: `reply:${msg.messageId}`, msgType: 'interactive', content: r.card }, now));
      if (r.text) q.push(outboxInsert(deps.db, { ...base, dedupeKey: `reply:${msg.messageId}:text`, msgType: 'text', content: { text: r.text } }, now));
    } else {
      q.push(outboxInsertPrepared(deps.db, { ...base, dedupeKey: `reply:${msg.messageId}`, msgType: 'text', content: { text: r.text ?? '' } }, now));
    }
    if (unmatchedReason) {
      q.push(
        deps.db.insert(unmatchedMessages).values({
          messageId: msg.messageId,
          openId: msg.sender.openId,
          chatId: msg.chatId,
          text: [...msg.text].slice(0, MAX_KEPT_CHARS).join(''),
          reason: unmatchedReason,
          createdAt: now,
        }),
      );
    }
    await runBatch(deps.db, [...q, ...also]);
    if (pending && also.length) pending.committed = true;
  }

  async function alreadyAnswered(messageId: string): Promise<boolean> {
    const stmt = preparedFor(deps.db, 'handlers.answered', (d) =>
      d.select({ id: outbox.id }).from(outbox).where(eq(outbox.dedupeKey, sql.placeholder('key'))).limit(1).prepare(),
    );
    const rows = await stmt.execute({ key: `reply:${messageId}` });
    return rows.length > 0;
  }

  /** A free-text reply to one of the bot's cards: becomes a report on that card's assignment. */
  async function handleReply(ctx: CommandContext, sent: { assignmentId: number | null; taskId: number | null }, text: string) {
    const msg = ctx.msg!;
    let view: AssignmentView | null = null;
    if (sent.assignmentId) view = await assignmentView(deps.db, sent.assignmentId, ctx.today);
    if (!view && sent.taskId) {
      const t = await findTaskById(sent.taskId);
      if (t) {
        const v = await pickAssignment(ctx, t, null);
        if (!v.ok) return reply(msg, { text: v.error }, ctx.now);
        view = v.value;
      }
    }
    if (!view) return reply(msg, { text: `没能把这条回复对应到任务，已保存。${HOW_TO}` }, ctx.now, 'reply_untied');
    if (!mayUpdateUnit(ctx.actor, view.unit.id))
      return reply(msg, { text: ctx.actor.roles.length ? `${label(view)} 不是你绑定单位的任务，你只能报送本单位的任务。` : strangerHint() }, ctx.now);
    const r = interpretReply(text);
    const onlyPercent = r.percent !== null && /^\d{1,3}\s*%$/.test(r.note);
    const res = r.same
      ? await recordReport(ctx, view, { kind: 'no_change' })
      : r.done
        ? await recordReport(ctx, view, { kind: 'done_claim', note: r.note })
        : r.percent !== null
          ? await recordReport(ctx, view, { kind: 'progress', percent: r.percent, note: onlyPercent ? null : r.note })
          : await recordReport(ctx, view, { kind: 'note', note: r.note });
    return reply(msg, { text: res.ok ? res.text : res.error }, ctx.now, undefined, view.asg.id);
  }

  async function findTaskById(id: number) {
    return (await deps.db.select().from(tasks).where(eq(tasks.id, id)))[0] ?? null;
  }

  async function onMessage(msg: IncomingMessage, now: number, withReply: unknown[] = []): Promise<boolean> {
    if (withReply.length === 0) {
      await handleMessage(msg, now);
      return false;
    }
    const pending = { writes: withReply, committed: false };
    withReplyFor.set(msg.messageId, pending);
    try {
      await handleMessage(msg, now);
      return pending.committed;
    } finally {
      withReplyFor.delete(msg.messageId);
    }
  }

  async function handleMessage(msg: IncomingMessage, now: number): Promise<void> {
    if (await alreadyAnswered(msg.messageId)) return;
    const actor = await resolveActor(deps, msg.sender, now);
    const ctx: CommandContext = {
      deps,
      actor,
      msg,
      now,
      today: shanghaiDate(now),
      channel: 'chat',
      contacts: lazyContacts,
    };
    try {
      const text = normaliseText([...msg.text].slice(0, MAX_PARSE_CHARS).join(''));
      if (!text) {
        const what = msg.messageType === 'text' || msg.messageType === 'post' ? '消息是空的' : '暂时只能识别文字消息';
        return await reply(msg, { text: `${what}。${HOW_TO}` }, now, msg.messageType === 'text' ? 'empty' : `non_text:${msg.messageType}`);
      }
      // The direct parent first, then the thread root: both can be the bot's card.
      const replyTo =
        (msg.parentId ? await lookupSentMessage(deps.db, msg.parentId) : undefined) ??
        (msg.rootId && msg.rootId !== msg.parentId ? await lookupSentMessage(deps.db, msg.rootId) : undefined) ??
        null;
      // "4.1.1" in reply to the bot's "which task?" about files kept pending: attach them (src/evidence/intake.ts).
      if (replyTo?.op === 'reply' && replyTo.targetMessageId) {
        const attached = await attachByReply(ctx, replyTo.targetMessageId, text);
        if (attached) return await reply(msg, { text: attached }, now);
      }
      const m = matchCommandName(text, names);
      const cmd = m ? registry.find((c) => c.names.includes(m.name)) : undefined;
      if (cmd && m) {
        const reportish = REPORT_COMMANDS.has(cmd.names[0]!);
        // In a reply to a card, "完成了排查…" or "进度正常" is prose about that card's task, not a command.
        if (replyTo && reportish && !isTaskCode(normaliseCode(splitFirst(m.rest)[0])))
          return await handleReply({ ...ctx, channel: 'reply' }, replyTo, text);
        if (!mayRun(actor, cmd.roles)) {
          if (replyTo && reportish) return await handleReply({ ...ctx, channel: 'reply' }, replyTo, text);
          return await reply(msg, { text: refusalText(actor, cmd.roles, cmd.names[0]!) }, now);
        }
        let parsed = await cmd.parse(m.rest, ctx);
        if (!parsed.ok && replyTo) {
          // Replying 批准 / 驳回 <原因> / 同意 / 拒绝 to the bot's request notice: the notice names the request.
          const filled = fillRequestNo(cmd.names[0]!, replyTo.dedupeKey, m.rest);
          if (filled !== null) parsed = await cmd.parse(filled, ctx);
          else if (reportish) return await handleReply({ ...ctx, channel: 'reply' }, replyTo, text);
        }
        if (!parsed.ok) {
          const ex = cmd.example ? `\n例如：${cmd.example}` : '';
          return await reply(msg, { text: `${parsed.error}\n正确格式：${cmd.usage}${ex}` }, now, `bad_args:${cmd.names[0]}`);
        }
        const out = await cmd.run(ctx, parsed.args);
        return await reply(msg, out, now);
      }
      if (replyTo) return await handleReply({ ...ctx, channel: 'reply' }, replyTo, text);
      const [first] = splitFirst(text);
      const near = didYouMean(first, names, 2, first.length <= 3 ? 1 : 2);
      const hint = near.length ? `你是不是要用「${near.join('」或「')}」？` : '';
      const lead = msg.parentId ? '没能把这条回复对应到任务，已保存。' : `看不懂“${[...first].slice(0, 20).join('')}”，已保存这条消息。`;
      return await reply(msg, { text: `${lead}${hint}${actor.roles.length ? HOW_TO : strangerHint()}` }, now, msg.parentId ? 'reply_untied' : 'unknown_command');
    } catch (err) {
      deps.logger.error('command failed', { messageId: msg.messageId, error: (err as Error).message });
      // Tell the person and keep the text; if even that cannot be written (database down), rethrow so the
      // inbox retries the event later instead of losing it.
      await reply(msg, { text: '处理这条消息时出错了，消息已保存，请稍后重试或联系办公室。' }, now, 'error');
    }
  }

  async function onCardAction(action: CardAction, now: number): Promise<CardActionResult> {
    const v = buttonValue.safeParse(action.value);
    if (!v.success) return { toast: { type: 'error', content: '看不懂这个按钮，请发送「帮助」' } };
    const actor = await resolveActor(deps, action.operator, now);
    const ctx: CommandContext = { deps, actor, msg: null, now, today: shanghaiDate(now), channel: 'card' };
    const view = await assignmentView(deps.db, v.data.asg, ctx.today);
    if (!view) return { toast: { type: 'error', content: '这项任务已不存在' } };
    if (!mayUpdateUnit(actor, view.unit.id))
      return { toast: { type: 'error', content: actor.roles.length ? '这不是你单位的任务，只能由该单位联络员报送' : '你还没有绑定单位，请发送「绑定 <单位名称>」' } };
    const done = async (r: { ok: true; text: string } | { ok: false; error: string }): Promise<CardActionResult> => {
      if (!r.ok) return { toast: { type: 'error', content: r.error.slice(0, 200) } };
      return { toast: { type: 'success', content: r.text.split('\n')[0]!.slice(0, 200) }, card: await assignmentCard(ctx, view.asg.id, r.text.split('\n')[0]) };
    };
    const form = action.formValue ?? {};
    const str = (k: string) => (typeof form[k] === 'string' ? (form[k] as string) : form[k] == null ? '' : String(form[k])).trim();
    try {
      switch (v.data.a) {
        case 'progress_form':
          return { card: renderProgressForm(view) };
        case 'extend_form':
          return { card: renderExtendForm(view) };
        case 'same':
          return await done(await recordReport(ctx, view, { kind: 'no_change' }));
        case 'done':
          return await done(await recordReport(ctx, view, { kind: 'done_claim' }));
        case 'progress': {
          const p = parsePercent(normaliseText(str('percent')) || String(view.asg.percent));
          if (!p.ok) return { toast: { type: 'error', content: p.error }, card: renderProgressForm(view) };
          const evidence = str('evidence');
          if (evidence && !/^https?:\/\/\S+$/.test(evidence))
            return { toast: { type: 'error', content: '佐证链接应以 http:// 或 https:// 开头' }, card: renderProgressForm(view) };
          return await done(await recordReport(ctx, view, { kind: 'progress', percent: p.value, note: normaliseText(str('note')), evidenceUrl: evidence || null }));
        }
        case 'extend': {
          const d = parseDate(str('date'), ctx.today);
          if (!d.ok) return { toast: { type: 'error', content: d.error }, card: renderExtendForm(view) };
          const reason = normaliseText(str('reason'));
          if (!reason) return { toast: { type: 'error', content: '请写明延期原因' }, card: renderExtendForm(view) };
          return await done(await requestExtension(ctx, view, d.value, reason));
        }
      }
    } catch (err) {
      deps.logger.error('card action failed', { eventId: action.eventId, error: (err as Error).message });
      return { toast: { type: 'error', content: '处理失败，请稍后重试' } };
    }
  }

  return { onMessage, onCardAction };
}
