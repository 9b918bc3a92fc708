// `npm run bench`: run every benchmark as its own process, collect the JSON line each prints last, and write
// bench/results/latest.json (plus a timestamped copy) with the machine they ran on, then print a summary.
//   npm run bench [-- --only webhook-intake,outbound] [--quick]
//   npm run bench -- --only scheduler-pass --merge   re-run some benches, keep the others' results in latest.json
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, lastJsonLine, ROOT } from './lib/proc.js';

interface BenchSpec {
  name: string;
  script: string;
  args: string[];
  quickArgs: string[];
  /** For scripts that print figures but no BENCH_JSON line: pull the headline numbers from their text. */
  extract?: (out: string, peakRssMb: number | undefined) => Record<string, unknown>;
}

const num = (out: string, re: RegExp): number | undefined => {
  const m = re.exec(out);
  return m ? Number(m[1]!.replace(/,/g, '')) : undefined;
};

const BENCHES: BenchSpec[] = [
  { name: 'webhook-intake', script: 'bench/webhook-intake.ts', args: [], quickArgs: ['--seconds', '3', '--rate-seconds', '5', '--rounds', '1'] },
  { name: 'soak', script: 'bench/soak.ts', args: [], quickArgs: ['--seconds', '10'] },
  { name: 'intake-breakdown', script: 'bench/intake-breakdown.ts', args: [], quickArgs: ['--events', '500'] },
  {
    name: 'scheduler-pass',
    script: 'bench/scheduler-pass.ts',
    args: [],
    quickArgs: [],
    extract: (out, rss) => {
      const assignments = num(out, /scheduler planner: (\d+) assignments/);
      const passMs = num(out, /first pass: (\d+) ms/);
      const plannerMs = num(out, /planReminders: median ([\d.]+) ms/);
      const idleMs = num(out, /next pass 15 min later \(nothing new\): (\d+) ms/);
      const m = /BENCH_PASSES (\{.*\})/.exec(out);
      const passes = m ? (JSON.parse(m[1]!) as { first_pass: Record<string, number>; routine_pass: Record<string, number> }) : undefined;
      const under200 = (p?: Record<string, number>) => p?.rss_peak_mb !== undefined && p.rss_peak_mb < 200;
      return {
        bench: 'scheduler-pass',
        assignments,
        planner_median_ms: plannerMs,
        first_pass_ms: passMs,
        idle_pass_ms: idleMs,
        // Each pass runs in its own child process on a pre-built database file: its figures are the pass's own.
        first_pass: passes?.first_pass,
        routine_pass: passes?.routine_pass,
        peak_rss_mb: rss,
        targets: {
          planner_under_1s: plannerMs !== undefined && plannerMs < 1000,
          routine_pass_under_1s: idleMs !== undefined && idleMs < 1000,
          first_pass_under_1s: passMs !== undefined && passMs < 1000,
          routine_pass_under_200mb: under200(passes?.routine_pass),
          first_pass_under_200mb: under200(passes?.first_pass),
        },
      };
    },
  },
  {
    name: 'digest',
    script: 'bench/digest.ts',
    args: [],
    quickArgs: [],
    extract: (out, rss) => {
      const load = num(out, /load ([\d.]+) ms/);
      const compute = num(out, /compute ([\d.]+) ms/);
      const render = num(out, /render ([\d.]+) ms/);
      return {
        bench: 'digest',
        tasks: num(out, /digest bench: (\d+) tasks/),
        load_ms: load,
        compute_ms: compute,
        render_ms: render,
        total_ms: load !== undefined && compute !== undefined && render !== undefined ? load + compute + render : undefined,
        card_bytes: num(out, /card (\d+) bytes/),
        peak_rss_mb: rss,
      };
    },
  },
  {
    name: 'plan-load',
    script: 'bench/plan-load.ts',
    args: [],
    quickArgs: [],
    extract: (out, rss) => {
      const steps: Record<string, number> = {};
      for (const m of out.matchAll(/^(\S.*?)\s+(\d+) ms$/gm)) steps[m[1]!.trim()] = Number(m[2]);
      return { bench: 'plan-load', tasks: num(out, /plan with (\d+) tasks/), steps_ms: steps, peak_rss_mb: rss };
    },
  },
  { name: 'service-memory', script: 'bench/service-memory.ts', args: [], quickArgs: [] },
  { name: 'outbound', script: 'bench/outbound.ts', args: [], quickArgs: ['--messages', '1000', '--contacts', '200'] },
];

export interface BenchRun {
  name: string;
  script: string;
  status: 'ok' | 'failed' | 'missing';
  exit_code: number | null;
  wall_ms: number;
  peak_rss_mb?: number;
  result?: Record<string, unknown>;
  error?: string;
  /** Set on runs kept from an earlier report by --merge: when that run started. */
  ran_at?: string;
  /** Set on runs made by a --merge run: the machine's load when it started. */
  load_average_at_start?: number[];
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu_model: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    memory_gb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    load_average_at_start: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

function runBench(spec: BenchSpec, quick: boolean): Promise<BenchRun> {
  const file = path.join(ROOT, spec.script);
  if (!fs.existsSync(file)) {
    return Promise.resolve({ name: spec.name, script: spec.script, status: 'missing', exit_code: null, wall_ms: 0, error: `${spec.script} not found` });
  }
  const args = ['--import', 'tsx', '--import', path.join(ROOT, 'bench/lib/peak-rss.mjs'), file, ...(quick ? spec.quickArgs : spec.args)];
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      const s = d.toString();
      out += s;
      process.stdout.write(s.replace(/^(BENCH_JSON|PEAK_RSS_KB) .*\n?/gm, ''));
    });
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-8000);
      process.stderr.write(d);
    });
    child.on('exit', (code) => {
      const rss = lastJsonLine<number>(out, 'PEAK_RSS_KB');
      const peak = rss !== undefined ? Math.round(rss / 102.4) / 10 : undefined;
      const result =
        lastJsonLine<Record<string, unknown>>(out, 'BENCH_JSON') ?? (code === 0 && spec.extract ? spec.extract(out, peak) : undefined);
      resolve({
        name: spec.name,
        script: spec.script,
        status: code === 0 && result ? 'ok' : 'failed',
        exit_code: code,
        wall_ms: Math.round(performance.now() - t0),
        ...(peak !== undefined ? { peak_rss_mb: peak } : {}),
        ...(result ? { result } : {}),
        ...(code === 0 && result ? {} : { error: err.trim().split('\n').slice(-5).join('\n') || 'no BENCH_JSON line' }),
      });
    });
  });
}

/** Targets each bench reports as `targets: { name: boolean }`, flattened for the summary. */
function targetsOf(run: BenchRun): Array<[string, boolean]> {
  const t = run.result?.targets;
  return t && typeof t === 'object' ? Object.entries(t as Record<string, unknown>).filter((e): e is [string, boolean] => typeof e[1] === 'boolean') : [];
}

async function main() {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, quick: { type: 'boolean', default: false }, merge: { type: 'boolean', default: false } },
  });
  const only = values.only?.split(',').map((s) => s.trim());
  const selected = BENCHES.filter((b) => !only || only.includes(b.name));
  const machine = machineInfo();
  console.log(`duban benchmarks on ${machine.cpu_model} × ${machine.cpus}, ${machine.memory_gb} GB, Node ${machine.node}, load ${machine.load_average_at_start.join(' ')}`);
  const started = new Date();
  const runs: BenchRun[] = [];
  for (const spec of selected) {
    console.log(`\n=== ${spec.name} (${spec.script}) ===`);
    const run = await runBench(spec, values.quick ?? false);
    if (run.status === 'missing') console.log(`  (not available in this checkout: ${run.error})`);
    runs.push(run);
  }
  const dir = path.join(ROOT, 'bench/results');
  let report = { started_at: started.toISOString(), finished_at: new Date().toISOString(), quick: values.quick ?? false, machine, runs };
  if (values.merge && fs.existsSync(path.join(dir, 'latest.json'))) {
    // Keep the earlier report (its header, the benches not re-run); the re-run ones replace theirs, dated.
    const prev = JSON.parse(fs.readFileSync(path.join(dir, 'latest.json'), 'utf8')) as typeof report;
    const fresh = new Map(runs.map((r) => [r.name, { ...r, ran_at: started.toISOString(), load_average_at_start: machine.load_average_at_start }]));
    const merged = prev.runs.map((r) => fresh.get(r.name) ?? r);
    for (const r of fresh.values()) if (!prev.runs.some((p) => p.name === r.name)) merged.push(r);
    report = { ...prev, runs: merged };
  }
  fs.mkdirSync(dir, { recursive: true });
  const json = JSON.stringify(report, null, 2) + '\n';
  fs.writeFileSync(path.join(dir, 'latest.json'), json);
  fs.writeFileSync(path.join(dir, `${started.toISOString().replace(/[:.]/g, '-')}.json`), json);

  console.log('\n=== summary ===');
  console.log(`${'bench'.padEnd(16)} ${'status'.padEnd(8)} ${'wall s'.padStart(7)} ${'peak MB'.padStart(8)}  targets`);
  for (const r of runs) {
    const targets = targetsOf(r).map(([k, v]) => `${v ? '✓' : '✗'} ${k}`).join(', ');
    console.log(
      `${r.name.padEnd(16)} ${r.status.padEnd(8)} ${fmt(r.wall_ms / 1000, 1).padStart(7)} ${(r.peak_rss_mb !== undefined ? fmt(r.peak_rss_mb, 1) : '-').padStart(8)}  ${targets || (r.error ?? '')}`,
    );
  }
  console.log(`\nresults: bench/results/latest.json`);
  if (runs.some((r) => r.status === 'failed')) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
