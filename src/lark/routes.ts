// POST /lark/events and /lark/cards: verify, de-duplicate, acknowledge at once; messages run after the ack.
import type { Context, Hono } from 'hono';
import type { AppDeps } from '../deps.js';
import type { CardActionResult } from '../domain/types.js';
import { createInboundHandlers } from '../commands/handlers.js';
import { verifyLarkRequest } from './verify.js';
import { normalizeLarkBody } from './normalize.js';
import { eventKey, finishInbound, flushOutbox, processInboundAfterAck, recordInboundEvent } from './inbox.js';

/** Card callbacks must be answered within 3 s; leave room for the network. */
const CARD_ANSWER_MS = 2_500;

function cardResponse(r: CardActionResult): Record<string, unknown> {
  return {
    ...(r.toast ? { toast: r.toast } : {}),
    ...(r.card ? { card: { type: 'raw', data: r.card } } : {}),
  };
}

export function registerLarkRoutes(app: Hono, deps: AppDeps): void {
  const handle = async (c: Context) => {
    const raw = new Uint8Array(await c.req.arrayBuffer());
    const now = deps.clock();
    const v = await verifyLarkRequest(raw, (n) => c.req.header(n), deps.config, now);
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
        await recordInboundEvent(deps.db, { eventId: n.eventId, eventType: n.eventType, payload: v.body, status: 'ignored' }, now);
        return c.json({});
      }
      case 'message': {
        const fresh = await recordInboundEvent(
          deps.db,
          { eventId: n.eventId, eventType: n.eventType, messageId: n.message.messageId, payload: v.body },
          now,
        );
        if (fresh) {
          const key = eventKey(n.eventId);
          if (deps.queueWork) deps.queueWork(() => processInboundAfterAck(deps, key));
          else deps.defer(processInboundAfterAck(deps, key));
        }
        return c.json({});
      }
      case 'card_action': {
        const fresh = await recordInboundEvent(
          deps.db,
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
