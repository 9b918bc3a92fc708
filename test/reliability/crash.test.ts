// Crash: the service is SIGKILLed in the middle of a reminder wave, right after Feishu created a message but
// before the service heard back; restarted, it is killed again in the middle of a burst of inbound events; then
// restarted for good while Feishu re-sends. Every reminder reaches Feishu exactly once and every event is
// processed exactly once. Slow by nature: the last start waits out the dead processes' 60 s claims.
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openNodeDatabase } from '../../src/db/node.js';
import { enqueueOutbox } from '../../src/db/outbox-store.js';
import { startFakeLark, type FakeLark } from '../fake-lark/server.js';
import { postMessageEvent, SERVICE_LARK_ENV, startServiceProcess, type ServiceProcess } from '../helpers/service-process.js';

const WAVE = 60;
const EVENTS = 15;
let fake: FakeLark | undefined;
let svc: ServiceProcess | undefined;
afterAll(async () => {
  await svc?.kill('SIGKILL');
  await fake?.close();
});

async function waitFor(what: string, cond: () => boolean, timeoutMs: number, logs: () => string = () => '') {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${logs().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('crash in the middle of a reminder wave', () => {
  it('after SIGKILL and restart, every reminder is sent once and every acked event processed once', { timeout: 240_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-crash-'));
    const file = path.join(dir, 'duban.db');
    const seed = openNodeDatabase(file);
    const now = Date.now();
    await enqueueOutbox(
      seed.db,
      Array.from({ length: WAVE }, (_, i) => ({
        dedupeKey: `crash:reminder:${i}`,
        op: 'send' as const,
        receiveIdType: 'open_id' as const,
        receiveId: `ou_unit${i % 12}`,
        msgType: 'text' as const,
        content: { text: `提醒 ${i}` },
        purpose: 'reminder' as const,
      })),
      now,
    );
    seed.close();

    // Slow Feishu: 10 sends/s, so the wave takes several seconds and the kill lands in the middle of it.
    fake = await startFakeLark({ limits: { appPerSecond: 10, perReceiverPerSecond: 5 } });
    const env = {
      ...SERVICE_LARK_ENV,
      LARK_BASE_URL: fake.url,
      DATABASE_PATH: file,
      PLAN_AUTOLOAD: 'false',
      SCHEDULER_ENABLED: 'true',
      ADMIN_TOKEN: 'crash-test-admin-token',
    };
    svc = await startServiceProcess(env);
    const first = svc;

    // Events arrive while the wave is going out.
    const acked: Array<{ eventId: string; messageId: string; openId: string; text: string }> = [];
    for (let i = 0; i < EVENTS; i++) {
      const ev = { eventId: `crash-ev-${i}`, messageId: `om_crash_${i}`, openId: `ou_sender${i}`, text: '帮助' };
      if ((await postMessageEvent(first.port, ev)) === 200) acked.push(ev);
    }
    expect(acked.length).toBe(EVENTS);

    // Kill the moment Feishu has created the 25th message: its response is still on the way to the service.
    let killedAt = -1;
    fake.onMessage(() => {
      if (killedAt < 0 && fake!.messages.length >= 25) {
        killedAt = fake!.messages.length;
        first.child.kill('SIGKILL');
      }
    });
    await waitFor('the kill', () => first.child.exitCode !== null || first.child.signalCode !== null, 60_000, first.logs);
    fake.onMessage(undefined);
    expect(first.child.signalCode).toBe('SIGKILL');

    const mid = new Database(file, { readonly: true });
    const inFlight = (mid.prepare("select count(*) n from outbox where status = 'sending'").get() as { n: number }).n;
    const sentBefore = (mid.prepare("select count(*) n from outbox where status = 'sent'").get() as { n: number }).n;
    mid.close();
    // The crash really was mid-wave: rows were claimed and unsent work remained.
    expect(inFlight).toBeGreaterThan(0);
    expect(sentBefore).toBeLessThan(WAVE + EVENTS);

    // Second crash, on the inbound side: a burst of events, killed as soon as the first one is acknowledged, so
    // some are acked and unprocessed, some half-processed, some never acked.
    svc = await startServiceProcess(env);
    const second = svc;
    const burst = Array.from({ length: 30 }, (_, i) => ({ eventId: `burst-ev-${i}`, messageId: `om_burst_${i}`, openId: `ou_burst${i}`, text: '帮助' }));
    const statuses = await Promise.all(
      burst.map((ev) =>
        postMessageEvent(second.port, ev).then((status) => {
          if (status === 200) second.child.kill('SIGKILL');
          return status;
        }),
      ),
    );
    await waitFor('the second kill', () => second.child.exitCode !== null || second.child.signalCode !== null, 30_000, second.logs);
    burst.forEach((ev, i) => {
      if (statuses[i] === 200) acked.push(ev);
    });
    expect(statuses.some((st) => st === 200)).toBe(true);
    if (process.env.DUBAN_TEST_VERBOSE) {
      const peek = new Database(file, { readonly: true });
      const st = peek.prepare("select status, count(*) n from inbound_events where key like 'event:burst%' group by status").all();
      peek.close();
      console.log(`burst at the kill: ${statuses.filter((x) => x === 200).length} acked, ${statuses.filter((x) => x !== 200).length} not; stored ${JSON.stringify(st)}`);
    }

    svc = await startServiceProcess(env);
    // Feishu re-sends what was not acknowledged, and (its ack timer being what it is) some that were.
    for (const ev of burst) expect(await postMessageEvent(svc.port, ev)).toBe(200);
    for (const ev of acked.slice(0, 5)) expect(await postMessageEvent(svc.port, ev)).toBe(200);
    const everyEvent = [...acked.filter((a) => !a.eventId.startsWith('burst')), ...burst];

    const db = new Database(file, { readonly: true });
    const open = () =>
      (db.prepare("select count(*) n from outbox where status in ('pending', 'sending')").get() as { n: number }).n +
      (db.prepare("select count(*) n from inbound_events where key like 'event:%' and status = 'pending'").get() as { n: number }).n;
    await waitFor('the outbox and inbox to drain after the restart', () => open() === 0, 200_000, svc.logs);

    const rows = db.prepare('select uuid, status, dedupe_key from outbox').all() as Array<{ uuid: string; status: string; dedupe_key: string }>;
    const events = db.prepare("select key, status from inbound_events where key like 'event:%'").all() as Array<{ key: string; status: string }>;
    db.close();
    await svc.kill('SIGTERM');

    // Every logical message is sent, and Feishu created exactly one message for each.
    expect(rows.filter((r) => r.status !== 'sent')).toEqual([]);
    const created = new Map<string, number>();
    for (const m of fake.messages) created.set(m.uuid ?? '', (created.get(m.uuid ?? '') ?? 0) + 1);
    expect([...created.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(rows.map((r) => r.uuid))).toEqual(new Set(created.keys()));
    expect(fake.messages.length).toBe(rows.length);
    // A uuid POSTed again after the restart is the crash window at work: Feishu answered with the first message.
    const posts = new Map<string, number>();
    for (const r of fake.requests) {
      const uuid = (r.body as { uuid?: string } | undefined)?.uuid;
      if (uuid && r.status === 200) posts.set(uuid, (posts.get(uuid) ?? 0) + 1);
    }
    if (process.env.DUBAN_TEST_VERBOSE) console.log(`re-posted uuids after the crash: ${[...posts.values()].filter((n) => n > 1).length}`);
    for (let i = 0; i < WAVE; i++) expect(rows.some((r) => r.dedupe_key === `crash:reminder:${i}`)).toBe(true);

    // Every event is processed once: done, and answered by exactly one reply to its message.
    expect(events.map((e) => e.key).sort()).toEqual(everyEvent.map((a) => `event:${a.eventId}`).sort());
    expect(events.filter((e) => e.status !== 'done')).toEqual([]);
    for (const a of everyEvent) expect(fake.messages.filter((m) => m.parent_id === a.messageId).length).toBe(1);
  });
});
