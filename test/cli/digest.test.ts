import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { openNodeDatabase } from '../../src/db/node.js';
import { seedScenario } from '../helpers/progress-scenario.js';

describe('npx duban digest', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'duban-digest-'));
    file = join(dir, 'd.db');
    const d = openNodeDatabase(file);
    await seedScenario(d.db);
    d.sqlite.prepare(`insert into chats (chat_id, purpose) values ('oc_leaders', 'leaders')`).run();
    d.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['digest', ...args], { out: (l) => out.push(l), err: (l) => err.push(l), env: { DATABASE_PATH: file } });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  const count = (table: string) => {
    const d = openNodeDatabase(file);
    const n = (d.sqlite.prepare(`select count(*) n from ${table}`).get() as { n: number }).n;
    d.close();
    return n;
  };

  it('--dry-run prints the digest as text and stores nothing', async () => {
    const r = await run('--at', '2022-06-27T09:00:00+08:00', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.out).toContain('督办周报｜2022年6月20日—6月26日');
    expect(r.out).toContain('任务 10 项：未开始 5 · 进行中 2 · 待核验 1 · 已销号 0 · 逾期 2');
    expect(r.out).toContain('【各篇章完成率（%）】');
    expect(r.out).toContain('试运行：未保存、未发送');
    expect(count('digests')).toBe(0);
    expect(count('outbox')).toBe(0);
  });

  it('sends once a week, then says it was already sent', async () => {
    const first = await run('--at', '2022-06-27T09:00:00+08:00');
    expect(first.out).toContain('已保存本周（2022-W26）周报，并排入发送队列：oc_leaders');
    const second = await run('--at', '2022-06-28T09:00:00+08:00');
    expect(second.out).toContain('本周（2022-W26）周报已经发送过');
    expect(count('outbox')).toBe(1);
    const d = openNodeDatabase(file);
    expect(d.sqlite.prepare(`select actor, channel, action, entity_id from audit_log where entity='digest'`).all()).toEqual([
      { actor: 'cli', channel: 'cli', action: 'digest.queued', entity_id: '2022-W26' },
    ]);
    d.close();
  });

  it('explains a bad --at', async () => {
    const r = await run('--at', 'yesterday');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--at 的时间无法识别：yesterday');
    expect(r.err).toContain('用法：npx duban digest');
  });
});
