// Benchmark: one scheduler pass over a province-scale plan (100,000 assignments = 20,000 tasks x 5 units): the pure
// planner in this process, then the first full pass and a routine pass, each in a fresh child process on a database
// file built here, so each pass's time and memory are its own. Run `npx tsx bench/scheduler-pass.ts`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { openNodeDatabase } from '../src/db/node.js';
import { buildNode } from '../scripts/build-node.mjs';
import { addDays, lastDayOfMonth, shanghaiInstant } from '../src/domain/dates.js';
import { DEFAULT_POLICY, planReminders, type Contact, type PlanAssignment, type SentStep } from '../src/domain/reminder-plan.js';
import type { DeadlineLike } from '../src/domain/status.js';

const TASKS = Number(process.env.BENCH_TASKS ?? 20_000);
const PER_TASK = 5;
const UNITS = 300;
const NOW = shanghaiInstant('2022-07-05', '09:30');

// Deterministic pseudo-random numbers, so every run plans the same plan.
let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;

function deadlineFor(): DeadlineLike[] {
  const r = rnd();
  if (r < 0.55) {
    const y = 2022 + Math.floor(rnd() * 2);
    const m = 1 + Math.floor(rnd() * 12);
    return [{ kind: 'month_end', dueDate: lastDayOfMonth(y, m), label: `${y}年${m}月底前` }];
  }
  if (r < 0.65) return [{ kind: 'date', dueDate: addDays('2022-06-01', Math.floor(rnd() * 200)), label: '指定日期' }];
  if (r < 0.75) return [{ kind: 'year_end', dueDate: pick(['2022-12-31', '2023-12-31', '2025-12-31']), label: '年底前' }];
  if (r < 0.9) return [{ kind: 'ongoing', dueDate: null, label: '长期坚持' }];
  return [{ kind: 'recurring', dueDate: null, recurrence: pick(['annual', 'quarterly']), label: '每年' }];
}

function mem() {
  const m = process.memoryUsage();
  return { rssMB: +(m.rss / 1048576).toFixed(1), heapMB: +(m.heapUsed / 1048576).toFixed(1) };
}
let heapHigh = 0;
const sample = () => {
  heapHigh = Math.max(heapHigh, process.memoryUsage().heapUsed);
};

// --- synthesise ---
const assignmentsIn: PlanAssignment[] = [];
const taskDeadlines: DeadlineLike[][] = [];
for (let t = 1; t <= TASKS; t++) {
  const dl = deadlineFor();
  taskDeadlines.push(dl);
  const units = new Set<number>();
  while (units.size < PER_TASK) units.add(1 + Math.floor(rnd() * UNITS));
  for (const u of units) {
    const r = rnd();
    assignmentsIn.push({
      id: assignmentsIn.length + 1, taskId: t, taskCode: `${1 + (t % 9)}.${1 + (t % 7)}.${t}`, taskTitle: `任务${t}`,
      unitId: u, unitName: `单位${u}`, state: r < 0.15 ? 'closed' : r < 0.25 ? 'claimed' : r < 0.6 ? 'in_progress' : 'not_started',
      percent: Math.floor(rnd() * 100), extendedTo: rnd() < 0.03 ? '2022-09-30' : null,
      lastReportAt: rnd() < 0.5 ? NOW - Math.floor(rnd() * 40) * 86_400_000 : null, deadlines: dl,
    });
  }
}
const contactsByUnit = new Map<number, Contact[]>();
for (let u = 1; u <= UNITS; u++) if (u % 20 !== 0) contactsByUnit.set(u, [{ personId: u, openId: `ou_${u}`, name: `联络员${u}` }]);
// Half the assignments already had their reminders in earlier passes.
const sentSteps = new Map<number, SentStep[]>();
for (const a of assignmentsIn) {
  if (a.id % 2) continue;
  sentSteps.set(a.id, [
    { stepKey: `before:10:${a.deadlines[0]?.dueDate}`, plannedAt: NOW - 20 * 86_400_000, dueDate: a.deadlines[0]?.dueDate ?? null, escalationLevel: 0 },
    { stepKey: 'periodic:2022-06', plannedAt: NOW - 30 * 86_400_000, dueDate: null, escalationLevel: 0 },
  ]);
}
sample();

// --- pure planner ---
const input = { now: NOW, policy: DEFAULT_POLICY, workHours: { start: '09:00', end: '18:00' }, assignments: assignmentsIn, sentSteps, contactsByUnit };
planReminders(input); // warm-up (JIT)
const runs: number[] = [];
let planned = 0;
const heapBefore = process.memoryUsage().heapUsed;
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  planned = planReminders(input).actions.length;
  runs.push(performance.now() - t0);
  sample();
}
runs.sort((a, b) => a - b);
console.log(`scheduler planner: ${assignmentsIn.length} assignments, ${planned} actions planned`);
console.log(`  planReminders: median ${runs[2]!.toFixed(1)} ms, min ${runs[0]!.toFixed(1)} ms, max ${runs[4]!.toFixed(1)} ms (5 runs)`);
console.log(`  heap high-water ${(heapHigh / 1048576).toFixed(1)} MB (inputs ${(heapBefore / 1048576).toFixed(1)} MB), now ${JSON.stringify(mem())}`);

// --- database file for the passes ---
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-bench-'));
const file = path.join(dir, 'bench.sqlite');
const database = openNodeDatabase(file);
const s = database.sqlite;
const t0 = performance.now();
s.transaction(() => {
  s.prepare(`insert into plans (id, code, title) values (1, 'bench', 'bench')`).run();
  const unit = s.prepare(`insert into units (id, name, kind) values (?, ?, 'county')`);
  for (let u = 1; u <= UNITS; u++) unit.run(u, `单位${u}`);
  const task = s.prepare(`insert into tasks (id, plan_id, code, chapter, section, seq, title, source_text) values (?, 1, ?, 1, 1, ?, ?, '')`);
  const dl = s.prepare(`insert into deadlines (task_id, kind, due_date, recurrence, label) values (?, ?, ?, ?, ?)`);
  for (let t = 1; t <= TASKS; t++) {
    task.run(t, `b.${t}`, t, `任务${t}`);
    for (const d of taskDeadlines[t - 1]!) dl.run(t, d.kind, d.dueDate, d.recurrence ?? null, d.label);
  }
  const asg = s.prepare(
    `insert into assignments (id, task_id, unit_id, state, percent, extended_to, last_report_at) values (?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const a of assignmentsIn) asg.run(a.id, a.taskId, a.unitId, a.state, a.percent, a.extendedTo, a.lastReportAt);
  const person = s.prepare(`insert into people (id, open_id, name) values (?, ?, ?)`);
  const role = s.prepare(`insert into roles (person_id, role, unit_id) values (?, 'contact', ?)`);
  for (const [u, cs] of contactsByUnit) for (const c of cs) { person.run(c.personId, c.openId, c.name); role.run(c.personId, u); }
  s.prepare(`insert into chats (chat_id, purpose) values ('oc_office', 'office')`).run();
  const log = s.prepare(`insert into reminder_log (assignment_id, step_key, kind, due_date, planned_at) values (?, ?, 'reminder', ?, ?)`);
  for (const [id, steps] of sentSteps) for (const st of steps) log.run(id, st.stepKey, st.dueDate, st.plannedAt);
})();
database.close();
// BENCH_KEEP_DB=<file>: keep a copy of the seeded database, e.g. to profile one pass on it (see scheduler-pass-child.ts).
if (process.env.BENCH_KEEP_DB) fs.copyFileSync(file, process.env.BENCH_KEEP_DB);
console.log(`full pass on SQLite (${file}): seeded in ${(performance.now() - t0).toFixed(0)} ms; each pass runs in a fresh child process`);

// Each pass runs RUNS times, each in a fresh process (the first pass each time on a fresh copy of the seeded file):
// time is the median run, memory the highest peak of all runs. Dirty pages are flushed (`sync`) before each run, so
// no run pays for writing back what the one before it (or another bench) left in the page cache.
const RUNS = Math.max(1, Number(process.env.BENCH_PASS_RUNS ?? 3));
// The child, bundled once for all runs (see runInChild).
const childBundle = await buildNode('bench/scheduler-pass-child.ts', path.join(new URL('..', import.meta.url).pathname, 'dist/bench/scheduler-pass.mjs'));
const firstRuns: ChildFigures[] = [];
let passedFile = file;
for (let i = 0; i < RUNS; i++) {
  passedFile = path.join(dir, `first-${i}.sqlite`);
  fs.copyFileSync(file, passedFile);
  firstRuns.push(await runInChild('first', passedFile, NOW));
}
const first = summariseRuns(firstRuns);
console.log(
  `  first pass: ${first.ms} ms (median of ${RUNS} runs: ${firstRuns.map((r) => r.ms).join(', ')} ms; CPU ${first.cpuMs} ms), ` +
    `${first.planned} steps claimed, ${first.outbox} outbox rows, ${first.suppressed} suppressed`,
);
console.log(`    memory (the run with the highest peak): ${first.memLine}`);
// The pass 15 minutes after the first still has work: the deadlines that were overdue on the live day went to the
// office as one backlog summary, and their escalations follow on the next pass. That pass runs once, unmeasured, so
// the measured one (another 15 minutes on, each run on a fresh copy of the settled file) is a routine pass that
// finds nothing new, every run alike.
const settle = await runInChild('routine', passedFile, NOW + 15 * 60_000);
console.log(`  the pass 15 min later escalates the live-day backlog: ${settle.queued} steps queued (not measured)`);
const routineRuns: ChildFigures[] = [];
for (let i = 0; i < RUNS; i++) {
  const copy = path.join(dir, `routine-${i}.sqlite`);
  fs.copyFileSync(passedFile, copy);
  routineRuns.push(await runInChild('routine', copy, NOW + 30 * 60_000));
}
const routine = summariseRuns(routineRuns);
console.log(
  `  next pass 15 min later (nothing new): ${routine.ms} ms (median of ${RUNS} runs: ${routineRuns.map((r) => r.ms).join(', ')} ms; ` +
    `CPU ${routine.cpuMs} ms), ${routine.queued} queued`,
);
console.log(`    of which bulk read ${routine.readMs} ms, planning ${routine.planMs} ms`);
console.log(`    memory (the run with the highest peak): ${routine.memLine}`);
console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MB (this process: data generator and planner runs), heap high-water ${(heapHigh / 1048576).toFixed(1)} MB`);
console.log(
  'BENCH_PASSES ' +
    JSON.stringify({
      first_pass: { ...first.json, runs_ms: first.runsMs, rss_peak_runs_mb: first.runsPeakMb },
      routine_pass: { ...routine.json, runs_ms: routine.runsMs, rss_peak_runs_mb: routine.runsPeakMb },
      planner_heap_high_mb: +(heapHigh / 1048576).toFixed(1),
    }),
);
fs.rmSync(dir, { recursive: true, force: true });

/** The median run's figures for time, the highest peak of all runs for memory, and every run's time and peak. */
function summariseRuns(runs: ChildFigures[]): ChildFigures {
  const byMs = [...runs].sort((a, b) => a.ms - b.ms);
  const median = byMs[Math.floor((byMs.length - 1) / 2)]!;
  const worst = runs.reduce((w, r) => (r.json.rss_peak_mb! > w.json.rss_peak_mb! ? r : w));
  return {
    ...median,
    memLine: worst.memLine,
    json: {
      ...median.json,
      heap_before_mb: worst.json.heap_before_mb!, heap_high_mb: worst.json.heap_high_mb!, rss_before_mb: worst.json.rss_before_mb!,
      rss_peak_mb: worst.json.rss_peak_mb!, rss_delta_mb: worst.json.rss_delta_mb!,
      runs: runs.length,
    },
    runsMs: runs.map((r) => r.ms),
    runsPeakMb: runs.map((r) => r.json.rss_peak_mb!),
  };
}

interface ChildFigures {
  runsMs?: number[];
  runsPeakMb?: number[];
  ms: number;
  cpuMs: number;
  planned: number;
  outbox: number;
  suppressed: number;
  queued: number;
  readMs?: number;
  planMs?: number;
  memLine: string;
  json: Record<string, number>;
}

/**
 * Run one pass in a fresh process set up as the service runs (`npm start`): this script bundled the way
 * scripts/build-node.mjs bundles the service, run by plain `node`, the WAL checkpointer on. Its heap high-water
 * comes from V8's GC trace.
 */
async function runInChild(mode: string, dbFile: string, at: number): Promise<ChildFigures> {
  spawnSync('sync');
  const child = spawn(process.execPath, ['--enable-source-maps', childBundle, mode, dbFile, String(at)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      const m = /CHILD_JSON (\{.*\})/.exec(out);
      if (code !== 0 || !m) return reject(new Error(`child ${mode} failed (${code}):\n${out.slice(-4000)}`));
      const r = JSON.parse(m[1]!);
      // GC trace lines between the markers: "Mark-Compact 120.3 (130.0) -> 80.1 (131.0) MB": the first figure is
      // the heap in use when the collector ran, i.e. the heap's high points during the pass.
      const traced = out.slice(out.indexOf('PASS_START'), out.indexOf('PASS_END'));
      let gcHigh = 0;
      let gcs = 0;
      for (const g of traced.matchAll(/(?:Scavenge|Mark-Compact|Mark-sweep|Minor Mark-Sweep)[^\d]*([\d.]+) \(([\d.]+)\) ->/g)) {
        gcHigh = Math.max(gcHigh, Number(g[1]));
        gcs++;
      }
      const heapHigh = Math.max(gcHigh, r.heapAfterMb);
      const memLine =
        `heap ${r.heapBeforeMb} MB before, high-water ${heapHigh.toFixed(1)} MB during the pass (${gcs} GCs traced); ` +
        `RSS ${r.rssBeforeMb} MB before, peak ${r.rssPeakMb} MB during (+${(r.rssPeakMb - r.rssBeforeMb).toFixed(1)} MB), peak from ${r.peakBy}`;
      resolve({
        ms: r.ms, cpuMs: r.cpuMs, planned: r.planned, outbox: r.outbox, suppressed: r.suppressed, queued: r.queued, readMs: r.readMs,
        planMs: r.planMs, memLine,
        json: {
          ms: r.ms, cpu_ms: r.cpuMs, planned: r.planned, outbox_rows: r.outbox, heap_before_mb: r.heapBeforeMb, heap_high_mb: +heapHigh.toFixed(1),
          rss_before_mb: r.rssBeforeMb, rss_peak_mb: r.rssPeakMb, rss_delta_mb: +(r.rssPeakMb - r.rssBeforeMb).toFixed(1),
          ...(r.readMs !== undefined ? { read_ms: r.readMs, plan_ms: r.planMs } : {}),
        },
      });
    });
  });
}

