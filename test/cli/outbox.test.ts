// `npx duban outbox [list|retry <id>|retry --all]`: undelivered messages by reason with what to do, and re-sending
// them through the real SDK to the fake Feishu.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asc } from 'drizzle-orm';
import { runCli } from '../../src/cli.js';
import { openNodeDatabase } from '../../src/db/node.js';
import { outbox, people } from '../../src/db/schema.js';
import { startFakeLark, type FakeLark } from '../fake-lark/server.js';

let dir: string;
let env: Record<string, string>;
let fake: FakeLark;

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const T = Date.parse('2022-06-16T01:15:00Z');

beforeEach(async () => {
  fake = await startFakeLark();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-cli-outbox-'));
  env = { DATABASE_PATH: path.join(dir, 'db.sqlite'), PLAN_AUTOLOAD: 'false', LARK_APP_ID: 'cli_fake_app', LARK_APP_SECRET: 'fake_secret', LARK_BASE_URL: fake.url };
  const d = openNodeDatabase(env.DATABASE_PATH!);
  await d.db.insert(people).values({ openId: 'ou_li', name: '李安' });
  const row = (key: string, receiveId: string, status: string, errorCode: number | null, lastError: string | null) => ({
    dedupeKey: key, uuid: `u-${key}`, op: 'send', receiveIdType: receiveId.startsWith('oc_') ? 'chat_id' : 'open_id', receiveId, msgType: 'text',
    content: JSON.stringify({ text: `消息 ${key}` }), purpose: 'reminder', status, errorCode, lastError, createdAt: T, dueAt: T, nextAttemptAt: T, attempts: 1,
  });
  await d.db.insert(outbox).values([
    row('a', 'ou_li', 'failed', 230013, '该用户不在应用的可用范围内 (230013)'),
    row('b', 'oc_gone', 'failed', 230002, '机器人不在该群 (230002)'),
    row('c', 'ou_zz', 'failed', 230013, '对方不在应用的可用范围内 (230013)'),
    row('d', 'ou_ok', 'sent', null, null),
  ]);
  d.close();
});
afterEach(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
  await fake.close();
});

describe('npx duban outbox', () => {
  it('lists undelivered messages grouped by reason, each group with what to do', async () => {
    const r = await cli('outbox');
    expect(r.code).toBe(0);
    expect(r.out).toContain('未送达的消息 3 条');
    expect(r.out).toMatch(/【对方不在应用的可用范围内（或已离职）（230013）】2 条\n  处理：请在飞书管理后台把此人加入应用可用范围/);
    expect(r.out).toMatch(/【机器人不在该群（230002）】1 条\n  处理：请把机器人重新拉进该群/);
    expect(r.out).toContain('#1 2022年6月16日 09:15 → 李安（ou_li）｜提醒');
    expect((await cli('outbox', 'list')).out).toBe(r.out);
  });

  it('retry <id> re-sends one; retry --all the rest; errors say what to do', async () => {
    const one = await cli('outbox', 'retry', '1');
    expect(one.code).toBe(0);
    expect(one.out).toContain('已重新排队 1 条');
    expect(one.out).toContain('已发送 1 条');
    expect(fake.messages.map((m) => m.receive_id)).toEqual(['ou_li']);
    expect((await cli('outbox', 'retry', '4')).err).toContain('已经送达');
    expect((await cli('outbox', 'retry', '99')).err).toContain('没有编号为 99');
    expect((await cli('outbox', 'retry')).err).toContain('缺少编号');
    fake.failNext(230002);
    const all = await cli('outbox', 'retry', '--all');
    expect(all.out).toContain('已重新排队 2 条');
    expect(all.out).toContain('仍失败 1 条');
    const d = openNodeDatabase(env.DATABASE_PATH!);
    const rows = await d.db.select().from(outbox).orderBy(asc(outbox.id));
    d.close();
    expect(rows.map((r) => r.status)).toEqual(['sent', 'failed', 'sent', 'sent']);
    expect((await cli('outbox')).out).toContain('未送达的消息 1 条');
  });
});
