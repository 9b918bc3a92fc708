// Hostile input: random and mutated Feishu requests through the real app. Never a 5xx, no unhandled rejection,
// no failed after-ack work, and a rejected request changes nothing in the database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import type { AppDeps } from '../../src/deps.js';
import { composeAppDeps } from '../../src/compose.js';
import { silentLogger } from '../../src/logger.js';
import { countTables } from '../../src/cli/backup.js';
import { createTestDatabase } from '../helpers/db.js';
import { createRecordingMessenger } from '../helpers/deps.js';
import { ensureBundledPlan } from '../../src/plans/bundled.js';
import {
  BENCH_ENCRYPT_KEY,
  BENCH_VERIFICATION_TOKEN,
  buildMessageEvent,
  encryptLarkPayload,
  signLarkBody,
  signedRequest,
} from '../../bench/lib/lark-wire.js';

const NOW = Date.parse('2022-06-16T01:00:00Z');
const database = createTestDatabase();
const deferredFailures: string[] = [];
const pending = new Set<Promise<unknown>>();
const deps: AppDeps = composeAppDeps({
  db: database.db,
  config: parseConfig({
    PLAN_AUTOLOAD: 'false',
    SCHEDULER_ENABLED: 'false',
    LARK_ENCRYPT_KEY: BENCH_ENCRYPT_KEY,
    LARK_VERIFICATION_TOKEN: BENCH_VERIFICATION_TOKEN,
    OFFICE_OPEN_IDS: 'ou_fuzz_office',
  }),
  logger: silentLogger,
  messenger: createRecordingMessenger(),
  clock: () => NOW,
  // Unlike the test default, keep the failures: work after the ack must not blow up on hostile content.
  defer: (work) => {
    const p = work
      .catch((err: unknown) => deferredFailures.push(String((err as Error)?.stack ?? err)))
      .finally(() => pending.delete(p));
    pending.add(p);
  },
});
const app = createApp(deps);
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

async function settle() {
  while (pending.size) await Promise.allSettled([...pending]);
}

function snapshot() {
  const counts = countTables(database.sqlite);
  const audit = database.sqlite.prepare('select coalesce(max(id), 0) as m from audit_log').get() as { m: number };
  return JSON.stringify({ counts, audit: audit.m });
}

interface RawRequest {
  path: string;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

async function post(r: RawRequest): Promise<Response> {
  return app.request(r.path, { method: 'POST', headers: r.headers, body: r.body });
}

function signedHeaders(ts: string, nonce: string, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-lark-request-timestamp': ts,
    'x-lark-request-nonce': nonce,
    'x-lark-signature': signLarkBody(ts, nonce, BENCH_ENCRYPT_KEY, body),
  };
}

// A unit contact, an office member and a stranger: commands reach the parser for each kind of sender.
const SENDERS = ['ou_fuzz000001', 'ou_fuzz_office', 'ou_stranger'];
let seq = 0;
function validRequest(text: string, path = '/lark/events'): RawRequest {
  const n = ++seq;
  const r = signedRequest(
    buildMessageEvent({ eventId: `fz-${n}`, messageId: `om_fz_${n}`, openId: SENDERS[n % SENDERS.length]!, text, createTime: NOW }),
    BENCH_ENCRYPT_KEY,
    NOW,
  );
  return {
    path,
    headers: {
      'content-type': 'application/json',
      'x-lark-request-timestamp': r.timestamp,
      'x-lark-request-nonce': r.nonce,
      'x-lark-signature': r.signature,
    },
    body: r.body,
  };
}

const paths = fc.constantFrom('/lark/events', '/lark/cards');
const headerValue = fc.oneof(fc.string(), fc.constant(''), fc.stringMatching(/^[0-9]{1,12}$/), fc.stringMatching(/^[0-9a-f]{64}$/));
const randomHeaders = fc.record(
  {
    'content-type': fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', ''),
    'x-lark-request-timestamp': headerValue,
    'x-lark-request-nonce': headerValue,
    'x-lark-signature': headerValue,
  },
  { requiredKeys: [] },
);
const randomBody = fc.oneof(
  fc.string(),
  fc.json(),
  fc.uint8Array({ maxLength: 2048 }),
  fc.json().map((j) => JSON.stringify({ encrypt: j })),
  fc.base64String({ maxLength: 400 }).map((b) => JSON.stringify({ encrypt: b })),
  fc.constant('{"type":"url_verification","challenge":"x","token":"wrong"}'),
);

type Mutation = (r: RawRequest) => RawRequest;
const mutations: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((i): Mutation => (r) => {
    const b = String(r.body);
    const at = i % b.length;
    return { ...r, body: b.slice(0, at) + String.fromCharCode(b.charCodeAt(at) ^ 1) + b.slice(at + 1) };
  }),
  fc.nat().map((i): Mutation => (r) => ({ ...r, body: String(r.body).slice(0, i % String(r.body).length) })),
  fc.constantFrom('x-lark-signature', 'x-lark-request-timestamp', 'x-lark-request-nonce').map((h): Mutation => (r) => {
    const headers = { ...r.headers };
    delete headers[h];
    return { ...r, headers };
  }),
  fc.integer({ min: -100_000, max: 100_000 }).filter((d) => d !== 0).map((d): Mutation => (r) => ({
    ...r,
    headers: { ...r.headers, 'x-lark-request-timestamp': String(Number(r.headers['x-lark-request-timestamp']) + d) },
  })),
  fc.string({ minLength: 1, maxLength: 12 }).map((s): Mutation => (r) => ({
    ...r,
    headers: { ...r.headers, 'x-lark-request-nonce': r.headers['x-lark-request-nonce'] + s },
  })),
  fc.stringMatching(/^[0-9a-f]{64}$/).map((s): Mutation => (r) => ({ ...r, headers: { ...r.headers, 'x-lark-signature': s } })),
  // Re-encrypted with the wrong key but signed correctly: decryption must fail cleanly.
  fc.string({ minLength: 1, maxLength: 20 }).map((k): Mutation => (r) => {
    const body = JSON.stringify({ encrypt: encryptLarkPayload(`${k}-wrong`, '{"schema":"2.0"}') });
    return { ...r, headers: signedHeaders(r.headers['x-lark-request-timestamp']!, r.headers['x-lark-request-nonce']!, body), body };
  }),
);

// Command-like texts: command words, task codes, numbers, percentages, mentions and noise.
const commandText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc
    .array(
      fc.oneof(
        fc.constantFrom('帮助', '进度', '我的任务', '完成', '已完成', '延期', '绑定', '查询', '汇总', '@_user_1', '%', '％', '，', '\n', ' '),
        fc.tuple(fc.nat(9), fc.nat(9), fc.nat(20)).map(([a, b, c]) => `${a}.${b}.${c}`),
        fc.integer({ min: -1000, max: 1000 }).map(String),
        fc.string({ maxLength: 8 }),
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.join(' ')),
);

// Valid signature and encryption around a structurally hostile event (wrong types, missing fields).
const hostileEvent = fc.record({
  schema: fc.oneof(fc.constant('2.0'), fc.string()),
  header: fc.oneof(
    fc.record({
      event_id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      event_type: fc.oneof(fc.constantFrom('im.message.receive_v1', 'card.action.trigger', 'im.chat.member.bot.added_v1'), fc.string()),
      token: fc.oneof(fc.constant(BENCH_VERIFICATION_TOKEN), fc.string()),
      create_time: fc.oneof(fc.string(), fc.integer()),
    }),
    fc.anything(),
  ),
  event: fc.anything(),
});

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  await ensureBundledPlan(database.db, NOW);
  // The bundled plan may not be loaded (or not exist yet): make sure there is a unit to be the contact of.
  database.sqlite.prepare("insert or ignore into units (name, kind) values ('生态环境局', 'department')").run();
  const unit = database.sqlite.prepare('select id from units order by id limit 1').get() as { id: number };
  const person = database.sqlite.prepare("insert into people (open_id, name) values ('ou_fuzz000001', '模糊测试联络员')").run();
  database.sqlite.prepare("insert into roles (person_id, role, unit_id) values (?, 'contact', ?)").run(person.lastInsertRowid, unit.id);
});

/** Accepted events whose processing failed: the inbox records the error instead of throwing. */
function failedEvents() {
  return database.sqlite
    .prepare("select key, status, error from inbound_events where key like 'event:%' and (error is not null or status = 'failed')")
    .all();
}
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  database.close();
});

describe('hostile input through the real app', () => {
  it('a valid signed event is accepted and recorded (the fuzzing reaches the real verifier)', async () => {
    const before = database.sqlite.prepare("select count(*) n from inbound_events where key like 'event:%'").get() as { n: number };
    const res = await post(validRequest('帮助'));
    await settle();
    expect(res.status).toBe(200);
    const after = database.sqlite.prepare("select count(*) n from inbound_events where key like 'event:%'").get() as { n: number };
    expect(after.n).toBe(before.n + 1);
  });

  it('random bodies and headers: never a 5xx, and a rejected request stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(paths, randomHeaders, randomBody, async (path, headers, body) => {
        const before = snapshot();
        const res = await post({ path, headers: headers as Record<string, string>, body });
        await settle();
        expect(res.status).toBeLessThan(500);
        if (res.status !== 200) expect(snapshot()).toBe(before);
      }),
      { numRuns: 300 },
    );
    expect(unhandled).toEqual([]);
    expect(deferredFailures).toEqual([]);
  });

  it('a valid signed event with one mutation is refused and stores nothing', async () => {
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(paths, commandText, mutations, async (path, text, mutate) => {
        const req = mutate(validRequest(text, path));
        const before = snapshot();
        const res = await post(req);
        await settle();
        expect(res.status).toBeLessThan(500);
        if (res.status !== 200) {
          refused++;
          expect(snapshot()).toBe(before);
        }
      }),
      { numRuns: 300 },
    );
    // Truncation to a still-valid prefix is impossible for these bodies; nearly every mutation must be refused.
    expect(refused).toBeGreaterThan(250);
    expect(unhandled).toEqual([]);
    expect(deferredFailures).toEqual([]);
  });

  it('validly signed events with hostile structure or command text: never a 5xx, after-ack work never throws', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileEvent.map((e) => ({ e })), commandText.map((t) => ({ t }))), async (input) => {
        let req: RawRequest;
        if ('t' in input) req = validRequest(input.t);
        else {
          const body = JSON.stringify({ encrypt: encryptLarkPayload(BENCH_ENCRYPT_KEY, JSON.stringify(input.e)) });
          req = { path: '/lark/events', headers: signedHeaders(String(Math.floor(NOW / 1000)), `n${++seq}`, body), body };
        }
        const before = snapshot();
        const res = await post(req);
        await settle();
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) expect(snapshot()).toBe(before);
      }),
      { numRuns: 300 },
    );
    expect(failedEvents()).toEqual([]);
    expect(unhandled).toEqual([]);
    expect(deferredFailures).toEqual([]);
  });

  it('the same valid event twice is recorded once', async () => {
    const req = validRequest('帮助');
    const first = await post(req);
    await settle();
    const after1 = snapshot();
    const second = await post(req);
    await settle();
    expect(second.status).toBe(first.status);
    expect(snapshot()).toBe(after1);
  });
});
