// Composition: the full AppDeps from what a runtime provides, so node.ts, worker.ts, the CLI sandbox and the test
// helpers do not each wire the ports by hand. The defaults are the runtime with no background machinery (Workers,
// tests): one recorder statement per event, processing after the ack through deps.defer, the outbox drained by the
// work that queued a message, WebCrypto. The Node service passes its own (group commit, work queue, sender loop,
// node:crypto). Only runtime-neutral modules are imported here: worker.ts bundles this file.
import type { AppDeps } from './deps.js';
import type { AfterAck, InboundHandler, Outbox } from './ports.js';
import { createSingleInboundRecorder } from './db/inbox-store.js';
import { createSentMessageLookup } from './db/sent-messages.js';
import { webLarkCrypto } from './lark/crypto.js';
import { createLazyLarkContactDirectory } from './lark/contact.js';
import { processInboundAfterAck } from './lark/inbox.js';
import { CARD_ANSWER_MS } from './lark/late-card.js';
import { createInlineOutboxFlush } from './lark/outbox-flush.js';
import { createIntakeGauge } from './lark/work-queue.js';
import { createInboundHandler } from './commands/inbound.js';

/** What every runtime has to give: its database, configuration, logger, clock, deferred work and messenger. */
export type RuntimeBase = Pick<AppDeps, 'db' | 'config' | 'logger' | 'clock' | 'defer' | 'messenger'>;

/** The ports a runtime supplies itself; the rest take the defaults above. Factories get the finished AppDeps. */
export type ComposeOptions = Partial<Omit<AppDeps, keyof RuntimeBase | 'inbound' | 'afterAck' | 'outbox'>> & {
  afterAck?: (deps: AppDeps) => AfterAck;
  outbox?: (deps: AppDeps) => Outbox;
};

/**
 * Work after the ack where nothing queues it (Workers: ctx.waitUntil; tests: tracked deferred work): always room,
 * each event processed at once through deps.defer (read at call time, so a test may wrap it).
 */
export function deferredAfterAck(deps: AppDeps): AfterAck {
  return {
    hasRoom: () => true,
    take: async (owned) => deps.defer(processInboundAfterAck(deps, owned)),
    leftPending() {},
  };
}

/**
 * The one inbound entry point, built on first use: most requests (health, board, a duplicate) never need the command
 * registry, and a Workers invocation builds its AppDeps per request.
 */
function lazyInbound(deps: AppDeps): InboundHandler {
  let h: InboundHandler | undefined;
  const get = () => (h ??= createInboundHandler(deps));
  return {
    message: (msg, files, now, done) => get().message(msg, files, now, done),
    cardAction: (action, now) => get().cardAction(action, now),
    lifecycle: (ev, eventId, now) => get().lifecycle(ev, eventId, now),
  };
}

export function composeAppDeps(base: RuntimeBase, opts: ComposeOptions = {}): AppDeps {
  const { afterAck, outbox, ...rest } = opts;
  // An option given as undefined takes the default.
  const given = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  // Filled in place: the ports built from deps below must see the very object the app gets (tests replace members).
  const deps = {
    ...base,
    recordInbound: createSingleInboundRecorder(base.db),
    intake: createIntakeGauge(),
    larkCrypto: webLarkCrypto,
    sentMessages: createSentMessageLookup(base.db),
    contacts: createLazyLarkContactDirectory(base.config),
    cardAnswerMs: CARD_ANSWER_MS,
    buildDigest: null,
    slowCardStep: null,
    evidenceStore: null,
    larkIm: null,
    ...given,
  } as AppDeps;
  deps.outbox = outbox ? outbox(deps) : createInlineOutboxFlush(deps);
  deps.afterAck = afterAck ? afterAck(deps) : deferredAfterAck(deps);
  deps.inbound = lazyInbound(deps);
  return deps;
}
