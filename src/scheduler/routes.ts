// POST /api/scheduler/run: one run of the scheduled jobs (run.ts) for any instant, behind the admin token
// (ADMIN_TOKEN, bearer): the pass, unguarded like tick, then the flush of what it queued through `outbox`.
import { createHash } from 'node:crypto';
import type { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import type { OutboxFlush } from '../ports.js';
import { SKIP_REASON_ZH } from './pass.js';
import { runScheduledJobs } from './run.js';

const body = z
  .object({ at: z.iso.datetime({ offset: true, message: 'at 应为 ISO-8601 时刻，例如 2022-06-16T09:30:00+08:00' }).optional() })
  .strict();

/** Constant-time comparison (over digests, so lengths never leak). */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** `outbox` delivers what the pass queued (the composition root gives the Lark sender, ~20 s at most). */
export function registerSchedulerRoutes(app: Hono, deps: AppDeps, outbox: OutboxFlush): void {
  app.post('/api/scheduler/run', async (c) => {
    const expected = deps.config.ADMIN_TOKEN;
    if (!expected) {
      return c.json(
        { error: 'admin_disabled', message: '管理接口未启用：请设置环境变量 ADMIN_TOKEN 后重启 / set ADMIN_TOKEN to enable' },
        403,
      );
    }
    const auth = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(auth);
    if (!m || !tokensEqual(m[1]!.trim(), expected)) {
      deps.logger.warn('scheduler route: bad or missing admin token', { path: c.req.path });
      return c.json({ error: 'unauthorized', message: '需要管理令牌：Authorization: Bearer <ADMIN_TOKEN>' }, 401, {
        'WWW-Authenticate': 'Bearer',
      });
    }
    const raw = await c.req.text();
    let json: unknown = {};
    if (raw.trim()) {
      try {
        json = JSON.parse(raw);
      } catch {
        return c.json({ error: 'bad_request', message: '请求体不是合法的 JSON，例如 {"at":"2022-06-16T09:30:00+08:00"}' }, 400);
      }
    }
    const parsed = body.safeParse(json);
    if (!parsed.success) {
      return c.json({ error: 'bad_request', message: parsed.error.issues.map((i) => i.message).join('；') }, 400);
    }
    const at = parsed.data.at ? Date.parse(parsed.data.at) : deps.clock();
    // Deliver what fits in ~20 s here; the outbox loop (Node) or the next drain (Workers) sends the rest.
    const run = await runScheduledJobs({ ...deps, outbox, leaseHolder: null }, ['pass', 'send'], at, { sendOnlyQueued: true });
    const r = { ...run.pass!, delivered: run.delivered };
    deps.outbox.kick();
    return c.json({
      at: new Date(r.at).toISOString(),
      date: r.date,
      skippedReason: r.skippedReason ?? null,
      skipped: r.skippedReason ? SKIP_REASON_ZH[r.skippedReason] : null,
      planned: r.planned,
      suppressed: r.suppressed,
      queued: r.queued,
      outboxIds: r.outboxIds,
      delivered: r.delivered,
      warnings: r.warnings,
    });
  });
}
