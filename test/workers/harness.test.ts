// The harness itself: local D1 carries the real migrations and the worker answers on it.
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

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
});
