// The bundled plan on Workers: requests never load it; the first pass trigger into an empty D1 does, once,
// through the same applyPlan batch as Node (a D1 batch, every statement under 100 bound parameters).
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../../src/worker.js';
import { PASS_CRON } from '../../src/worker-schedule.js';

async function count(table: string): Promise<number> {
  return (await env.DB.prepare(`select count(*) n from ${table}`).first<{ n: number }>())!.n;
}

async function health() {
  return (await (await exports.default.fetch('http://duban.test/healthz')).json()) as { planLoaded: boolean };
}

describe('bundled plan on Workers', () => {
  it('is loaded by the first pass trigger, not by requests, and only once', async () => {
    expect((await health()).planLoaded).toBe(false);
    expect(await count('plans')).toBe(0);

    // Sunday 2022-06-19: the pass itself has nothing to do, the load still happens.
    const at = Date.parse('2022-06-19T10:00:00+08:00');
    for (let i = 0; i < 2; i++) {
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ cron: PASS_CRON, scheduledTime: at + i * 900_000 }), env as never, ctx);
      await waitOnExecutionContext(ctx);
    }
    expect(await count('plans')).toBe(1);
    expect(await count('tasks')).toBe(196);
    expect(await count('assignments')).toBeGreaterThan(700);
    expect((await health()).planLoaded).toBe(true);
  });
});
