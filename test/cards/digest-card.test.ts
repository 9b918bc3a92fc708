import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';
import type { NodeDatabase } from '../../src/db/node.js';
import { loadStatsInput } from '../../src/db/stats-store.js';
import { computeStats, summarizeStats, type Stats } from '../../src/domain/stats.js';
import {
  CARD_MAX_BYTES, cardBytes, cardContentBytes, chartSpecs, renderDigestCard, REQUEST_MARGIN_BYTES, requestBodyBytes, validateVChartSpec,
} from '../../src/cards/digest-card.js';
import { createLarkMessenger } from '../../src/lark/messenger.js';
import { startFakeLark } from '../fake-lark/server.js';
import { renderDigestText } from '../../src/cards/digest-text.js';
import { seedScenario } from '../helpers/progress-scenario.js';
import { insertPlan, recordProgress, syntheticPlan } from '../helpers/plan-fixture.js';

const markdown = (card: Record<string, unknown>) =>
  ((card.body as { elements: Array<Record<string, unknown>> }).elements)
    .filter((e) => e.tag === 'markdown')
    .map((e) => String(e.content))
    .join('\n');

describe('digest card over the seeded plan', () => {
  let database: NodeDatabase;
  let stats: Stats;
  beforeAll(async () => {
    database = createTestDatabase();
    await seedScenario(database.db);
    stats = computeStats(await loadStatsInput(database.db, undefined, '2022-06-27'));
  });
  afterAll(() => database.close());

  it('sums targets without data up in one line, and every cut list names the command that shows it all', () => {
    const noData = Array.from({ length: 20 }, (_, i) => ({
      code: `T-${i}`, indicator: `指标${i}`, comparator: '<=', value: 1, unit: null, year: 2025, latest: null, status: 'no_data' as const,
    }));
    const many = {
      ...stats,
      targets: [...stats.targets, ...noData],
      overdue: Array.from({ length: 40 }, (_, i) => ({ ...stats.overdue[0]!, taskCode: `9.9.${i}`, assignmentId: 1000 + i })),
    };
    const text = markdown(renderDigestCard(many, null));
    const targetLines = text.split('\n').filter((l) => l.includes('暂无数据'));
    expect(targetLines).toHaveLength(1);
    expect(targetLines[0]).toMatch(/^⚪ 暂无数据 21 项尚未上报：.+ 等，发送「指标」查看全部$/);
    expect(text).toContain('✅ 达标｜2025年');
    expect(text).toMatch(/…另有 \d+ 项，发送「逾期」查看全部/);
    // The header names the week reported on: the full week before 2022-06-27.
    expect((renderDigestCard(many, null).header as { title: { content: string } }).title.content).toBe('督办周报｜2022年6月20日—6月26日');
  });

  it('shows a water-class target and its latest value as classes (≤ Ⅱ类｜最新 Ⅲ类), not as numbers with the unit text', () => {
    const water = {
      code: 'T-W', indicator: '洮河干流水质类别', comparator: '<=', value: 2, unit: '类（Ⅱ类）', year: 2025,
      latest: { value: 3, at: Date.parse('2022-06-20T02:00:00Z') }, status: 'not_met' as const,
    };
    const text = markdown(renderDigestCard({ ...stats, targets: [water] }, null));
    expect(text).toContain('❌ 未达标｜2025年 洮河干流水质类别 ≤ Ⅱ类｜最新 Ⅲ类（6月20日）');
    expect(text).not.toContain('类（Ⅱ类）');
  });

  it('shows the period a latest value is for when it has one, the report day otherwise', () => {
    const pm = {
      code: 'T-P', indicator: 'PM2.5', comparator: '<=', value: 24, unit: 'μg/m³', year: 2025,
      latest: { value: 22, at: Date.parse('2022-08-03T02:00:00Z'), period: '2022-07' }, status: 'met' as const,
    };
    const text = markdown(renderDigestCard({ ...stats, targets: [pm, { ...pm, code: 'T-Q', latest: { ...pm.latest, period: null } }] }, null));
    expect(text).toContain('✅ 达标｜2025年 PM2.5 ≤ 24 μg/m³｜最新 22 μg/m³（2022年7月）');
    expect(text).toContain('✅ 达标｜2025年 PM2.5 ≤ 24 μg/m³｜最新 22 μg/m³（8月3日）');
  });

  it('is a JSON 2.0 card with the header, the numbers and both charts', () => {
    const card = renderDigestCard(stats, null);
    expect(card.schema).toBe('2.0');
    const header = card.header as { title: { content: string }; template: string };
    expect(header.title.content).toBe('督办周报｜2022年6月20日—6月26日');
    expect(header.template).toBe('orange');
    const text = markdown(card);
    expect(text).toContain('任务 10 项：未开始 5 · 进行中 2 · 待核验 1 · 已销号 0 · 逾期 2');
    expect(text).toContain('责任分工 17 项');
    expect(text).toContain('完成率 **17.6%**，含待核验 29.4%');
    expect(text).toContain('已销号的责任分工 ÷ 全部责任分工');
    expect(text).toContain('市水务局｜5.1.1');
    expect(text).toContain('逾期 27 天｜已报办公室');
    expect(text).toContain('未来 14 天到期 5 项');
    expect(text).toContain('待审批延期 1 项');
    expect(text).toMatch(/✅ 达标｜2025年 细颗粒物（PM2.5）平均浓度 ≤ 24 μg\/m³｜最新 23.5 μg\/m³/);
    expect(text).toContain('⚪ 暂无数据');
    expect(text).not.toContain('较上期');
  });

  it('charts are valid data-only VChart bar specs', () => {
    const specs = chartSpecs(renderDigestCard(stats, null));
    expect(specs).toHaveLength(2);
    for (const spec of specs) expect(validateVChartSpec(spec)).toEqual({ ok: true, errors: [] });
    const chapters = specs[0]!;
    const values = (chapters.data as { values: Array<{ chapter: string; kind: string; rate: number }> }).values;
    expect([...new Set(values.map((v) => v.chapter))]).toEqual(['减污降碳', '蓝天', '碧水', '净土', '生态', '基础']);
    expect(values.find((v) => v.chapter === '蓝天' && v.kind === '已销号')?.rate).toBe(14.3);
    const lights = specs[1]!;
    expect(lights.seriesField).toBe('light');
    const lv = (lights.data as { values: Array<{ unit: string; light: string; count: number }> }).values;
    // Counties only (the plan has counties), each with three stacked lights.
    expect(new Set(lv.map((v) => v.unit))).toEqual(new Set(['安定区', '通渭县', '陇西县']));
    expect(lv.find((v) => v.unit === '陇西县' && v.light === '黄灯')?.count).toBe(1);
    // A round trip through JSON keeps the spec identical: nothing but data.
    expect(JSON.parse(JSON.stringify(chapters))).toEqual(chapters);
  });

  it('shows week-over-week changes from the previous summary', () => {
    const prev = summarizeStats(stats);
    prev.today = '2022-06-20';
    prev.lights = { red: 4, yellow: 5, green: 8 };
    prev.completion = { ...prev.completion, closedRate: 10, doneRate: 29.4 };
    prev.tasks = { ...prev.tasks, byStatus: { ...prev.tasks.byStatus, 逾期: 3 } };
    const text = markdown(renderDigestCard(stats, prev));
    expect(text).toContain('较上期 6月20日');
    expect(text).toContain('🔴 红灯 2（−2）');
    expect(text).toContain('🟢 绿灯 10（+2）');
    expect(text).toContain('完成率 **17.6%**（+7.6 个百分点），含待核验 29.4%（持平）');
    expect(text).toContain('逾期 2（−1）');
  });

  it('renders to readable text for the CLI', () => {
    const text = renderDigestText(renderDigestCard(stats, null));
    expect(text).toContain('督办周报｜2022年6月20日—6月26日');
    expect(text).toContain('【各篇章完成率（%）】');
    expect(text).toContain('蓝天：已销号 14.3 · 待核验 0');
    expect(text).not.toContain('**');
  });
});

describe('validateVChartSpec', () => {
  const good = { type: 'bar', data: { values: [{ k: 'a', v: 1 }] }, xField: 'k', yField: 'v' };
  it('accepts a plain bar spec and refuses the rest', () => {
    expect(validateVChartSpec(good).ok).toBe(true);
    expect(validateVChartSpec({ ...good, type: 'line' }).errors[0]).toContain('bar');
    expect(validateVChartSpec({ ...good, yField: 'missing' }).errors.join()).toContain('缺少字段 missing');
    expect(validateVChartSpec({ ...good, seriesField: 's' }).ok).toBe(false);
    expect(validateVChartSpec({ ...good, label: { formatMethod: () => 'x' } }).errors.join()).toContain('函数');
    expect(validateVChartSpec({ ...good, label: { formatter: '(d) => d.v + "%"' } }).errors.join()).toContain('代码');
    expect(validateVChartSpec({ ...good, title: { text: 'function(){return 1}' } }).ok).toBe(false);
    expect(validateVChartSpec({ ...good, data: { values: [] } }).ok).toBe(false);
    expect(validateVChartSpec({ ...good, data: { values: [{ k: 'a', v: 'x' }] } }).ok).toBe(false);
    expect(validateVChartSpec({ type: 'bar', xField: 'k', yField: 'v' }).ok).toBe(false);
  });
});

describe('a 5,000-task plan', () => {
  let database: NodeDatabase;
  let stats: Stats;
  beforeAll(async () => {
    database = createTestDatabase();
    const p = await insertPlan(database.db, syntheticPlan(5000));
    // Some progress so every status and list is populated.
    const ids = (database.sqlite.prepare('select id from assignments order by id').all() as Array<{ id: number }>).map((r) => r.id);
    for (let i = 0; i < ids.length; i += 7) {
      await recordProgress(database.db, ids[i]!, { state: i % 3 === 0 ? 'closed' : i % 3 === 1 ? 'claimed' : 'in_progress', percent: 60 }, Date.parse('2023-01-10T02:00:00Z'));
    }
    for (let i = 3; i < 400; i += 2) {
      database.sqlite
        .prepare(`insert into extension_requests (assignment_id, current_due, new_due_date, reason, created_at) values (?, '2023-01-28', '2023-06-30', '因疫情影响现场工作推迟，申请延期至六月底完成全部验收', 0)`)
        .run(ids[i]);
    }
    expect(p.planId).toBeGreaterThan(0);
    stats = computeStats(await loadStatsInput(database.db, undefined, '2023-06-20'));
  });
  afterAll(() => database.close());

  it('stays under 30 KB with cut lists pointing to the full command', () => {
    expect(stats.tasks.total).toBe(5000);
    expect(stats.overdue.length).toBeGreaterThan(1000);
    const card = renderDigestCard(stats, summarizeStats(stats));
    const bytes = cardBytes(card);
    expect(bytes).toBeLessThan(CARD_MAX_BYTES);
    // Even escaped inside the send request's content string.
    expect(cardContentBytes(card)).toBeLessThan(CARD_MAX_BYTES);
    const text = markdown(card);
    expect(text).toMatch(/…另有 \d+ 项，发送「逾期」查看全部/);
    expect(text).toMatch(/…另有 \d+ 项，发送「待办」查看全部/);
    for (const spec of chartSpecs(card)) expect(validateVChartSpec(spec).ok).toBe(true);
  });

  it('fits even with hundreds of chapters and very long names (charts are dropped last)', () => {
    const chapters = Array.from({ length: 400 }, (_, i) => ({ ...stats.chapters[0]!, number: i + 1, label: `第${i + 1}个很长很长的篇章简称`.repeat(3) }));
    const units = stats.units.map((u) => ({ ...u, label: u.label.repeat(20) }));
    const card = renderDigestCard({ ...stats, chapters, units, counties: units.filter((u) => u.kind === 'county') }, null);
    expect(cardBytes(card)).toBeLessThan(CARD_MAX_BYTES);
    expect(cardContentBytes(card)).toBeLessThan(CARD_MAX_BYTES);
  });

  it('the whole send request body keeps a margin under 30 KB, measured at the fake Feishu (escaping inflates it)', async () => {
    // Quotes and backslashes in names double in the JSON-encoded content string.
    const units = stats.units.map((u) => ({ ...u, label: `"${u.label}\\"`.repeat(8) }));
    const fake = await startFakeLark();
    try {
      const m = createLarkMessenger({ LARK_APP_ID: 'cli_fake_app', LARK_APP_SECRET: 'fake_secret', LARK_BASE_URL: fake.url });
      for (const st of [stats, { ...stats, units, counties: units.filter((u) => u.kind === 'county') }]) {
        const card = renderDigestCard(st, summarizeStats(stats));
        expect(requestBodyBytes(card)).toBeLessThanOrEqual(CARD_MAX_BYTES - REQUEST_MARGIN_BYTES);
        const res = await m.deliver({
          id: 1, uuid: 'db-' + 'a'.repeat(40), op: 'send', receiveIdType: 'chat_id', receiveId: 'oc_' + 'x'.repeat(32),
          targetMessageId: null, msgType: 'interactive', content: JSON.stringify(card),
        });
        expect(res.ok).toBe(true);
        const sent = fake.requests.filter((r) => r.path === '/open-apis/im/v1/messages').at(-1)!;
        expect(sent.bytes).toBeLessThanOrEqual(CARD_MAX_BYTES - REQUEST_MARGIN_BYTES);
      }
    } finally {
      await fake.close();
    }
  });

  it('shrinks further when the budget is tighter, never exceeding it', () => {
    for (const max of [20_000, 12_000, 8_000]) {
      const card = renderDigestCard(stats, null, { maxBytes: max });
      expect(cardBytes(card)).toBeLessThanOrEqual(max);
    }
  });
});
