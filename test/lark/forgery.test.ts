// Issue 13, "nothing forged gets in": forged URL checks, signatures with moved digits, missing timestamps, an edge
// with nothing configured and oversized bodies, each through the real HTTP stack. A refused request must leave
// every table as it was and send nothing to Feishu.
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import http from 'node:http';
import { openNodeDatabase } from '../../src/db/node.js';
import { startServiceProcess, type ServiceProcess } from '../helpers/service-process.js';
import { webLarkCrypto } from '../../src/lark/crypto.js';
import { type LarkCrypto } from '../../src/ports.js';
import { INBOUND_RETENTION_MS } from '../../src/db/inbox-store.js';
import { ADMIN_BODY_LIMIT_BYTES, LARK_BODY_LIMIT_BYTES } from '../../src/lark/body-cap.js';
import {
  DEFAULT_TIMESTAMP_TOLERANCE_SECONDS, MAX_TIMESTAMP_TOLERANCE_SECONDS, MIN_INBOUND_RETENTION_MS, minInboundRetentionMs,
} from '../../src/lark/verify.js';
import { parseConfig } from '../../src/config.js';
import { startFakeLark, type FakeLark } from '../fake-lark/server.js';
import { createRecordingMessenger, createTestDeps, type RecordingMessenger, type TestDeps } from '../helpers/deps.js';
import { buildLarkRequest, encryptForLark, messageEvent, postLarkEvent, signForLark, urlVerification } from '../helpers/lark-events.js';

const TOKEN = 'forgery_token';
const KEY = 'forgery encrypt key';
const OFFICE = 'ou_office_member';
const BOTH = { LARK_VERIFICATION_TOKEN: TOKEN, LARK_ENCRYPT_KEY: KEY, OFFICE_OPEN_IDS: OFFICE };

let deps: TestDeps | undefined;
let fake: FakeLark | undefined;
let proc: ServiceProcess | undefined;
afterEach(async () => {
  await proc?.kill();
  proc = undefined;
  deps?.close();
  deps = undefined;
  await fake?.close();
  fake = undefined;
});

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

/** POST a stream with node:http (chunked, or with a declared Content-Length); resolves with the status, 0 on reset. */
function postRaw(port: number, body: ReadableStream<Uint8Array>, contentLength?: number, urlPath = '/lark/events', headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: 'POST', headers: { ...headers, ...(contentLength ? { 'content-length': String(contentLength) } : {}) } });
    let done = false;
    const finish = (s: number) => {
      if (done) return;
      done = true;
      reader.cancel().catch(() => undefined);
      resolve(s);
    };
    req.on('response', (res) => {
      res.resume();
      finish(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('error', () => finish(0));
    const reader = body.getReader();
    const pump = async () => {
      while (!done) {
        const { done: end, value } = await reader.read();
        if (end) return req.end();
        if (!req.write(value)) await new Promise((r) => req.once('drain', r));
      }
    };
    pump().catch(() => finish(0));
  });
}

function countingCrypto() {
  const calls = { decrypt: 0, signature: 0 };
  const c: LarkCrypto = {
    signature: (...a) => (calls.signature++, webLarkCrypto.signature(...a)),
    decrypt: (...a) => (calls.decrypt++, webLarkCrypto.decrypt(...a)),
  };
  return { c, calls };
}

function setup(env: Record<string, string> = BOTH, now = Date.now()) {
  const lines: string[] = [];
  const messenger = createRecordingMessenger();
  deps = createTestDeps(env, now, messenger);
  deps.logger = createLogger('warn', (l) => lines.push(l));
  const crypto = countingCrypto();
  deps.larkCrypto = crypto.c;
  const app = createApp(deps);
  return { app, deps, lines, messenger: messenger as RecordingMessenger, calls: crypto.calls };
}

/** Row count of every table: a refused request must change none of them. */
async function tableCounts(d: TestDeps): Promise<Record<string, number>> {
  const names = (await d.db.all<{ name: string }>(sql`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%'`)).map((r) => r.name);
  const out: Record<string, number> = {};
  for (const n of names) out[n] = (await d.db.all<{ n: number }>(sql.raw(`select count(*) as n from "${n}"`)))[0]!.n;
  return out;
}

/** The attack from the issue: a message event that also says it is a URL check (and carries no challenge). */
function forgedUrlCheck(text = '绑定 @张三 办公室', extra: Record<string, unknown> = {}) {
  const ev = messageEvent({ token: '', senderOpenId: OFFICE, text, mentions: [{ key: '@_user_1', name: '张三', openId: 'ou_zhang' }] });
  return { type: 'url_verification', ...ev, ...extra };
}

async function expectUntouched(d: TestDeps, before: Record<string, number>, messenger: RecordingMessenger) {
  await d.settle();
  expect(await tableCounts(d)).toEqual(before);
  expect(messenger.delivered).toHaveLength(0);
}

describe('a body is a URL check only if it is one', () => {
  const cases: Array<{ name: string; env: Record<string, string>; status: number; build: () => { body: string; headers: Record<string, string> } }> = [
    { name: 'plaintext, unsigned, encrypt key set', env: BOTH, status: 401, build: () => buildLarkRequest(forgedUrlCheck()) },
    { name: 'plaintext with a challenge too, encrypt key set', env: BOTH, status: 401, build: () => buildLarkRequest(forgedUrlCheck('销号 4.1.1', { challenge: 'c' })) },
    {
      name: 'encrypted with the key but unsigned (only a genuine URL check may be unsigned)',
      env: BOTH,
      status: 401,
      build: () => buildLarkRequest(forgedUrlCheck('销号 4.1.1', { challenge: 'c', token: TOKEN }), { encryptKey: KEY, sign: false }),
    },
    { name: 'plaintext, token-only configuration, no token', env: { LARK_VERIFICATION_TOKEN: TOKEN, OFFICE_OPEN_IDS: OFFICE }, status: 401, build: () => buildLarkRequest(forgedUrlCheck()) },
    {
      name: 'plaintext, token-only configuration, token beside a challenge but the header token wrong',
      env: { LARK_VERIFICATION_TOKEN: TOKEN, OFFICE_OPEN_IDS: OFFICE },
      status: 401,
      build: () => buildLarkRequest(forgedUrlCheck('销号 4.1.1', { challenge: 'c', token: TOKEN })),
    },
    { name: 'plaintext, nothing configured', env: { OFFICE_OPEN_IDS: OFFICE }, status: 503, build: () => buildLarkRequest(forgedUrlCheck()) },
  ];
  for (const k of cases) {
    for (const p of ['/lark/events', '/lark/cards'] as const) {
      it(`refuses a forged URL check (${k.name}) on ${p}, touching nothing`, async () => {
        const { app, deps, messenger } = setup(k.env);
        const before = await tableCounts(deps);
        const { body, headers } = k.build();
        const res = await app.request(p, { method: 'POST', body, headers });
        expect(res.status).toBe(k.status);
        expect(JSON.stringify(await res.json())).not.toContain('challenge');
        await expectUntouched(deps, before, messenger);
      });
    }
  }

  it('a genuine URL check with a wrong token is refused in every configuration', async () => {
    for (const env of [BOTH, { LARK_VERIFICATION_TOKEN: TOKEN }] as Array<Record<string, string>>) {
      const { app } = setup(env);
      const opts = env.LARK_ENCRYPT_KEY ? { encryptKey: KEY, sign: false } : {};
      expect((await postLarkEvent(app, '/lark/events', urlVerification('wrong', 'c1'), opts)).status).toBe(401);
      expect((await postLarkEvent(app, '/lark/events', urlVerification(TOKEN, 'c2'), opts)).status).toBe(200);
      deps?.close();
      deps = undefined;
    }
  });

  it('with an encrypt key, a plaintext URL check is not the genuine one (Feishu encrypts it)', async () => {
    const { app } = setup();
    const res = await postLarkEvent(app, '/lark/events', urlVerification(TOKEN, 'c'));
    expect(res.status).toBe(401);
  });

  it('a signed URL check (should Feishu sign it) is answered; a wrongly signed one is refused before decryption', async () => {
    const { app, calls } = setup();
    const ok = await postLarkEvent(app, '/lark/events', urlVerification(TOKEN, 'c_signed'), { encryptKey: KEY });
    expect(await ok.json()).toEqual({ challenge: 'c_signed' });
    calls.decrypt = 0;
    const bad = await postLarkEvent(app, '/lark/events', urlVerification(TOKEN, 'c'), { encryptKey: KEY, signature: 'ab'.repeat(32) });
    expect(bad.status).toBe(401);
    expect(calls.decrypt).toBe(0);
  });

  it('an unsigned encrypted body that fails to decrypt gets the same 401 as any unsigned request (no oracle)', async () => {
    const { app, lines } = setup();
    const enc = encryptForLark(KEY, JSON.stringify(urlVerification(TOKEN)));
    const res = await app.request('/lark/events', { method: 'POST', body: JSON.stringify({ encrypt: enc.slice(0, -8) + 'AAAAAAA=' }) });
    const other = await app.request('/lark/events', { method: 'POST', body: JSON.stringify({ encrypt: encryptForLark(KEY, '{"x":1}') }) });
    expect(res.status).toBe(401);
    expect(other.status).toBe(401);
    expect(await res.json()).toEqual(await other.json());
    expect(lines.join('\n')).not.toContain(KEY);
  });
});

describe('with LARK_ENCRYPT_KEY: signature first, timestamp required and unambiguous', () => {
  it('refuses a wrongly signed event before decrypting or parsing it', async () => {
    const { app, deps, messenger, calls } = setup();
    const before = await tableCounts(deps);
    const res = await postLarkEvent(app, '/lark/events', messageEvent({ token: TOKEN, senderOpenId: OFFICE, text: '帮助' }), { encryptKey: KEY, signature: '0'.repeat(64) });
    expect(res.status).toBe(401);
    expect(calls.decrypt).toBe(0);
    await expectUntouched(deps, before, messenger);
  });

  it('refuses a signed event without X-Lark-Request-Timestamp, or with one that is not 10 digits', async () => {
    const { app, deps, messenger, calls } = setup();
    const before = await tableCounts(deps);
    const ev = messageEvent({ token: TOKEN, text: '帮助' });
    const { body, headers } = buildLarkRequest(ev, { encryptKey: KEY });
    const noTs = { ...headers };
    delete noTs['x-lark-request-timestamp'];
    expect((await app.request('/lark/events', { method: 'POST', body, headers: noTs })).status).toBe(401);
    const now = String(Math.floor(Date.now() / 1000));
    for (const ts of [`${now}.0`, ` ${now}`, `+${now}`, `0${now}`, `${now}000`, 'abc', '']) {
      const nonce = 'n1';
      const h = { ...headers, 'x-lark-request-timestamp': ts, 'x-lark-request-nonce': nonce, 'x-lark-signature': signForLark(ts, nonce, KEY, body) };
      expect((await app.request('/lark/events', { method: 'POST', body, headers: h })).status, ts).toBe(401);
    }
    expect(calls.decrypt).toBe(0);
    await expectUntouched(deps, before, messenger);
  });

  it('digits moved between the timestamp and the nonce keep the hash but are refused', async () => {
    const { app, deps, messenger } = setup();
    const ev = messageEvent({ token: TOKEN, senderOpenId: OFFICE, text: '帮助' });
    // A stale request captured by an attacker: timestamp 13 h old, nonce starting with digits.
    const ts = String(Math.floor(Date.now() / 1000) - 13 * 3600);
    const nonce = '42abcdef';
    const { body, headers } = buildLarkRequest(ev, { encryptKey: KEY, timestamp: ts, nonce });
    const sig = headers['x-lark-signature']!;
    const before = await tableCounts(deps);
    const send = (t: string, n: string) =>
      app.request('/lark/events', { method: 'POST', body, headers: { ...headers, 'x-lark-request-timestamp': t, 'x-lark-request-nonce': n, 'x-lark-signature': sig } });
    // The signature still matches every split of the same concatenation...
    expect(signForLark(ts.slice(0, 9), ts.slice(9) + nonce, KEY, body)).toBe(sig);
    expect(signForLark(ts + '42', 'abcdef', KEY, body)).toBe(sig);
    // ...but only the 10-digit one is a timestamp, and it is stale.
    expect((await send(ts, nonce)).status).toBe(401);
    expect((await send(ts.slice(0, 9), ts.slice(9) + nonce)).status).toBe(401);
    expect((await send(ts.slice(0, 8), ts.slice(8) + nonce)).status).toBe(401);
    expect((await send(ts + '4', '2abcdef')).status).toBe(401);
    expect((await send(ts + '42', 'abcdef')).status).toBe(401);
    await expectUntouched(deps, before, messenger);
  });

  it("accepts Feishu's own re-push 7 h after the first try with its first timestamp, once; refuses it past the window", async () => {
    const t0 = Date.now();
    const { app, deps, messenger } = setup(BOTH, t0);
    const ev = messageEvent({ token: TOKEN, text: '帮助' });
    const { body, headers } = buildLarkRequest(ev, { encryptKey: KEY, timestamp: String(Math.floor(t0 / 1000)) });
    const post = () => app.request('/lark/events', { method: 'POST', body, headers });
    expect((await post()).status).toBe(200);
    await deps.settle();
    const after = await tableCounts(deps);
    expect(messenger.delivered).toHaveLength(1);
    for (const late of [15_000, 5 * 60_000, 3600_000, 6 * 3600_000, 7.2 * 3600_000]) {
      deps.setNow(t0 + late);
      expect((await post()).status).toBe(200);
    }
    await deps.settle();
    // A replay inside the window reaches only the de-dup row: one effect.
    expect(messenger.delivered).toHaveLength(1);
    expect(await tableCounts(deps)).toEqual(after);
    deps.setNow(t0 + (DEFAULT_TIMESTAMP_TOLERANCE_SECONDS + 60) * 1000);
    expect((await post()).status).toBe(401);
  });

  it('the de-dup rows outlive every accepted timestamp and the whole re-push schedule', () => {
    expect(DEFAULT_TIMESTAMP_TOLERANCE_SECONDS).toBeGreaterThanOrEqual(7.1 * 3600 + 300);
    expect(parseConfig({}).LARK_TIMESTAMP_TOLERANCE_SECONDS).toBe(DEFAULT_TIMESTAMP_TOLERANCE_SECONDS);
    expect(MIN_INBOUND_RETENTION_MS).toBeGreaterThanOrEqual(minInboundRetentionMs(MAX_TIMESTAMP_TOLERANCE_SECONDS));
    expect(MIN_INBOUND_RETENTION_MS).toBeGreaterThan(2 * MAX_TIMESTAMP_TOLERANCE_SECONDS * 1000);
    expect(INBOUND_RETENTION_MS).toBeGreaterThanOrEqual(MIN_INBOUND_RETENTION_MS);
    expect(() => parseConfig({ LARK_TIMESTAMP_TOLERANCE_SECONDS: String(MAX_TIMESTAMP_TOLERANCE_SECONDS + 1) })).toThrow(/LARK_TIMESTAMP_TOLERANCE_SECONDS/);
    // Not a number: said in Chinese with the value given, not only zod's "expected number, received NaN".
    expect(() => parseConfig({ LARK_TIMESTAMP_TOLERANCE_SECONDS: '12h' })).toThrow(/LARK_TIMESTAMP_TOLERANCE_SECONDS: 应为整数（当前值“12h”）/);
    expect(() => parseConfig({ PORT: 'abc' })).toThrow(/PORT: 应为整数（当前值“abc”）/);
    expect(() => parseConfig({ PORT: '70000' })).toThrow(/PORT: 不能大于 65535/);
  });
});

describe('with nothing to verify against, /lark/* refuses events', () => {
  it('answers 503 naming the settings, on both routes, touching nothing; /healthz says why', async () => {
    const { app, deps, messenger, lines } = setup({ OFFICE_OPEN_IDS: OFFICE });
    const before = await tableCounts(deps);
    for (const p of ['/lark/events', '/lark/cards'] as const) {
      const res = await postLarkEvent(app, p, messageEvent({ senderOpenId: OFFICE, text: '帮助' }));
      expect(res.status).toBe(503);
      const j = (await res.json()) as { error: string; message: string };
      expect(j.error).toBe('inbound_disabled');
      expect(j.message).toMatch(/LARK_VERIFICATION_TOKEN/);
      expect(j.message).toMatch(/LARK_ENCRYPT_KEY/);
      expect(j.message).toMatch(/飞书/);
    }
    expect((await postLarkEvent(app, '/lark/events', urlVerification('', 'c'))).status).toBe(503);
    await expectUntouched(deps, before, messenger);
    expect(lines.join('\n')).toMatch(/LARK_VERIFICATION_TOKEN/);
    const health = (await (await app.request('/healthz')).json()) as { larkInbound: { enabled: boolean; reason?: string } };
    expect(health.larkInbound.enabled).toBe(false);
    expect(health.larkInbound.reason).toMatch(/LARK_VERIFICATION_TOKEN/);
  });

  it('/healthz says how events are verified when they are', async () => {
    const { app } = setup();
    expect(((await (await app.request('/healthz')).json()) as { larkInbound: unknown }).larkInbound).toEqual({ enabled: true, verifiedBy: 'signature' });
  });

  it('the service process warns at start and in /healthz, and a forged event never reaches Feishu', async () => {
    fake = await startFakeLark();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-forgery-'));
    proc = await startServiceProcess({
      DATABASE_PATH: path.join(dir, 'd.db'), PLAN_AUTOLOAD: 'false',
      LARK_APP_ID: 'cli_fake_app', LARK_APP_SECRET: 'fake_secret', LARK_BASE_URL: fake.url, OFFICE_OPEN_IDS: OFFICE,
    });
    expect(proc.logs()).toMatch(/WARN .*inbound disabled.*LARK_VERIFICATION_TOKEN/);
    const base = `http://127.0.0.1:${proc.port}`;
    const health = (await (await fetch(`${base}/healthz`)).json()) as { status: string; larkInbound: { enabled: boolean } };
    expect(health.status).toBe('ok');
    expect(health.larkInbound.enabled).toBe(false);
    expect((await postLarkEvent(base, '/lark/events', forgedUrlCheck())).status).toBe(503);
    expect((await postLarkEvent(base, '/lark/events', messageEvent({ senderOpenId: OFFICE, text: '帮助' }))).status).toBe(503);
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.messages).toHaveLength(0);
    expect(fake.requests.filter((r) => r.path.startsWith('/open-apis/im/'))).toHaveLength(0);
    // Nothing reached the database either (read from a second connection).
    const check = openNodeDatabase(path.join(dir, 'd.db'));
    try {
      const n = (t: string) => (check.db.all<{ n: number }>(sql.raw(`select count(*) as n from ${t}`)) as unknown as Array<{ n: number }>)[0]!.n;
      expect([n('inbound_events'), n('outbox'), n('roles'), n('audit_log')]).toEqual([0, 0, 0, 0]);
    } finally {
      check.close();
    }
  });
});

describe('request bodies are capped before they are read whole', () => {
  it('a declared Content-Length over the cap gets 413 unread; a body just under it is verified as usual', async () => {
    const { app, deps, messenger } = setup();
    const before = await tableCounts(deps);
    const big = 'x'.repeat(LARK_BODY_LIMIT_BYTES + 1);
    const res = await app.request('/lark/events', { method: 'POST', body: big, headers: { 'content-length': String(big.length) } });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { message: string }).message).toMatch(/请求体过大/);
    const under = 'x'.repeat(LARK_BODY_LIMIT_BYTES - 10);
    expect((await app.request('/lark/events', { method: 'POST', body: under })).status).toBe(401);
    await expectUntouched(deps, before, messenger);
  });

  it('the admin route is capped too (64 KiB), before its token-checked body is read', async () => {
    const { app } = setup({ ...BOTH, ADMIN_TOKEN: 'admin-secret' });
    const body = JSON.stringify({ at: '2022-06-16T09:30:00+08:00', pad: 'x'.repeat(ADMIN_BODY_LIMIT_BYTES) });
    const res = await app.request('/api/scheduler/run', { method: 'POST', body, headers: { authorization: 'Bearer admin-secret' } });
    expect(res.status).toBe(413);
  });

  it('a chunked body with no length is counted as it streams and refused past the cap, without reading the rest', async () => {
    const { app } = setup();
    let pulled = 0;
    const chunk = new Uint8Array(64 * 1024).fill(120);
    const stream = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        pulled++;
        if (pulled > 10_000) ctrl.close();
        else ctrl.enqueue(chunk);
      },
    });
    const res = await app.request('/lark/events', { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(pulled).toBeLessThan(30);
  });

  it('the service process answers a 200 MB body (streamed, or declared) with 413 and its memory stays flat', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-cap-'));
    proc = await startServiceProcess({ DATABASE_PATH: path.join(dir, 'd.db'), PLAN_AUTOLOAD: 'false', SCHEDULER_ENABLED: 'false', LARK_VERIFICATION_TOKEN: TOKEN });
    const base = `http://127.0.0.1:${proc.port}`;
    const rss0 = rssMb(proc.child.pid!);
    const total = 200 * 1024 * 1024;
    const chunk = new Uint8Array(1024 * 1024).fill(120);
    for (const declared of [false, true]) {
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(ctrl) {
          if (sent >= total) return ctrl.close();
          sent += chunk.length;
          ctrl.enqueue(chunk);
        },
      });
      const status = await postRaw(proc.port, stream, declared ? total : undefined);
      // The server answers 413 and closes the connection; the client may see the answer or only the reset.
      if (status !== 0) expect(status).toBe(413);
      expect(sent, declared ? 'declared' : 'chunked').toBeLessThan(total);
    }
    // A loose sanity bound on the child's resident memory, not a timing: the 1 GB growth seen before is gone.
    expect(rssMb(proc.child.pid!) - rss0).toBeLessThan(100);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(proc.logs()).toMatch(/413/);
  });

  it('every other route is capped too: the board login form takes a few bytes, a 200 MB form gets 413 unread', async () => {
    const { app } = setup();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const big = 'token=' + 'x'.repeat(ADMIN_BODY_LIMIT_BYTES);
    expect((await app.request('/board/login', { method: 'POST', body: big, headers: form })).status).toBe(413);
    // A POST to a route that does not exist reads nothing and is answered 404 as before.
    expect((await app.request('/nope', { method: 'POST', body: 'x' })).status).toBe(404);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-cap-board-'));
    proc = await startServiceProcess({ DATABASE_PATH: path.join(dir, 'd.db'), PLAN_AUTOLOAD: 'false', SCHEDULER_ENABLED: 'false', LARK_VERIFICATION_TOKEN: TOKEN });
    const rss0 = rssMb(proc.child.pid!);
    const total = 200 * 1024 * 1024;
    const chunk = new Uint8Array(1024 * 1024).fill(120);
    for (const declared of [false, true]) {
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(ctrl) {
          if (sent >= total) return ctrl.close();
          sent += chunk.length;
          ctrl.enqueue(chunk);
        },
      });
      const status = await postRaw(proc.port, stream, declared ? total : undefined, '/board/login', form);
      if (status !== 0) expect(status).toBe(413);
      expect(sent, declared ? 'declared' : 'chunked').toBeLessThan(total);
    }
    expect(rssMb(proc.child.pid!) - rss0).toBeLessThan(100);
    expect((await fetch(`http://127.0.0.1:${proc.port}/healthz`)).status).toBe(200);
  });
});
