// Benchmark: load, re-apply (no change) and export/import round trip of a synthetic 5,000-task plan.
// Prints figures; run with `npx tsx bench/plan-load.ts`. Never asserted on in tests.
import { openNodeDatabase } from '../src/db/node.js';
import { buildLedger } from '../src/export/ledger.js';
import { ledgerToCsv, ledgerToXlsx } from '../src/export/write.js';
import { importTaskTable } from '../src/import/import-table.js';
import { MAX_IMPORT_ROWS } from '../src/import/limits.js';
import { readImportBytes } from '../src/import/read-file.js';
import { applyPlan } from '../src/plans/load.js';
import { smallPlan } from '../test/fixtures/small-plan.js';

const N = Number(process.env.TASKS ?? 5000);
const { db, close } = openNodeDatabase(':memory:');
const plan = smallPlan();
plan.targets = [];
plan.tasks = [];
for (let i = 0; i < N; i++) {
  plan.tasks.push({
    code: `${2 + (i % 7)}.${1 + (i % 5)}.${i + 1}`,
    title: `任务${i}`,
    text: `第${i}项任务的内容，含逗号，和“引号”。`,
    deadlines: [{ kind: 'year_end', dueDate: '2023-12-31', label: '2023年底前' }],
    assignments: [
      { unit: '市生态环境局', role: 'lead', proposed: false },
      { unit: '安定区', role: 'co', proposed: true },
    ],
  });
}
const opts = { now: Date.parse('2022-06-16T01:00:00Z'), actor: 'cli', channel: 'cli' };
async function time<T>(label: string, f: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const r = await f();
  console.log(`${label.padEnd(28)} ${(performance.now() - t).toFixed(0).padStart(6)} ms`);
  return r;
}
console.log(`plan with ${N} tasks, ${N * 2} assignments`);
await time('applyPlan dry run (empty db)', () => applyPlan(db, plan, { ...opts, dryRun: true }));
await time('applyPlan load', () => applyPlan(db, plan, opts));
await time('applyPlan re-apply, no change', () => applyPlan(db, plan, opts));
const ledger = (await time('buildLedger', () => buildLedger(db, plan.code, opts.now)))!;
const xlsx = await time('ledger -> xlsx', () => ledgerToXlsx(ledger));
const csv = new TextEncoder().encode(ledgerToCsv(ledger));
console.log(`xlsx ${(xlsx.length / 1024).toFixed(0)} KiB, csv ${(csv.length / 1024).toFixed(0)} KiB`);
// The round trip back in: an imported table may have at most MAX_IMPORT_ROWS rows (one per assignment, title and
// header included), so a larger plan's ledger is cut to the largest table the office may import.
const fits = MAX_IMPORT_ROWS - 10;
const kept = new Set<string>();
let rowsKept = 0;
const perTask = new Map<string, number>();
for (const a of ledger.assignments) perTask.set(a.code, (perTask.get(a.code) ?? 0) + 1);
for (const r of ledger.rows) {
  const n = perTask.get(r.code) || 1;
  if (rowsKept + n > fits) break;
  kept.add(r.code);
  rowsKept += n;
}
const cut = kept.size < ledger.rows.length;
const importable = cut
  ? { ...ledger, rows: ledger.rows.filter((r) => kept.has(r.code)), assignments: ledger.assignments.filter((a) => kept.has(a.code)), targets: [] }
  : ledger;
const xlsxIn = cut ? await ledgerToXlsx(importable) : xlsx;
const csvIn = cut ? new TextEncoder().encode(ledgerToCsv(importable)) : csv;
if (cut) console.log(`import round trip: the first ${kept.size} tasks, ${rowsKept} rows (an import takes at most ${MAX_IMPORT_ROWS} rows)`);
await time('import xlsx (dry run)', async () => importTaskTable(db, await readImportBytes('t.xlsx', xlsxIn), { ...opts, dryRun: true }));
await time('import csv', async () => importTaskTable(db, await readImportBytes('t.csv', csvIn), opts));
close();
