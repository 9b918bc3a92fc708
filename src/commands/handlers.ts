// Inbound handlers: turn a normalised message or card action into command effects and replies.
// PLACEHOLDER until the command layer lands (issue 4): answers every message with a notice.
import type { AppDeps } from '../deps.js';
import type { CardAction, CardActionResult, IncomingMessage, InboundHandlers } from '../domain/types.js';
import { enqueueOutbox } from '../db/outbox-store.js';

export function createInboundHandlers(deps: AppDeps): InboundHandlers {
  return {
    async onMessage(msg: IncomingMessage, now: number) {
      await enqueueOutbox(
        deps.db,
        [
          {
            dedupeKey: `reply:${msg.messageId}`,
            op: 'reply',
            targetMessageId: msg.messageId,
            msgType: 'text',
            content: { text: '督办机器人已收到。命令功能即将开放。' },
            purpose: 'reply',
          },
        ],
        now,
      );
    },
    async onCardAction(_action: CardAction, _now: number): Promise<CardActionResult> {
      return { toast: { type: 'info', content: '已收到' } };
    },
  };
}
