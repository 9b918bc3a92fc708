// The office's polling views in chat: 逾期, 临期, 统计 (filterable by unit, county, chapter) and 周报 on demand.
// Every number comes from src/domain/stats.ts, so 统计 and the weekly digest always agree.
// Contacts (联络员) get the same views restricted to their own units; asking about another unit is refused.
import type { CommandContext, CommandDef, CommandReply, ParseResult } from './registry.js';
import { findReportPlan, listUnits, loadStatsInput } from '../db/stats-store.js';
import { buildDigest } from '../reports/digest-run.js';
import { formatDateZh } from '../domain/dates.js';
import { LIGHT_EMOJI } from '../domain/status.js';
import {
  computeStats,
  filterStatsInput,
  STATUS_WORDS,
  type GroupStats,
  type Stats,
  type StatsFilter,
  type StatsInput,
} from '../domain/stats.js';
import { parseViewFilter, type FilterChapter, type ViewFilter } from '../domain/view-filter.js';

/** Lines listed in one chat reply before the list is cut. */
export const MAX_CHAT_LINES = 40;
const MAX_DAYS = 366;

interface ViewArgs {
  filter: ViewFilter;
  days?: number;
}

const USAGE = {
  overdue: '逾期 [单位|县区|篇章]',
  due: '临期 [天数] [单位|县区|篇章]',
  stats: '统计 [单位|县区|篇章]',
  digest: '周报',
};

async function chaptersOf(ctx: CommandContext): Promise<FilterChapter[]> {
  const plan = await findReportPlan(ctx.deps.db);
  return (plan?.outline ?? []).map((c) => ({ number: c.number, title: c.title, short: c.short || c.title }));
}

// Parse errors say exactly what was wrong; the command layer adds "正确格式：<usage>" and the example.
async function parseFilter(text: string, ctx: CommandContext): Promise<ParseResult<ViewFilter>> {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length > 1) {
    return { ok: false, error: `一次只能按一个条件筛选，收到了 ${words.length} 个：${words.join('、')}。` };
  }
  const units = await listUnits(ctx.deps.db);
  const r = parseViewFilter(words[0] ?? '', units, await chaptersOf(ctx));
  return r.ok ? { ok: true, value: r.value } : r;
}

const isReader = (ctx: CommandContext) => ctx.actor.roles.includes('office') || ctx.actor.roles.includes('leader');

/**
 * Apply the actor's scope and the filter. Office and leaders see everything; a contact sees only their units,
 * and asking about another unit (or all counties) gets a refusal that says what they can ask instead.
 */
function scopeInput(ctx: CommandContext, input: StatsInput, filter: ViewFilter): { input: StatsInput; label: string } | { error: string } {
  const f: StatsFilter = {};
  let label = '';
  if (filter.kind === 'unit') {
    f.unitIds = [filter.unitId];
    label = filter.name;
  } else if (filter.kind === 'counties') {
    f.countiesOnly = true;
    label = '各县区';
  } else if (filter.kind === 'chapter') {
    f.chapter = filter.number;
    label = `第${filter.number}章 ${filter.label}`;
  }
  if (!isReader(ctx)) {
    const own = ctx.actor.unitIds;
    if (filter.kind === 'unit' && !own.includes(filter.unitId)) {
      return { error: `联络员只能查看本单位的情况，不能查看「${filter.name}」。请直接发送命令（不加单位）查看本单位。` };
    }
    if (filter.kind === 'counties' || filter.kind === 'units') {
      return { error: '联络员只能查看本单位的情况。请直接发送命令（不加单位）查看本单位。' };
    }
    f.unitIds = filter.kind === 'unit' ? [filter.unitId] : own;
    if (!label) label = '本单位';
  }
  return { input: filterStatsInput(input, f), label };
}

async function statsFor(ctx: CommandContext, filter: ViewFilter, dueSoonDays?: number) {
  const input = await loadStatsInput(ctx.deps.db, undefined, ctx.today);
  if (input.planId === null) return { error: '还没有导入方案，暂无数据。请办公室先导入方案。' } as const;
  const scoped = scopeInput(ctx, input, filter);
  if ('error' in scoped) return scoped;
  return { stats: computeStats(scoped.input, { dueSoonDays }), label: scoped.label } as const;
}

const yearOf = (s: Stats) => Number(s.today.slice(0, 4));

function lightsLine(l: { red: number; yellow: number; green: number }): string {
  return `${LIGHT_EMOJI.red} 红灯 ${l.red}　${LIGHT_EMOJI.yellow} 黄灯 ${l.yellow}　${LIGHT_EMOJI.green} 绿灯 ${l.green}`;
}

function head(title: string, s: Stats, label: string): string {
  return `${title}（截至 ${formatDateZh(s.today)}${label ? `｜${label}` : ''}）`;
}

function cut(lines: string[], total: number, hint: string): string[] {
  const rest = total - lines.length;
  return rest > 0 ? [...lines, `…另有 ${rest} 项未列出，${hint}`] : lines;
}

const NARROW_HINT = '可加单位、县区或篇章缩小范围（例：逾期 安定区、逾期 碧水），或运行 npx duban export 导出台账。';

/** The parser of 逾期 and 统计: an optional unit, 县区 or chapter filter. */
async function parseViewArgs(text: string, ctx: CommandContext): Promise<ParseResult<ViewArgs>> {
  const r = await parseFilter(text, ctx);
  return r.ok ? { ok: true, value: { filter: r.value } } : r;
}

const overdue: CommandDef<ViewArgs> = {
  names: ['逾期', 'overdue'],
  usage: USAGE.overdue,
  summary: '查看逾期未完成的事项（可按单位、县区、篇章筛选）',
  example: '逾期 安定区',
  roles: ['office', 'leader', 'contact'],
  parse: parseViewArgs,
  async run(ctx, args): Promise<CommandReply> {
    const r = await statsFor(ctx, args.filter);
    if ('error' in r) return { text: r.error };
    const { stats: s, label } = r;
    if (s.overdue.length === 0) return { text: `${head('逾期事项', s, label)}\n没有逾期事项。\n${lightsLine(s.lights)}` };
    const lines = s.overdue
      .slice(0, MAX_CHAT_LINES)
      .map(
        (o, i) =>
          `${i + 1}. ${o.unitName}｜${o.taskCode} ${o.taskTitle}｜${formatDateZh(o.dueDate, yearOf(s))}到期，逾期 ${o.daysOverdue} 天，进度 ${o.percent}%｜${o.escalationStep}`,
      );
    return {
      text: [head(`逾期 ${s.overdue.length} 项`, s, label), lightsLine(s.lights), ...cut(lines, s.overdue.length, NARROW_HINT)].join('\n'),
    };
  },
};

const due: CommandDef<ViewArgs> = {
  names: ['临期', 'due'],
  usage: USAGE.due,
  summary: '查看今后若干天（默认 14 天）内到期的事项',
  example: '临期 30 碧水',
  roles: ['office', 'leader', 'contact'],
  async parse(text, ctx) {
    const words = text.trim().split(/\s+/).filter(Boolean);
    let days = 14;
    if (words[0] && /^[0-9０-９]+(天|日)?$/.test(words[0])) {
      days = Number(words[0].replace(/[天日]/, '').replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)));
      words.shift();
      if (days < 1 || days > MAX_DAYS) {
        return { ok: false, error: `天数应为 1 到 ${MAX_DAYS} 之间的整数，收到 ${days}。` };
      }
    } else if (words[0] && /^-?\d+(\.\d+)?/.test(words[0])) {
      return { ok: false, error: `天数应为 1 到 ${MAX_DAYS} 之间的整数，收到「${words[0]}」。` };
    }
    const r = await parseFilter(words.join(' '), ctx);
    return r.ok ? { ok: true, value: { filter: r.value, days } } : r;
  },
  async run(ctx, args): Promise<CommandReply> {
    const days = args.days ?? 14;
    const r = await statsFor(ctx, args.filter, days);
    if ('error' in r) return { text: r.error };
    const { stats: s, label } = r;
    const title = `今后 ${days} 天内到期`;
    if (s.dueSoon.length === 0) return { text: `${head(title, s, label)}\n没有未完成的到期事项。\n${lightsLine(s.lights)}` };
    const lines = s.dueSoon
      .slice(0, MAX_CHAT_LINES)
      .map(
        (d, i) =>
          `${i + 1}. ${formatDateZh(d.dueDate, yearOf(s))}（${d.daysLeft === 0 ? '今天' : `还有 ${d.daysLeft} 天`}）｜${d.unitName}｜${d.taskCode} ${d.taskTitle}｜${d.statusWord}，进度 ${d.percent}%`,
      );
    return {
      text: [head(`${title} ${s.dueSoon.length} 项`, s, label), lightsLine(s.lights), ...cut(lines, s.dueSoon.length, NARROW_HINT.replace(/逾期/g, '临期'))].join('\n'),
    };
  },
};

function groupLine(g: GroupStats): string {
  return `${g.label}：分工 ${g.assignments}，已销号 ${g.byStatus['已销号']}（${g.completion.closedRate}%），待核验 ${g.byStatus['待核验']}，逾期 ${g.byStatus['逾期']}｜🔴${g.lights.red} 🟡${g.lights.yellow} 🟢${g.lights.green}`;
}

/** The overall block, worded as in the digest card. */
export function overallLines(s: Stats): string[] {
  const status = (c: Record<string, number>) => STATUS_WORDS.map((w) => `${w} ${c[w]}`).join(' · ');
  return [
    `任务 ${s.tasks.total} 项：${status(s.tasks.byStatus)}`,
    `责任分工 ${s.assignments.total} 项：${status(s.assignments.byStatus)}`,
    lightsLine(s.lights),
    `完成率 ${s.completion.closedRate}%，含待核验 ${s.completion.doneRate}%（完成率 = 已销号的责任分工 ÷ 全部责任分工）`,
  ];
}

const stats: CommandDef<ViewArgs> = {
  names: ['统计', 'stats'],
  usage: USAGE.stats,
  summary: '统计任务、红黄绿灯和完成率；加「单位」「县区」「篇章」分项列出，加单位名或篇章只看其一',
  example: '统计 县区',
  roles: ['office', 'leader', 'contact'],
  parse: parseViewArgs,
  async run(ctx, args): Promise<CommandReply> {
    const f = args.filter;
    // 单位 / 篇章 are breakdowns of the whole, not filters; 县区 both filters to counties and lists them.
    const r = await statsFor(ctx, f.kind === 'units' || f.kind === 'chapters' ? { kind: 'all' } : f);
    if ('error' in r) return { text: r.error };
    const { stats: s, label } = r;
    const lines = [head('统计', s, label), ...overallLines(s)];
    if (f.kind === 'units' || f.kind === 'counties') {
      const groups = f.kind === 'counties' ? s.counties : s.units;
      lines.push(f.kind === 'counties' ? '分县区：' : '分单位（按方案所列顺序）：');
      lines.push(...cut(groups.slice(0, MAX_CHAT_LINES).map((g) => `• ${groupLine(g)}`), groups.length, '运行 npx duban export 导出台账查看全部。'));
    } else if (f.kind === 'chapter') {
      lines.push('分单位（按方案所列顺序）：');
      lines.push(...cut(s.units.slice(0, MAX_CHAT_LINES).map((g) => `• ${groupLine(g)}`), s.units.length, '运行 npx duban export 导出台账查看全部。'));
    } else {
      lines.push('分篇章：', ...s.chapters.map((c) => `• ${groupLine(c)}`));
    }
    const w = filterWord(f);
    if (s.overdue.length > 0) lines.push(`发送「逾期${w ? ` ${w}` : ''}」查看逾期明细。`);
    return { text: lines.join('\n') };
  },
};

function filterWord(f: ViewFilter): string {
  switch (f.kind) {
    case 'unit':
      return f.name;
    case 'counties':
      return '县区';
    case 'chapter':
      return f.label;
    default:
      return '';
  }
}

const digest: CommandDef<null> = {
  names: ['周报', 'digest'],
  usage: USAGE.digest,
  summary: '立即查看本周督办周报（卡片）',
  roles: ['office', 'leader'],
  parse(text): ParseResult<null> {
    if (text.trim()) return { ok: false, error: `周报不带参数，收到「${text.trim()}」。按单位查看请用：统计 <单位>` };
    return { ok: true, value: null };
  },
  async run(ctx): Promise<CommandReply> {
    const d = await buildDigest(ctx.deps.db, ctx.now);
    if (!d.hasPlan) return { text: '还没有导入方案，暂无周报。请办公室先导入方案。' };
    return { card: d.card };
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const officeViewCommands: CommandDef<any>[] = [overdue, due, stats, digest];
