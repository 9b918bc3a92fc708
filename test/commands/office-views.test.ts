import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDeps, type TestDeps } from '../helpers/deps.js';
import { officeViewCommands } from '../../src/commands/office-views.js';
import type { CommandContext, CommandReply } from '../../src/commands/registry.js';
import type { Actor } from '../../src/domain/actor.js';
import { buildDigest } from '../../src/reports/digest-run.js';
import { seedScenario } from '../helpers/progress-scenario.js';
import type { SeededPlan } from '../helpers/plan-fixture.js';
import { parseChapterNumber, parseViewFilter } from '../../src/domain/view-filter.js';
import { shanghaiDate } from '../../src/domain/dates.js';

const NOW = Date.parse('2022-06-27T02:00:00Z'); // 10:00 Shanghai
const office: Actor = { personId: 1, openId: 'ou_office', roles: ['office'], unitIds: [] };
const leader: Actor = { personId: 2, openId: 'ou_leader', roles: ['leader'], unitIds: [] };

let deps: TestDeps;
let plan: SeededPlan;
beforeEach(async () => {
  deps = createTestDeps({}, NOW);
  plan = await seedScenario(deps.db);
});
afterEach(() => deps.close());

async function ask(text: string, actor: Actor = office): Promise<{ ok: true; reply: CommandReply } | { ok: false; error: string }> {
  const [name, ...rest] = text.split(/\s+/);
  const cmd = officeViewCommands.find((c) => c.names.includes(name!));
  if (!cmd) throw new Error(`no command ${name}`);
  const ctx: CommandContext = { deps, actor, msg: null, now: NOW, today: shanghaiDate(NOW), channel: 'chat', sentMessages: deps.sentMessages };
  const parsed = await cmd.parse(rest.join(' '), ctx);
  if (!parsed.ok) return parsed;
  return { ok: true, reply: await cmd.run(ctx, parsed.value) };
}
const textOf = async (t: string, actor?: Actor) => {
  const r = await ask(t, actor);
  if (!r.ok) throw new Error(r.error);
  return r.reply.text ?? '';
};
const errorOf = async (t: string, actor?: Actor) => {
  const r = await ask(t, actor);
  if (r.ok) throw new Error(`expected an error, got ${r.reply.text}`);
  return r.error;
};

describe('逾期 / 临期', () => {
  it('lists overdue assignments, most overdue first, with the escalation step and lights', async () => {
    const t = await textOf('逾期');
    expect(t.split('\n')[0]).toBe('逾期 2 项（截至 2022年6月27日）');
    expect(t).toContain('🔴 红灯 2　🟡 黄灯 5　🟢 绿灯 10');
    expect(t).toContain('1. 市水务局｜5.1.1 黄河干流入河排污口排查整治｜5月31日到期，逾期 27 天，进度 30%｜已报办公室');
    expect(t).toContain('2. 市生态环境局｜8.1.1');
  });
  it('filters by unit alias, counties and chapter; the English name works too', async () => {
    expect(await textOf('overdue 水务局')).toMatch(/^逾期 1 项（截至 2022年6月27日｜市水务局）/);
    expect(await textOf('逾期 县区')).toContain('没有逾期事项');
    expect(await textOf('逾期 碧水')).toMatch(/^逾期 1 项（截至 2022年6月27日｜第5章 碧水）/);
    expect(await textOf('逾期 五')).toContain('第5章 碧水');
    expect(await textOf('逾期 第8章')).toContain('市生态环境局｜8.1.1');
  });
  it('临期 takes a number of days', async () => {
    expect((await textOf('临期')).split('\n')[0]).toBe('今后 14 天内到期 5 项（截至 2022年6月27日）');
    expect((await textOf('临期 5')).split('\n')[0]).toBe('今后 5 天内到期 3 项（截至 2022年6月27日）');
    expect(await textOf('due 30 安定')).toContain('安定区｜4.1.2 淘汰燃煤小锅炉｜未开始，进度 0%');
    expect(await errorOf('临期 0')).toBe('天数应为 1 到 366 之间的整数，收到 0。');
    expect(await errorOf('临期 -3')).toContain('天数应为 1 到 366 之间的整数');
  });
  it('a near-miss unit gets did-you-mean and the correct form', async () => {
    const e = await errorOf('逾期 市水利局');
    expect(e).toContain('没有找到单位或篇章「市水利局」');
    expect(e).toContain('您是不是要找：市水务局？');
    expect(await errorOf('逾期 安定去')).toContain('您是不是要找：安定区？');
    expect(await errorOf('逾期 第12章')).toContain('方案中没有第 12 章');
    expect(await errorOf('逾期 安定区 碧水')).toContain('一次只能按一个条件筛选');
  });
  it('a contact sees only their own units and is refused others', async () => {
    const contact: Actor = { personId: 3, openId: 'ou_c', roles: ['contact'], unitIds: [plan.unitId('市水务局')] };
    expect(await textOf('逾期', contact)).toMatch(/^逾期 1 项（截至 2022年6月27日｜本单位）/);
    expect(await textOf('逾期 安定区', contact)).toContain('联络员只能查看本单位的情况，不能查看「安定区」');
    expect(await textOf('统计 县区', contact)).toContain('联络员只能查看本单位');
    expect(await textOf('统计', contact)).toContain('责任分工 1 项：未开始 0 · 进行中 0 · 待核验 0 · 已销号 0 · 逾期 1');
  });
});

describe('统计 agrees with the digest', () => {
  it('answers with the same numbers as the digest card', async () => {
    const t = await textOf('统计');
    const d = await buildDigest(deps.db, NOW);
    const s = d.stats;
    expect(t).toContain(`任务 ${s.tasks.total} 项：未开始 5 · 进行中 2 · 待核验 1 · 已销号 0 · 逾期 2`);
    expect(t).toContain(`完成率 ${s.completion.closedRate}%，含待核验 ${s.completion.doneRate}%`);
    const card = JSON.stringify(d.card);
    expect(card).toContain(`任务 ${s.tasks.total} 项：未开始 5 · 进行中 2 · 待核验 1 · 已销号 0 · 逾期 2`);
    expect(card).toContain(`完成率 **${s.completion.closedRate}%**`);
    expect(t).toContain('• 碧水：分工 3，已销号 1（33.3%），待核验 0，逾期 1｜🔴1 🟡0 🟢2');
  });
  it('breaks down by county, unit and chapter, or narrows to one', async () => {
    const c = await textOf('统计 县区');
    expect(c).toContain('分县区：');
    expect(c).toContain('• 安定区：分工 3，已销号 2（66.7%）');
    expect(c).toContain('责任分工 9 项');
    const u = await textOf('stats 单位');
    expect(u).toContain('分单位（按方案所列顺序）：');
    expect(u.split('\n').filter((l) => l.startsWith('• '))).toHaveLength(7);
    expect(await textOf('统计 发改委')).toContain('责任分工 1 项：未开始 0 · 进行中 0 · 待核验 0 · 已销号 1 · 逾期 0');
    expect(await textOf('统计 4')).toContain('｜第4章 蓝天）');
  });
});

describe('周报', () => {
  it('answers office and leaders with the digest card', async () => {
    const r = await ask('周报', leader);
    expect(r.ok && r.reply.card?.schema).toBe('2.0');
    expect(officeViewCommands.find((c) => c.names.includes('周报'))!.roles).toEqual(['office', 'leader']);
    expect(await errorOf('周报 安定区')).toContain('周报不带参数');
  });
});

describe('filter words', () => {
  const units = [
    { id: 1, name: '市生态环境局', kind: 'department', aliases: ['生态环境局', '环保局'] },
    { id: 2, name: '市生态环境局安定分局', kind: 'department', aliases: [] },
    { id: 3, name: '漳县', kind: 'county', aliases: ['漳'] },
  ];
  const chapters = [{ number: 4, title: '碧水', short: '碧水' }];
  it('reads chapter numbers in every spelling', () => {
    expect(['4', '四', '第四章', '第4篇', '４'].map(parseChapterNumber)).toEqual([4, 4, 4, 4, 4]);
    expect(parseChapterNumber('十二')).toBe(12);
    expect(parseChapterNumber('安定')).toBeNull();
  });
  it('exact alias wins over containment; ambiguity is reported', () => {
    expect(parseViewFilter('环保局', units, chapters)).toEqual({ ok: true, value: { kind: 'unit', unitId: 1, name: '市生态环境局' } });
    expect(parseViewFilter('漳', units, chapters)).toMatchObject({ ok: true, value: { unitId: 3 } });
    const amb = parseViewFilter('生态环境', units, chapters);
    expect(amb.ok).toBe(false);
    expect(!amb.ok && amb.error).toContain('对应多个单位');
  });
});
