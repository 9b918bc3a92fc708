import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNodeService, type NodeService } from '../../src/node.js';
import { openNodeDatabase } from '../../src/db/node.js';
import { recordInboundEvent } from '../../src/db/inbox-store.js';
import { startFakeLark, type FakeLark } from '../fake-lark/server.js';
import { messageEvent, postLarkEvent } from '../helpers/lark-events.js';

const TOKEN = 'svc_token';
const KEY = 'svc_key';
let svc: NodeService | undefined;
let fake: FakeLark | undefined;
afterEach(async () => {
  await svc?.close();
  svc = undefined;
  await fake?.close();
  fake = undefined;
});

async function waitFor(cond: () => boolean, ms = 10_000) {
  for (let waited = 0; !cond() && waited < ms; waited += 20) await new Promise((r) => setTimeout(r, 20));
  return cond();
}

function envFor(dbFile: string, url: string) {
  return {
    DATABASE_PATH: dbFile,
    PORT: '0',
    HOST: '127.0.0.1',
    PLAN_AUTOLOAD: 'false',
    LOG_LEVEL: 'silent',
    LARK_APP_ID: 'cli_fake_app',
    LARK_APP_SECRET: 'fake_secret',
    LARK_BASE_URL: url,
    LARK_VERIFICATION_TOKEN: TOKEN,
    LARK_ENCRYPT_KEY: KEY,
  };
}

describe('the Node service end to end', () => {
  it('takes a signed encrypted event over HTTP and replies through the SDK to the fake Feishu, once', async () => {
    fake = await startFakeLark();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-lark-'));
    svc = await startNodeService(envFor(path.join(dir, 'd.db'), fake.url));
    const base = `http://127.0.0.1:${svc.port}`;
    const ev = messageEvent({ token: TOKEN, messageId: 'om_user_1', text: '帮助' });
    const res = await postLarkEvent(base, '/lark/events', ev, { encryptKey: KEY });
    expect(res.status).toBe(200);
    expect(await waitFor(() => fake!.messages.length > 0)).toBe(true);
    expect(fake.messages[0]).toMatchObject({ op: 'reply', parent_id: 'om_user_1' });
    // Feishu re-delivers: nothing more happens.
    expect((await postLarkEvent(base, '/lark/events', ev, { encryptKey: KEY })).status).toBe(200);
    expect((await postLarkEvent(base, '/lark/events', ev, { encryptKey: 'forged' })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.messages).toHaveLength(1);
  });

  it('a burst larger than the in-memory queue: every event is answered once, the overflow from the database', async () => {
    fake = await startFakeLark();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-lark-'));
    svc = await startNodeService(envFor(path.join(dir, 'd.db'), fake.url), { inboundQueueMax: 3 });
    const base = `http://127.0.0.1:${svc.port}`;
    const ids = Array.from({ length: 40 }, (_, i) => `om_burst_${i}`);
    const answers = await Promise.all(
      ids.map((id, i) => postLarkEvent(base, '/lark/events', messageEvent({ token: TOKEN, eventId: `ev_burst_${i}`, messageId: id, text: '帮助' }), { encryptKey: KEY })),
    );
    expect(answers.map((r) => r.status)).toEqual(ids.map(() => 200));
    expect(await waitFor(() => fake!.messages.length >= ids.length, 20_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.messages.map((m) => m.parent_id).sort()).toEqual([...ids].sort());
    const check = openNodeDatabase(path.join(dir, 'd.db'));
    const pending = check.sqlite.prepare("select count(*) as n from inbound_events where status = 'pending'").get();
    check.close();
    expect(pending).toEqual({ n: 0 });
  });

  it('processes, at start, an event a previous process acknowledged but never handled', async () => {
    fake = await startFakeLark();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-lark-'));
    const file = path.join(dir, 'd.db');
    const before = openNodeDatabase(file);
    const body = messageEvent({ token: TOKEN, eventId: 'ev_left', messageId: 'om_left' });
    await recordInboundEvent(before.db, { eventId: 'ev_left', eventType: 'im.message.receive_v1', messageId: 'om_left', payload: body }, Date.now());
    before.close();
    svc = await startNodeService(envFor(file, fake.url));
    expect(await waitFor(() => fake!.messages.length > 0)).toBe(true);
    expect(fake.messages[0]).toMatchObject({ op: 'reply', parent_id: 'om_left' });
  });
});
