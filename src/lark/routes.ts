// POST /lark/events and /lark/cards: the Feishu edge. Verify (signature, token, freshness) and decrypt, normalise, record
// the event durably (deps.recordInbound: the de-dup rows of db/inbox-store.ts) and acknowledge at once. Messages and
// lifecycle events are processed after the ack through the AfterAck port (Node: the work queue; Workers: waitUntil),
// by lark/inbox.ts, which hands them to the one inbound entry point (deps.inbound, commands/inbound.ts); a card action
// is answered inline by the same entry point, within Feishu's 3 s. Nothing here knows the runtime or the commands.
//
// The folder src/lark/ is the Feishu edge, in both directions, and imports nothing from src/commands/:
//   in    routes.ts, verify.ts + crypto.ts / crypto-node.ts (the LarkCrypto port), body-cap.ts, normalize.ts (Feishu's
//         bodies -> src/domain/types.ts shapes), inbox.ts (processing a recorded event, retries, the pending sweep),
//         work-queue.ts (Node's after-ack runner), late-card.ts (the 3 s card answer), bot-identity.ts
//   out   messenger.ts (the Messenger port: the SDK, or a console printer offline), sender.ts (drainOutbox, the rate
//         limiter's use, the outage breaker, the Node sender loop), outbox-flush.ts (the OutboxFlush and Outbox ports),
//         contact.ts (ContactDirectory), im-extras.ts (LarkIm: files, read receipts, buzz), card-text.ts
import type { Context, Hono } from 'hono';
import type { AppDeps } from '../deps.js';
import type { CardActionResult } from '../domain/types.js';
import { eventKey, finishInbound, OWNED_CLAIM_MS } from '../db/inbox-store.js';
import { INBOUND_DISABLED_MESSAGE, verifyLarkRequest } from './verify.js';
import { bodyCap } from './body-cap.js';
import { normalizeLarkBody } from './normalize.js';
import { applyLateCardResult, LATE_TOAST } from './late-card.js';

function cardResponse(r: CardActionResult): Record<string, unknown> {
  return {
    ...(r.toast ? { toast: r.toast } : {}),
    ...(r.card ? { card: { type: 'raw', data: r.card } } : {}),
  };
}

export function registerLarkRoutes(app: Hono, deps: AppDeps): void {
  const handle = async (c: Context) => {
    deps.intake.begin();
    try {
      return await answer(c);
    } finally {
      deps.intake.end();
    }
  };
  const answer = async (c: Context) => {
    const raw = new Uint8Array(await c.req.arrayBuffer());
    const now = deps.clock();
    const checked = await verifyLarkRequest(raw, (n) => c.req.header(n), deps.config, now, deps.larkCrypto);
    if (!checked.ok) {
      const no = checked.error;
      deps.logger.warn(`lark: request refused (${no.status}): ${no.reason}${no.settingToCheck ? `; check ${no.settingToCheck}` : ''}`, {
        path: c.req.path,
      });
      if (no.status === 503) return c.json({ error: 'inbound_disabled', message: INBOUND_DISABLED_MESSAGE }, 503);
      const message = no.status === 401 ? '请求未通过飞书校验 / request not verified' : '请求格式错误 / malformed request';
      return c.json({ error: no.status === 401 ? 'unauthorized' : 'bad_request', message }, no.status);
    }
    const v = checked.value;
    // Only a genuine URL check is answered with its challenge (verify.ts decides what is genuine).
    if (v.kind === 'url_check') return c.json({ challenge: v.challenge });
    const n = normalizeLarkBody(v.body, { botOpenId: deps.config.LARK_BOT_OPEN_ID || undefined });
    switch (n.kind) {
      case 'url_verification':
        // Says url_verification but is not a genuine URL check (extra fields): not an event either.
        deps.logger.warn('lark: url_verification body with extra fields refused', { path: c.req.path });
        return c.json({ error: 'bad_request', message: '事件格式错误 / malformed event' }, 400);
      case 'invalid':
        deps.logger.warn(`lark: malformed event: ${n.reason}`, { path: c.req.path });
        return c.json({ error: 'bad_request', message: '事件格式错误 / malformed event' }, 400);
      case 'other': {
        if (n.reason) deps.logger.warn(`lark: event ignored: ${n.reason}`, { eventId: n.eventId });
        await deps.recordInbound({ eventId: n.eventId, eventType: n.eventType, payload: v.body, status: 'ignored' }, now);
        return c.json({});
      }
      // Lifecycle events (bot added/removed, recall, p2p entered) take the same durable path as messages.
      case 'lifecycle':
      case 'message': {
        // Recorded already claimed for this process, which processes it right after the ack with no claim to take.
        // When there is no room after the ack (Node's work queue full), the event is recorded unclaimed instead: the
        // pending-event sweep takes it.
        const claimUntil = deps.afterAck.hasRoom() ? now + OWNED_CLAIM_MS : undefined;
        const fresh = await deps.recordInbound(
          {
            eventId: n.eventId,
            eventType: n.eventType,
            ...(n.kind === 'message' ? { messageId: n.message.messageId } : {}),
            payload: v.body,
            ...(claimUntil ? { claimUntil } : {}),
          },
          now,
        );
        // Only the key waits in memory (thousands of queued bodies would keep the garbage collector busy during a
        // burst); the processing reads the body back from the row just written.
        if (fresh && claimUntil) await deps.afterAck.take({ key: eventKey(n.eventId), claimedUntil: claimUntil });
        else if (fresh) deps.afterAck.leftPending();
        return c.json({});
      }
      case 'card_action': {
        const fresh = await deps.recordInbound(
          { eventId: n.eventId, eventType: n.eventType, payload: v.body, status: 'processing' },
          now,
        );
        if (!fresh) return c.json({});
        const work = (deps.slowCardStep ? deps.slowCardStep() : Promise.resolve())
          .then(() => deps.inbound.cardAction(n.action, now))
          .then(async (r) => {
            await finishInbound(deps.db, n.eventId, 'done', deps.clock());
            return r;
          })
          .catch(async (err: unknown) => {
            const msg = String((err as Error)?.message ?? err).slice(0, 500);
            deps.logger.error('card action failed', { eventId: n.eventId, error: msg });
            await finishInbound(deps.db, n.eventId, 'failed', deps.clock(), msg);
            return { toast: { type: 'error', content: '处理失败，请稍后重试' } } as CardActionResult;
          });
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), deps.cardAnswerMs)));
        const first = await Promise.race([work, late]);
        clearTimeout(timer);
        if (first === 'late') {
          // Answered in time; the computed card follows with the delayed-update API once this answer is out.
          deps.defer(work.then(async (r) => {
            await applyLateCardResult(deps, n.action, r);
            await deps.outbox.sendQueued();
          }));
          return c.json(cardResponse(LATE_TOAST));
        }
        // Whatever the handler queued (e.g. a follow-up message) goes out after the answer.
        deps.defer(work.then(() => deps.outbox.sendQueued()));
        return c.json(cardResponse(first));
      }
    }
  };
  const cap = bodyCap(undefined, (declared) =>
    deps.logger.warn('lark: request body over the cap refused (413)', declared ? { contentLength: declared } : {}),
  );
  app.post('/lark/events', cap, handle);
  app.post('/lark/cards', cap, handle);
}
