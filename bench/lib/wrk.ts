// Closed-loop maximum throughput with wrk, cycling through a pool of pre-signed Feishu events.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { lastJsonLine, pinned, ROOT, runCommand } from './proc.js';

export interface WrkResult {
  requests: number;
  duration_us: number;
  bytes: number;
  p50_us: number;
  p90_us: number;
  p99_us: number;
  max_us: number;
  non2xx: number;
  connect_errors: number;
  read_errors: number;
  write_errors: number;
  timeouts: number;
  wraps: number;
  rps: number;
}

export const wrkAvailable = () => spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;

export async function runWrk(o: {
  port: number;
  path: string;
  poolFile: string;
  seconds: number;
  connections: number;
  cpu: number;
}): Promise<WrkResult> {
  const [cmd, args] = pinned(o.cpu, 'wrk', [
    '-t1',
    `-c${o.connections}`,
    `-d${o.seconds}s`,
    '--latency',
    '-s',
    path.join(ROOT, 'bench/lib/pool.lua'),
    `http://127.0.0.1:${o.port}`,
  ]);
  const res = await runCommand(cmd, args, { POOL_FILE: o.poolFile, TARGET_PATH: o.path });
  const j = lastJsonLine<Omit<WrkResult, 'rps'>>(res.stdout, 'WRK_JSON');
  if (!j) throw new Error(`wrk failed (${res.code}): ${res.stderr || res.stdout}`);
  return { ...j, rps: j.requests / (j.duration_us / 1e6) };
}
