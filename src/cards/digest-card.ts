// The weekly digest as a Feishu card (JSON 2.0) with native VChart bar charts; pure, and always under 30 KB.
import { mdText } from '../domain/text-escape.js';
import { computeDeltas, formatDelta, reportedWeek, type DigestDeltas } from '../domain/digest.js';
import { formatDateZh } from '../domain/dates.js';
import { LIGHT_EMOJI } from '../domain/status.js';
import { formatMetricAmount, metricWhenZh } from '../domain/metric-value.js';
import {
  STATUS_WORDS,
  summarizeStats,
  type Stats,
  type StatsSummary,
  type StatusCounts,
  type OverdueItem,
  type TargetItem,
  type UnitStats,
} from '../domain/stats.js';

type Card = Record<string, unknown>;
type Element = Record<string, unknown>;

/** Feishu refuses cards over 30 KB; keep a margin for the envelope the sender wraps around the content. */
export const CARD_MAX_BYTES = 30 * 1024;
export const CARD_BUDGET_BYTES = 28 * 1024;

const LIGHT_WORD = { red: '红灯', yellow: '黄灯', green: '绿灯' } as const;
const LIGHT_COLOR = { red: '#f54a45', yellow: '#ffc60a', green: '#34c724' } as const;

/** Serialized size in UTF-8 bytes: what Feishu measures. */
export function cardBytes(card: unknown): number {
  return new TextEncoder().encode(JSON.stringify(card)).length;
}

/** Size of the card as the send request carries it: a JSON string inside the body, quotes escaped. */
export function cardContentBytes(card: unknown): number {
  return new TextEncoder().encode(JSON.stringify(JSON.stringify(card))).length;
}

/** Room kept under Feishu's limit for the whole request body (the limit's exact accounting is not documented). */
export const REQUEST_MARGIN_BYTES = 2 * 1024;

/**
 * Size of the whole send request body for this card: `{receive_id, msg_type, content, uuid}` with the card as a
 * JSON string (quotes and backslashes escaped, so it inflates), the longest receive_id and uuid the bot sends.
 */
export function requestBodyBytes(card: unknown): number {
  return new TextEncoder().encode(
    JSON.stringify({ receive_id: 'x'.repeat(64), msg_type: 'interactive', content: JSON.stringify(card), uuid: 'x'.repeat(50) }),
  ).length;
}

const fits = (card: unknown, max: number) => cardBytes(card) <= max && requestBodyBytes(card) <= CARD_MAX_BYTES - REQUEST_MARGIN_BYTES;

interface Limits {
  list: number;
  targets: number;
  chartUnits: number;
  title: number;
}

/** Successively tighter limits; the first that fits the budget is used. */
const LADDER: Limits[] = [
  { list: 20, targets: 20, chartUnits: 20, title: 28 },
  { list: 12, targets: 15, chartUnits: 16, title: 20 },
  { list: 8, targets: 10, chartUnits: 12, title: 16 },
  { list: 5, targets: 8, chartUnits: 10, title: 12 },
  { list: 3, targets: 5, chartUnits: 8, title: 10 },
  { list: 0, targets: 3, chartUnits: 6, title: 8 },
];

export interface DigestCardOptions {
  maxBytes?: number;
  /** Title prefix: '督办周报' for the weekly send, '督办简报' for an on-demand copy. */
  title?: string;
}

/**
 * Render the digest card. `previous` is the summary stored with the last digest sent (null for the first), from
 * which the week-over-week changes are computed. Long lists are cut with a count and the command that shows
 * them all, tightening until the card fits `maxBytes`.
 */
export function renderDigestCard(stats: Stats, previous: StatsSummary | null, opts: DigestCardOptions = {}): Card {
  const max = opts.maxBytes ?? CARD_BUDGET_BYTES;
  const deltas = computeDeltas(summarizeStats(stats), previous);
  let card: Card | null = null;
  for (const limits of LADDER) {
    card = buildCard(stats, deltas, limits, opts.title ?? '督办周报', true);
    if (fits(card, max)) return card;
  }
  // Only a pathological outline (hundreds of chapters) gets here: drop the charts rather than fail the send.
  card = buildCard(stats, deltas, LADDER[LADDER.length - 1]!, opts.title ?? '督办周报', false);
  return card;
}

function buildCard(stats: Stats, deltas: DigestDeltas | null, limits: Limits, titleWord: string, charts: boolean): Card {
  const { from, to } = reportedWeek(stats.today);
  const year = Number(stats.today.slice(0, 4));
  const red = stats.lights.red;
  const elements: Element[] = [];
  elements.push(md(overallText(stats, deltas)));
  if (charts && stats.chapters.length > 0) elements.push(chapterChart(stats));
  if (charts && stats.units.length > 0) elements.push(lightsChart(stats, limits.chartUnits));
  elements.push({ tag: 'hr' });
  elements.push(md(overdueText(stats, limits, year)));
  elements.push(md(dueSoonText(stats, limits, year)));
  elements.push(md(extensionsText(stats, limits, year)));
  if (stats.targets.length > 0) elements.push(md(targetsText(stats.targets, limits.targets, year)));
  elements.push(md('发送「统计」「逾期」「临期」可按单位、县区、篇章查看明细。'));
  return {
    schema: '2.0',
    config: { update_multi: true, width_mode: 'fill' },
    header: {
      // The week reported on, with its year: 督办周报｜2022年7月4日—7月10日.
      title: { tag: 'plain_text', content: `${titleWord}｜${formatDateZh(from)}—${formatDateZh(to, Number(from.slice(0, 4)))}` },
      subtitle: { tag: 'plain_text', content: stats.planTitle || '督办事项' },
      template: red === 0 ? 'green' : red < 10 ? 'orange' : 'red',
    },
    body: { elements },
  };
}

function md(content: string): Element {
  return { tag: 'markdown', content };
}

function clip(s: string, n: number): string {
  const chars = [...s];
  return chars.length <= n ? s : chars.slice(0, Math.max(1, n - 1)).join('') + '…';
}

/** Clip user/imported text (unit names, task titles, reasons, indicators) and make it inert for markdown. */
function clipMd(s: string, n: number): string {
  return mdText(clip(s, n));
}

function statusLine(counts: StatusCounts, delta: StatusCounts | undefined): string {
  return STATUS_WORDS.map((w) => `${w} ${counts[w]}${delta ? `（${formatDelta(delta[w])}）` : ''}`).join(' · ');
}

function overallText(s: Stats, d: DigestDeltas | null): string {
  const lines = [
    `**总体**（截至 ${formatDateZh(s.today)}${d ? `，括号内为较上期 ${formatDateZh(d.since, Number(s.today.slice(0, 4)))} 的变化` : ''}）`,
    `任务 ${s.tasks.total} 项：${statusLine(s.tasks.byStatus, d?.tasks)}`,
    `责任分工 ${s.assignments.total} 项：${statusLine(s.assignments.byStatus, d?.assignments)}`,
    (['red', 'yellow', 'green'] as const)
      .map((l) => `${LIGHT_EMOJI[l]} ${LIGHT_WORD[l]} ${s.lights[l]}${d ? `（${formatDelta(d.lights[l])}）` : ''}`)
      .join('　'),
    `完成率 **${s.completion.closedRate}%**${d ? `（${formatDelta(d.closedRate, ' 个百分点')}）` : ''}，` +
      `含待核验 ${s.completion.doneRate}%${d ? `（${formatDelta(d.doneRate, ' 个百分点')}）` : ''}`,
    `<font color='grey'>完成率 = 已销号的责任分工 ÷ 全部责任分工；含待核验 = (已销号 + 待核验) ÷ 全部。任务状态按全部责任单位汇总（全部销号才算已销号，任一逾期即逾期）；灯按责任分工计：逾期为红，14 天内到期为黄。</font>`,
  ];
  return lines.join('\n');
}

/** Completion by chapter: stacked 已销号 + 待核验 percentages per chapter short name. */
export function chapterChart(s: Stats): Element {
  const values = s.chapters.flatMap((c) => {
    const pending = Math.round((c.completion.doneRate - c.completion.closedRate) * 10) / 10;
    return [
      { chapter: c.label, kind: '已销号', rate: c.completion.closedRate },
      { chapter: c.label, kind: '待核验', rate: pending },
    ];
  });
  return {
    tag: 'chart',
    aspect_ratio: '16:9',
    chart_spec: {
      type: 'bar',
      title: { visible: true, text: '各篇章完成率（%）' },
      data: { values },
      xField: 'chapter',
      yField: 'rate',
      seriesField: 'kind',
      stack: true,
      axes: [
        { orient: 'left', type: 'linear', min: 0, max: 100 },
        { orient: 'bottom', type: 'band' },
      ],
      color: { type: 'ordinal', domain: ['已销号', '待核验'], range: [LIGHT_COLOR.green, '#3370ff'] },
      legends: { visible: true, orient: 'bottom' },
      label: { visible: false },
    },
  };
}

/** Red/yellow/green per county (or per unit when the plan has no counties), stacked; worst first. */
export function lightsChart(s: Stats, maxUnits: number): Element {
  const pool: UnitStats[] = s.counties.length > 0 ? s.counties : s.units;
  // When cut, the worst units are kept; they are shown in the plan's unit order.
  const shown =
    pool.length <= maxUnits
      ? pool
      : [...pool]
          .sort((a, b) => b.lights.red - a.lights.red || b.lights.yellow - a.lights.yellow || a.unitId - b.unitId)
          .slice(0, maxUnits)
          .sort((a, b) => a.unitId - b.unitId);
  const what = s.counties.length > 0 ? '县区' : '单位';
  const title =
    pool.length > shown.length
      ? `各${what}红黄绿灯（红灯最多的 ${shown.length} 个，共 ${pool.length} 个；发送「统计 ${what}」查看全部）`
      : `各${what}红黄绿灯`;
  const values = shown.flatMap((u) =>
    (['red', 'yellow', 'green'] as const).map((l) => ({ unit: clip(u.label, 8), light: LIGHT_WORD[l], count: u.lights[l] })),
  );
  return {
    tag: 'chart',
    aspect_ratio: '16:9',
    chart_spec: {
      type: 'bar',
      title: { visible: true, text: title },
      data: { values },
      xField: 'unit',
      yField: 'count',
      seriesField: 'light',
      stack: true,
      color: {
        type: 'ordinal',
        domain: ['红灯', '黄灯', '绿灯'],
        range: [LIGHT_COLOR.red, LIGHT_COLOR.yellow, LIGHT_COLOR.green],
      },
      legends: { visible: true, orient: 'bottom' },
    },
  };
}

function cutLine(rest: number, pointer: string): string[] {
  return rest > 0 ? [`…另有 ${rest} 项，${pointer}`] : [];
}

/**
 * Overdue lines, one per task and deadline and step: a task late in nine counties is one line naming them,
 * so leaders see what is late at a glance. Counts stay in assignments (unit × task), as everywhere else.
 */
function overdueText(s: Stats, lim: Limits, year: number): string {
  if (s.overdue.length === 0) return '**逾期**：无';
  const groups = new Map<string, OverdueItem[]>();
  for (const o of s.overdue) {
    const key = `${o.taskCode}|${o.dueDate}|${o.escalationStep}`;
    const g = groups.get(key);
    if (g) g.push(o);
    else groups.set(key, [o]);
  }
  const shownGroups = [...groups.values()].slice(0, lim.list);
  const shownCount = shownGroups.reduce((n, g) => n + g.length, 0);
  const tasks = new Set(s.overdue.map((o) => o.taskCode)).size;
  return [
    `**逾期 ${s.overdue.length} 项**（涉及 ${tasks} 项任务）`,
    ...shownGroups.map((g) => {
      const o = g[0]!;
      const who =
        g.length === 1
          ? clipMd(o.unitName, 10)
          : `${g.slice(0, 4).map((x) => clipMd(x.unitName, 8)).join('、')}${g.length > 4 ? '等' : ''} ${g.length} 个单位`;
      const what = `${mdText(o.taskCode)} ${clipMd(o.taskTitle, lim.title)}｜${formatDateZh(o.dueDate, year)}到期，逾期 ${o.daysOverdue} 天｜${o.escalationStep}`;
      return g.length === 1 ? `🔴 ${who}｜${what}` : `🔴 ${what}｜${who}`;
    }),
    ...cutLine(s.overdue.length - shownCount, '发送「逾期」查看全部'),
  ].join('\n');
}

function dueSoonText(s: Stats, lim: Limits, year: number): string {
  const head = `未来 ${s.dueSoonDays} 天到期`;
  if (s.dueSoon.length === 0) return `**${head}**：无`;
  const shown = s.dueSoon.slice(0, lim.list);
  return [
    `**${head} ${s.dueSoon.length} 项**`,
    ...shown.map(
      (d) =>
        `🟡 ${formatDateZh(d.dueDate, year)}（${d.daysLeft === 0 ? '今天' : `还有 ${d.daysLeft} 天`}）｜${clipMd(d.unitName, 10)}｜${mdText(d.taskCode)} ${clipMd(d.taskTitle, lim.title)}｜进度 ${d.percent}%`,
    ),
    ...cutLine(s.dueSoon.length - shown.length, `发送「临期 ${s.dueSoonDays}」查看全部`),
  ].join('\n');
}

function extensionsText(s: Stats, lim: Limits, year: number): string {
  if (s.pendingExtensions.length === 0) return '**待审批延期**：无';
  const shown = s.pendingExtensions.slice(0, lim.list);
  return [
    `**待审批延期 ${s.pendingExtensions.length} 项**`,
    ...shown.map(
      (e) =>
        `⏳ ${clipMd(e.unitName, 10)}｜${mdText(e.taskCode)} ${clipMd(e.taskTitle, lim.title)}｜${e.currentDue ? formatDateZh(e.currentDue, year) : '—'} → ${formatDateZh(e.newDueDate, year)}｜${clipMd(e.reason, lim.title)}`,
    ),
    ...cutLine(s.pendingExtensions.length - shown.length, '发送「待办」查看全部'),
  ].join('\n');
}

const COMPARATOR_ZH: Record<string, string> = { '<=': '≤', '>=': '≥', '<': '<', '>': '>', '=': '=' };
const TARGET_WORD = { met: '✅ 达标', not_met: '❌ 未达标', no_data: '⚪ 暂无数据' } as const;

function targetsText(list: TargetItem[], max: number, year: number): string {
  // Targets with data get a line each; those without are summed up in one line.
  const withData = list.filter((t) => t.status !== 'no_data');
  const noData = list.filter((t) => t.status === 'no_data');
  const shown = withData.slice(0, max);
  const names = noData.slice(0, 6).map((t) => clipMd(t.indicator, 10));
  return [
    '**目标指标**（最新上报值）',
    ...shown.map((t) => {
      // A water-class target reads Ⅱ类 / Ⅲ类 (as 指标 and the board show it), never "3 类（Ⅱ类）".
      const shown = (v: number) => mdText(formatMetricAmount(v, t.unit));
      // The period the value is for (2022年7月) when it has one, else the day it was reported.
      const latest = `最新 ${shown(t.latest!.value)}（${mdText(metricWhenZh(t.latest!, year))}）`;
      return `${TARGET_WORD[t.status]}｜${t.year}年 ${clipMd(t.indicator, 16)} ${mdText(COMPARATOR_ZH[t.comparator] ?? t.comparator)} ${shown(t.value)}｜${latest}`;
    }),
    ...cutLine(withData.length - shown.length, '发送「指标」查看全部'),
    ...(noData.length
      ? [`${TARGET_WORD.no_data} ${noData.length} 项尚未上报：${names.join('、')}${noData.length > names.length ? ' 等' : ''}，发送「指标」查看全部`]
      : []),
  ].join('\n');
}

export interface SpecCheck {
  ok: boolean;
  errors: string[];
}

const CODE_LIKE = /=>|\bfunction\b|\beval\s*\(|<script|\$\{|\bnew\s+Function\b|\breturn\s|javascript:/i;

/**
 * Check a chart spec is a data-only VChart bar chart: type 'bar', data values present, xField/yField (and
 * seriesField) present in every datum, no function values anywhere, no strings that look like code.
 */
export function validateVChartSpec(spec: unknown): SpecCheck {
  const errors: string[] = [];
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return { ok: false, errors: ['spec 不是对象'] };
  const s = spec as Record<string, unknown>;
  if (s.type !== 'bar') errors.push(`type 应为 bar，实际为 ${String(s.type)}`);
  const data = s.data as unknown;
  const values: unknown[] | null = Array.isArray(data)
    ? data.flatMap((d) => ((d as { values?: unknown[] })?.values ?? []) as unknown[])
    : Array.isArray((data as { values?: unknown })?.values)
      ? ((data as { values: unknown[] }).values)
      : null;
  if (!values) errors.push('缺少 data.values');
  else if (values.length === 0) errors.push('data.values 为空');
  const fields = (name: string): string[] | null => {
    const v = s[name];
    if (v === undefined) return null;
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    errors.push(`${name} 应为字符串或字符串数组`);
    return [];
  };
  const x = fields('xField');
  const y = fields('yField');
  const series = fields('seriesField');
  if (!x) errors.push('缺少 xField');
  if (!y) errors.push('缺少 yField');
  for (const [i, datum] of (values ?? []).entries()) {
    if (!datum || typeof datum !== 'object') {
      errors.push(`data.values[${i}] 不是对象`);
      continue;
    }
    for (const f of [...(x ?? []), ...(y ?? []), ...(series ?? [])]) {
      if (!(f in (datum as object))) errors.push(`data.values[${i}] 缺少字段 ${f}`);
    }
    for (const f of y ?? []) {
      const v = (datum as Record<string, unknown>)[f];
      if (typeof v !== 'number' || !Number.isFinite(v)) errors.push(`data.values[${i}].${f} 应为有限数值`);
    }
    if (errors.length > 20) break;
  }
  walk(s, 'spec', errors);
  return { ok: errors.length === 0, errors };
}

function walk(v: unknown, path: string, errors: string[]) {
  if (typeof v === 'function') errors.push(`${path} 是函数`);
  else if (typeof v === 'string') {
    if (CODE_LIKE.test(v)) errors.push(`${path} 像是代码：${v.slice(0, 40)}`);
  } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`, errors));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`, errors);
}

/** The chart specs inside a card (for tests and the text renderer). */
export function chartSpecs(card: Card): Record<string, unknown>[] {
  const elements = ((card.body as { elements?: Element[] })?.elements ?? []) as Element[];
  return elements.filter((e) => e.tag === 'chart').map((e) => e.chart_spec as Record<string, unknown>);
}
