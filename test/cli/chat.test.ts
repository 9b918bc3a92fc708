import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { runChat } from '../../src/cli/chat.js';
import { runPeople } from '../../src/cli/people.js';
import { tickCommand } from '../../src/cli/tick.js';
import { setPlanLive } from '../../src/db/plan-live-store.js';
import type { CliContext } from '../../src/cli/types.js';
import { parseConfig } from '../../src/config.js';
import { openNodeDatabase, type NodeDatabase } from '../../src/db/node.js';
import { assignments, outbox, people, progressReports, roles } from '../../src/db/schema.js';
import { createStaticContactDirectory } from '../../src/lark/contact.js';
import { seedFixture, type Fixture } from '../helpers/command-fixture.js';

let database: NodeDatabase;
afterEach(() => database?.close());

async function setup(): Promise<{ ctx: CliContext; out: string[]; err: string[]; fx: Fixture }> {
  database = openNodeDatabase(':memory:');
  const fx = await seedFixture(database.db);
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    config: parseConfig({ OFFICE_OPEN_IDS: 'ou_office' }),
    database: () => database,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    now: () => Date.parse('2022-06-16T01:00:00Z'),
  };
  return { ctx, out, err, fx };
}

async function* lines(...ls: string[]) {
  for (const l of ls) yield l;
}

describe('duban chat', () => {
  it('runs commands, replies to the last bot message and presses card buttons', async () => {
    const { ctx, out, fx } = await setup();
    const code = await runChat(['--as', '张环'], ctx, lines('我的任务', '进度 4.1.1 40% 开始排查', ':card 4.1.1', '> 80%', ':card 4.1.1', ':press 无变化', ':press 报送进度', ':press 提交 percent=90 note=快完成了', ':quit'));
    expect(code).toBe(0);
    const text = out.join('\n');
    expect(text).toContain('身份：张环（单位联络员）');
    expect(text).toContain('本单位未完成任务');
    expect(text).toContain('已记录 4.1.1（市生态环境局）进度 40%');
    expect(text).toContain('【4.1.1 开展工业炉窑排查】');
    expect(text).toContain('[按钮：报送进度]');
    expect(text).toContain('[按钮：申请延期]');
    expect(text).toContain(':press 提交 percent=… note=… evidence=…');
    expect(text).toContain('进度 80%');
    expect(text).toContain('（提示：已记录 4.1.1（市生态环境局）本期无变化');
    expect(text).toContain('进度（0–100）');
    expect(text).toContain('进度 90%');
    const rep = await database.db.select().from(progressReports);
    expect(rep.map((r) => [r.kind, r.percent, r.channel])).toEqual([
      ['progress', 40, 'chat'],
      ['progress', 80, 'reply'],
      ['no_change', 80, 'card'],
      ['progress', 90, 'card'],
    ]);
    expect((await database.db.select().from(assignments).where(eq(assignments.id, fx.asg.t411env)))[0]!.percent).toBe(90);
    // Everything shown is marked delivered in the sandbox.
    expect((await database.db.select().from(outbox)).every((r) => r.status === 'sent')).toBe(true);
  });

  it('shows pending reminders addressed to the person', async () => {
    const { ctx, out, fx } = await setup();
    await database.db.insert(outbox).values({
      dedupeKey: 'reminder:x',
      uuid: 'u',
      receiveIdType: 'open_id',
      receiveId: 'ou_env',
      msgType: 'text',
      content: JSON.stringify({ text: '【提醒】4.1.1 还剩14天' }),
      purpose: 'reminder',
      assignmentId: fx.asg.t411env,
    });
    await runChat(['--as', 'ou_env'], ctx, lines(':reminders', '回复 已完成排查，形成整治方案'));
    expect(out.join('\n')).toContain('【提醒】4.1.1 还剩14天');
    expect(out.join('\n')).toContain('进展说明');
  });

  it('shows reminders `tick` already delivered, and a reply to one reports on its assignment', async () => {
    const { ctx, out, fx } = await setup();
    await setPlanLive(database.db, { code: 'dx2022' }, '2022-06-01', { now: 0, actor: 'cli', channel: 'cli' });
    const tickOut: string[] = [];
    expect(await tickCommand.run(['--at', '2022-06-16T09:30:00+08:00'], { ...ctx, out: (l) => tickOut.push(l) })).toBe(0);
    const delivered = (await database.db.select().from(outbox)).filter((r) => r.receiveId === 'ou_env' && r.purpose === 'reminder');
    expect(delivered.length).toBeGreaterThan(0);
    expect(delivered.every((r) => r.status === 'sent' && r.messageId)).toBe(true);
    // The newest reminder is the monthly progress request (4.2.1, 5.1.1); `>` replies to it.
    await runChat(['--as', 'ou_env'], ctx, lines(':reminders', '> 5.1.1 30% 已巡查两次'));
    const text = out.join('\n');
    expect(text).toContain('【督办提醒：距截止还有 10 个工作日】');
    expect(text).toContain('4.1.1 开展工业炉窑排查');
    expect(text).toContain('【进度报送：2022年6月】');
    const rep = await database.db.select().from(progressReports);
    expect(rep.map((r) => [r.kind, r.percent, r.channel, r.note])).toEqual([['progress', 30, 'reply', '已巡查两次']]);
    // Shown again later, a delivered reminder keeps its message id, so replies still tie to it.
    const ids = (await database.db.select().from(outbox)).filter((r) => r.receiveId === 'ou_env').map((r) => r.messageId);
    expect(ids).toEqual(delivered.map((r) => r.messageId).concat(ids.slice(delivered.length)));
  });

  it('says when the plan is not live yet', async () => {
    const { ctx, out } = await setup();
    await runChat(['--as', 'ou_office'], ctx, lines());
    expect(out.join('\n')).toContain('计划尚未上线');
  });

  it('loads the bundled plan into an empty database so a newcomer can try it at once', async () => {
    database = openNodeDatabase(':memory:');
    const out: string[] = [];
    const ctx: CliContext = { config: parseConfig({ OFFICE_OPEN_IDS: 'ou_o' }), database: () => database, out: (l) => out.push(l), err: () => undefined, now: () => Date.parse('2022-06-16T01:00:00Z') };
    await runChat(['--as', 'ou_o', '--date', '2022-06-20'], { ...ctx, now: () => Date.now() }, lines('任务 4.1.1', '进度 4.1.6 安定区 10%'));
    expect(out.join('\n')).toContain('已载入内置方案');
    expect(out.join('\n')).toContain('【4.1.1 巩固城市黑臭水体整治成效');
    // --date: on 2022-06-20 the 6月底 deadline is ten days away, not years overdue.
    expect(out.join('\n')).toContain('已记录 4.1.6（安定区）进度 10%。截止 6月30日，还剩 10 天');
  });

  it('refuses an unknown name', async () => {
    const { ctx, err } = await setup();
    expect(await runChat(['--as', '无此人'], ctx, lines())).toBe(1);
    expect(err.join('')).toContain('没有名为“无此人”的人');
  });

  it('works as a real process with piped stdin', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-chat-'));
    const file = path.join(dir, 'duban.db');
    const d = openNodeDatabase(file);
    await seedFixture(d.db);
    d.close();
    const child = spawn(process.execPath, ['bin/duban.mjs', 'chat', '--as', '李安'], {
      env: { ...process.env, DATABASE_PATH: file, PLAN_AUTOLOAD: 'false', LOG_LEVEL: 'silent' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (b) => (stdout += String(b)));
    child.stdin.end('帮助\n进度 4.1.2 30%\n');
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(code).toBe(0);
    expect(stdout).toContain('督办机器人命令');
    expect(stdout).toContain('已记录 4.1.2（安定区）进度 30%');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('duban people', () => {
  it('adds by open_id, email (through the directory) and lists', async () => {
    const { ctx, out, err } = await setup();
    const dir = createStaticContactDirectory({ 'sun@dx.gov.cn': 'ou_sun' });
    expect(await runPeople(['add', '--open-id', 'ou_o2', '--role', 'office', '--name', '周办'], ctx, dir)).toBe(0);
    expect(await runPeople(['add', '--email', 'sun@dx.gov.cn', '--role', 'contact', '--unit', '住建局', '--name', '孙住'], ctx, dir)).toBe(0);
    expect(await runPeople(['add', '--email', 'nobody@dx.gov.cn', '--role', 'leader'], ctx, dir)).toBe(1);
    expect(err.join('')).toContain('找不到 nobody@dx.gov.cn');
    expect(out.join('\n')).toContain('为市住建局 联络员');
    const sun = (await database.db.select().from(people).where(eq(people.openId, 'ou_sun')))[0]!;
    expect(sun.email).toBe('sun@dx.gov.cn');
    expect(await database.db.select().from(roles).where(eq(roles.personId, sun.id))).toHaveLength(1);
    out.length = 0;
    expect(await runPeople(['list'], ctx, dir)).toBe(0);
    expect(out.join('\n')).toContain('孙住\tou_sun\t联络员(市住建局)');
    expect(out.join('\n')).toContain('周办\tou_o2\t办公室');
  });
  it('rejects a bad role or a contact without a unit', async () => {
    const { ctx } = await setup();
    await expect(runPeople(['add', '--open-id', 'x', '--role', 'boss'], ctx)).rejects.toThrow('--role');
    await expect(runPeople(['add', '--open-id', 'x', '--role', 'contact'], ctx)).rejects.toThrow('--unit');
  });
});
