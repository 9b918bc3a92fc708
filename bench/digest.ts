// Benchmark: build the weekly digest over a synthetic 5,000-task plan (10,000 assignments) and print the time
// of each stage, the card's size and peak memory. Run: npx tsx bench/digest.ts [tasks]
import { openNodeDatabase } from '../src/db/node.js';
import { loadStatsInput } from '../src/db/stats-store.js';
import { computeStats } from '../src/domain/stats.js';
import { cardBytes, renderDigestCard } from '../src/cards/digest-card.js';
import { insertPlan, recordProgress, syntheticPlan } from '../test/helpers/plan-fixture.js';

const n = Number(process.argv[2] ?? 5000);
const ROUNDS = 7;
let peakRss = 0;
const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
const timer = setInterval(sample, 5);

const database = openNodeDatabase(':memory:');
const t0 = performance.now();
await insertPlan(database.db, syntheticPlan(n));
const ids = (database.sqlite.prepare('select id from assignments').all() as Array<{ id: number }>).map((r) => r.id);
for (let i = 0; i < ids.length; i += 5) {
  await recordProgress(database.db, ids[i]!, { state: i % 2 ? 'closed' : 'in_progress', percent: 50 }, Date.parse('2023-01-10T02:00:00Z'));
}
const seedMs = performance.now() - t0;

const load: number[] = [];
const compute: number[] = [];
const render: number[] = [];
let bytes = 0;
let overdue = 0;
for (let r = 0; r < ROUNDS; r++) {
  const a = performance.now();
  const input = await loadStatsInput(database.db, undefined, '2023-06-20');
  const b = performance.now();
  const stats = computeStats(input);
  const c = performance.now();
  const card = renderDigestCard(stats, null);
  const d = performance.now();
  sample();
  load.push(b - a);
  compute.push(c - b);
  render.push(d - c);
  bytes = cardBytes(card);
  overdue = stats.overdue.length;
}
clearInterval(timer);
database.close();

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!.toFixed(1);
console.log(`digest bench: ${n} tasks, ${ids.length} assignments, ${overdue} overdue (seeded in ${seedMs.toFixed(0)} ms)`);
console.log(`  median of ${ROUNDS}: load ${median(load)} ms | compute ${median(compute)} ms | render ${median(render)} ms`);
console.log(`  card ${bytes} bytes (limit 30720) | peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MB`);
