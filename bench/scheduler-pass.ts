// Benchmark: plan one scheduler pass over a province-scale plan (100,000 assignments = 20,000 tasks x 5 units),
// first the pure planner, then the full pass on SQLite. Prints time and memory; run `npx tsx bench/scheduler-pass.ts`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseConfig } from '../src/config.js';
import { openNodeDatabase } from '../src/db/node.js';
import { addDays, lastDayOfMonth, shanghaiInstant } from '../src/domain/dates.js';
import { DEFAULT_POLICY, planReminders, type Contact, type PlanAssignment, type SentStep } from '../src/domain/reminder-plan.js';
import type { DeadlineLike } from '../src/domain/status.js';
import { loadPlanInput, runSchedulerPass } from '../src/scheduler/pass.js';

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

// --- full pass on SQLite ---
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
console.log(`full pass on SQLite (${file}): seeded in ${(performance.now() - t0).toFixed(0)} ms`);
const deps = { db: database.db, config: parseConfig({}) };
const p1 = performance.now();
const first = await runSchedulerPass(deps, NOW);
const firstMs = performance.now() - p1;
sample();
console.log(`  first pass: ${firstMs.toFixed(0)} ms, ${first.planned} steps claimed, ${first.outboxIds.length} outbox rows, ${first.suppressed} suppressed`);
const p2 = performance.now();
const second = await runSchedulerPass(deps, NOW + 15 * 60_000);
console.log(`  next pass 15 min later (nothing new): ${(performance.now() - p2).toFixed(0)} ms, ${second.queued.length} queued`);
const p3 = performance.now();
const loaded = await loadPlanInput(deps, NOW + 30 * 60_000);
const loadMs = performance.now() - p3;
const p4 = performance.now();
planReminders(loaded);
console.log(`    of which bulk read ${loadMs.toFixed(0)} ms, planning ${(performance.now() - p4).toFixed(0)} ms`);
sample();
console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MB, heap high-water ${(heapHigh / 1048576).toFixed(1)} MB`);
database.close();
fs.rmSync(dir, { recursive: true, force: true });
