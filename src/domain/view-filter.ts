// The filter words of the office's polling views (逾期 / 临期 / 统计): a unit by name or alias, 县区, 单位, 篇章,
// or a chapter by number (四 / 4 / 第四章) or short name (碧水). Pure: units and chapters come in as rows.
import { editDistance } from './text-match.js';
import type { Result } from './result.js';

export interface FilterUnit {
  id: number;
  name: string;
  kind: string;
  aliases: string[];
}

export interface FilterChapter {
  number: number;
  title: string;
  short: string;
}

export type ViewFilter =
  | { kind: 'all' }
  /** 县区: all county units. */
  | { kind: 'counties' }
  /** 单位: every unit (统计 shows one line per unit). */
  | { kind: 'units' }
  /** 篇章: every chapter (统计 shows one line per chapter). */
  | { kind: 'chapters' }
  | { kind: 'unit'; unitId: number; name: string }
  | { kind: 'chapter'; number: number; label: string };

export type FilterResult = Result<ViewFilter>;

const CN_DIGITS: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9, 十: 10 };

/** '4' | '四' | '第四章' | '第4篇' | '十二' → 4 / 12; null when it is not a chapter number. */
export function parseChapterNumber(raw: string): number | null {
  const m = /^第?([0-9０-９]+|[一二三四五六七八九十]+)(?:章|篇|部分)?$/.exec(raw.trim());
  if (!m) return null;
  const s = m[1]!.replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
  if (/^\d+$/.test(s)) return Number(s);
  if (s.length === 1) return CN_DIGITS[s] ?? null;
  if (s.length === 2 && s[0] === '十') return 10 + (CN_DIGITS[s[1]!] ?? NaN);
  if (s.length === 2 && s[1] === '十') return (CN_DIGITS[s[0]!] ?? NaN) * 10;
  if (s.length === 3 && s[1] === '十') return (CN_DIGITS[s[0]!] ?? NaN) * 10 + (CN_DIGITS[s[2]!] ?? NaN);
  return null;
}

const norm = (s: string) => s.trim().toLowerCase().replace(/\s+/g, '');

/** Resolve a unit by exact name/alias, then by a unique containment; otherwise up to three near misses. */
export function resolveUnit(raw: string, units: FilterUnit[]): { unit: FilterUnit } | { suggestions: string[]; ambiguous: boolean } {
  const q = norm(raw);
  for (const u of units) if ([u.name, ...u.aliases].some((n) => norm(n) === q)) return { unit: u };
  // A shortened name ('水务局' for 市水务局) is accepted when unique; a longer, misspelt one gets suggestions.
  const containing = q.length >= 2 ? units.filter((u) => [u.name, ...u.aliases].some((n) => norm(n).includes(q))) : [];
  if (containing.length === 1) return { unit: containing[0]! };
  if (containing.length > 1) return { suggestions: containing.slice(0, 5).map((u) => u.name), ambiguous: true };
  const scored = units
    .map((u) => ({ name: u.name, d: Math.min(...[u.name, ...u.aliases].map((n) => editDistance(q, norm(n)))) }))
    .filter((s) => s.d <= Math.max(1, Math.floor([...q].length / 2)))
    .sort((a, b) => a.d - b.d); // stable: ties keep the plan's unit order, never pinyin
  // Only the closest spellings: 市水利局 suggests 市水务局, not every four-character bureau.
  const best = scored[0]?.d;
  return { suggestions: scored.filter((s) => s.d === best).slice(0, 3).map((s) => s.name), ambiguous: false };
}

const COUNTY_WORDS = new Set(['县区', '区县', '县', '各县区', 'county', 'counties']);
const UNIT_WORDS = new Set(['单位', '各单位', '部门', 'unit', 'units']);
const CHAPTER_WORDS = new Set(['篇章', '各篇章', '章', 'chapter', 'chapters']);
const ALL_WORDS = new Set(['全部', '全市', '所有', 'all']);

/**
 * Read one filter word. Errors say what was wrong; the command layer appends the command's correct form.
 */
export function parseViewFilter(raw: string, units: FilterUnit[], chapters: FilterChapter[]): FilterResult {
  const text = raw.trim();
  if (!text || ALL_WORDS.has(norm(text))) return { ok: true, value: { kind: 'all' } };
  const w = norm(text);
  if (COUNTY_WORDS.has(w)) return { ok: true, value: { kind: 'counties' } };
  if (UNIT_WORDS.has(w)) return { ok: true, value: { kind: 'units' } };
  if (CHAPTER_WORDS.has(w)) return { ok: true, value: { kind: 'chapters' } };
  const n = parseChapterNumber(text);
  if (n !== null) {
    const ch = chapters.find((c) => c.number === n);
    if (ch) return { ok: true, value: { kind: 'chapter', number: ch.number, label: ch.short } };
    const list = chapters.map((c) => `${c.number}（${c.short}）`).join('、');
    return { ok: false, error: `方案中没有第 ${n} 章。现有篇章：${list}。` };
  }
  const byName = chapters.find((c) => norm(c.short) === w || norm(c.title) === w || (w.length >= 2 && norm(c.short).includes(w)));
  if (byName) return { ok: true, value: { kind: 'chapter', number: byName.number, label: byName.short } };
  const r = resolveUnit(text, units);
  if ('unit' in r) return { ok: true, value: { kind: 'unit', unitId: r.unit.id, name: r.unit.name } };
  if (r.ambiguous) {
    return { ok: false, error: `「${text}」对应多个单位：${r.suggestions.join('、')}。请写完整单位名称。` };
  }
  const hint = r.suggestions.length ? `您是不是要找：${r.suggestions.join('、')}？` : '发送「统计 单位」可查看全部单位名称。';
  return {
    ok: false,
    error: `没有找到单位或篇章「${text}」。${hint}可写单位名称或简称、县区、篇章序号（如 四）或篇章简称（如 碧水）。`,
  };
}
