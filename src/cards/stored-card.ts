// src/cards/: pure card builders (Feishu card JSON 2.0): reminder and progress-request cards (reminder-card.ts), task
// cards and their forms (task-card.ts), the weekly digest (digest-card.ts, digest-text.ts), the late note
// (late-note.ts). Plain views in, card JSON out: the folder imports only src/domain/ (no rows, no commands).
//
// Cards the scheduler queues by the thousand (deadline reminders, periodic progress requests) are stored in the
// outbox as their renderer's input, `{"$card": name, "v": input}`: ~400 characters instead of ~1,900 of card JSON,
// so a wave of reminders writes a fifth of the bytes. The sender renders the card when it sends the row
// (`wireContent`). Rendering is pure and the input carries the instant the card was queued, so every attempt sends
// the same card. Every other message is stored exactly as Feishu gets it.
//
// The schemas below are a contract with rows already queued: a row may wait in the outbox across an upgrade, so a
// change to a card's input must keep accepting what earlier versions stored (new fields optional, old ones kept).
import { z } from 'zod';
import {
  renderProgressRequestCard, renderReminderCard, type ProgressRequestCardInput, type ReminderCardInput,
} from './reminder-card.js';
import { DubanError } from '../domain/errors.js';

const reminderInput = z.object({
  assignmentId: z.number().int(),
  taskCode: z.string(),
  taskTitle: z.string(),
  unitName: z.string(),
  step: z.enum(['before', 'due', 'after', 'periodic']),
  urgency: z.enum(['normal', 'soon', 'overdue']),
  dueLabel: z.string().nullish(),
  dueDate: z.string().nullable(),
  daysLeft: z.number().nullable(),
  offset: z.number(),
  period: z.string().optional(),
  percent: z.number(),
  lastReportAt: z.number().nullable(),
  escalationLevel: z.number().optional(),
  mentions: z.array(z.object({ openId: z.string(), name: z.string().nullish() })).optional(),
  now: z.number(),
});

const progressRequestInput = z.object({
  unitName: z.string(),
  period: z.string(),
  items: z
    .array(
      z.object({
        assignmentId: z.number().int(),
        taskCode: z.string(),
        taskTitle: z.string(),
        percent: z.number(),
        lastReportAt: z.number().nullable(),
      }),
    )
    .min(1),
  part: z.string().optional(),
  mentions: z.array(z.object({ openId: z.string(), name: z.string().nullish() })).optional(),
  now: z.number(),
});

// Each schema must describe exactly its renderer's input: a field added to one and not the other would be dropped
// from stored cards without a word, so a difference fails to compile.
type Fits<A, B> = [A] extends [B] ? true : false;
type Same<A, B> = [Fits<keyof A, keyof B>, Fits<keyof B, keyof A>, Fits<A, B>, Fits<B, A>] extends [true, true, true, true] ? true : false;
const schemasMatch: [Same<z.infer<typeof reminderInput>, ReminderCardInput>, Same<z.infer<typeof progressRequestInput>, ProgressRequestCardInput>] = [
  true,
  true,
];
void schemasMatch;

const STORED = {
  reminder: { input: reminderInput, render: renderReminderCard },
  progress_request: { input: progressRequestInput, render: renderProgressRequestCard },
} as const;

type StoredInputs = { [N in keyof typeof STORED]: Parameters<(typeof STORED)[N]['render']>[0] };

/** The outbox content for a card stored as its renderer's input (see wireContent). */
export function storedCard<N extends keyof StoredInputs>(name: N, input: StoredInputs[N]): Record<string, unknown> {
  return { $card: name, v: input };
}

/** A stored card that cannot be rendered (unknown name or bad input, e.g. written by another version). */
export class StoredCardError extends DubanError {
  constructor(message: string) {
    super('stored_card_invalid', message, {
      hint: '这条消息不会再重试；发送「未送达」（或运行 npx duban outbox list）查看，必要时重新操作一次让机器人重新生成。',
    });
  }
}

// JSON.stringify keeps insertion order, so a stored card's content always starts with this.
const PREFIX = '{"$card":';

/** Outbox content → what Feishu gets: a stored card rendered to card JSON; any other content as stored. */
export function wireContent(content: string): string {
  if (!content.startsWith(PREFIX)) return content;
  let parsed: { $card?: unknown; v?: unknown };
  try {
    parsed = JSON.parse(content) as typeof parsed;
  } catch {
    throw new StoredCardError('卡片内容不是有效的 JSON');
  }
  const kind = typeof parsed.$card === 'string' && Object.hasOwn(STORED, parsed.$card) ? STORED[parsed.$card as keyof typeof STORED] : null;
  if (!kind) throw new StoredCardError(`未知的卡片模板 ${JSON.stringify(parsed.$card)}`);
  const input = kind.input.safeParse(parsed.v);
  if (!input.success) {
    throw new StoredCardError(`卡片 ${String(parsed.$card)} 的数据不完整：${input.error.issues.map((i) => i.path.join('.') || '(根)').join('、')}`);
  }
  return JSON.stringify((kind.render as (i: unknown) => unknown)(input.data));
}
