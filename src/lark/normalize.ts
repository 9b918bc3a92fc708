// Turn a verified Feishu body into a plain IncomingMessage / CardAction for the command layer (zod at the edge).
//
// Bot-mention rule: with LARK_BOT_OPEN_ID set, the bot is the mention whose open_id equals it (wherever it
// appears). Without it, in a group chat the bot is the first mention when the text starts with it (Feishu only
// delivers group messages that @ the bot, and people write "@机器人 进度 …"); in a p2p chat nothing is removed.
import { z } from 'zod';
import type { CardAction, IncomingMessage, LifecycleEvent, RecallType } from '../domain/types.js';

const urlCheckSchema = z.object({ type: z.literal('url_verification'), challenge: z.string() });

const envelopeSchema = z.object({
  schema: z.literal('2.0'),
  header: z.object({
    event_id: z.string().min(1),
    event_type: z.string().min(1),
    create_time: z.string().optional(),
    token: z.string().optional(),
    app_id: z.string().optional(),
    tenant_key: z.string().optional(),
  }),
  event: z.record(z.string(), z.unknown()),
});

const userIdSchema = z.object({
  open_id: z.string().optional(),
  user_id: z.string().optional().nullable(),
  union_id: z.string().optional().nullable(),
});

const mentionSchema = z.object({
  key: z.string(),
  id: userIdSchema.optional(),
  name: z.string().default(''),
});

const messageEventSchema = z.object({
  sender: z.object({ sender_id: userIdSchema.extend({ open_id: z.string().min(1) }), sender_type: z.string().optional() }),
  message: z.object({
    message_id: z.string().min(1),
    root_id: z.string().optional().nullable(),
    parent_id: z.string().optional().nullable(),
    thread_id: z.string().optional().nullable(),
    chat_id: z.string().min(1),
    chat_type: z.string(),
    message_type: z.string(),
    content: z.string(),
    mentions: z.array(mentionSchema).optional().nullable(),
    create_time: z.string().optional(),
  }),
});

const cardEventSchema = z.object({
  operator: userIdSchema.extend({ open_id: z.string().min(1) }),
  token: z.string().optional(),
  action: z.object({
    value: z.unknown().optional(),
    tag: z.string().optional(),
    name: z.string().optional(),
    form_value: z.record(z.string(), z.unknown()).optional().nullable(),
  }),
  context: z
    .object({ open_message_id: z.string().optional(), open_chat_id: z.string().optional() })
    .optional()
    .nullable(),
});

// Old v1.0 events (LARK.md §2): no schema/header, top-level uuid/token/ts, `type: "event_callback"`.
const v1EventSchema = z.object({
  uuid: z.string().min(1),
  type: z.literal('event_callback'),
  event: z.object({ type: z.string().min(1) }).passthrough(),
});

const chatLifecycleSchema = z.object({
  chat_id: z.string().min(1),
  operator_id: userIdSchema.optional().nullable(),
  name: z.string().optional().nullable(),
});
const RECALL_TYPES = new Set<string>(['message_owner', 'group_owner', 'group_manager', 'enterprise_manager']);
const recalledSchema = z.object({
  message_id: z.string().min(1),
  chat_id: z.string().optional().nullable(),
  recall_time: z.union([z.string(), z.number()]).optional().nullable(),
  recall_type: z.string().optional().nullable(),
});
const p2pEnteredSchema = z.object({
  chat_id: z.string().min(1),
  operator_id: userIdSchema.extend({ open_id: z.string().min(1) }),
});

/** Event types the bot acts on besides messages and card actions (README "Feishu setup" lists them). */
export const LIFECYCLE_EVENT_TYPES = [
  'im.chat.member.bot.added_v1',
  'im.chat.member.bot.deleted_v1',
  'im.chat.disbanded_v1',
  'im.message.recalled_v1',
  'im.chat.access_event.bot_p2p_chat_entered_v1',
] as const;

export type LarkInbound =
  | { kind: 'url_verification'; challenge: string }
  | { kind: 'message'; eventId: string; eventType: string; message: IncomingMessage }
  | { kind: 'card_action'; eventId: string; eventType: string; action: CardAction }
  | { kind: 'lifecycle'; eventId: string; eventType: string; event: LifecycleEvent }
  /** A verified event the bot does not act on: answered 200 and recorded as ignored (`reason` when misshapen). */
  | { kind: 'other'; eventId: string; eventType: string; reason?: string }
  | { kind: 'invalid'; reason: string };

export interface NormalizeOptions {
  botOpenId?: string;
}

const opt = (v: string | null | undefined) => (v ? v : undefined);

function idsOf(u: z.infer<typeof userIdSchema>): { userId?: string; unionId?: string } {
  return {
    ...(opt(u.user_id) ? { userId: u.user_id! } : {}),
    ...(opt(u.union_id) ? { unionId: u.union_id! } : {}),
  };
}

/** Flatten a `post` content (optionally wrapped in a locale key) into text with `@_user_N` placeholders kept. */
export function flattenPost(content: unknown): string {
  if (!content || typeof content !== 'object') return '';
  let post = content as Record<string, unknown>;
  if (!Array.isArray(post.content)) {
    const locale = Object.values(post).find((v) => v && typeof v === 'object' && Array.isArray((v as Record<string, unknown>).content));
    if (!locale) return '';
    post = locale as Record<string, unknown>;
  }
  const lines: string[] = [];
  if (typeof post.title === 'string' && post.title.trim()) lines.push(post.title.trim());
  for (const para of post.content as unknown[]) {
    if (!Array.isArray(para)) continue;
    let line = '';
    for (const el of para as Array<Record<string, unknown>>) {
      if (!el || typeof el !== 'object') continue;
      if (el.tag === 'text' || el.tag === 'a' || el.tag === 'md') line += typeof el.text === 'string' ? el.text : '';
      else if (el.tag === 'at') line += typeof el.user_id === 'string' ? (el.user_id.startsWith('@') ? el.user_id : `@${el.user_name ?? ''}`) : '';
      else if (el.tag === 'emotion') line += typeof el.emoji_type === 'string' ? `[${el.emoji_type}]` : '';
    }
    lines.push(line);
  }
  return lines.join('\n');
}

function rawTextOf(messageType: string, content: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return '';
  }
  if (messageType === 'text') {
    const t = (parsed as Record<string, unknown> | null)?.text;
    return typeof t === 'string' ? t : '';
  }
  if (messageType === 'post') return flattenPost(parsed);
  return '';
}

/** Resolve `@_user_N` placeholders: drop the bot's own mention, write others as `@名字`. */
export function resolveMentions(
  raw: string,
  mentions: Array<z.infer<typeof mentionSchema>>,
  chatType: 'p2p' | 'group',
  opts: NormalizeOptions,
): { text: string; mentions: IncomingMessage['mentions'] } {
  let botKey: string | undefined;
  if (opts.botOpenId) botKey = mentions.find((m) => m.id?.open_id === opts.botOpenId)?.key;
  else if (chatType === 'group' && mentions[0] && raw.trimStart().startsWith(mentions[0].key)) botKey = mentions[0].key;
  const byKey = new Map(mentions.map((m) => [m.key, m]));
  const text = raw
    .replace(/@_user_\d+|@_all/g, (key) => {
      if (key === botKey) return ' ';
      if (key === '@_all') return '@所有人';
      const m = byKey.get(key);
      return m ? `@${m.name}` : key;
    })
    .replace(/[ \t\u00a0\u3000]+/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .join('\n')
    .trim();
  const others = mentions
    .filter((m) => m.key !== botKey)
    .map((m) => ({
      key: m.key,
      name: m.name,
      ...(opt(m.id?.open_id) ? { openId: m.id!.open_id! } : {}),
      ...(opt(m.id?.user_id) ? { userId: m.id!.user_id! } : {}),
    }));
  return { text, mentions: others };
}

function cardValue(v: unknown): Record<string, unknown> {
  if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  if (typeof v === 'string') {
    try {
      const p: unknown = JSON.parse(v);
      if (p && typeof p === 'object' && !Array.isArray(p)) return p as Record<string, unknown>;
    } catch {
      /* a plain string value */
    }
    return { value: v };
  }
  return {};
}

/** Normalise a verified body. 'invalid' means the caller answers 400. */
export function normalizeLarkBody(body: Record<string, unknown>, opts: NormalizeOptions = {}): LarkInbound {
  const check = urlCheckSchema.safeParse(body);
  if (check.success) return { kind: 'url_verification', challenge: check.data.challenge };
  const env = envelopeSchema.safeParse(body);
  if (!env.success) {
    // A v1.0 event: acknowledged and kept as ignored (de-duplicated on its uuid), so Feishu stops re-pushing it.
    const v1 = v1EventSchema.safeParse(body);
    if (v1.success) return { kind: 'other', eventId: `v1:${v1.data.uuid}`, eventType: `v1:${v1.data.event.type}` };
    return { kind: 'invalid', reason: 'not a schema 2.0 event envelope' };
  }
  const { event_id: eventId, event_type: eventType } = env.data.header;

  if (eventType === 'im.message.receive_v1') {
    const ev = messageEventSchema.safeParse(env.data.event);
    if (!ev.success) return { kind: 'other', eventId, eventType, reason: 'im.message.receive_v1 event has an unexpected shape' };
    const { sender, message: m } = ev.data;
    const chatType = m.chat_type === 'p2p' ? 'p2p' : 'group';
    const resolved = resolveMentions(rawTextOf(m.message_type, m.content), m.mentions ?? [], chatType, opts);
    const createTime = Number(m.create_time ?? env.data.header.create_time ?? 0);
    const message: IncomingMessage = {
      eventId,
      messageId: m.message_id,
      chatId: m.chat_id,
      chatType,
      sender: { openId: sender.sender_id.open_id, ...idsOf(sender.sender_id) },
      messageType: m.message_type,
      text: resolved.text,
      mentions: resolved.mentions,
      ...(opt(m.parent_id) ? { parentId: m.parent_id! } : {}),
      ...(opt(m.root_id) ? { rootId: m.root_id! } : {}),
      ...(opt(m.thread_id) ? { threadId: m.thread_id! } : {}),
      createTime: Number.isFinite(createTime) ? createTime : 0,
    };
    return { kind: 'message', eventId, eventType, message };
  }

  if (eventType === 'card.action.trigger') {
    const ev = cardEventSchema.safeParse(env.data.event);
    if (!ev.success) return { kind: 'other', eventId, eventType, reason: 'card.action.trigger event has an unexpected shape' };
    const e = ev.data;
    const action: CardAction = {
      eventId,
      operator: { openId: e.operator.open_id, ...idsOf(e.operator) },
      value: cardValue(e.action.value),
      ...(e.action.form_value ? { formValue: e.action.form_value } : {}),
      ...(e.action.tag ? { tag: e.action.tag } : {}),
      ...(e.action.name ? { name: e.action.name } : {}),
      ...(e.token ? { token: e.token } : {}),
      ...(e.context?.open_message_id ? { openMessageId: e.context.open_message_id } : {}),
      ...(e.context?.open_chat_id ? { openChatId: e.context.open_chat_id } : {}),
    };
    return { kind: 'card_action', eventId, eventType, action };
  }

  const life = lifecycleOf(eventType, env.data.event);
  if (life === 'misshapen') return { kind: 'other', eventId, eventType, reason: `${eventType} event has an unexpected shape` };
  if (life) return { kind: 'lifecycle', eventId, eventType, event: life };
  return { kind: 'other', eventId, eventType };
}

function lifecycleOf(eventType: string, event: Record<string, unknown>): LifecycleEvent | 'misshapen' | null {
  switch (eventType) {
    case 'im.chat.member.bot.added_v1':
    case 'im.chat.member.bot.deleted_v1':
    case 'im.chat.disbanded_v1': {
      const e = chatLifecycleSchema.safeParse(event);
      if (!e.success) return 'misshapen';
      const common = {
        chatId: e.data.chat_id,
        ...(opt(e.data.name) ? { chatName: e.data.name! } : {}),
        ...(opt(e.data.operator_id?.open_id) ? { operatorOpenId: e.data.operator_id!.open_id! } : {}),
      };
      if (eventType === 'im.chat.member.bot.added_v1') return { type: 'bot_added', ...common };
      return { type: 'bot_removed', reason: eventType === 'im.chat.disbanded_v1' ? 'disbanded' : 'deleted', ...common };
    }
    case 'im.message.recalled_v1': {
      const e = recalledSchema.safeParse(event);
      if (!e.success) return 'misshapen';
      const t = Number(e.data.recall_time ?? NaN);
      return {
        type: 'recalled',
        messageId: e.data.message_id,
        ...(opt(e.data.chat_id) ? { chatId: e.data.chat_id! } : {}),
        ...(Number.isFinite(t) ? { recallTime: t } : {}),
        ...(RECALL_TYPES.has(e.data.recall_type ?? '') ? { recallType: e.data.recall_type as RecallType } : {}),
      };
    }
    case 'im.chat.access_event.bot_p2p_chat_entered_v1': {
      const e = p2pEnteredSchema.safeParse(event);
      if (!e.success) return 'misshapen';
      return { type: 'p2p_entered', chatId: e.data.chat_id, openId: e.data.operator_id.open_id };
    }
    default:
      return null;
  }
}
