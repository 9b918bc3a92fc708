// 指标: report an indicator's value against the plan's targets, or (without arguments) list the targets with their
// latest values. A unit contact reports only targets of tasks assigned to their units; the office reports any.
import { runBatch } from '../db/batch.js';
import { metricReportInsert, newestPlanTargets, taskIdsOfUnits, type TargetRow } from '../db/metric-store.js';
import { loadLatestMetrics } from '../db/stats-store.js';
import { allUnits, unitNameList, unitNamesOfTask, type UnitRow } from '../db/task-store.js';
import { formatDateZh, shanghaiDate } from '../domain/dates.js';
import {
  COMPARATOR_ZH,
  formatTargetValue,
  type MetricReportRow,
  parseMetricValue,
  parsePeriod,
  periodStart,
  periodZh,
} from '../domain/metric-value.js';
import { isOffice } from '../domain/permissions.js';
import { assessTarget } from '../domain/stats.js';
import { clipNote } from './parse.js';
import { commandAudit } from './record.js';
import type { CommandContext, CommandDef, ParseResult } from './registry.js';
import { ok } from '../domain/result.js';

const fail = (error: string) => ({ ok: false as const, error });

interface MetricArgs {
  list: boolean;
  indicator: string;
  value: number;
  valueText: string;
  /** Tokens after the value: a period, a unit (county) and a note, told apart in run. */
  rest: string[];
  /** What was wrong with the text, answered in run together with the targets the sender may report. */
  bad?: string;
}

const fold = (x: string) => x.normalize('NFKC').toLowerCase().replace(/[\s（）()]/g, '');

/** A target's name for people: the indicator, with its shortest alias when that is what people type. */
function targetName(t: TargetRow): string {
  const short = [...t.aliases].sort((a, b) => a.length - b.length)[0];
  return short && !t.indicator.includes(short) ? `${t.indicator}（${short}）` : t.indicator;
}

/** The targets the actor may report (office: all; contact: those of tasks assigned to their units). */
async function reportable(ctx: CommandContext, all: TargetRow[]) {
  if (isOffice(ctx.actor)) return { list: all, unitsOf: new Map<number, number[]>() };
  const unitsOf = await taskIdsOfUnits(ctx.deps.db, ctx.actor.unitIds);
  return { list: all.filter((t) => t.taskId !== null && unitsOf.has(t.taskId)), unitsOf };
}

function matchTargets(all: TargetRow[], name: string): TargetRow[] {
  const key = fold(name);
  const exact = all.filter((t) => fold(t.indicator) === key || t.aliases.some((x) => fold(x) === key));
  if (exact.length) return exact;
  const partial = all.filter((t) => fold(t.indicator).includes(key) || t.aliases.some((x) => fold(x).includes(key)));
  const byIndicator = new Set(partial.map((t) => t.indicator));
  return byIndicator.size === 1 ? partial : [];
}

function pickYear(hits: TargetRow[], year: number): TargetRow {
  return hits.filter((t) => t.year >= year).sort((x, y) => x.year - y.year)[0] ?? [...hits].sort((x, y) => y.year - x.year)[0]!;
}

const listNames = (list: TargetRow[], max = 40) =>
  list.length
    ? list
        .slice(0, max)
        .map((t) => targetName(t))
        .filter((n, i, a) => a.indexOf(n) === i)
        .join('、') + (list.length > max ? ` 等 ${list.length} 个` : '')
    : '';

const STATUS_ZH = { met: '✅ 已达标', not_met: '⚠️ 未达标', no_data: '暂无数据' } as const;

async function listTargets(ctx: CommandContext): Promise<string> {
  const { db } = ctx.deps;
  const all = await newestPlanTargets(ctx.deps.db);
  if (!all.length) return '尚未导入指标目标。';
  const seeAll = isOffice(ctx.actor) || ctx.actor.roles.includes('leader');
  const list = seeAll ? all : (await reportable(ctx, all)).list;
  if (!list.length) return '本单位的任务没有量化指标。发送「指标」可在办公室或领导处查看全部指标。';
  const unitNames = new Map((await unitNameList(db)).map((u) => [u.id, u.name]));
  const lines: string[] = [];
  let met = 0;
  let notMet = 0;
  let none = 0;
  // One rule for the latest value (loadLatestMetrics): the city-wide report judges the target; counties' own
  // values follow as sub-lines, never as the city's value.
  const latestByTarget = await loadLatestMetrics(db, list[0]!.planId);
  const valueShown = (t: TargetRow, r: MetricReportRow, by?: string) =>
    `最新 ${/^类/.test(t.unit ?? '') ? formatTargetValue(r.value, t.unit) : shownValue(r.valueText ?? `${r.value}`, t.unit)}` +
    `（${r.period ? periodZh(r.period) : `${formatDateZh(shanghaiDate(r.createdAt))}报送`}${by ? `，${by}` : ''}）`;
  for (const t of list) {
    const { city: latest, counties } = latestByTarget.get(t.id) ?? { city: null, counties: [] };
    const status = assessTarget(t.comparator, t.value, latest?.value);
    if (status === 'met') met++;
    else if (status === 'not_met') notMet++;
    else none++;
    const goal = `${COMPARATOR_ZH[t.comparator] ?? t.comparator} ${formatTargetValue(t.value, t.unit)}（${t.year}年${t.scope ? `，${t.scope}` : ''}）`;
    const by = latest?.unitId ? unitNames.get(latest.unitId) : undefined;
    // No city-wide value: one phrase (not 尚无报送 and 暂无数据 both); 全市 when counties did report.
    const shown = latest
      ? `${valueShown(t, latest, by)} ${STATUS_ZH[status]}`
      : counties.length
        ? '全市暂无数据'
        : '暂无数据';
    lines.push(`• ${targetName(t)} ${goal}：${shown}`);
    for (const c of counties)
      lines.push(`  ◦ ${unitNames.get(c.unitId!) ?? ''}：${valueShown(t, c)} ${STATUS_ZH[assessTarget(t.comparator, t.value, c.value)]}`);
  }
  const head = `${seeAll ? '全部' : '本单位相关'}指标 ${list.length} 项：✅ 已达标 ${met}，⚠️ 未达标 ${notMet}，暂无数据 ${none}`;
  const tail = ctx.actor.roles.includes('contact') || isOffice(ctx.actor) ? '报送：指标 <指标名> <数值> [期间] [县区]，例如：指标 PM2.5 22 2022年7月' : '';
  return [head, ...lines, ...(tail ? [tail] : [])].join('\n');
}

export const metricCommand: CommandDef<MetricArgs> = {
  names: ['指标', 'metric'],
  usage: '指标 [<指标名> <数值> [期间] [县区] [说明]]',
  summary: '不带参数：列出指标目标、最新值和达标情况；带参数：报送指标数值（如 Ⅱ类、85%、24以下），对照目标',
  example: '指标 PM2.5 22 2022年7月',
  roles: ['contact', 'leader'],
  parse(arg) {
    const parts = arg.split(' ').filter(Boolean);
    if (parts.length === 0) return ok({ list: true, indicator: '', value: 0, valueText: '', rest: [] });
    const idx = parts.findIndex((p, i) => i > 0 && parseMetricValue(p) !== null);
    const bad = (why: string) => ok({ list: false, indicator: parts[0]!, value: 0, valueText: '', rest: [], bad: why });
    if (idx < 0) {
      if (parts.length === 1) return bad(`“${parts[0]}”后面缺少数值。`);
      return bad(`看不懂数值“${parts.slice(1).join(' ')}”：可写 22、23.5、85%、24以下、Ⅱ类。`);
    }
    const v = parseMetricValue(parts[idx]!);
    if (!v) return fail('缺少数值。');
    return ok({ list: false, indicator: parts.slice(0, idx).join(' '), value: v.value, valueText: v.text, rest: parts.slice(idx + 1) });
  },
  async run(ctx, a) {
    if (a.list) return { text: await listTargets(ctx) };
    const { db } = ctx.deps;
    const all = await newestPlanTargets(ctx.deps.db);
    if (!all.length) return { text: '尚未导入指标目标，无法报送。' };
    if (!isOffice(ctx.actor) && !ctx.actor.roles.includes('contact'))
      return { text: '指标由责任单位联络员或办公室报送；发送「指标」（不带参数）查看全部指标和最新值。' };
    const mine = await reportable(ctx, all);
    const may = mine.list.length ? `你可以报送的指标：${listNames(mine.list)}。` : '你绑定的单位没有需要报送的指标。';
    if (a.bad) return { text: `${a.bad}\n正确格式：${metricCommand.usage}\n例如：${metricCommand.example}\n${may}`, unmatched: 'bad_args:指标' };
    const hits = matchTargets(all, a.indicator);
    if (hits.length === 0) return { text: `没有名为“${a.indicator}”的指标。${may}` };
    const year = Number(ctx.today.slice(0, 4));
    const allowedHits = hits.filter((h) => mine.list.includes(h));
    if (allowedHits.length === 0) {
      const t = hits[0]!;
      const owners = t.taskId
        ? await unitNamesOfTask(db, t.taskId)
        : [];
      return {
        text: `「${targetName(t)}」由${owners.length ? ` ${owners.slice(0, 6).join('、')}${owners.length > 6 ? ' 等单位' : ''} ` : '办公室'}报送，不是你绑定单位的指标。${may}`,
      };
    }
    const target = pickYear(allowedHits, year);
    // The tokens after the value: a period, a unit (county) and a note, in any order.
    let period: string | null = null;
    let unit: UnitRow | null = null;
    const note: string[] = [];
    const unitRows = await allUnits(db);
    for (const tok of a.rest) {
      const p: string | null = period === null ? parsePeriod(tok, ctx.today) : null;
      if (p !== null) {
        period = p;
        continue;
      }
      const u: UnitRow | undefined = unit === null ? unitRows.find((x) => x.name === tok || x.aliases.includes(tok) || (/[县区]$/.test(x.name) && x.name.slice(0, -1) === tok)) : undefined;
      if (u) {
        unit = u;
        continue;
      }
      note.push(tok);
    }
    if (period && periodStart(period) > ctx.today) return { text: `期间 ${periodZh(period)} 还没有开始，不能报送。请写已过去或当前的期间，例如 ${periodZh(ctx.today.slice(0, 7))}。` };
    const owners = target.taskId ? mine.unitsOf.get(target.taskId) ?? [] : [];
    let unitId: number | null = unit?.id ?? null;
    if (!isOffice(ctx.actor)) {
      if (unit && !ctx.actor.unitIds.includes(unit.id))
        return { text: `你不是 ${unit.name} 的联络员，不能替它报送。你可以报送：${ctx.actor.unitIds.map((id) => unitRows.find((u) => u.id === id)?.name).filter(Boolean).join('、')}。` };
      if (unit && !owners.includes(unit.id)) return { text: `${unit.name} 不是「${targetName(target)}」所属任务的责任单位。${may}` };
      unitId ??= owners[0] ?? ctx.actor.unitIds[0] ?? null;
    }
    const clipped = clipNote(note.join(' '));
    await runBatch(db, [
      metricReportInsert(db, {
        targetId: target.id,
        value: a.value,
        valueText: a.valueText !== String(a.value) ? a.valueText : null,
        period,
        personId: ctx.actor.personId,
        unitId,
        note: clipped.note,
        channel: ctx.channel,
        createdAt: ctx.now,
      }),
      commandAudit(ctx, {
        action: 'metric.report',
        entity: 'target',
        entityId: target.id,
        detail: { indicator: target.indicator, value: a.value, valueText: a.valueText, period, unitId },
      }),
    ]);
    const status = assessTarget(target.comparator, target.value, a.value);
    const unitName = unitId ? unitRows.find((u) => u.id === unitId)?.name : null;
    const shown = /^类/.test(target.unit ?? '') ? formatTargetValue(a.value, target.unit) : shownValue(a.valueText, target.unit);
    return {
      text:
        `已记录 ${targetName(target)}${period ? ` ${periodZh(period)}` : ''}${unitName ? `（${unitName}）` : ''} = ${shown}。` +
        `目标（${target.year}年）${COMPARATOR_ZH[target.comparator] ?? target.comparator} ${formatTargetValue(target.value, target.unit)}：${STATUS_ZH[status]}。`,
    };
  },
};

/**
 * The value as typed, with the target's unit where the sender wrote none: "85" → "85%", "80%以上" → "80%以上",
 * "24以下" → "24μg/m³以下", "22μg/m³" → "22μg/m³" (never the unit twice, never after 以上/以下).
 */
export function shownValue(valueText: string, unit: string | null): string {
  const m = /^(.*?)(左右|以内|及以上|及以下|以下|以上|之间)?$/.exec(valueText.trim())!;
  const body = m[1]!.trim();
  const hasOwnUnit = /[^\d.\s]$/.test(body);
  return `${body}${hasOwnUnit ? '' : unit ?? ''}${m[2] ?? ''}`;
}
