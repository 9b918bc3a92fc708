// The shared storage helpers on real (local) D1: runBatch is atomic through db.batch, outbox keys de-duplicate
// across concurrent writers, and a single conditional UPDATE … RETURNING claim is won by exactly one caller.
import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { beforeEach, describe, expect, it } from 'vitest';
import { auditInsert } from '../../src/db/audit.js';
import { insertRowsQueries, readRows, runBatch } from '../../src/db/batch.js';
import type { Db } from '../../src/db/client.js';
import { enqueueOutbox } from '../../src/db/outbox-store.js';
import * as schema from '../../src/db/schema.js';
import { auditLog, outbox, units } from '../../src/db/schema.js';

const db = () => drizzle(env.DB, { schema }) as unknown as Db;

beforeEach(async () => {
  await env.DB.batch([env.DB.prepare('delete from outbox'), env.DB.prepare('delete from units'), env.DB.prepare('delete from audit_log')]);
});

describe('storage on D1', () => {
  it('runBatch commits every statement together', async () => {
    const d = db();
    await runBatch(d, [
      d.insert(units).values({ name: '市生态环境局' }),
      auditInsert(d, { at: 1, actor: 'cli', channel: 'cli', action: 'create', entity: 'unit', entityId: 1 }),
    ]);
    expect(await d.select().from(units)).toHaveLength(1);
    expect(await d.select().from(auditLog)).toHaveLength(1);
  });

  it('bulk inserts travel as a JSON parameter (D1 allows 100) and bulk reads come back in chunks', async () => {
    const d = db();
    const data = Array.from({ length: 1234 }, (_, i) => [`单位 ${i} "甲" 'O''Neil' [1,2]`, `["别名${i}"]`]);
    const spec = {
      table: 'units',
      columns: ['name', 'aliases'],
      constants: { kind: "county's", created_at: 7 },
      tail: 'on conflict do nothing returning id, name',
    };
    const queries = insertRowsQueries(d, spec, data);
    expect(queries).toHaveLength(1);
    const inserted = (await runBatch(d, queries)).flat() as Array<[number, string]>;
    expect(new Set(inserted.map(([, name]) => name))).toEqual(new Set(data.map(([name]) => name)));
    expect((await runBatch(d, insertRowsQueries(d, spec, data.slice(0, 10)))).flat()).toHaveLength(0);
    const [all] = await readRows(d, [{ columns: 'id, name, kind', table: 'units', where: 'created_at = ?', params: [7], chunkBits: 6 }]);
    const got = [...all!] as Array<[number, string, string]>;
    expect(got.map(([, name]) => name).sort()).toEqual(data.map(([name]) => name).sort());
    expect(got.every(([, , kind]) => kind === "county's")).toBe(true);
    expect((await d.select().from(units).where(eq(units.name, data[4]![0]!)))[0]!.aliases).toEqual(['别名4']);
  });

  it('runBatch is atomic: a failing statement rolls back the others', async () => {
    const d = db();
    await d.insert(units).values({ name: '安定区' });
    await expect(
      runBatch(d, [
        auditInsert(d, { at: 1, actor: 'cli', channel: 'cli', action: 'create', entity: 'unit' }),
        d.insert(units).values({ name: '安定区' }), // unique violation
      ]),
    ).rejects.toThrow();
    expect(await d.select().from(auditLog)).toHaveLength(0);
    expect(await d.select().from(units)).toHaveLength(1);
  });

  it('the same outbox key queued by concurrent writers becomes one row', async () => {
    const msg = {
      dedupeKey: 'reminder:1:due:2022-06-30',
      receiveIdType: 'open_id' as const,
      receiveId: 'ou_x',
      msgType: 'text' as const,
      content: { text: '提醒' },
      purpose: 'reminder' as const,
    };
    const results = await Promise.all([1, 2, 3, 4].map(() => enqueueOutbox(db(), [msg], 1000)));
    expect(results.flat()).toHaveLength(1);
    expect(await db().select().from(outbox)).toHaveLength(1);
  });

  it('a conditional UPDATE … RETURNING claim is won once among concurrent claimers', async () => {
    const [id] = await enqueueOutbox(
      db(),
      [{ dedupeKey: 'k1', receiveIdType: 'open_id', receiveId: 'ou_x', msgType: 'text', content: { text: 'x' }, purpose: 'notice' }],
      1000,
    );
    const claim = (holder: number) =>
      db()
        .update(outbox)
        .set({ status: 'sending', claimedUntil: 5000 + holder })
        .where(and(eq(outbox.id, id!), eq(outbox.status, 'pending')))
        .returning({ id: outbox.id });
    const won = (await Promise.all([1, 2, 3, 4, 5].map(claim))).filter((r) => r.length === 1);
    expect(won).toHaveLength(1);
    const [row] = await db().select({ status: outbox.status }).from(outbox);
    expect(row?.status).toBe('sending');
  });
});
