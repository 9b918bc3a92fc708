// The harness itself: local D1 carries the real migrations and the worker answers on it.
import { createExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../../src/worker.js';

describe('workerd harness', () => {
  it('local D1 has every table from migrations/', async () => {
    const { results } = await env.DB.prepare(
      "select name from sqlite_master where type='table' and name not like 'sqlite%' and name not like '\\_%' escape '\\' and name <> 'd1_migrations' order by name",
    ).all<{ name: string }>();
    const created = env.TEST_MIGRATIONS.flatMap((m) => m.queries)
      .flatMap((q) => [...q.matchAll(/CREATE TABLE [`"]?(\w+)/gi)].map((x) => x[1]!))
      .filter((name) => !name.startsWith('__new_'));
    expect(created).toContain('outbox');
    expect(results.map((r) => r.name)).toEqual([...new Set(created)].sort());
  });

  it('GET /healthz answers from D1', async () => {
    const res = await exports.default.fetch('http://duban.test/healthz');
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'ok', database: 'ok', planLoaded: false, plans: 0 });
  });

  it('a bad setting answers 500 with what to check instead of crashing', async () => {
    const res = await worker.fetch(
      new Request('http://duban.test/healthz'),
      { ...env, WORK_DAY_START: '9点' } as never,
      createExecutionContext(),
    );
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('config');
    expect(body.message).toContain('WORK_DAY_START');
    expect(body.message).not.toContain('9点');
  });
});
