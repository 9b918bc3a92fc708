// Turn bench/results/latest.json into the Markdown summary in bench/README.md (between the results markers).
//   npx tsx bench/summarise.ts           print the summary
//   npx tsx bench/summarise.ts --write   also replace it in bench/README.md
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib/proc.js';
import type { BenchRun } from './run-all.js';

type R = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const n = (v: unknown, d = 0) =>
  typeof v === 'number' && Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '—';
const mark = (ok: unknown) => (ok === true ? '✅ met' : ok === false ? '❌ not met' : '—');

function lines(report: R): string[] {
  const m = report.machine as R;
  const out = [
    `Run of ${String(report.started_at).slice(0, 16).replace('T', ' ')} UTC${report.quick ? ' (quick mode)' : ''}: ` +
      `${m.cpu_model} × ${m.cpus} cores, ${m.memory_gb} GB, ${m.os}, Node ${m.node}; ` +
      `load average at start ${(m.load_average_at_start as number[]).join(' / ')} (the machine is shared: absolute figures vary ` +
      `from run to run, ratios measured in one run are what to compare).`,
    '',
    '| bench | figure | value | target |',
    '|---|---|---|---|',
  ];
  const runs = report.runs as BenchRun[];
  for (const run of runs) {
    const r = (run.result ?? {}) as R;
    const t = (r.targets ?? {}) as R;
    // A bench re-run on its own (`--merge`) says when, and under what load; its rows follow without the name.
    const first = out.length;
    if (run.ran_at) {
      const load = (run as R).load_average_at_start as number[] | undefined;
      out.push(`| ${run.name} | re-run on its own at ${run.ran_at.slice(0, 16).replace('T', ' ')} UTC${load ? `, load average ${load.join(' / ')}` : ''} | | |`);
    }
    if (run.status !== 'ok') {
      out.push(`| ${run.name} | ${run.status} | ${String(run.error ?? '').split('\n')[0]} | |`);
      continue;
    }
    switch (run.name) {
      case 'webhook-intake': {
        if (r.skipped) {
          out.push(`| webhook-intake | skipped | ${r.skipped} | |`);
          break;
        }
        out.push(`| webhook-intake | bare Hono hello (wrk, 50 conns) | ${n(r.hono.rps)} req/s, p50 ${n(r.hono.p50_ms, 2)} ms, p99 ${n(r.hono.p99_ms, 2)} ms | |`);
        out.push(`| | SDK EventDispatcher on node:http | ${n(r.sdk_dispatcher.rps)} req/s, p50 ${n(r.sdk_dispatcher.p50_ms, 2)} ms, p99 ${n(r.sdk_dispatcher.p99_ms, 2)} ms (${n(r.ratio_sdk_vs_hono * 100, 1)}% of Hono) | |`);
        out.push(`| | duban, SQLite: verified, recorded, acknowledged | ${n(r.duban.rps)} req/s, p50 ${n(r.duban.p50_ms, 2)} ms, p99 ${n(r.duban.p99_ms, 2)} ms | |`);
        const proc = r.duban_processing as R[] | undefined;
        if (proc?.length) {
          const bestProc = proc.reduce((a, b) => (b.events_per_s > a.events_per_s ? b : a));
          out.push(`| | duban, processing of each burst (commands run, replies queued) | ${proc.map((p) => `${n(p.events)} events done ${n(p.drain_ms / 1000, 1)} s after the burst`).join('; ')}: ${n(bestProc.events_per_s)} events/s end to end | |`);
        }
        out.push(`| | duban ÷ bare Hono | ${n(r.ratio_duban_vs_hono * 100, 1)}% | ≥ 15%: ${mark(t.intake_ratio_ge_15pct)} |`);
        const f = r.duban_fixed_rate as R;
        out.push(`| | duban at ${n(f.target_rate)} events/s (open loop) | achieved ${n(f.achieved_rate)}/s, p50 ${n(f.p50_ms, 2)} ms, p99 ${n(f.p99_ms, 2)} ms | p99 < 50 ms: ${mark(t.p99_ack_lt_50ms_at_1000)} |`);
        const q = r.duban_quarter_rate as R | undefined;
        if (q) out.push(`| | duban at ${n(q.target_rate)} events/s (open loop) | achieved ${n(q.achieved_rate)}/s, p50 ${n(q.p50_ms, 2)} ms, p99 ${n(q.p99_ms, 2)} ms | |`);
        const rec = r.recorded as R;
        out.push(`| | recorded exactly once | ${n(rec.acked)} acked at fixed rate: ${rec.missing} missing, ${rec.duplicated} duplicated; wrk pools ${(r.wrk_recorded as R[]).map((c) => `${c.acked_2xx} acked / ${c.rows} rows`).join(', ')} | ${mark(t.every_event_recorded_once)} |`);
        break;
      }
      case 'intake-breakdown':
        out.push(`| intake-breakdown | per event, one at a time, in-process | verify+decrypt ${n(r.verify_us)} µs, de-dup insert ${n(r.record_us)} µs, work after ack ${n(r.process_after_ack_us)} µs; end to end ${n(r.end_to_end_us)} µs (≈ ${n(r.single_core_events_per_s)}/s on one core); a raw prepared INSERT ${n(r.raw_insert_us)} µs | |`);
        break;
      case 'scheduler-pass': {
        const f = r.first_pass as R | undefined;
        const q = r.routine_pass as R | undefined;
        // Passes run several times (bench/scheduler-pass.ts): time is the median run, memory the highest peak.
        const runs = (p: R | undefined, key: string, unit: string) =>
          Array.isArray(p?.[key]) ? ` ${(p![key] as number[]).length} runs (${(p![key] as number[]).map((v) => n(v, unit === 'MB' ? 1 : 0)).join(', ')} ${unit})` : '';
        const mem = (p?: R) =>
          p
            ? `heap high-water ${n(p.heap_high_mb, 1)} MB; peak RSS ${n(p.rss_peak_mb, 1)} MB (${n(p.rss_before_mb, 1)} MB before, +${n(p.rss_delta_mb, 1)} MB during the pass)` +
              (Array.isArray(p.rss_peak_runs_mb) ? `, the highest of${runs(p, 'rss_peak_runs_mb', 'MB')}` : '')
            : '—';
        const cpu = (p?: R) => (p?.cpu_ms !== undefined ? `, CPU ${n(p.cpu_ms)} ms` : '') + (Array.isArray(p?.runs_ms) ? `, median of${runs(p, 'runs_ms', 'ms')}` : '');
        out.push(`| scheduler-pass | ${n(r.assignments)} assignments: planner alone | ${n(r.planner_median_ms, 1)} ms (median of 5) | < 1 s: ${mark(t.planner_under_1s)} |`);
        out.push(`| | routine pass (nothing new), own process | ${n(r.idle_pass_ms)} ms${cpu(q)}${q?.read_ms !== undefined ? ` (measured again apart: bulk read ${n(q.read_ms)} ms, planning ${n(q.plan_ms)} ms)` : ''} | < 1 s: ${mark(t.routine_pass_under_1s)} |`);
        out.push(`| | routine pass memory | ${mem(q)} | < 200 MB: ${mark(t.routine_pass_under_200mb)} |`);
        out.push(`| | first pass of a fresh plan, own process | ${n(r.first_pass_ms)} ms${cpu(f)} (${n(f?.planned)} steps claimed, ${n(f?.outbox_rows)} outbox rows) | < 1 s: ${mark(t.first_pass_under_1s)} |`);
        out.push(`| | first pass memory | ${mem(f)} | < 200 MB: ${mark(t.first_pass_under_200mb)} |`);
        break;
      }
      case 'digest':
        out.push(`| digest | ${n(r.tasks)} tasks | load ${n(r.load_ms, 1)} ms, compute ${n(r.compute_ms, 1)} ms, render ${n(r.render_ms, 1)} ms; card ${n(r.card_bytes)} bytes; peak RSS ${n(r.peak_rss_mb, 1)} MB | |`);
        break;
      case 'plan-load':
        out.push(`| plan-load | ${n(r.tasks)} tasks | ${Object.entries((r.steps_ms ?? {}) as R).map(([k, v]) => `${k} ${n(v)} ms`).join('; ')} | |`);
        break;
      case 'service-memory': {
        const row = (label: string, f?: R) =>
          f ? `| | ${label} | idle RSS ${n(f.idleRssMb, 1)} MB; after ${n(r.events)} signed events ${n(f.busyRssMb, 1)} MB (high-water ${n(f.busyHwmMb, 1)} MB) | |` : '';
        if (r.skipped) {
          out.push(`| service-memory | skipped | ${r.skipped} | |`);
          break;
        }
        out.push(`| service-memory | the Node service, restarted on its database | | |`);
        out.push(row('`npm start` (bundle, plain node)', r.bundled as R | undefined));
        out.push(row('`tsx src/node.ts` (sources), for comparison', r.tsx as R | undefined));
        break;
      }
      case 'outbound':
        out.push(`| outbound | ${n(r.config.messages)} reminders → ${n(r.config.contacts)} contacts | ${n(r.rate_per_s, 2)} msg/s over ${n(r.span_s, 1)} s = ${n(r.ratio_of_ceiling * 100, 1)}% of 50/s | ≥ 90%: ${mark(t.rate_ge_90pct_of_ceiling)} |`);
        out.push(`| | 429s / 230020s received | ${r.http_429} / ${r.user_limit_230020} (${n(r.send_calls)} send calls) | |`);
        out.push(`| | duplicates / lost | ${r.duplicates} / ${r.lost} | zero: ${mark(t.zero_duplicates)} / ${mark(t.zero_lost)} |`);
        break;
      default:
        out.push(`| ${run.name} | | ${JSON.stringify(r).slice(0, 200)} | |`);
    }
    if (run.ran_at && out[first + 1]) out[first + 1] = out[first + 1]!.replace(`| ${run.name} |`, '| |');
  }
  return out;
}

const START = '<!-- results:start -->';
const END = '<!-- results:end -->';
const report = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench/results/latest.json'), 'utf8')) as R;
const md = lines(report).join('\n');
console.log(md);
if (process.argv.includes('--write')) {
  const file = path.join(ROOT, 'bench/README.md');
  const text = fs.readFileSync(file, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`bench/README.md has no ${START} … ${END} section`);
  fs.writeFileSync(file, text.slice(0, a + START.length) + '\n' + md + '\n' + text.slice(b));
}
