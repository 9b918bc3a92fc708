// The command half of the inbound entry point (./inbound.ts): turn a normalised message or card action into command
// effects and replies.
// Every message gets exactly one reply (outbox key `reply:<message_id>`); text the bot cannot use is kept in
// unmatched_messages, so nothing a person types is lost.
import { loadCalendarOverrides } from '../db/calendar-store.js';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { runBatch } from '../db/batch.js';
import { insertOutboxMessage, outboxInsert, outboxInsertPrepared, outboxKeyExists } from '../db/outbox-store.js';
import { unmatchedInsert } from '../db/unmatched-store.js';
import { shanghaiDate } from '../domain/dates.js';
import { isStranger, mayRun, refusalText, strangerHint } from '../domain/permissions.js';
import type { CardAction, CardActionResult, IncomingMessage, InboundHandlers } from '../domain/types.js';
import { renderExtendForm, renderProgressForm } from '../cards/task-card.js';
import type { ContactDirectory } from '../ports.js';
import { resolveActor } from '../db/people-store.js';
import { allNames, buildRegistry } from './index.js';
import {
  didYouMean,
  isTaskCode,
  normaliseTaskCode,
  matchCommandName,
  MAX_KEPT_CHARS,
  MAX_PARSE_CHARS,
  normaliseText,
  parseDate,
  parsePercent,
  splitFirst,
  isAllSame,
  reportOfText,
  splitCodedLines,
  type CodedLine,
} from './parse.js';
import { NOT_YOUR_UNIT_TOAST, unitRefusal } from './assignment-text.js';
import { label, pickAssignment, recordReport } from './record.js';
import type { CommandContext, CommandReply } from './registry.js';
import { assignmentView, taskById, type AssignmentView } from '../db/task-store.js';
import { findTask } from './lookup.js';
import { assignmentCard, requestExtension, unitFromRest } from './task-commands.js';
import { handleLifecycle } from './lifecycle.js';
import { attachByReply } from './evidence-intake.js';
import type { Result } from '../domain/result.js';

const buttonValue = z.object({
  a: z.enum(['progress_form', 'same', 'done', 'extend_form', 'extend', 'progress']),
  asg: z.coerce.number().int().positive(),
});

/** Commands whose failed parse inside a reply to a card means "treat the reply as a report". */
const REPORT_COMMANDS = new Set(['进度', '完成', '无变化']);
/** Commands whose subject may be a person (@某人): a leading @ before them is that person. */
const PERSON_COMMANDS = new Set(['绑定', '解绑', '交接']);

/** The request number a notice was about, for 批准/驳回 (extension) and 同意/拒绝 (binding) sent as replies. */
function fillRequestNo(command: string, noticeKey: string, rest: string): string | null {
  const ext = /^notice:ext:(\d+):/.exec(noticeKey);
  const bind = /^notice:bind:(\d+):/.exec(noticeKey);
  const id = (command === '批准' || command === '驳回' ? ext : command === '同意' || command === '拒绝' ? bind : null)?.[1];
  return id ? `${id} ${rest}`.trim() : null;
}

/** The bot message a reply answers: its assignment / task and, for a stored card, its content. */
type SentRef = { assignmentId: number | null; taskId: number | null; content?: string };

/** Lines one message may report (a progress-request card lists at most 15 tasks). */
const MAX_CODED_LINES = 30;

/** The tasks listed on a monthly progress-request card (stored as its renderer's input). */
function cardItemsOf(sent: SentRef): Array<{ assignmentId: number; taskCode: string }> {
  if (!sent.content?.startsWith('{"$card":"progress_request"')) return [];
  try {
    const v = JSON.parse(sent.content) as { v?: { items?: Array<{ assignmentId: number; taskCode: string }> } };
    return (v.v?.items ?? []).filter((i) => typeof i.assignmentId === 'number' && typeof i.taskCode === 'string');
  } catch {
    return [];
  }
}

/**
 * Where a reply lands, for the rate limits (a reply counts against its chat; a person's direct messages count under
 * their open_id) and for the fallback when the message replied to was recalled (230011: sent plainly instead).
 */
export function replyReceiver(msg: Pick<IncomingMessage, 'chatType' | 'chatId' | 'sender'>) {
  return msg.chatType === 'p2p'
    ? { receiveIdType: 'open_id' as const, receiveId: msg.sender.openId }
    : { receiveIdType: 'chat_id' as const, receiveId: msg.chatId };
}

const HOW_TO = '发送「帮助」查看命令；回复提醒卡片可直接报送，例如“60% 已完成排查”。';

export function createInboundHandlers(deps: AppDeps): InboundHandlers {
  const registry = buildRegistry();
  const names = allNames(registry);
  // The directory from the composition root (built on first use there: most messages never need it).
  const contacts: ContactDirectory = deps.contacts;

  // Writes the inbox wants committed with this message's reply (set per message by onMessage), and whether they were.
  const withReplyFor = new Map<string, { writes: unknown[]; committed: boolean }>();

  async function reply(msg: IncomingMessage, r: CommandReply, now: number, unmatchedReason?: string, asgId?: number | null) {
    const base = {
      op: 'reply' as const,
      targetMessageId: msg.messageId,
      purpose: 'reply' as const,
      assignmentId: asgId ?? r.assignmentId ?? null,
      taskId: r.taskId ?? null,
      ...replyReceiver(msg),
    };
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
        unmatchedInsert(deps.db, {
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
    return outboxKeyExists(deps.db, `reply:${messageId}`);
  }

  /** A free-text reply to one of the bot's cards: becomes a report on that card's assignment. */
  async function handleReply(ctx: CommandContext, sent: SentRef, text: string) {
    const msg = ctx.msg!;
    let view: AssignmentView | null = null;
    if (sent.assignmentId) view = await assignmentView(deps.db, sent.assignmentId, ctx.today);
    const items = cardItemsOf(sent);
    if (!view && items.length === 1) view = await assignmentView(deps.db, items[0]!.assignmentId, ctx.today);
    if (!view && items.length > 1)
      return reply(
        msg,
        {
          text:
            `这张卡片列了 ${items.length} 项任务（${items.slice(0, 5).map((i) => i.taskCode).join('、')}${items.length > 5 ? '等' : ''}），请在每行开头写任务编号，` +
            `例如：\n${items[0]!.taskCode} 80% 已完成清单编制\n${items[1]!.taskCode} 无变化\n全部没有变化请回复「全部无变化」。这条消息已保存。`,
        },
        ctx.now,
        'reply_untied',
      );
    if (!view && sent.taskId) {
      const t = await taskById(deps.db, sent.taskId);
      if (t) {
        const v = await pickAssignment(ctx, t, null);
        if (!v.ok) return reply(msg, { text: v.error }, ctx.now);
        view = v.value;
      }
    }
    if (!view) return reply(msg, { text: `没能把这条回复对应到任务，已保存。${HOW_TO}` }, ctx.now, 'reply_untied');
    const refused = unitRefusal(ctx.actor, view);
    if (refused) return reply(msg, { text: ctx.actor.roles.length ? refused : strangerHint() }, ctx.now);
    // The same reading as a coded line: "80% 已完成排查" is 80 and the note "已完成排查" (the percent is not kept twice).
    const r = reportOfText(text);
    const res =
      r.kind === 'no_change'
        ? await recordReport(ctx, view, { kind: 'no_change' })
        : r.kind === 'done_claim'
          ? await recordReport(ctx, view, { kind: 'done_claim', note: r.note })
          : r.kind === 'progress'
            ? await recordReport(ctx, view, { kind: 'progress', percent: r.percent ?? null, note: r.note })
            : await recordReport(ctx, view, { kind: 'note', note: r.note ?? normaliseText(text) });
    return reply(msg, { text: res.ok ? res.value.text : res.error }, ctx.now, undefined, view.asg.id);
  }

  /** Lines that start with task codes: one report per line, on the card's assignment of that task when replying. */
  async function handleCoded(ctx: CommandContext, sent: SentRef | null, lines: CodedLine[]) {
    const msg = ctx.msg!;
    if (isStranger(ctx.actor)) return reply(msg, { text: strangerHint() }, ctx.now, 'stranger_report');
    const items = sent ? cardItemsOf(sent) : [];
    const out: string[] = [];
    let recorded = 0;
    let lastAsg: number | undefined;
    for (const l of lines.slice(0, MAX_CODED_LINES)) {
      let view: AssignmentView | null = null;
      let rest = l.rest;
      const item = items.find((i) => i.taskCode === l.code);
      if (item) view = await assignmentView(deps.db, item.assignmentId, ctx.today);
      else if (sent?.assignmentId) {
        const v = await assignmentView(deps.db, sent.assignmentId, ctx.today);
        if (v && v.task.code === l.code) view = v;
      }
      if (!view) {
        const t = await findTask(deps.db, l.code, ctx.actor);
        if (!t.ok) {
          out.push(t.error);
          continue;
        }
        const u = await unitFromRest(ctx, t.value.id, rest);
        rest = u.rest;
        const v = await pickAssignment(ctx, t.value, u.unit);
        if (!v.ok) {
          out.push(v.error);
          continue;
        }
        view = v.value;
      }
      const refused = unitRefusal(ctx.actor, view);
      if (refused) {
        out.push(refused);
        continue;
      }
      const r = reportOfText(rest);
      if (r.kind === 'note' && !r.note) {
        out.push(`${l.code} 后面没有内容。请写进度或说明，例如：${l.code} 80% 已完成清单编制`);
        continue;
      }
      const res = await recordReport(ctx, view, { kind: r.kind, percent: r.percent ?? null, note: r.note });
      if (res.ok) {
        recorded++;
        lastAsg = view.asg.id;
      }
      out.push(res.ok ? res.value.text : res.error);
    }
    if (lines.length > MAX_CODED_LINES) out.push(`一次最多报送 ${MAX_CODED_LINES} 项，后面 ${lines.length - MAX_CODED_LINES} 行未处理，请另发一条。`);
    return reply(msg, { text: out.join('\n') }, ctx.now, recorded ? undefined : 'report_failed', lines.length === 1 ? lastAsg : undefined);
  }

  /** 全部无变化 in reply to a card: no change on every task of the card the replier may report on. */
  async function handleAllSame(ctx: CommandContext, sent: SentRef): Promise<boolean> {
    const items = cardItemsOf(sent);
    const ids = items.length ? items.map((i) => i.assignmentId) : sent.assignmentId ? [sent.assignmentId] : [];
    if (ids.length === 0) return false;
    const out: string[] = [];
    for (const id of ids) {
      const view = await assignmentView(deps.db, id, ctx.today);
      if (!view) continue;
      const refused = unitRefusal(ctx.actor, view, 'skipped');
      if (refused) {
        out.push(refused);
        continue;
      }
      const res = await recordReport(ctx, view, { kind: 'no_change' });
      out.push(res.ok ? `${label(view)} 本期无变化，进度仍为 ${res.value.view.asg.percent}%` : res.error);
    }
    await reply(ctx.msg!, { text: [`已处理 ${ids.length} 项：`, ...out].join('\n') }, ctx.now);
    return true;
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
    // The office's holiday entries decide working days in every answer (e.g. 临期, deadlines).
    await loadCalendarOverrides(deps.db);
    const actor = await resolveActor(deps, msg.sender, now);
    const ctx: CommandContext = {
      deps,
      actor,
      msg,
      now,
      today: shanghaiDate(now),
      channel: 'chat',
      sentMessages: deps.sentMessages,
      contacts,
    };
    try {
      const text = normaliseText([...msg.text].slice(0, MAX_PARSE_CHARS).join(''));
      if (!text) {
        const what = msg.messageType === 'text' || msg.messageType === 'post' ? '消息是空的' : '暂时只能识别文字消息';
        return await reply(msg, { text: `${what}。${HOW_TO}` }, now, msg.messageType === 'text' ? 'empty' : `non_text:${msg.messageType}`);
      }
      // The direct parent first, then the thread root: both can be the bot's card.
      const replyTo =
        (msg.parentId ? await ctx.sentMessages.lookup(msg.parentId) : undefined) ??
        (msg.rootId && msg.rootId !== msg.parentId ? await ctx.sentMessages.lookup(msg.rootId) : undefined) ??
        null;
      // "4.1.1" in reply to the bot's "which task?" about files kept pending: attach them (src/commands/evidence-intake.ts).
      if (replyTo?.op === 'reply' && replyTo.targetMessageId) {
        const attached = await attachByReply(ctx, replyTo.targetMessageId, text);
        if (attached) return await reply(msg, { text: attached }, now);
      }
      if (replyTo && isAllSame(msg.text) && (await handleAllSame({ ...ctx, channel: 'reply' }, replyTo))) return;
      if (!replyTo && isAllSame(msg.text))
        return await reply(
          msg,
          { text: '「全部无变化」要回复（引用）那张进度报送卡片发送，机器人才知道是哪些任务；也可以逐项发送「无变化 <编号>」。这条消息已保存。' },
          now,
          'unknown_command',
        );
      const coded = splitCodedLines(msg.text);
      if (coded && coded.length === 1 && !coded[0]!.rest && !replyTo && mayRun(actor, ['office', 'contact', 'leader'])) {
        // A bare task code is a question about the task, as 任务 <编号>.
        const taskCmd = registry.find((c) => c.names[0] === '任务')!;
        const parsed = await taskCmd.parse(coded[0]!.code, ctx);
        if (parsed.ok) return await reply(msg, await taskCmd.run(ctx, parsed.value), now);
      }
      if (coded) return await handleCoded({ ...ctx, channel: replyTo ? 'reply' : 'chat' }, replyTo, coded);
      // "@张三 绑定 安定区": people put the person first. Where the command takes a person, the mention is its
      // subject (the commands read the message's mentions); elsewhere say plainly that the @ is not needed.
      const atLead = /^((?:@\S+\s+)+)(\S[\s\S]*)$/.exec(text);
      const afterAt = atLead ? matchCommandName(atLead[2]!, names) : null;
      if (atLead && afterAt) {
        const atCmd = registry.find((c) => c.names.includes(afterAt.name))!;
        if (!PERSON_COMMANDS.has(atCmd.names[0]!))
          return await reply(
            msg,
            { text: `「${atCmd.names[0]}」不需要 @ 人，请去掉开头的“${atLead[1]!.trim()}”再发送，例如：${atCmd.example ?? atCmd.usage}。这条消息没有执行。` },
            now,
            `bad_args:${atCmd.names[0]}`,
          );
      }
      const m = atLead && afterAt ? { name: afterAt.name, rest: `${afterAt.rest} ${atLead[1]!.trim()}`.trim() } : matchCommandName(text, names);
      const cmd = m ? registry.find((c) => c.names.includes(m.name)) : undefined;
      if (cmd && m) {
        const reportish = REPORT_COMMANDS.has(cmd.names[0]!);
        // In a reply to a card, "完成了排查…" or "进度正常" is prose about that card's task, not a command.
        if (replyTo && reportish && !isTaskCode(normaliseTaskCode(splitFirst(m.rest)[0])))
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
        const out = await cmd.run(ctx, parsed.value);
        return await reply(msg, out, now, out.unmatched);
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
    const ctx: CommandContext = { deps, actor, msg: null, now, today: shanghaiDate(now), channel: 'card', sentMessages: deps.sentMessages };
    const view = await assignmentView(deps.db, v.data.asg, ctx.today);
    if (!view) return { toast: { type: 'error', content: '这项任务已不存在' } };
    if (unitRefusal(actor, view))
      return { toast: { type: 'error', content: actor.roles.length ? NOT_YOUR_UNIT_TOAST : '你还没有绑定单位，请发送「绑定 <单位名称>」' } };
    const done = async (r: Result<string | { text: string }>): Promise<CardActionResult> => {
      if (!r.ok) return { toast: { type: 'error', content: r.error.slice(0, 200) } };
      const first = (typeof r.value === 'string' ? r.value : r.value.text).split('\n')[0]!;
      return { toast: { type: 'success', content: first.slice(0, 200) }, card: await assignmentCard(ctx, view.asg.id, first) };
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

  return { onMessage, onCardAction, onLifecycle: (ev, eventId, now) => handleLifecycle(deps, ev, eventId, now) };
}
