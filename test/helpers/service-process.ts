// The duban Node service as a child process, for tests that kill and restart it: the bundle `npm start` runs
// (dist/node/service.mjs, built before the suite by test/global-setup.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { signedRequest, buildMessageEvent, BENCH_ENCRYPT_KEY, BENCH_VERIFICATION_TOKEN } from '../../bench/lib/lark-wire.js';

/** How `npm start` runs the service once it is built. */
export const SERVICE_ARGS = ['--enable-source-maps', 'dist/node/service.mjs'];

export interface ServiceProcess {
  port: number;
  child: ChildProcess;
  logs(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export const SERVICE_LARK_ENV = {
  LARK_APP_ID: 'cli_fake_app',
  LARK_APP_SECRET: 'fake_secret',
  LARK_ENCRYPT_KEY: BENCH_ENCRYPT_KEY,
  LARK_VERIFICATION_TOKEN: BENCH_VERIFICATION_TOKEN,
};

/** Start the service and resolve once it logs the port it listens on. */
export function startServiceProcess(env: Record<string, string>, timeoutMs = 30_000): Promise<ServiceProcess> {
  const child = spawn(process.execPath, SERVICE_ARGS, {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  const onData = (d: Buffer) => {
    logs = (logs + d.toString()).slice(-50_000);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`service did not start:\n${logs}`));
    }, timeoutMs);
    const exit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`service exited (${code}) before listening:\n${logs}`));
    };
    child.once('exit', exit);
    const poll = setInterval(() => {
      const m = /listening \{"port":(\d+)/.exec(logs);
      if (!m) return;
      clearInterval(poll);
      clearTimeout(timer);
      child.off('exit', exit);
      resolve({
        port: Number(m[1]),
        child,
        logs: () => logs,
        kill: (signal = 'SIGTERM') =>
          new Promise<void>((res) => {
            if (child.exitCode !== null || child.signalCode !== null) return res();
            child.once('exit', () => res());
            child.kill(signal);
          }),
      });
    }, 20);
    child.once('exit', () => clearInterval(poll));
  });
}

/** POST one signed text message event; resolves with the HTTP status (0 when the connection failed). */
export async function postMessageEvent(port: number, o: { eventId: string; messageId: string; openId: string; text: string }): Promise<number> {
  const r = signedRequest(buildMessageEvent(o));
  try {
    const res = await fetch(`http://127.0.0.1:${port}/lark/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-lark-request-timestamp': r.timestamp,
        'x-lark-request-nonce': r.nonce,
        'x-lark-signature': r.signature,
      },
      body: r.body,
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}
