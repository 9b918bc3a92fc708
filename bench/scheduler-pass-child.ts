// The child of bench/scheduler-pass.ts: one scheduler pass on a database file, in a process of its own, printing its
// time and memory as `CHILD_JSON {…}`. The parent bundles this file the way scripts/build-node.mjs bundles the
// service and runs it with plain `node`, so the process is set up as the service's is (no tsx loader, the WAL
// checkpointer on). By hand, to profile one pass (copy the database first: the first pass writes to it):
//   node scripts/build-node.mjs bench/scheduler-pass-child.ts dist/bench/scheduler-pass.mjs
//   node --cpu-prof dist/bench/scheduler-pass.mjs first <file> <epoch ms>
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import { parseConfig } from '../src/config.js';
import { startWalCheckpointer } from '../src/db/checkpointer.js';
import { openNodeDatabase } from '../src/db/node.js';
import { planReminders } from '../src/domain/reminder-plan.js';
import { silentLogger } from '../src/logger.js';
import { runSchedulerPass } from '../src/scheduler/pass.js';
import { loadPlanInput } from '../src/scheduler/plan-input.js';

await runChild(process.argv[2]!, process.argv[3]!, Number(process.argv[4]));
process.exit(0);

async function runChild(mode: string, dbFile: string, at: number): Promise<void> {
  const db = openNodeDatabase(dbFile);
  // As the service does (src/node.ts): checkpoints from a worker thread, not inline in the pass's commits.
  const checkpointer = startWalCheckpointer(db.sqlite, dbFile, silentLogger);
  const deps = { db: db.db, config: parseConfig({}) };
  const mb = (b: number) => +(b / 1048576).toFixed(1);
  await new Promise((r) => setTimeout(r, 50));
  const heapBefore = process.memoryUsage().heapUsed;
  // Peak RSS during the pass: Linux keeps the process's high-water mark (VmHWM), and writing 5 to clear_refs resets
  // it to the current RSS, so the kernel sees every peak and the process carries no sampler. Elsewhere, a worker
  // thread samples RSS every 2 ms (the pass is mostly synchronous SQLite work, which a timer here would not
  // interrupt); that thread adds ~8 MB to the process.
  const peak = startPeakRss();
  const rssBefore = process.memoryUsage.rss();
  process.stdout.write('PASS_START\n');
  v8.setFlagsFromString('--trace-gc');
  const t = performance.now();
  const cpu0 = process.cpuUsage();
  const res = await runSchedulerPass(deps, at);
  const ms = Math.round(performance.now() - t);
  // CPU of the whole process (GC threads included): on a shared machine, steadier than wall time.
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
  v8.setFlagsFromString('--notrace-gc');
  const heapAfter = process.memoryUsage().heapUsed;
  await new Promise((r) => setTimeout(r, 10));
  process.stdout.write('PASS_END\n');
  const rssPeak = Math.max(await peak.stop(), process.memoryUsage.rss());
  let readMs: number | undefined;
  let planMs: number | undefined;
  if (mode === 'routine') {
    const r0 = performance.now();
    const input = await loadPlanInput(deps, at + 15 * 60_000);
    readMs = Math.round(performance.now() - r0);
    const p0 = performance.now();
    planReminders(input);
    planMs = Math.round(performance.now() - p0);
  }
  await checkpointer?.stop();
  db.close();
  process.stdout.write(
    'CHILD_JSON ' +
      JSON.stringify({
        ms, cpuMs, planned: res.planned, outbox: res.outboxIds.length, suppressed: res.suppressed, queued: res.queued.length, readMs, planMs,
        heapBeforeMb: mb(heapBefore), heapAfterMb: mb(heapAfter), rssBeforeMb: mb(rssBefore), rssPeakMb: mb(rssPeak), peakBy: peak.by,
      }) +
      '\n',
  );
}

/** Track this process's peak RSS from now on: the kernel's high-water mark where it can be reset, else a sampler. */
function startPeakRss(): { by: string; stop: () => Promise<number> } {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    const hwm = () => Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
    return { by: 'VmHWM', stop: async () => hwm() };
  } catch {
    const shared = new Float64Array(new SharedArrayBuffer(8));
    const worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       const peak = new Float64Array(workerData);
       setInterval(() => { const r = process.memoryUsage.rss(); if (r > peak[0]) peak[0] = r; }, 2);`,
      { eval: true, workerData: shared.buffer },
    );
    shared[0] = process.memoryUsage.rss();
    return {
      by: 'sampled every 2 ms',
      stop: async () => {
        await worker.terminate();
        return shared[0]!;
      },
    };
  }
}
