// createApp(deps): the HTTP routes. Every dependency comes in as a parameter; nothing here knows the runtime.
import { Hono } from 'hono';
import type { AppDeps } from './deps.js';
import { countPlans, pingDatabase } from './db/health.js';
import { VERSION } from './version.js';
import { isDubanError } from './domain/errors.js';
import { registerLarkRoutes } from './lark/routes.js';
import { larkInboundStatus } from './lark/verify.js';
import { ADMIN_BODY_LIMIT_BYTES, bodyCap } from './lark/body-cap.js';
import { registerSchedulerRoutes } from './scheduler/routes.js';
import { createOutboxFlush } from './lark/outbox-flush.js';
import { registerBoardRoutes } from './board/routes.js';
import { registerEvidenceRoutes } from './evidence/routes.js';

/** /healthz: whether /lark/* accepts events, how they are verified, or why they are refused. */
function larkInboundJson(config: AppDeps['config']) {
  const s = larkInboundStatus(config);
  return s.enabled ? { enabled: true, verifiedBy: s.verifiedBy } : { enabled: false, reason: s.reason };
}

export function createApp(deps: AppDeps) {
  const app = new Hono();

  app.get('/healthz', async (c) => {
    let database = false;
    let planLoaded = false;
    let planCount = 0;
    try {
      await pingDatabase(deps.db);
      database = true;
      planCount = await countPlans(deps.db);
      planLoaded = planCount > 0;
    } catch (err) {
      deps.logger.error('healthz: database check failed', { error: (err as Error).message });
    }
    const ok = database;
    return c.json(
      {
        status: ok ? 'ok' : 'error',
        database: database ? 'ok' : 'error',
        planLoaded,
        plans: planCount,
        larkConfigured: deps.config.larkConfigured,
        larkInbound: larkInboundJson(deps.config),
        version: VERSION,
      },
      ok ? 200 : 503,
    );
  });

  registerLarkRoutes(app, deps);
  // Every other route takes a few bytes (admin JSON, the board's login form): capped too, so no request body anywhere
  // is read whole unbounded (an unauthenticated 200 MB POST /board/login took the service from 160 to 930 MB).
  const otherCap = bodyCap(ADMIN_BODY_LIMIT_BYTES);
  app.use('*', (c, next) => (c.req.path.startsWith('/lark/') ? next() : otherCap(c, next)));
  // The admin route delivers what its pass queued for ~20 s; the outbox loop (Node) or the next drain (Workers) sends the rest.
  registerSchedulerRoutes(app, deps, createOutboxFlush(deps, { maxMs: 20_000, asOf: 'pass' }));
  registerBoardRoutes(app, deps);
  registerEvidenceRoutes(app, deps);

  app.notFound((c) => c.json({ error: 'not_found', message: '没有这个地址 / no such route' }, 404));
  app.onError((err, c) => {
    deps.logger.error('unhandled error', { path: c.req.path, error: err.message, ...(isDubanError(err) ? { code: err.code } : {}) });
    return c.json({ error: 'internal', message: '服务器内部错误，请稍后重试 / internal error' }, 500);
  });

  return app;
}
