// The bulk storage helpers on better-sqlite3: multi-row inserts sized by maxBoundParams, and chunked JSON reads.
// The same checks run on D1 in test/workers/d1-storage.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { insertRowsQueries, readRows, runBatch } from '../../src/db/batch.js';
import type { NodeDatabase } from '../../src/db/node.js';
import { units } from '../../src/db/schema.js';
import { createTestDatabase } from '../helpers/db.js';

let database: NodeDatabase;
let db: Db;
beforeEach(() => {
  database = createTestDatabase();
  db = database.db;
});
afterEach(() => database.close());

/** 1,234 units whose names carry quotes, CJK and a JSON-looking text; every third has no aliases value of its own. */
const rows = Array.from({ length: 1234 }, (_, i) => [`单位 ${i} "甲" 'O''Neil' [1,2]`, i % 3 === 0 ? null : `["别名${i}"]`]);
const spec = {
  table: 'units',
  columns: ['name', 'aliases'],
  constants: { kind: "county's", created_at: 7 },
  tail: 'on conflict do nothing returning id, name',
};

describe('bulk helpers on better-sqlite3', () => {
  it('inserts many rows in a few multi-row statements and returns what each inserted', async () => {
    // aliases is NOT NULL: fill the nulls the way a caller would.
    const data = rows.map(([name, aliases]) => [name, aliases ?? '[]']);
    const queries = insertRowsQueries(db, spec, data);
    expect(queries.length).toBeGreaterThan(1); // chunked, not one statement per row
    expect(queries.length).toBeLessThan(10);
    const inserted = (await runBatch(db, queries)).flat() as Array<[number, string]>;
    expect(inserted).toHaveLength(1234);
    expect(new Set(inserted.map(([, name]) => name))).toEqual(new Set(data.map(([name]) => name)));
    // Conflicting rows are skipped and not returned.
    expect((await runBatch(db, insertRowsQueries(db, spec, data.slice(0, 600)))).flat()).toHaveLength(0);
    const stored = await db.select().from(units);
    expect(stored).toHaveLength(1234);
    expect(stored.every((u) => u.kind === "county's" && u.createdAt === 7)).toBe(true);
    expect(stored.find((u) => u.name === data[4]![0])!.aliases).toEqual(['别名4']);
  });

  it('reads every row back in chunks, values intact, in one snapshot', async () => {
    const data = rows.map(([name, aliases]) => [name, aliases ?? '[]']);
    await runBatch(db, insertRowsQueries(db, spec, data));
    const [all, none] = await readRows(db, [
      { columns: 'id, name, kind, null', table: 'units', where: 'created_at = ?', params: [7], chunkBits: 6 },
      { columns: 'id', table: 'units', where: 'created_at = 8', chunkBits: 6 },
    ]);
    const got = [...all!] as Array<[number, string, string, null]>;
    expect(got).toHaveLength(1234);
    expect(got.map(([, name]) => name).sort()).toEqual(data.map(([name]) => name).sort());
    expect(got.every(([id, , kind, nothing]) => Number.isInteger(id) && kind === "county's" && nothing === null)).toBe(true);
    expect([...none!]).toEqual([]);
  });

  it('reads an empty table, sparse ids far apart, and an OR condition kept inside each id range', async () => {
    const [empty] = await readRows(db, [{ columns: 'id', table: 'units', chunkBits: 6 }]);
    expect([...empty!]).toEqual([]);
    const ids = [3, 64, 65, 90_001, 2_000_000];
    for (const [i, id] of ids.entries()) {
      database.sqlite.prepare(`insert into units (id, name, kind, created_at) values (?, ?, ?, ?)`).run(id, `u${id}`, 'county', i % 2 ? 8 : 7);
    }
    const [all, either, one] = await readRows(db, [
      { columns: 'id, name', table: 'units', chunkBits: 6 },
      // Without its own parentheses, `a or b` would escape the chunk's id range and come back once per chunk.
      { columns: 'id', table: 'units', where: 'created_at = 7 or created_at = 8', chunkBits: 10 },
      { columns: 'id', table: 'units', where: 'name = ?', params: ['u90001'], chunkBits: 20 },
    ]);
    expect([...all!]).toEqual(ids.map((id) => [id, `u${id}`]));
    expect([...either!].flat()).toEqual(ids);
    expect([...one!]).toEqual([[90_001]]);
  });

  it('inserts nothing for no rows', () => {
    expect(insertRowsQueries(db, spec, [])).toEqual([]);
  });
});
