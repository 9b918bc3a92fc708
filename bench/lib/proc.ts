// Child processes for benchmarks: servers pinned to one core, load generators to the other, figures as JSON lines.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNode } from '../../scripts/build-node.mjs';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const hasTaskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;

/** Prefix a command with `taskset -c <cpu>` when the machine has taskset and more than one core. */
export function pinned(cpu: number, cmd: string, args: string[]): [string, string[]] {
  if (!hasTaskset || os.cpus().length < 2) return [cmd, args];
  return ['taskset', ['-c', String(cpu % os.cpus().length), cmd, ...args]];
}

export interface ServerProcess {
  port: number;
  child: ChildProcess;
  stderr(): string;
  /** SIGTERM and wait for exit (the server finishes its deferred work first). */
  stop(): Promise<number | null>;
}

/**
 * Run a TypeScript server script on `cpu` the way `npm start` runs the service: bundled by scripts/build-node.mjs,
 * run by plain `node`. It must print `READY <port>` on stdout.
 */
export async function startServer(script: string, env: Record<string, string>, cpu = 0, timeoutMs = 30_000): Promise<ServerProcess> {
  const bundle = await buildNode(script, path.join(ROOT, 'dist/bench', `${path.basename(script, '.ts')}.mjs`));
  const [cmd, args] = pinned(cpu, process.execPath, ['--enable-source-maps', bundle]);
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  child.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-20_000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start in time:\n${err}`)), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before it was ready:\n${err}`));
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      resolve({
        port: Number(m[1]),
        child,
        stderr: () => err,
        stop: () =>
          new Promise((res) => {
            if (child.exitCode !== null) return res(child.exitCode);
            child.once('exit', (code) => res(code));
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

/** Run a command to completion and capture its output. */
export function runCommand(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 600_000) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The JSON after the last line that starts with `tag`. */
export function lastJsonLine<T>(text: string, tag: string): T | undefined {
  const line = text
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(tag + ' '));
  return line ? (JSON.parse(line.slice(tag.length + 1)) as T) : undefined;
}

/** Every bench script ends with one `BENCH_JSON {...}` line; run-all.ts collects it. */
export function emitResult(result: Record<string, unknown>): void {
  console.log(`BENCH_JSON ${JSON.stringify(result)}`);
}

export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : String(n);
