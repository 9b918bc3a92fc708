// src/domain/: the product's words and rules as pure functions and plain data. It imports nothing outside itself
// (test/architecture.test.ts): no database, no Feishu, no clock (time comes in as an argument).
//   actor.ts, permissions.ts   who someone is (Role, Actor) and the one "may this person act for this unit"
//   assignment.ts              the assignment state machine: report, no change, claim, return, close, extend,
//                              withdraw -> the new state or a refusal code (commands/ turns codes into Chinese)
//   plan-diff.ts               what a revised plan changes (the loader's rules, tested without a database)
//   calendar, dates, status, deadline-text, reminder-plan, stats, digest: deadlines, working days and the numbers
//   task-code.ts               the one task-code normaliser (chat and import alike)
//   errors.ts, result.ts       DubanError (a coded error) and Result (ok | err): the one vocabulary of failures
// This file: plain shapes shared between the Lark edge and the command layer: no HTTP, no SDK types.

/** A chat message from Feishu, normalised by the Lark edge. */
export interface IncomingMessage {
  eventId: string;
  messageId: string;
  chatId: string;
  chatType: 'p2p' | 'group';
  sender: { openId: string; userId?: string; unionId?: string };
  /** text | post | image | file | sticker | … */
  messageType: string;
  /** Plain text with the bot's @mention removed, other mentions written as `@名字`; '' for non-text. */
  text: string;
  /** People other than the bot that the message @mentions, in order. */
  mentions: Array<{ key: string; name: string; openId?: string; userId?: string }>;
  /** The message this one replies to (parent_id), and the thread root, when it is a reply. */
  parentId?: string;
  rootId?: string;
  threadId?: string;
  /** Epoch ms from the event. */
  createTime: number;
}

/** A press or form submit on one of the bot's cards (card.action.trigger). */
export interface CardAction {
  eventId: string;
  operator: { openId: string; userId?: string; unionId?: string };
  /** The button's callback value, e.g. {"a":"same","asg":12}. */
  value: Record<string, unknown>;
  formValue?: Record<string, unknown>;
  tag?: string;
  name?: string;
  /** The card update token (30 min, two uses). */
  token?: string;
  openMessageId?: string;
  openChatId?: string;
}

export interface CardActionResult {
  toast?: { type: 'success' | 'info' | 'warning' | 'error'; content: string };
  /** A replacement card (JSON 2.0) shown at once. */
  card?: Record<string, unknown>;
}

/** Card callback values the bot puts on its buttons: a = action, asg = assignment id. */
export type CardButtonValue =
  | { a: 'progress_form'; asg: number }
  | { a: 'same'; asg: number }
  | { a: 'done'; asg: number }
  | { a: 'extend_form'; asg: number }
  | { a: 'extend'; asg: number }
  | { a: 'progress'; asg: number };

/** What a handler gets for an inbound message or card action. */
/** Feishu lifecycle events the bot acts on (normalised at the edge). */
export type LifecycleEvent =
  | { type: 'bot_added'; chatId: string; chatName?: string; operatorOpenId?: string }
  | { type: 'bot_removed'; reason: 'deleted' | 'disbanded'; chatId: string; chatName?: string; operatorOpenId?: string }
  | { type: 'recalled'; messageId: string; chatId?: string; recallTime?: number; recallType?: RecallType }
  | { type: 'p2p_entered'; chatId: string; openId: string };

export interface InboundHandlers {
  /**
   * Handle a message. `withReply` are writes (drizzle queries, e.g. the inbox marking the event done) to commit in
   * the same batch as the reply; resolves true when they were, false when no reply was written (already answered).
   */
  onMessage(msg: IncomingMessage, now: number, withReply?: unknown[]): Promise<boolean>;
  onCardAction(action: CardAction, now: number): Promise<CardActionResult>;
  /** A lifecycle event (bot added/removed, disbanded, recall, p2p chat entered); idempotent per eventId. */
  onLifecycle(ev: LifecycleEvent, eventId: string, now: number): Promise<void>;
}

/** Something the bot wants to send; it becomes an outbox row. */
export interface OutboundMessage {
  /** Names the logical message; the same key is never sent twice. */
  dedupeKey: string;
  op?: 'send' | 'reply' | 'patch';
  receiveIdType?: 'open_id' | 'chat_id' | 'user_id' | 'union_id' | 'email';
  receiveId?: string;
  /** For reply: the message replied to; for patch: the card message to update. */
  targetMessageId?: string;
  msgType: 'text' | 'post' | 'interactive';
  /** The content object: {text} for text, the card JSON for interactive. Serialised on insert. */
  content: Record<string, unknown>;
  purpose: 'reminder' | 'escalation' | 'digest' | 'reply' | 'notice' | 'card_update';
  taskId?: number | null;
  assignmentId?: number | null;
  /** Earliest send instant (epoch ms); default now. */
  notBefore?: number;
  /**
   * Text messages only: people the bot itself @mentions (a unit group's contacts), put before the text as real
   * `<at user_id>` tags after the text was made inert, so only these ping and nothing typed by a user can.
   */
  mentionOpenIds?: string[];
}

/** Who recalled a message (im.message.recalled_v1 `recall_type`). */
export type RecallType = 'message_owner' | 'group_owner' | 'group_manager' | 'enterprise_manager';
