// A card callback whose work outlasts Feishu's 3 s is answered in time with a "处理中" toast; the card the work
// then computes is applied with the delayed-update API and the callback's token (LARK.md §6), not thrown away.
import type { AppDeps } from '../deps.js';
import { insertOutboxMessage } from '../db/outbox-store.js';
import type { CardAction, CardActionResult } from '../domain/types.js';

/** Card callbacks must be answered within 3 s; leave room for the network. */
export const CARD_ANSWER_MS = 2_500;
/** The update must come after the callback's answer reached Feishu (else it fails or is reverted). */
const AFTER_ANSWER_MS = 500;
/** Transient failures are retried a few times: the token lives 30 minutes and allows two updates. */
const RETRY_DELAYS_MS = [1_000, 5_000, 20_000];

export const LATE_TOAST: CardActionResult = { toast: { type: 'info', content: '处理中，完成后卡片会自动更新' } };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Apply what a late card action computed: its card by token; a toast-only outcome as a message to the operator. */
export async function applyLateCardResult(
  deps: Pick<AppDeps, 'db' | 'messenger' | 'logger' | 'clock'>,
  action: CardAction,
  r: CardActionResult,
): Promise<void> {
  await sleep(AFTER_ANSWER_MS);
  if (r.card && action.token && deps.messenger.updateCardByToken) {
    for (let i = 0; ; i++) {
      const res = await deps.messenger.updateCardByToken(action.token, r.card);
      if (res.ok) return;
      deps.logger.warn('lark: delayed card update failed', { eventId: action.eventId, code: res.error.code, reason: res.error.reason });
      if (res.error.permanent || i >= RETRY_DELAYS_MS.length) break;
      await sleep(RETRY_DELAYS_MS[i]!);
    }
  }
  // No card to show (or it could not be applied): tell the operator the outcome in chat, once.
  const content = r.toast?.content;
  if (!content) return;
  await insertOutboxMessage(
    deps.db,
    {
      dedupeKey: `card-late:${action.eventId}`,
      op: 'send',
      receiveIdType: 'open_id',
      receiveId: action.operator.openId,
      msgType: 'text',
      content: { text: content },
      purpose: 'reply',
    },
    deps.clock(),
  );
}
