// The board on the merged code: the task status rolled up from every assignment (issue 16) on the board, the task
// page and the data routes alike; the lead unit first on the task page; access that ends with 解绑 / 交接 (issue 17);
// hostile text in unit names and notes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { resolveActor } from '../../src/db/people-store.js';
import { buildRegistry, findCommand } from '../../src/commands/index.js';
import type { CommandContext } from '../../src/commands/registry.js';
import { assignments, people, progressReports, tasks, units } from '../../src/db/schema.js';
import { shanghaiDate } from '../../src/domain/dates.js';
import { message } from '../helpers/command-fixture.js';
import { ANDING, Browser, createBoardWorld, LEADER, OFFICE, type BoardWorld } from './board-fixture.js';

let w: BoardWorld;
beforeEach(async () => {
  w = await createBoardWorld();
});
afterEach(() => w.close());

async function signedIn(openId: string): Promise<Browser> {
  const b = new Browser(w.app);
  const { posted } = await b.open(await w.linkFor(openId));
  expect(posted?.status).toBe(303);
  return b;
}

/** Run a chat command as openId, with people @mentioned as Feishu resolves them. */
async function command(openId: string, text: string, mentions: Array<{ openId: string; name: string }> = []): Promise<string> {
  const registry = buildRegistry();
  const n = w.deps.clock();
  const actor = await resolveActor(w.deps, { openId }, n);
  const [name, ...rest] = text.split(/\s+/);
  const cmd = findCommand(registry, name!)!;
  const msg = message(openId, text, { mentions: mentions.map((m, i) => ({ key: `@_user_${i + 1}`, name: m.name, openId: m.openId })) });
  const ctx: CommandContext = { deps: w.deps, actor, msg, now: n, today: shanghaiDate(n), channel: 'chat', sentMessages: w.deps.sentMessages };
  const parsed = await cmd.parse(rest.join(' '), ctx);
  if (!parsed.ok) return parsed.error;
  return (await cmd.run(ctx, parsed.value)).text ?? '';
}

/** 5.1.1 (due 2022-05-31) with 安定区 as its lead unit, closed, and 市水务局 as a co-unit still in progress: overdue. */
async function leadClosedCoOverdue() {
  const [t] = await w.deps.db.select().from(tasks).where(eq(tasks.code, '5.1.1'));
  await w.deps.db.update(assignments).set({ role: 'lead' }).where(and(eq(assignments.taskId, t!.id), eq(assignments.unitId, w.unit('安定区'))));
  await w.deps.db.update(assignments).set({ role: 'co' }).where(and(eq(assignments.taskId, t!.id), eq(assignments.unitId, w.unit('市水务局'))));
}

const STATUS = ['未开始', '进行中', '待核验', '已销号', '逾期'];

describe('a task whose lead unit closed while a co-unit is overdue', () => {
  it('is 逾期 on the board, in the totals, the matrix, the overdue list and the task page, as in 统计', async () => {
    await leadClosedCoOverdue();
    const b = await signedIn(OFFICE);
    type Data = {
      stats: { tasks: { byStatus: Record<string, number> }; overdue: Array<{ taskCode: string; unitName: string }> };
      matrix: Array<{ name: string; cells: Array<{ light: string } | null> }>;
    };
    const data = (await (await b.fetch('/board/data')).json()) as Data;
    const stats = await w.say(OFFICE, '统计');
    expect(stats).toContain(STATUS.map((s) => `${s} ${data.stats.tasks.byStatus[s]}`).join(' · '));
    expect(data.stats.overdue.some((o) => o.taskCode === '5.1.1' && o.unitName === '市水务局')).toBe(true);
    expect(data.matrix.find((r) => r.name === '市水务局')!.cells.some((c) => c?.light === 'red')).toBe(true);
    // Only 5.1.1 in chapter 5 for these two units: the chapter-5 board counts it as overdue, as 统计 5 does.
    const ch5 = (await (await b.fetch('/board/data?chapter=5')).json()) as Data;
    expect(ch5.stats.tasks.byStatus['逾期']).toBeGreaterThanOrEqual(1);
    expect(await w.say(OFFICE, '统计 5')).toContain(STATUS.map((s) => `${s} ${ch5.stats.tasks.byStatus[s]}`).join(' · '));

    const td = (await (await b.fetch('/board/task/5.1.1/data')).json()) as { status: { word: string; light: string }; assignments: Array<{ unitName: string; role: string }> };
    expect(td.status).toEqual({ word: '逾期', light: 'red' });
    // The lead unit first, though its assignment was made second.
    expect(td.assignments.map((a) => [a.unitName, a.role])).toEqual([
      ['安定区', 'lead'],
      ['市水务局', 'co'],
    ]);
    const html = await (await b.fetch('/board/task/5.1.1')).text();
    expect(html).toMatch(/data-k="task-status">逾期</);
    const section = html.slice(html.indexOf('id="task-assignments"'));
    expect(section.indexOf('安定区')).toBeLessThan(section.indexOf('市水务局'));
  });

  it('a status filter counts tasks by their rolled-up status, as 统计 does: 已销号 only when every unit closed', async () => {
    await leadClosedCoOverdue();
    const b = await signedIn(OFFICE);
    type Data = { stats: { tasks: { total: number; byStatus: Record<string, number> } }; list: Array<{ taskCode: string; statusWord: string }> };
    const all = (await (await b.fetch('/board/data')).json()) as Data;
    const taskLine = (await w.say(OFFICE, '统计')).split('\n').find((l) => l.startsWith('任务 '))!;
    for (const word of STATUS) {
      const f = (await (await b.fetch(`/board/data?status=${encodeURIComponent(word)}`)).json()) as Data;
      expect(f.stats.tasks.total, word).toBe(all.stats.tasks.byStatus[word]);
      expect(f.stats.tasks.byStatus[word], word).toBe(all.stats.tasks.byStatus[word]);
      expect(taskLine).toContain(`${word} ${f.stats.tasks.total}`);
      // The list still holds the assignments in that state.
      expect(f.list.every((l) => l.statusWord === word)).toBe(true);
    }
    const closed = (await (await b.fetch(`/board/data?status=${encodeURIComponent('已销号')}`)).json()) as Data;
    // 安定区's closed assignment of 5.1.1 is listed, but 5.1.1 is not a closed task.
    expect(closed.list.some((l) => l.taskCode === '5.1.1')).toBe(true);
    const html = await (await b.fetch(`/board?status=${encodeURIComponent('已销号')}`)).text();
    expect(html).toContain(`<b data-k="tasks">${all.stats.tasks.byStatus['已销号']}</b>`);
  });

  it('as of the day before the deadline, the same task is 进行中 on the task page (?at=)', async () => {
    await leadClosedCoOverdue();
    const b = await signedIn(LEADER);
    const td = (await (await b.fetch('/board/task/5.1.1/data?at=2022-05-20')).json()) as { status: { word: string } };
    expect(td.status.word).toBe('进行中');
    // The page says it is a past date and how to get back to today.
    const html = await (await b.fetch('/board/task/5.1.1?at=2022-05-20')).text();
    expect(html).toContain('正在查看 2022年5月20日 的情况');
    expect(html).toContain('href="/board/task/5.1.1"');
  });

  it("a contact's task page rolls up only the assignments they may see", async () => {
    await leadClosedCoOverdue();
    const c = await signedIn(ANDING);
    const td = (await (await c.fetch('/board/task/5.1.1/data')).json()) as { status: { word: string }; hiddenAssignments: number };
    expect(td.hiddenAssignments).toBe(1);
    expect(td.status.word).toBe('已销号');
    const html = await (await c.fetch('/board/task/5.1.1')).text();
    expect(html).toContain('按你可查看的分工汇总');
    expect(html).not.toContain('市水务局');
  });

  it('a task page for an unknown code is a Chinese 404 that says what to do, as page and as data', async () => {
    const b = await signedIn(OFFICE);
    const r = await b.fetch('/board/task/99.9.9');
    expect(r.status).toBe(404);
    expect(await r.text()).toContain('请从看板上点选任务');
    const d = await b.fetch('/board/task/99.9.9/data');
    expect(d.status).toBe(404);
    expect(((await d.json()) as { error: string }).error).toBe('not_found');
  });

  it('a mistyped board address is a Chinese page that says what to do, not JSON', async () => {
    for (const p of ['/board/nope', '/board/task', '/board/task/5.1.1/extra']) {
      const r = await new Browser(w.app).fetch(p);
      expect(r.status, p).toBe(404);
      expect(r.headers.get('content-type'), p).toContain('text/html');
      expect(await r.text(), p).toContain('请点“返回看板”');
    }
    // Outside /board the API's JSON answer is unchanged.
    expect((await new Browser(w.app).fetch('/nope')).headers.get('content-type')).toContain('json');
  });
});

describe('access ends with the role', () => {
  it('a contact who sends 解绑 loses the board at once: page, data and task routes', async () => {
    const c = await signedIn(ANDING);
    expect((await c.fetch('/board/data')).status).toBe(200);
    expect(await command(ANDING, '解绑')).toContain('已解除你的身份');
    for (const p of ['/board', '/board/task/5.1.1']) {
      const r = await c.fetch(p);
      expect(r.status).toBe(403);
      const html = await r.text();
      expect(html).toContain('绑定');
      expect(html).not.toContain('黄河干流入河排污口排查整治');
    }
    for (const p of ['/board/data', '/board/task/5.1.1/data', `/board/data?unit=${w.unit('安定区')}`]) {
      expect((await c.fetch(p)).status).toBe(403);
    }
  });

  it('a contact whose unit the office hands over (交接) loses it at once; the successor gets it', async () => {
    const c = await signedIn(ANDING);
    await w.deps.db.insert(people).values({ openId: 'ou_board_successor', name: '周接任' });
    const reply = await command(OFFICE, '交接 安定区 @周接任', [{ openId: 'ou_board_successor', name: '周接任' }]);
    expect(reply).toContain('已将 安定区 的联络员工作交接给 周接任');
    expect((await c.fetch('/board/data')).status).toBe(403);
    expect((await c.fetch('/board/task/4.1.1/data')).status).toBe(403);
    const s = await signedIn('ou_board_successor');
    const data = (await (await s.fetch('/board/data')).json()) as { matrix: Array<{ name: string }> };
    expect(data.matrix.map((r) => r.name)).toEqual(['安定区']);
  });
});

describe('hostile text', () => {
  it('unit names, notes and history escape on every page; Feishu markup stays text', async () => {
    const evil = `"><script>alert('u')</script><at id=all></at>`;
    await w.deps.db.update(units).set({ name: `安定区${evil}` }).where(eq(units.id, w.unit('安定区')));
    const [t] = await w.deps.db.select().from(tasks).where(eq(tasks.code, '5.1.1'));
    await w.deps.db.update(tasks).set({ note: `备注${evil}`, sourceText: `原文${evil}` }).where(eq(tasks.id, t!.id));
    const [asg] = await w.deps.db.select().from(assignments).where(and(eq(assignments.taskId, t!.id), eq(assignments.unitId, w.unit('安定区'))));
    await w.deps.db.insert(progressReports).values({
      assignmentId: asg!.id,
      kind: 'progress',
      percent: 60,
      note: `进展${evil}`,
      evidenceUrl: `javascript:alert('e')`,
      channel: 'chat',
      createdAt: Date.parse('2022-06-20T02:00:00Z'),
    });
    const b = await signedIn(OFFICE);
    for (const p of ['/board', '/board/task/5.1.1', `/board?unit=${w.unit('安定区')}`, '/board/task/5.1.1?at=2022-06-01']) {
      const r = await b.fetch(p);
      expect(r.status).toBe(200);
      const html = await r.text();
      expect(html).not.toContain('<script>alert');
      expect(html).not.toContain('<at id=all>');
      expect(html).not.toContain('href="javascript:');
      expect(html).not.toMatch(/"><script/);
      expect(html).toContain('&lt;script&gt;');
    }
    // A bad filter that echoes hostile input back is escaped too.
    const bad = await b.fetch(`/board?unit=${encodeURIComponent('<script>x</script>')}`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).not.toContain('<script>x');
  });
});
