// Open-loop load at a fixed rate (like wrk2): request i is due at t0 + i/rate, and its latency counts from that
// instant, so a stalled server cannot hide its queueing (no coordinated omission). Run as its own process:
//   tsx bench/lib/rate-load.ts <port> <path> <poolFile> <rate> <seconds> <ackedIdsFile>
import fs from 'node:fs';
import http from 'node:http';
import { readEventPool } from './lark-wire.js';

const [portArg, target, poolFile, rateArg, secondsArg, ackedFile] = process.argv.slice(2) as [string, string, string, string, string, string];
const port = Number(portArg);
const rate = Number(rateArg);
const total = Math.round(rate * Number(secondsArg));
const pool = readEventPool(poolFile);
if (pool.length < total) throw new Error(`pool has ${pool.length} events, need ${total}`);

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const latencies: number[] = [];
const acked: string[] = [];
let non2xx = 0;
let errors = 0;
let done = 0;

let retried = 0;

// A keep-alive socket the server closes just as it is reused fails the request before the server saw it; Feishu
// sends an unanswered event again, so this does too, once (the de-dup makes a repeat harmless either way).
function send(i: number, dueAt: number, attempt = 0): void {
  const r = pool[i]!;
  const req = http.request(
    {
      host: '127.0.0.1',
      port,
      path: target,
      method: 'POST',
      agent,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(r.body),
        'x-lark-request-timestamp': r.timestamp,
        'x-lark-request-nonce': r.nonce,
        'x-lark-signature': r.signature,
      },
    },
    (res) => {
      res.resume();
      res.on('end', () => {
        latencies.push(performance.now() - dueAt);
        if (res.statusCode === 200) acked.push(r.eventId);
        else non2xx++;
        finish();
      });
    },
  );
  req.on('error', () => {
    if (attempt === 0) {
      retried++;
      send(i, dueAt, 1);
      return;
    }
    errors++;
    finish();
  });
  req.end(r.body);
}

const t0 = performance.now() + 50;
let next = 0;
function tick(): void {
  const now = performance.now();
  while (next < total && t0 + (next * 1000) / rate <= now) {
    send(next, t0 + (next * 1000) / rate);
    next++;
  }
  if (next < total) setTimeout(tick, 1);
}
setTimeout(tick, 50);

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function finish(): void {
  if (++done < total) return;
  const elapsed = (performance.now() - t0) / 1000;
  const s = latencies.sort((a, b) => a - b);
  fs.writeFileSync(ackedFile, acked.join('\n'));
  agent.destroy();
  console.log(
    `RATE_JSON ${JSON.stringify({
      target_rate: rate,
      sent: total,
      ok: acked.length,
      non2xx,
      errors,
      retried,
      achieved_rate: total / elapsed,
      p50_ms: pct(s, 50),
      p90_ms: pct(s, 90),
      p99_ms: pct(s, 99),
      max_ms: s[s.length - 1] ?? NaN,
    })}`,
  );
}
