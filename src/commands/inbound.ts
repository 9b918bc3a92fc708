// THE inbound entry point (the InboundHandler port, src/ports.ts): every event lark/ has verified, recorded and
// normalised arrives here, whatever the runtime (after the ack, from the pending sweep, a card callback inline):
//   a message with files   evidence intake (./evidence-intake.ts); a post whose text is a command runs it first
//   a text or post message the command layer (./handlers.ts: commands, replies to the bot's cards, coded lines)
//   any other message      one reply saying what the bot can read
//   a card action          ./handlers.ts onCardAction (answered inline)
//   a lifecycle event      ./lifecycle.ts
// The composition roots (src/compose.ts) build it once per AppDeps and wire it in as deps.inbound.
//
// The folder src/commands/ is the conversation: what people say and press, and what the bot answers. It imports
// nothing from src/lark/ (Feishu is reached through the ports) and reaches tables only through src/db/ stores.
//   registry.ts, index.ts, parse.ts   the command list (帮助 and the README table come from it) and the parsers
//   handlers.ts, lifecycle.ts          messages, replies to the bot's cards, card buttons; bot added/removed, recalls
//   *-commands.ts, task-views.ts, office-views.ts, undelivered.ts   the commands, by subject
//   record.ts, assignment-text.ts      applying the domain's assignment state machine, and its refusal codes in Chinese
//   evidence-intake.ts, evidence-card.ts   the command side of evidence files; lookup.ts: tasks and units by name
import type { AppDeps } from '../deps.js';
import { runBatch } from '../db/batch.js';
import { outboxInsertPrepared } from '../db/outbox-store.js';
import type { Attachment } from '../domain/evidence.js';
import type { IncomingMessage } from '../domain/types.js';
import type { InboundHandler } from '../ports.js';
import { evidenceIntakeOf, handleEvidenceMessage } from './evidence-intake.js';
import { createInboundHandlers, replyReceiver } from './handlers.js';
import { allNames, buildRegistry } from './index.js';

export const UNSUPPORTED_REPLY = '暂时只能处理文字、图片和文件（佐证材料），请用文字回复，例如：进度 4.1.2 60%';
const SUPPORTED_TYPES = new Set(['text', 'post']);

let commandNames: string[] | undefined;

export function createInboundHandler(deps: AppDeps): InboundHandler {
  // The command handlers hold no per-message state: built (registry, name index) once.
  const handlers = createInboundHandlers(deps);
  return {
    async message(msg: IncomingMessage, files: Attachment[], now: number, done: unknown[]): Promise<boolean> {
      // Images, files and posts with images: evidence (./evidence-intake.ts). A post whose text is a command runs
      // the command first, then its files (so "进度 4.1.1 60%" + photo puts the photo on that report's assignment).
      const intake = evidenceIntakeOf(files, msg, (commandNames ??= allNames(buildRegistry())));
      if (intake && !intake.textFirst) {
        await handleEvidenceMessage(deps, msg, intake, now, { replyKey: `reply:${msg.messageId}`, withReply: done });
        return true;
      }
      if (intake?.textFirst) {
        await handlers.onMessage(msg, now);
        await handleEvidenceMessage(deps, msg, intake, now, { replyKey: `evidence:${msg.messageId}`, withReply: done });
        return true;
      }
      if (!SUPPORTED_TYPES.has(msg.messageType)) {
        await runBatch(deps.db, [
          outboxInsertPrepared(
            deps.db,
            {
              dedupeKey: `unsupported:${msg.messageId}`,
              op: 'reply',
              targetMessageId: msg.messageId,
              ...replyReceiver(msg),
              msgType: 'text',
              content: { text: UNSUPPORTED_REPLY },
              purpose: 'reply',
            },
            now,
          ),
          ...done,
        ]);
        return true;
      }
      return handlers.onMessage(msg, now, done);
    },
    cardAction: (action, now) => handlers.onCardAction(action, now),
    lifecycle: (ev, eventId, now) => handlers.onLifecycle(ev, eventId, now),
  };
}
