import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../src/cli.js';
import { openNodeDatabase } from '../../src/db/node.js';
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
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-cli-'));
  env = { DATABASE_PATH: path.join(dir, 'db.sqlite'), PLAN_AUTOLOAD: 'false' };
  const d = openNodeDatabase(env.DATABASE_PATH!);
  await seedPlan(d.db);
  await bindContacts(d.db, ['岷县']);
  d.close();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('npx duban tick', () => {
  it('runs one pass for --at and prints each queued message in Chinese', async () => {
    const r = await cli('tick', '--at', '2022-06-16T09:30:00+08:00');
    expect(r.code).toBe(0);
    expect(r.out).toContain('督办巡检：2022年6月16日 09:30');
    expect(r.out).toContain('安定区联络员（安定区联络员） ← 4.1.6 完成县级城市建成区黑臭水体排查（安定区）｜截止前 10 个工作日提醒');
    // No office chat or member yet: the no-contact notice is held back, with a warning saying what to do.
    expect(r.out).not.toContain('单位未绑定联络员');
    // Offline (no LARK_APP_ID): what was queued is delivered to the console printer.
    expect(r.out).toContain('离线模式（未设置 LARK_APP_ID）');
    expect(r.out).toMatch(/→ open_id:ou_contact_0 ———\n【督办提醒：距截止还有 10 个工作日】/);
    expect(r.out).toMatch(/已投递 \d+ 条/);
    // Rehearsed in the past, the pass delivers at its own instant: nothing is "延迟送达" by years.
    expect(r.out).not.toContain('延迟送达');
    // The June progress requests for 安定区's standing duties print as one line, not one per duty.
    expect(r.out).toMatch(/安定区联络员（安定区联络员） ← 2022年6月进度报送请求：\d+ 项/);
    expect(r.out).toContain('没有办公室接收人');
    const again = await cli('tick', '--at', '2022-06-16T09:30:00+08:00');
    expect(again.out).toContain('没有到期的提醒');
  });
  it('reads a bare date as Beijing 09:00 and says why a holiday is skipped', async () => {
    const r = await cli('tick', '--at', '2022-10-03');
    expect(r.out).toContain('2022年10月3日 09:00');
    expect(r.out).toContain('不是工作日');
  });
  it('rejects an unreadable instant', async () => {
    const r = await cli('tick', '--at', 'tomorrow');
    expect(r.code).toBe(2);
    expect(r.err).toContain('无法识别的时刻');
  });
});

describe('npx duban policy', () => {
  it('shows the defaults, stores a change, and refuses an invalid one', async () => {
    const shown = await cli('policy');
    expect(shown.out).toContain('默认');
    expect(shown.out).toContain('10、3、1 个工作日');
    const set = await cli('policy', 'set', '{"afterEveryWorkdays":2,"beforeWorkdays":[5,1]}');
    expect(set.code).toBe(0);
    expect(set.out).toContain('每 2 个工作日');
    const after = await cli('policy', 'show');
    expect(after.out).toContain('办公室已修改');
    expect(after.out).toContain('5、1 个工作日');
    const bad = await cli('policy', 'set', '{"afterEveryWorkdays":-1}');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('afterEveryWorkdays');
    const unknownKey = await cli('policy', 'set', '{"everyDay":true}');
    expect(unknownKey.code).toBe(1);
  });
});
