// Recall handling for evidence only (`im.message.recalled_v1`, LARK.md §2): a recalled message takes its files with
// it. Kept apart so issue 14's recall handler (which also withdraws a progress report) can call
// removeEvidenceForMessage itself; until then the inbox routes recall events here.
import type { AppDeps } from '../deps.js';
import { removeEvidenceForMessage } from './store.js';

export const RECALL_EVENT = 'im.message.recalled_v1';

/** The recalled message's id from a verified schema-2.0 body, or null. */
export function recalledMessageId(body: Record<string, unknown>): string | null {
  const header = body.header as { event_type?: unknown } | undefined;
  const event = body.event as { message_id?: unknown } | undefined;
  if (header?.event_type !== RECALL_EVENT) return null;
  return typeof event?.message_id === 'string' && event.message_id ? event.message_id : null;
}

/** Remove the evidence of a recalled message; returns how many files went. */
export async function handleEvidenceRecall(deps: AppDeps, body: Record<string, unknown>, now: number): Promise<number> {
  const id = recalledMessageId(body);
  if (!id) return 0;
  const removed = await removeEvidenceForMessage(deps.db, deps.evidenceStore, id, now);
  if (removed.length) deps.logger.info('evidence removed: message recalled', { messageId: id, files: removed.length });
  return removed.length;
}

export { removeEvidenceForMessage };
