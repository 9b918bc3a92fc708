// Atomic multi-statement writes on both drivers: D1's db.batch(), or one better-sqlite3 transaction.
// Never use db.transaction(): D1 rejects BEGIN. Results of queries with .returning() are row arrays on both.
// Raw statements, bulk reads and sized multi-row inserts for those batches are built here too; whatever needs
// drizzle's internals to do it is in src/db/drizzle-adapter.ts.
import type { SQL } from 'drizzle-orm';
import type { Db } from './client.js';
import { d1RawItem, executeBatch, hasNativeBatch, preparedItem, sqliteRunSql, sqliteRunText, syncItem, type BatchItem } from './drizzle-adapter.js';

type Query = BatchItem;

export async function runBatch(db: Db, queries: Query[]): Promise<unknown[]> {
  if (queries.length === 0) return [];
  // better-sqlite3 is synchronous: the whole batch runs inside one transaction, nothing can interleave.
  return executeBatch(db, queries);
}

/**
 * A write for runBatch from a statement prepared once (see preparedFor) and its values. On better-sqlite3 the
 * compiled statement runs inside the batch's transaction, with no query to build; D1's batch binds statements of
 * its own, so there `build` makes the same query afresh.
 */
export function boundStatement(db: Db, prepared: { execute(values: Record<string, unknown>): unknown }, values: Record<string, unknown>, build: () => Query): Query {
  if (hasNativeBatch(db)) return build();
  return preparedItem(prepared, values);
}

/**
 * Bound parameters one statement may carry on this driver: D1 refuses more than 100; the SQLite inside
 * better-sqlite3 is built with SQLITE_MAX_VARIABLE_NUMBER=32766. Multi-row inserts size their chunks with it,
 * so one code path writes thousands of rows in a few statements on Node and stays legal on D1.
 */
export function maxBoundParams(db: Db): number {
  return hasNativeBatch(db) ? D1_MAX_PARAMS : SQLITE_MAX_PARAMS;
}

export const D1_MAX_PARAMS = 100;
const SQLITE_MAX_PARAMS = 32766;

/**
 * A raw statement that returns rows as arrays of column values (in SELECT/RETURNING order), deferred so runBatch
 * runs it with the others in one transaction. D1: a drizzle prepared query (drizzle's own raw query cannot carry
 * parameters inside db.batch); better-sqlite3: run when the batch's transaction gets to it.
 */
export function rawRowsQuery(db: Db, query: SQL): Query {
  return deferred(db, query, 'all');
}

/** Like rawRowsQuery, for a statement without RETURNING. */
export function rawRunQuery(db: Db, query: SQL): Query {
  return deferred(db, query, 'run');
}

function deferred(db: Db, query: SQL, method: 'all' | 'run'): Query {
  if (hasNativeBatch(db)) return d1RawItem(db, query, method);
  return syncItem(() => sqliteRunSql(db, query, method));
}

/**
 * A statement given as SQL text and its bound values, deferred like rawRowsQuery (rows come back as arrays). For
 * statements generated here with many placeholders, where drizzle's per-value SQL building would cost more than
 * SQLite's own work.
 */
export function rawTextQuery(db: Db, text: string, params: unknown[], method: 'all' | 'run'): Query {
  if (hasNativeBatch(db)) return d1RawItem(db, { sql: text, params }, method);
  return syncItem(() => sqliteRunText(db, text, params, method));
}

export interface RowsRead {
  /** The columns of each row, as a SQL expression list: `id, task_id, state`. */
  columns: string;
  /** The table the rows come from; it must have an integer primary key `id` (the chunks are ranges of it). */
  table: string;
  /** Which rows, as a SQL condition (`state = 'active'`); may use `?` parameters. */
  where?: string;
  params?: unknown[];
  /**
   * Chunks are ranges of 2^chunkBits ids (13: up to 8,192 rows each). Each chunk is one JSON text, which must stay
   * under D1's 2 MB per value: choose it from the widest row the table can hold.
   */
  chunkBits: number;
}

/**
 * Bulk reads, in one transaction (one consistent snapshot). SQLite builds each chunk of rows into one JSON text
 * (`json_group_array`) and JSON.parse turns it into row arrays: on 100,000 rows that is about twice as fast as the
 * driver creating each value on its own (better-sqlite3's raw mode), and the same on both drivers. Each result
 * parses one chunk at a time as it is iterated, so the parsed rows of one chunk can go before the next is made.
 *
 * The chunks are aligned id ranges walked by a recursive CTE, each read by a primary-key range search: a
 * `GROUP BY id >> n` would make SQLite sort every row into a temporary B-tree first (a third of the read's time on
 * 100,000 assignments). A range with no matching row gives `[]`.
 */
export async function readRows(db: Db, reads: RowsRead[]): Promise<Array<Iterable<unknown[]>>> {
  const results = (await runBatch(
    db,
    reads.map((r) => rawTextQuery(db, chunkedReadSql(r), r.params ?? [], 'all')),
  )) as Array<Array<[string]>>;
  return results.map((chunks) => ({
    *[Symbol.iterator]() {
      for (const [json] of chunks) yield* JSON.parse(json) as unknown[][];
    },
  }));
}

function chunkedReadSql(r: RowsRead): string {
  const bits = r.chunkBits;
  if (!Number.isInteger(bits) || bits < 0 || bits > 30) throw new Error(`readRows: chunkBits must be an integer 0..30, not ${bits}`);
  const width = 2 ** bits;
  return (
    `with recursive chunk(lo) as (select (min(id) >> ${bits}) << ${bits} from ${r.table}` +
    ` union all select lo + ${width} from chunk where lo + ${width} <= (select max(id) from ${r.table}))` +
    ` select (select json_group_array(json_array(${r.columns})) from ${r.table}` +
    ` where id >= chunk.lo and id < chunk.lo + ${width}${r.where ? ` and (${r.where})` : ''}) from chunk`
  );
}

export interface RowsInsert {
  table: string;
  /** The columns each row gives, in row order. */
  columns: readonly string[];
  /** Columns with one value for every row (written as SQL literals, not bound). */
  constants?: Record<string, string | number | null>;
  /** What follows the rows: `on conflict do nothing returning id`. */
  tail?: string;
}

/**
 * Multi-row INSERTs of `rows` for runBatch, sized to the driver. better-sqlite3 binds each value directly, up to
 * ROWS_PER_STATEMENT rows per statement (bounded by maxBoundParams). On D1 (100 parameters, and every statement
 * counts against a Worker's query limit) the rows travel instead packed in one JSON parameter per ~0.5 MB
 * (`INSERT … SELECT … FROM json_each(?)`), so a wave of thousands of rows is a handful of statements on both.
 * With a RETURNING tail, each statement gives back its inserted rows as arrays.
 */
export function insertRowsQueries(db: Db, spec: RowsInsert, rows: unknown[][]): Query[] {
  if (rows.length === 0) return [];
  const method = /\breturning\b/i.test(spec.tail ?? '') ? 'all' : 'run';
  const constNames = Object.keys(spec.constants ?? {});
  const constValues = constNames.map((c) => sqlLiteral(spec.constants![c]!));
  const head = `insert into ${spec.table} (${[...spec.columns, ...constNames].join(', ')})`;
  const tail = spec.tail ? ` ${spec.tail}` : '';
  const n = spec.columns.length;
  const max = maxBoundParams(db);
  if (max <= D1_MAX_PARAMS) {
    const picks = spec.columns.map((_, i) => `json_extract(value, '$[${i}]')`);
    // `where true` keeps SQLite from reading the ON CONFLICT of an upsert as part of the SELECT's join.
    const text = `${head} select ${[...picks, ...constValues].join(', ')} from json_each(?) where true${tail}`;
    return jsonRowChunks(rows).map((json) => rawTextQuery(db, text, [json], method));
  }
  const tuple = `(${[...new Array<string>(n).fill('?'), ...constValues].join(', ')})`;
  const per = Math.max(1, Math.min(ROWS_PER_STATEMENT, Math.floor(max / n)));
  const out: Query[] = [];
  for (let i = 0; i < rows.length; i += per) {
    const part = rows.slice(i, i + per);
    const params: unknown[] = [];
    for (const r of part) for (let c = 0; c < n; c++) params.push(r[c] ?? null);
    // Full chunks share one SQL text, so better-sqlite3's statement cache compiles it once per pass.
    out.push(rawTextQuery(db, `${head} values ${new Array<string>(part.length).fill(tuple).join(', ')}${tail}`, params, method));
  }
  return out;
}

/**
 * Rows per statement on better-sqlite3: larger statements save nothing measurable (SQLite's B-tree work dominates)
 * but a compiled 6,000-row VALUES statement holds ~20 MB while cached.
 */
const ROWS_PER_STATEMENT = 500;

function sqlLiteral(v: string | number | null): string {
  if (v === null) return 'null';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`sqlLiteral: not a finite number: ${v}`);
    return String(v);
  }
  return `'${v.replace(/'/g, "''")}'`;
}

/**
 * Rows for an `INSERT … SELECT … FROM json_each(?)`: each chunk is one JSON array of row arrays, a single bound
 * parameter however many rows it holds. Chunks stay under ~1.5 MB of UTF-8 (D1 caps a value at 2 MB).
 */
export function jsonRowChunks(rows: unknown[][], maxChars = JSON_PARAM_MAX_CHARS): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  let len = 2;
  for (const r of rows) {
    const s = JSON.stringify(r);
    if (cur.length && len + s.length + 1 > maxChars) {
      out.push(`[${cur.join(',')}]`);
      cur = [];
      len = 2;
    }
    cur.push(s);
    len += s.length + 1;
  }
  if (cur.length) out.push(`[${cur.join(',')}]`);
  return out;
}

const JSON_PARAM_MAX_CHARS = 500_000;
