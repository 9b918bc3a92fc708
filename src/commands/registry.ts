// The chat command registry's shapes: one entry per command (names zh + en, parser, handler, help line).
// `帮助` is generated from the registry, so it never drifts from what exists.
import type { AppDeps } from '../deps.js';
import type { Actor, Role } from '../domain/actor.js';
import type { IncomingMessage } from '../domain/types.js';
import type { Result } from '../domain/result.js';
import type { ContactDirectory, SentMessageLookup } from '../ports.js';

export interface CommandReply {
  text?: string;
  /** A card (JSON 2.0) to answer with instead of / besides text. */
  card?: Record<string, unknown>;
  /** The task / assignment the answer is about: a reply to the answer then reports on it. */
  taskId?: number;
  assignmentId?: number;
  /** Set when the command could not use the message: it is kept in unmatched_messages with this reason. */
  unmatched?: string;
}

/**
 * What a command may use of the runtime: the database and configuration, the logger and clock, the outbox (to wake
 * the sender after queueing), and the evidence ports. Not the messenger, the inbound machinery or the crypto: a
 * command answers by returning a reply, which the inbound entry point queues.
 */
export type CommandDeps = Pick<AppDeps, 'db' | 'config' | 'logger' | 'clock' | 'outbox' | 'larkIm' | 'evidenceStore'>;

export interface CommandContext {
  deps: CommandDeps;
  actor: Actor;
  /** The message being answered (null when run from the CLI sandbox without one). */
  msg: IncomingMessage | null;
  now: number;
  /** Asia/Shanghai date of now. */
  today: string;
  channel: 'chat' | 'reply' | 'card' | 'cli';
  /** Which bot message a reply answers (a port: db/sent-messages.ts implements it). */
  sentMessages: SentMessageLookup;
  /**
   * Resolves emails/mobiles to open_ids and names (批量绑定, 绑定); a port: lark/contact.ts implements it. Absent where
   * no chat message is being answered (card buttons, the CLI's own commands).
   */
  contacts?: ContactDirectory;
}

/** What a command's parser gives: its arguments, or the Chinese sentence saying what is wrong with the text. */
export type ParseResult<A> = Result<A>;

export interface CommandDef<A = unknown> {
  /** Chinese name first, then English aliases: ['进度', 'progress']. */
  names: string[];
  /** '进度 <编号> <0–100>% [说明]' */
  usage: string;
  /** One line for 帮助. */
  summary: string;
  example?: string;
  /** Who may run it. 'any' includes people with no role yet. */
  roles: Role[] | 'any';
  parse(argText: string, ctx: CommandContext): ParseResult<A> | Promise<ParseResult<A>>;
  run(ctx: CommandContext, args: A): Promise<CommandReply>;
}
