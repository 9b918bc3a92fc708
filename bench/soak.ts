// Soak: the real duban Node service under a steady 1,000 signed events/s for 60 s (open loop, like wrk2: a stall
// cannot hide its queueing). Prints the rate held, ack latency (p50/p99/max), the processing backlog sampled
// every 5 s, how long after the load the last event was processed, and checks that every acknowledged event was
// recorded once AND processed (status 'done', its reply queued), not only recorded. Server on core 0, load on 1.
//   npx tsx bench/soak.ts [--rate 1000] [--seconds 60]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_ENCRYPT_KEY, BENCH_VERIFICATION_TOKEN, writeEventPool } from './lib/lark-wire.js';
import { pendingAndDone, runFixedRate, verifyProcessed, verifyRecorded, waitProcessed } from './lib/intake.js';
import { emitResult, fmt, startServer } from './lib/proc.js';

const { values: argv } = parseArgs({ options: { rate: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '60' } } });
const RATE = Number(argv.rate);
const SECONDS = Number(argv.seconds);
const SERVER_CPU = 0;
const LOAD_CPU = 1;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-soak-'));

async function main() {
  const prefix = `soak${process.pid}`;
  const poolFile = path.join(tmp, 'soak.pool');
  let t = performance.now();
  writeEventPool(poolFile, RATE * SECONDS, { prefix });
  console.log(`soak: ${fmt(RATE * SECONDS)} signed events in ${fmt(performance.now() - t)} ms; ${fmt(RATE)}/s for ${SECONDS} s`);
  const dbFile = path.join(tmp, 'duban.db');
  const duban = await startServer(
    'bench/servers/duban-service.ts',
    {
      LARK_ENCRYPT_KEY: BENCH_ENCRYPT_KEY,
      LARK_VERIFICATION_TOKEN: BENCH_VERIFICATION_TOKEN,
      DATABASE_PATH: dbFile,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      PLAN_AUTOLOAD: 'true',
      SCHEDULER_ENABLED: 'false',
    },
    SERVER_CPU,
    60_000,
  );
  // The backlog (acknowledged, not yet processed) every 5 s while the load runs.
  const samples: Array<{ s: number; pending: number; processed: number }> = [];
  const t0 = performance.now();
  const sampler = setInterval(() => {
    const c = pendingAndDone(dbFile);
    samples.push({ s: Math.round((performance.now() - t0) / 1000), pending: c.pending, processed: c.done });
  }, 5_000);
  const ackedFile = path.join(tmp, 'acked.txt');
  const rate = await runFixedRate({ port: duban.port, path: '/lark/events', poolFile, rate: RATE, seconds: SECONDS, ackedFile, cpu: LOAD_CPU });
  clearInterval(sampler);
  t = performance.now();
  const drainMs = await waitProcessed(dbFile);
  const end = (performance.now() - t0) / 1000;
  await duban.stop();

  const acked = fs.readFileSync(ackedFile, 'utf8').split('\n').filter(Boolean);
  const rec = verifyRecorded(dbFile, acked);
  const proc = verifyProcessed(dbFile, acked, `om_${prefix}_`);
  for (const s of samples) console.log(`  t=${String(s.s).padStart(3)} s   processed ${fmt(s.processed).padStart(7)}   backlog ${fmt(s.pending)}`);
  console.log(
    `  rate held: ${fmt(rate.achieved_rate)} events/s of ${fmt(RATE)} target   ack p50 ${fmt(rate.p50_ms, 2)} ms   p99 ${fmt(rate.p99_ms, 2)} ms` +
      `   max ${fmt(rate.max_ms, 1)} ms   ok ${rate.ok}/${rate.sent}, non-2xx ${rate.non2xx}, errors ${rate.errors}`,
  );
  console.log(
    `  processed: ${fmt(proc.processed)} of ${fmt(proc.acked)} acked (${JSON.stringify(proc.not_processed)} not), replies queued ${fmt(proc.replies_queued)};` +
      ` last event processed ${fmt(drainMs)} ms after the load (${fmt(proc.processed / end)} events/s end to end)`,
  );
  console.log(`  recorded once: ${rec.missing} missing, ${rec.duplicated} duplicated`);
  const maxBacklog = Math.max(0, ...samples.map((s) => s.pending));
  emitResult({
    bench: 'soak',
    config: { rate: RATE, seconds: SECONDS },
    rate,
    backlog_samples: samples,
    max_backlog: maxBacklog,
    drain_after_load_ms: Math.round(drainMs),
    processed_end_to_end_per_s: Math.round(proc.processed / end),
    recorded: { missing: rec.missing, duplicated: rec.duplicated },
    processed: proc,
    targets: {
      rate_held: rate.achieved_rate >= RATE * 0.95 && rate.ok === rate.sent,
      p99_ack_lt_50ms: rate.p99_ms < 50,
      every_event_processed: proc.processed === proc.acked && proc.replies_queued === proc.acked && rec.missing === 0 && rec.duplicated === 0,
    },
  });
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(tmp, { recursive: true, force: true }));
