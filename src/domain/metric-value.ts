// Indicator values and periods as people write them for 指标: numbers with units, percentages, 以下/以上,
// water-quality classes (Ⅱ类, II类, 2类, 二类, 劣Ⅴ类) and periods (2022年7月, 7月, 2022年第二季度, 2022年).
import { formatDateZh, shanghaiDate } from './dates.js';

/** A value as read: the number compared with targets, and the text shown (a class as Ⅱ类). */
export interface MetricReading {
  value: number;
  text: string;
}

const ROMAN: Record<string, number> = { Ⅰ: 1, Ⅱ: 2, Ⅲ: 3, Ⅳ: 4, Ⅴ: 5, Ⅵ: 6, I: 1, II: 2, III: 3, IV: 4, V: 5, VI: 6 };
const ZH_NUM: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 两: 2 };
const ROMAN_OUT = ['', 'Ⅰ', 'Ⅱ', 'Ⅲ', 'Ⅳ', 'Ⅴ', '劣Ⅴ'];

/** Units people append to a number; stripped before reading it. */
const UNIT_SUFFIX = /(μg\/m³|ug\/m3|μg\/m3|微克\/立方米|微克每立方米|万千瓦|千瓦|吨|万吨|个|天|次|公里|千米|平方公里|亩|万亩|公顷|毫克\/升|mg\/l)$/i;

/** A value token (null when the text is not one): "22", "23.5", "85%", "24以下", "98.1%以上", "Ⅱ类", "II类", "2类", "二类", "劣Ⅴ类". */
export function parseMetricValue(raw: string): MetricReading | null {
  // Roman numerals are kept as typed (NFKC would turn Ⅱ into II, which we read too).
  const s = raw.trim().replace(/^(为|是|达到|达|约)/, '').replace(/(左右|以内|以下|以上|及以上|及以下|之间)$/, '');
  if (!s) return null;
  // NFKC turns Ⅱ into II and full-width digits into ASCII.
  const cls = /^(劣)?\s*(VI|IV|V|I{1,3}|[1-6]|[一二三四五六两])\s*类(水质|水体)?$/i.exec(s.normalize('NFKC'));
  if (cls) {
    const tok = cls[2]!.toUpperCase();
    let n = ROMAN[tok] ?? ZH_NUM[tok] ?? Number(tok);
    if (cls[1]) n = 6; // 劣Ⅴ类: worse than class V
    if (!(n >= 1 && n <= 6)) return null;
    return { value: n, text: `${ROMAN_OUT[n]}类` };
  }
  const t = s.normalize('NFKC').replace(/^百分之/, '').replace(UNIT_SUFFIX, '').trim();
  const m = /^(-?\d+(?:\.\d+)?)\s*(%)?$/.exec(t);
  if (!m) return null;
  const value = Number(m[1]);
  if (!Number.isFinite(value)) return null;
  return { value, text: raw.trim() };
}

/** Does the token look like a value at all (so the indicator name ends before it)? */
export function looksLikeMetricValue(raw: string): boolean {
  return parseMetricValue(raw) !== null;
}

const QUARTER: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, '1': 1, '2': 2, '3': 3, '4': 4 };

/**
 * A period: 2022年7月 / 2022-07 / 2022.7 → '2022-07'; 7月 → this year's (today's year); 2022年第二季度 / 2022Q2 →
 * '2022-Q2'; 2022年上半年 → '2022-H1'; 2022年 / 2022年度 → '2022'; null when the text is not a period.
 */
export function parsePeriod(raw: string, today: string): string | null {
  const s = raw.normalize('NFKC').trim().replace(/(份|度)$/, '');
  const ty = Number(today.slice(0, 4));
  let m: RegExpExecArray | null;
  const month = (y: number, mo: number): string | null => (mo >= 1 && mo <= 12 ? `${y}-${String(mo).padStart(2, '0')}` : null);
  if ((m = /^(\d{4})\s*(?:年|-|\/|\.)\s*(\d{1,2})\s*月?$/.exec(s))) return month(Number(m[1]), Number(m[2]));
  if ((m = /^(\d{1,2})\s*月$/.exec(s))) return month(ty, Number(m[1]));
  if ((m = /^(?:(\d{4})\s*年?)?\s*(?:第\s*)?([一二三四1-4])\s*季度?$/.exec(s)) || (m = /^(\d{4})?\s*Q([1-4])$/i.exec(s)))
    return `${m[1] ?? ty}-Q${QUARTER[m[2]!]}`;
  if ((m = /^(?:(\d{4})\s*年?)?\s*(上|下)半年$/.exec(s))) return `${m[1] ?? ty}-H${m[2] === '上' ? 1 : 2}`;
  if ((m = /^(\d{4})\s*年?$/.exec(s)) && Number(m[1]) >= 2000 && Number(m[1]) <= 2100) return m[1]!;
  if (/^(本月|这个月)$/.test(s)) return month(ty, Number(today.slice(5, 7)));
  if (/^上(个)?月$/.test(s)) {
    const mo = Number(today.slice(5, 7));
    return mo === 1 ? month(ty - 1, 12) : month(ty, mo - 1);
  }
  if (/^(今年|本年)$/.test(s)) return String(ty);
  if (/^(去年|上年)$/.test(s)) return String(ty - 1);
  return null;
}

/** The first day of a period, to refuse periods that have not started yet. */
export function periodStart(period: string): string {
  const y = period.slice(0, 4);
  if (/^\d{4}$/.test(period)) return `${y}-01-01`;
  const m = /-(\d{2})$/.exec(period);
  if (m) return `${y}-${m[1]}-01`;
  const q = /-Q(\d)$/.exec(period);
  if (q) return `${y}-${String((Number(q[1]) - 1) * 3 + 1).padStart(2, '0')}-01`;
  return /-H2$/.test(period) ? `${y}-07-01` : `${y}-01-01`;
}

/** A period in Chinese: '2022-07' → 2022年7月, '2022-Q2' → 2022年第2季度, '2022-H1' → 2022年上半年. */
export function periodZh(period: string | null | undefined): string {
  if (!period) return '';
  const y = period.slice(0, 4);
  let m: RegExpExecArray | null;
  if ((m = /^\d{4}-(\d{2})$/.exec(period))) return `${y}年${Number(m[1])}月`;
  if ((m = /^\d{4}-Q(\d)$/.exec(period))) return `${y}年第${m[1]}季度`;
  if ((m = /^\d{4}-H(\d)$/.exec(period))) return `${y}年${m[1] === '1' ? '上' : '下'}半年`;
  return `${y}年`;
}

export const COMPARATOR_ZH: Record<string, string> = { '<=': '≤', '>=': '≥', '<': '<', '>': '>', '=': '=' };

/** A target's value for people: water-class targets as Ⅱ类, others as value + unit. */
export function formatTargetValue(value: number, unit: string | null): string {
  if (unit && /^类/.test(unit) && Number.isInteger(value) && value >= 1 && value <= 6) return `${ROMAN_OUT[value]}类`;
  return `${value}${unit ?? ''}`;
}

/**
 * A target's or a reported amount for people, the one way the digest, the board and 统计 show it: water-class
 * targets as Ⅱ类 / Ⅲ类 (never "3 类（Ⅱ类）"), percentages as 85%, other units after a space (22 μg/m³).
 */
export function formatMetricAmount(value: number, unit: string | null | undefined): string {
  if (unit && /^类/.test(unit)) return formatTargetValue(value, unit);
  return !unit ? `${value}` : unit === '%' ? `${value}%` : `${value} ${unit}`;
}

/** What a latest value is for: its period (2022年7月) when reported with one, else the day it was reported. */
export function metricWhenZh(latest: { period?: string | null; at: number }, refYear?: number): string {
  return latest.period ? periodZh(latest.period) : formatDateZh(shanghaiDate(latest.at), refYear);
}

/**
 * One metric report, as the latest-value rule needs it. county: the report is for a county (its unit is a county);
 * a report with no unit or a city department's unit is city-wide.
 */
export interface MetricReportRow {
  id: number;
  targetId: number;
  value: number;
  valueText: string | null;
  period: string | null;
  unitId: number | null;
  county: boolean;
  createdAt: number;
}

export interface LatestMetrics {
  /** The latest city-wide report (no county): the only value a target is met or not met by. */
  city: MetricReportRow | null;
  /** Each county's own latest report, shown per county and never as the city's value; by unit id. */
  counties: MetricReportRow[];
}

/**
 * The latest-value rule, used by the digest, 统计, the board, 指标 and the 台账: per target, the latest city-wide
 * report (latest created_at, then highest id) is the target's value; a report for a county only counts for that
 * county, never for the city.
 */
export function pickLatestMetrics(rows: MetricReportRow[]): Map<number, LatestMetrics> {
  const newer = (a: MetricReportRow, b: MetricReportRow | null | undefined) =>
    !b || a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id);
  const out = new Map<number, LatestMetrics>();
  const byCounty = new Map<number, Map<number, MetricReportRow>>();
  for (const r of rows) {
    const e = out.get(r.targetId) ?? { city: null, counties: [] };
    out.set(r.targetId, e);
    if (!r.county || r.unitId === null) {
      if (newer(r, e.city)) e.city = r;
    } else {
      const m = byCounty.get(r.targetId) ?? new Map<number, MetricReportRow>();
      byCounty.set(r.targetId, m);
      if (newer(r, m.get(r.unitId))) m.set(r.unitId, r);
    }
  }
  for (const [targetId, m] of byCounty) out.get(targetId)!.counties = [...m.values()].sort((a, b) => a.unitId! - b.unitId!);
  return out;
}
