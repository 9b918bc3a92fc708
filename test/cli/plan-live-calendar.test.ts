// `npx duban plan live <日期> [--plan 编号]` and `npx duban calendar …` against a database file.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../src/cli.js';
import { openNodeDatabase } from '../../src/db/node.js';
import { setCalendarOverrides } from '../../src/domain/calendar.js';
import { bindContacts, seedPlan } from '../scheduler/fixture.js';

let dir: string;
let env: Record<string, string>;

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-live-'));
  env = { DATABASE_PATH: path.join(dir, 'db.sqlite'), PLAN_AUTOLOAD: 'false', OFFICE_OPEN_IDS: 'ou_office' };
  const d = openNodeDatabase(env.DATABASE_PATH!);
  await seedPlan(d.db, { liveFrom: null });
  await bindContacts(d.db);
  d.close();
});
afterEach(() => {
  setCalendarOverrides([]);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('npx duban plan live', () => {
  it('holds reminders until the plan is live, then the ladder runs', async () => {
    const waiting = await cli('tick', '--at', '2022-06-16T09:30:00+08:00');
    expect(waiting.out).toContain('计划尚未上线');
    expect(waiting.out).toContain('【计划未上线】');
    expect(waiting.out).not.toContain('【督办提醒');
    expect((await cli('plan', 'live')).out).toContain('dingxi-2022《定西市关于深入打好污染防治攻坚战的实施意见》：未上线');
    const live = await cli('plan', 'live', '2022-06-01', '--plan', 'dingxi-2022');
    expect(live.code).toBe(0);
    expect(live.out).toContain('自 2022-06-01 上线');
    expect((await cli('plan', 'live')).out).toContain('2022-06-01 起上线');
    const tick = await cli('tick', '--at', '2022-06-16T10:30:00+08:00');
    expect(tick.out).toContain('【督办提醒：距截止还有 10 个工作日】');
  });
  it('refuses a bad date or an unknown plan with a Chinese message, changing nothing', async () => {
    expect(await cli('plan', 'live', '6月1号')).toMatchObject({ code: 2, err: expect.stringContaining('看不懂日期') });
    expect(await cli('plan', 'live', '2022-02-30')).toMatchObject({ code: 2 });
    expect(await cli('plan', 'live', '2022-06-01', '--plan', 'nope')).toMatchObject({ code: 1, err: expect.stringContaining('没有编号为 nope 的计划') });
    expect((await cli('plan', 'live')).out).toContain('未上线');
  });
});

describe('npx duban calendar', () => {
  it('shows coverage, enters a year from the notice file, shows it back, and clears it', async () => {
    const file = path.join(dir, '通知.txt');
    fs.writeFileSync(file, '\uFEFF国务院办公厅关于2027年部分节假日安排的通知\n一、元旦：1月1日（周五）至3日（周日）放假调休，共3天。1月4日（周一）上班。\n');
    const show = await cli('calendar');
    expect(show.out).toContain('内置节假日数据（chinese-days）：2004—2026 年');
    const set = await cli('calendar', 'set', '2027', '--file', file);
    expect(set.code).toBe(0);
    expect(set.out).toContain('元旦：1月1日至1月3日 放假（3 天）');
    expect((await cli('calendar', 'show', '2027')).out).toContain('2027 年节假日（办公室录入）');
    expect((await cli('calendar', 'show', '2022')).out).toContain('国庆节：10月1日至10月7日');
    const dates = await cli('calendar', 'set', '2027', '放假', '春节', '2027-02-06至2027-02-13', '上班', '2027-02-14');
    expect(dates.out).toContain('调休上班：2月14日');
    expect(await cli('calendar', 'set', '2027', '放假', 'x')).toMatchObject({ code: 1 });
    expect((await cli('calendar', 'show', '2027')).out).toContain('春节');
    expect((await cli('calendar', 'clear', '2027')).out).toContain('已清除');
    expect((await cli('calendar', 'show', '2027')).out).toContain('没有 2027 年的节假日数据，该年不会发提醒。国务院办公厅发布放假通知后，用 npx duban calendar set 2027 --file 通知.txt 录入。');
    expect(await cli('calendar', 'set', 'abc')).toMatchObject({ code: 2 });
  });
});
