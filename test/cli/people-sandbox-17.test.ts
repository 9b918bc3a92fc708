// `npx duban people remove` (history kept) and the sandbox's @姓名 mentions and per-session message ids.
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { runChat } from '../../src/cli/chat.js';
import { runPeople } from '../../src/cli/people.js';
import type { CliContext } from '../../src/cli/types.js';
import { parseConfig } from '../../src/config.js';
import { openNodeDatabase, type NodeDatabase } from '../../src/db/node.js';
import { outbox, people, roleHistory, roles } from '../../src/db/schema.js';
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

describe('npx duban people remove', () => {
  it('ends a person’s roles, keeps them in the history, and says so', async () => {
    const { ctx, out, err, fx } = await setup();
    const [li] = await database.db.select().from(people).where(eq(people.name, '李安'));
    expect(await runPeople(['remove', '--name', '李安', '--reason', '调岗'], ctx)).toBe(0);
    expect(out.join('\n')).toContain('已移除 李安 的身份：安定区联络员');
    expect(await database.db.select().from(roles).where(eq(roles.personId, li!.id))).toEqual([]);
    const hist = await database.db.select().from(roleHistory);
    expect(hist).toMatchObject([{ personId: li!.id, role: 'contact', unitId: fx.unit.anding, reason: 'removed', note: '调岗', endedBy: null }]);
    out.length = 0;
    expect(await runPeople(['list', '--history'], ctx)).toBe(0);
    expect(out.join('\n')).toMatch(/李安\tou_anding\t联络员\(安定区\)\t.*移除：调岗/);
    // Nothing left to remove; unknown people are errors.
    out.length = 0;
    expect(await runPeople(['remove', '--name', '李安'], ctx)).toBe(0);
    expect(out.join('\n')).toContain('无需移除');
    expect(await runPeople(['remove', '--name', '无此人'], ctx)).toBe(1);
    expect(err.join('\n')).toContain('没有找到 无此人');
    await expect(runPeople(['remove'], ctx)).rejects.toThrow(/--open-id/);
  });

  it('removes only the named unit’s contact role', async () => {
    const { ctx, fx } = await setup();
    const [zhang] = await database.db.select().from(people).where(eq(people.name, '张环'));
    await database.db.insert(roles).values({ personId: zhang!.id, role: 'contact', unitId: fx.unit.housing });
    expect(await runPeople(['remove', '--open-id', 'ou_env', '--unit', '住建局'], ctx)).toBe(0);
    expect((await database.db.select().from(roles).where(eq(roles.personId, zhang!.id))).map((r) => r.unitId)).toEqual([fx.unit.env]);
  });
});

describe('the sandbox', () => {
  it('@姓名 mentions a known person; an unknown name is said to be unknown', async () => {
    const { ctx, out } = await setup();
    expect(await runChat(['--as', 'ou_office'], ctx, lines('绑定 @王领导 安定区', '绑定 @无名氏 安定区', ':quit'))).toBe(0);
    const text = out.join('\n');
    expect(text).toContain('已将 王领导 绑定为「安定区」联络员');
    expect(text).toContain('没有名为“无名氏”的人');
    expect(text).toContain('没能识别你 @ 的人');
  });

  it('two sessions at the same instant never reuse a message id', async () => {
    const { ctx } = await setup();
    expect(await runChat(['--as', '张环'], ctx, lines('我的任务', '帮助', ':quit'))).toBe(0);
    expect(await runChat(['--as', '张环'], ctx, lines('我的任务', '帮助', ':quit'))).toBe(0);
    const replies = await database.db.select().from(outbox).where(eq(outbox.op, 'reply'));
    expect(replies).toHaveLength(4);
    expect(new Set(replies.map((r) => r.targetMessageId)).size).toBe(4);
  });
});
