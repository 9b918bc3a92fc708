// Benchmark: the Node service's resident memory, started as `npm start` starts it (the bundle dist/node/service.mjs
// run by plain `node`) and, for comparison, from the sources through tsx (`npm run dev` without the watcher). Each
// is started twice on its own database file: the first start loads the bundled plan into it, the second is what a
// restart looks like. Printed: RSS and its high-water mark a few seconds after the second start, and again after
// a burst of signed events (so the figure includes a service that has done work). `npx tsx bench/service-memory.ts`
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildNode } from '../scripts/build-node.mjs';
import { BENCH_ENCRYPT_KEY, BENCH_VERIFICATION_TOKEN, buildMessageEvent, signedRequest } from './lib/lark-wire.js';
import { ROOT } from './lib/proc.js';

const SETTLE_MS = 3_000;
const EVENTS = Number(process.env.BENCH_EVENTS ?? 2_000);

interface Figures {
  idleRssMb: number;
  idleHwmMb: number;
  busyRssMb: number;
  busyHwmMb: number;
}

const status = (pid: number) => {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(text)![1]);
  return { rssMb: +(kb('VmRSS') / 1024).toFixed(1), hwmMb: +(kb('VmHWM') / 1024).toFixed(1) };
};

function start(args: string[], dbFile: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env, PORT: '0', HOST: '127.0.0.1', DATABASE_PATH: dbFile, LOG_LEVEL: 'info', LARK_ENCRYPT_KEY: BENCH_ENCRYPT_KEY,
      LARK_VERIFICATION_TOKEN: BENCH_VERIFICATION_TOKEN, SCHEDULER_ENABLED: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening \{"port":(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      child.stdout!.resume();
      child.stderr!.resume();
      resolve({ child, port: Number(m[1]) });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`service exited (${code}):\n${out}`)));
  });
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

async function measure(label: string, args: string[]): Promise<Figures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-mem-'));
  const dbFile = path.join(dir, 'duban.db');
  try {
    await stop((await start(args, dbFile)).child); // first start: migrations and the bundled plan
    const { child, port } = await start(args, dbFile);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const idle = status(child.pid!);
    for (let i = 0; i < EVENTS; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, EVENTS - i) }, async (_, j) => {
          const n = i + j;
          const event = buildMessageEvent({ eventId: `mem-${n}`, messageId: `om_mem_${n}`, openId: `ou_mem_${n % 100}`, text: '帮助' });
          const r = signedRequest(event, BENCH_ENCRYPT_KEY);
          const res = await fetch(`http://127.0.0.1:${port}/lark/events`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json', 'x-lark-request-timestamp': r.timestamp, 'x-lark-request-nonce': r.nonce,
              'x-lark-signature': r.signature,
            },
            body: r.body,
          });
          if (res.status !== 200) throw new Error(`event ${n}: HTTP ${res.status}`);
          await res.arrayBuffer();
        }),
      );
    }
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const busy = status(child.pid!);
    await stop(child);
    const f = { idleRssMb: idle.rssMb, idleHwmMb: idle.hwmMb, busyRssMb: busy.rssMb, busyHwmMb: busy.hwmMb };
    console.log(
      `  ${label.padEnd(34)} idle RSS ${f.idleRssMb} MB (high-water ${f.idleHwmMb} MB); after ${EVENTS} events RSS ${f.busyRssMb} MB (high-water ${f.busyHwmMb} MB)`,
    );
    return f;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (!fs.existsSync('/proc/self/status')) {
  console.log('service memory: needs /proc (Linux); skipped');
  console.log('BENCH_JSON ' + JSON.stringify({ bench: 'service-memory', skipped: 'needs /proc (Linux)' }));
  process.exit(0);
}
console.log(`service memory: each started twice on its own database (the second start measured), then ${EVENTS} signed events`);
const bundle = await buildNode();
const bundled = await measure('npm start (bundle, plain node)', ['--enable-source-maps', bundle]);
const sources = await measure('tsx src/node.ts (sources)', ['--import', 'tsx', 'src/node.ts']);
console.log(
  'BENCH_JSON ' +
    JSON.stringify({
      bench: 'service-memory',
      events: EVENTS,
      bundled,
      tsx: sources,
      saved_idle_mb: +(sources.idleRssMb - bundled.idleRssMb).toFixed(1),
    }),
);
