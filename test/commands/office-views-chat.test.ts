// The office views through the real command layer: a chat message in, the bot's reply in the outbox.
import { like } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createInboundHandlers } from '../../src/commands/handlers.js';
import { outbox, people, roles } from '../../src/db/schema.js';
import type { InboundHandlers } from '../../src/domain/types.js';
import { message } from '../helpers/command-fixture.js';
import { createTestDeps, type TestDeps } from '../helpers/deps.js';
import { seedScenario } from '../helpers/progress-scenario.js';

const NOW = Date.parse('2022-06-27T02:00:00Z');
let deps: TestDeps;
let h: InboundHandlers;
beforeEach(async () => {
  deps = createTestDeps({ OFFICE_OPEN_IDS: 'ou_office' }, NOW);
  const p = await seedScenario(deps.db);
  const [leader, contact] = await deps.db.insert(people).values([{ openId: 'ou_leader' }, { openId: 'ou_water' }]).returning({ id: people.id });
  await deps.db.insert(roles).values([
    { personId: leader!.id, role: 'leader' },
    { personId: contact!.id, role: 'contact', unitId: p.unitId('市水务局') },
  ]);
  h = createInboundHandlers(deps);
});
afterEach(() => deps.close());

async function say(openId: string, text: string) {
  const m = message(openId, text);
  await h.onMessage(m, NOW);
  const rows = await deps.db.select().from(outbox).where(like(outbox.dedupeKey, `reply:${m.messageId}%`));
  expect(rows.length).toBeGreaterThan(0);
  return rows.map((r) => (r.msgType === 'text' ? (JSON.parse(r.content) as { text: string }).text : `[${r.msgType}]${r.content}`)).join('\n');
}

describe('office views in chat', () => {
  it('统计 / 逾期 / 临期 answer the office and leaders', async () => {
    expect(await say('ou_office', '统计')).toContain('任务 10 项：未开始 5 · 进行中 2 · 待核验 1 · 已销号 0 · 逾期 2');
    expect(await say('ou_leader', '逾期 碧水')).toContain('1. 市水务局｜5.1.1');
    expect(await say('ou_office', '/overdue')).toMatch(/^逾期 2 项/);
    expect((await say('ou_leader', '临期 5')).split('\n')[0]).toBe('今后 5 天内到期 3 项（截至 2022年6月27日）');
  });
  it('周报 answers with the card; a contact is refused it but sees their own overdue', async () => {
    const card = await say('ou_leader', '周报');
    expect(card.startsWith('[interactive]')).toBe(true);
    expect(JSON.parse(card.slice('[interactive]'.length)).header.title.content).toBe('督办周报｜2022年6月20日—6月26日');
    expect(await say('ou_water', '周报')).toContain('仅限办公室或领导使用');
    expect(await say('ou_water', '逾期')).toMatch(/^逾期 1 项（截至 2022年6月27日｜本单位）/);
  });
  it('a mistake gets what was wrong and the correct form', async () => {
    const r = await say('ou_office', '逾期 市水利局');
    expect(r).toContain('没有找到单位或篇章「市水利局」。您是不是要找：市水务局？');
    expect(r).toContain('正确格式：逾期 [单位|县区|篇章]');
    const d = await say('ou_office', '临期 0');
    expect(d).toContain('天数应为 1 到 366 之间的整数，收到 0。');
    expect(d).toContain('正确格式：临期 [天数] [单位|县区|篇章]');
  });
});
