// The SentMessageLookup port (src/ports.ts) on the outbox: which bot message a reply answers, so a reply to a
// reminder or task card reports on that card's assignment.
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { outbox } from './schema.js';
import { preparedFor } from './prepared.js';
import type { OutboxRow } from './outbox-store.js';
import type { SentMessageLookup } from '../ports.js';

/** The outbox row for a message the bot sent (task / assignment it was about), to route replies to it. */
export async function lookupSentMessage(db: Db, messageId: string): Promise<OutboxRow | undefined> {
  // Card patches carry the id of the message they update: the original send/reply is what the message was about.
  const stmt = preparedFor(db, 'sender.sentMessage', (d) =>
    d
      .select()
      .from(outbox)
      .where(and(eq(outbox.messageId, sql.placeholder('messageId')), inArray(outbox.op, ['send', 'reply'])))
      .orderBy(asc(outbox.id))
      .limit(1)
      .prepare(),
  );
  const rows = await stmt.execute({ messageId });
  return rows[0];
}

/** The lookup as a port, for AppDeps (CommandContext reaches it as ctx.deps.sentMessages). */
export function createSentMessageLookup(db: Db): SentMessageLookup {
  return { lookup: (messageId) => lookupSentMessage(db, messageId) };
}
