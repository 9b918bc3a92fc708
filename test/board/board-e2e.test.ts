// End to end: `看板` as a signed Feishu event into the Node service over real HTTP, the reply out through the SDK to
// the fake Feishu server, and the link in it opened against the same service: landing page, POST, session, board.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openNodeDatabase } from '../../src/db/node.js';
import { startNodeService, type NodeService } from '../../src/node.js';
import { startFakeLark, type FakeLark } from '../fake-lark/server.js';
import { ANDING, seedFixture } from '../helpers/command-fixture.js';
import { messageEvent, postLarkEvent } from '../helpers/lark-events.js';
import { fakeFeishuServiceEnv } from '../helpers/e2e.js';

const TOKEN = 'board_token';
const KEY = 'board_key';
const PUBLIC = 'https://duban.example.gov.cn';
let svc: NodeService;
let fake: FakeLark;
let base: string;
let dir: string;

beforeEach(async () => {
  fake = await startFakeLark();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-board-e2e-'));
  const file = path.join(dir, 'd.db');
  const seed = openNodeDatabase(file);
  await seedFixture(seed.db);
  seed.close();
  svc = await startNodeService(fakeFeishuServiceEnv(file, fake.url, { token: TOKEN, key: KEY }, { PUBLIC_BASE_URL: PUBLIC }));
  base = `http://127.0.0.1:${svc.port}`;
});
afterEach(async () => {
  await svc.close();
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function say(openId: string, text: string, chatType: 'p2p' | 'group' = 'p2p'): Promise<string> {
  const messageId = `om_board_${Math.random().toString(36).slice(2)}`;
  const event = messageEvent({ token: TOKEN, senderOpenId: openId, messageId, text, chatType });
  const res = await postLarkEvent(base, '/lark/events', event, { encryptKey: KEY });
  expect(res.status).toBe(200);
  for (let waited = 0; waited < 10_000; waited += 20) {
    const m = fake.messages.find((x) => x.op === 'reply' && x.parent_id === messageId);
    if (m) return (JSON.parse(m.content) as { text: string }).text;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no reply');
}

describe('看板 through Feishu to the board', () => {
  it("a contact's link, delivered by the bot, opens their board on the service", async () => {
    const reply = await say(ANDING, '看板');
    const link = /浏览器打开：(\S+)/.exec(reply)![1]!;
    expect(link.startsWith(`${PUBLIC}/board/login?t=`)).toBe(true);
    // The service sits behind PUBLIC_BASE_URL; here it is reached directly.
    const local = link.replace(PUBLIC, base);
    const landing = await fetch(local);
    expect(landing.status).toBe(200);
    const t = new URL(local).searchParams.get('t')!;
    const posted = await fetch(`${base}/board/login`, { method: 'POST', body: new URLSearchParams({ t }), redirect: 'manual' });
    expect(posted.status).toBe(303);
    const cookie = posted.headers.get('set-cookie')!.split(';')[0]!;
    const board = await fetch(`${base}/board`, { headers: { cookie } });
    expect(board.status).toBe(200);
    const html = await board.text();
    expect(html).toContain('本单位：安定区');
    expect(html).not.toContain('市住建局');
  });

  it('in a group the bot keeps the link to itself', async () => {
    const reply = await say(ANDING, '看板', 'group');
    expect(reply).toContain('不在群里发送');
    expect(reply).not.toContain('/board/login');
  });
});
