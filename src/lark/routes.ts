// POST /lark/events and /lark/cards: verify, de-duplicate, acknowledge at once; messages run after the ack.
import type { Context, Hono } from 'hono';
import { RECALL_EVENT } from '../evidence/recall.js';
import type { AppDeps } from '../deps.js';
import type { CardActionResult } from '../domain/types.js';
import { createInboundHandlers } from '../commands/handlers.js';
import { verifyLarkRequest } from './verify.js';
import { normalizeLarkBody } from './normalize.js';
import {
  eventKey, finishInbound, flushOutbox, OWNED_CLAIM_MS, processInboundAfterAck, recordInboundEvent, releaseInbound,
  type OwnedInbound,
  type RecordInbound,
} from './inbox.js';

/** Card callbacks must be answered within 3 s; leave room for the network. */
const CARD_ANSWER_MS = 2_500;

function cardResponse(r: CardActionResult): Record<string, unknown> {
  return {
    ...(r.toast ? { toast: r.toast } : {}),
    ...(r.card ? { card: { type: 'raw', data: r.card } } : {}),
  };
}

export function registerLarkRoutes(app: Hono, deps: AppDeps): void {
  // Made out here, not in the handler: a closure created in the handler would keep the handler's whole scope (the
  // request context, its body, the parsed event) alive for as long as the task waits in the queue.
  const queueOwned = (owned: OwnedInbound) => deps.queueWork!(() => processInboundAfterAck(deps, owned));
  const record = (ev: RecordInbound, now: number) => (deps.recordInbound ? deps.recordInbound(ev, now) : recordInboundEvent(deps.db, ev, now));
  const handle = async (c: Context) => {
    deps.intake?.begin();
    try {
      return await answer(c);
    } finally {
      deps.intake?.end();
    }
  };
  const answer = async (c: Context) => {
    const raw = new Uint8Array(await c.req.arrayBuffer());
    const now = deps.clock();
    const v = await verifyLarkRequest(raw, (n) => c.req.header(n), deps.config, now, deps.larkCrypto);
    if (!v.ok) {
      deps.logger.warn(`lark: request refused (${v.status}): ${v.reason}${v.settingToCheck ? `; check ${v.settingToCheck}` : ''}`, {
        path: c.req.path,
      });
      const message = v.status === 401 ? '请求未通过飞书校验 / request not verified' : '请求格式错误 / malformed request';
      return c.json({ error: v.status === 401 ? 'unauthorized' : 'bad_request', message }, v.status);
    }
    const n = normalizeLarkBody(v.body, { botOpenId: deps.config.LARK_BOT_OPEN_ID || undefined });
    switch (n.kind) {
      case 'url_verification':
        return c.json({ challenge: n.challenge });
      case 'invalid':
        deps.logger.warn(`lark: malformed event: ${n.reason}`, { path: c.req.path });
        return c.json({ error: 'bad_request', message: '事件格式错误 / malformed event' }, 400);
      case 'other': {
        if (n.eventType === RECALL_EVENT) {
          // A recall removes evidence (src/evidence/recall.ts): processed after the ack like a message.
          const claimUntil = now + OWNED_CLAIM_MS;
          const fresh = await record({ eventId: n.eventId, eventType: n.eventType, payload: v.body, claimUntil }, now);
          if (fresh) deps.defer(processInboundAfterAck(deps, { key: eventKey(n.eventId), claimedUntil: claimUntil }));
          return c.json({});
        }
        await record({ eventId: n.eventId, eventType: n.eventType, payload: v.body, status: 'ignored' }, now);
        return c.json({});
      }
      case 'message': {
        // Recorded already claimed for this process, which processes it right after the ack with no claim to take.
        // When the work queue is full, the event is recorded unclaimed instead: the pending-event sweep takes it.
        const own = deps.queueWork ? (deps.queueHasRoom?.() ?? true) : true;
        const claimUntil = own ? now + OWNED_CLAIM_MS : undefined;
        const fresh = await record(
          { eventId: n.eventId, eventType: n.eventType, messageId: n.message.messageId, payload: v.body, ...(claimUntil ? { claimUntil } : {}) },
          now,
        );
        if (fresh && claimUntil) {
          // Only the key waits in memory (thousands of queued bodies would keep the garbage collector busy during a
          // burst); the processing reads the body back from the row just written.
          const owned = { key: eventKey(n.eventId), claimedUntil: claimUntil };
          if (!deps.queueWork) deps.defer(processInboundAfterAck(deps, owned));
          else if (!queueOwned(owned)) {
            // Filled up meanwhile: let go of the claim so the sweep can take the event.
            await releaseInbound(deps.db, owned.key);
            deps.leftPending?.();
          }
        } else if (fresh) {
          deps.leftPending?.();
        }
        return c.json({});
      }
      case 'card_action': {
        const fresh = await record(
          { eventId: n.eventId, eventType: n.eventType, payload: v.body, status: 'processing' },
          now,
        );
        if (!fresh) return c.json({});
        const work = createInboundHandlers(deps)
          .onCardAction(n.action, now)
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
        const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), CARD_ANSWER_MS)));
        const first = await Promise.race([work, late]);
        clearTimeout(timer);
        // Whatever the handler queued (e.g. a follow-up message) goes out after the answer.
        deps.defer(work.then(() => flushOutbox(deps)));
        if (first === 'late') return c.json(cardResponse({ toast: { type: 'info', content: '已收到，正在处理' } }));
        return c.json(cardResponse(first));
      }
    }
  };
  app.post('/lark/events', handle);
  app.post('/lark/cards', handle);
}
