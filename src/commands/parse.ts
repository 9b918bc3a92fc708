// Pure parsing of what people type: normalisation, command tokens, percents, dates, task codes, did-you-mean.
// No I/O: everything that depends on the day takes `today` ('YYYY-MM-DD', Asia/Shanghai).
import { isIsoDate, lastDayOfMonth } from '../domain/dates.js';
import { isTaskCode, normaliseTaskCode } from '../domain/task-code.js';
import type { Result } from '../domain/result.js';

/** Notes longer than this are cut (and the reply says so). */
export const MAX_NOTE_CHARS = 1000;
/** Text beyond this is never parsed (a command is short); unmatched messages keep up to MAX_KEPT_CHARS. */
export const MAX_PARSE_CHARS = 4000;
export const MAX_KEPT_CHARS = 10_000;

const ZERO_WIDTH = /[\u200B-\u200D\u2060\uFEFF\u00AD]/g;

// Full-width punctuation that is ordinary Chinese writing: kept as typed in notes (NFKC would turn ， into ,).
const CJK_PUNCT = new Set([...'，！？：；（）～＂＇']);

/** Full-width ASCII (digits, letters, ％, ．, ／, ＃ …) to ASCII, keeping Chinese punctuation as typed. */
export function foldWidth(s: string): string {
  return s.replace(/[！-～]/g, (c) => (CJK_PUNCT.has(c) ? c : String.fromCharCode(c.charCodeAt(0) - 0xfee0)));
}

/**
 * Normalise a message: full-width digits, letters, ％ and spaces become ASCII (Chinese punctuation stays), no
 * zero-width characters, no leading `/`, runs of spaces collapsed, trimmed. Newlines become spaces.
 */
export function normaliseText(raw: string): string {
  let s = foldWidth(raw).replace(ZERO_WIDTH, '');
  s = s.replace(/[\t\r\n\u3000]+/g, ' ').replace(/ {2,}/g, ' ').trim();
  s = s.replace(/^[/／]+\s*/, '');
  return s;
}

/** Split off the first whitespace-separated token. */
export function splitFirst(s: string): [string, string] {
  const t = s.trim();
  const i = t.search(/\s/);
  return i < 0 ? [t, ''] : [t.slice(0, i), t.slice(i + 1).trim()];
}

/**
 * Find the command name at the start of `text`. Chinese names may be glued to their arguments on a phone
 * ("进度4.1.1 60%"), so a Chinese name also matches as a prefix; English names must stand alone.
 */
export function matchCommandName(text: string, names: string[]): { name: string; rest: string } | null {
  const [first, rest] = splitFirst(text);
  const lower = first.toLowerCase();
  const exact = names.find((n) => n.toLowerCase() === lower);
  if (exact) return { name: exact, rest };
  const zh = names.filter((n) => /^[\u4e00-\u9fff]/.test(n)).sort((a, b) => b.length - a.length);
  for (const n of zh) {
    if (text.startsWith(n)) return { name: n, rest: text.slice(n.length).trim() };
  }
  return null;
}

export type Parsed<T> = Result<T>;

/** A percent: "60%", "60", "６０％" (NFKC'd), an integer 0–100. */
export function parsePercent(raw: string): Parsed<number> {
  const s = raw.normalize('NFKC').trim().replace(/^百分之/, '');
  const m = /^(-?\d+(?:\.\d+)?)\s*%?$/.exec(s);
  if (!m) return { ok: false, error: `“${raw}”不是进度百分比，应写成 0–100 的整数，例如 60%` };
  const n = Number(m[1]);
  if (!Number.isInteger(n)) return { ok: false, error: `进度应为整数百分比，收到 ${raw}；例如 60%` };
  if (n < 0 || n > 100) return { ok: false, error: `进度应在 0–100% 之间，收到 ${n}%` };
  return { ok: true, value: n };
}

/** Does this token look like a percent at all (so a mistake in it is reported as one)? */
export function looksLikePercent(raw: string): boolean {
  return /^-?\d+(?:\.\d+)?\s*%$/.test(raw.normalize('NFKC').trim()) || /^\d{1,3}$/.test(raw.trim());
}

/** Task code `章.节.序号`: the one normaliser shared with the table import (src/domain/task-code.ts). */
export { normaliseTaskCode, isTaskCode, isSectionCode } from '../domain/task-code.js';

/** A request/application number: "3", "#3", "３号". */
export function parseRequestNo(raw: string): number | null {
  const m = /^[#＃№]?\s*(\d{1,9})\s*号?$/.exec(raw.normalize('NFKC').trim());
  return m ? Number(m[1]) : null;
}

const pad = (n: number) => String(n).padStart(2, '0');

function ymd(y: number, m: number, d: number): string | null {
  const s = `${y}-${pad(m)}-${pad(d)}`;
  return isIsoDate(s) ? s : null;
}

/**
 * Parse a date relative to `today`. Accepted: 2022-07-31, 2022/7/31, 2022.7.31, 2022年7月31日, 7月31日 / 7月31号,
 * 7/31, 7月底 / 7月末, 2022年7月底, 月底, 下月底, 年底, 明年底.
 * A date written without a year that falls before today means next year (a deadline is never in the past),
 * so on 2022-11-20 "3月底" is 2023-03-31 — unless `rollForward` is false (延期: a past date is refused, showing
 * the date understood, never moved to next year silently).
 */
export function parseDate(raw: string, today: string, opts: { rollForward?: boolean } = {}): Parsed<string> {
  const rollForward = opts.rollForward ?? true;
  const s = raw.normalize('NFKC').trim().replace(/前$/, '');
  const ty = Number(today.slice(0, 4));
  const tm = Number(today.slice(5, 7));
  const bad = (why: string): Parsed<string> => ({
    ok: false,
    error: `日期“${raw}”${why}。可写作 2022-07-31、7月31日 或 7月底`,
  });
  const withYear = (y: number | null, m: number, d: number | 'end'): Parsed<string> => {
    if (m < 1 || m > 12) return bad('的月份不对');
    const build = (yy: number) => (d === 'end' ? lastDayOfMonth(yy, m) : ymd(yy, m, d));
    let out = build(y ?? ty);
    if (!out) return bad('不存在');
    if (y === null && out < today && rollForward) out = build(ty + 1);
    if (!out) return bad('不存在');
    return { ok: true, value: out };
  };
  let m: RegExpExecArray | null;
  if ((m = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$/.exec(s)))
    return withYear(Number(m[1]), Number(m[2]), Number(m[3]));
  if ((m = /^(\d{4})\s*年\s*(\d{1,2})\s*月\s*[底末]$/.exec(s))) return withYear(Number(m[1]), Number(m[2]), 'end');
  if ((m = /^(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$/.exec(s))) return withYear(null, Number(m[1]), Number(m[2]));
  if ((m = /^(\d{1,2})\s*\/\s*(\d{1,2})$/.exec(s))) return withYear(null, Number(m[1]), Number(m[2]));
  if ((m = /^(\d{1,2})\s*月\s*[底末]$/.exec(s))) return withYear(null, Number(m[1]), 'end');
  if (/^(本月|这个月)?月[底末]$/.test(s)) return { ok: true, value: lastDayOfMonth(ty, tm) };
  if (/^下(个)?月[底末]$/.test(s))
    return { ok: true, value: tm === 12 ? lastDayOfMonth(ty + 1, 1) : lastDayOfMonth(ty, tm + 1) };
  if (/^(今年)?年[底末]$/.test(s)) return { ok: true, value: `${ty}-12-31` };
  if (/^明年[底末]$/.test(s)) return { ok: true, value: `${ty + 1}-12-31` };
  if ((m = /^(\d{4})\s*年\s*[底末]$/.exec(s))) return { ok: true, value: `${m[1]}-12-31` };
  return bad('看不懂');
}

/** Cut a note to MAX_NOTE_CHARS; `cut` tells the reply to say so. */
export function clipNote(note: string): { note: string | null; cut: boolean } {
  const t = note.trim();
  if (!t) return { note: null, cut: false };
  const chars = [...t];
  if (chars.length <= MAX_NOTE_CHARS) return { note: t, cut: false };
  return { note: chars.slice(0, MAX_NOTE_CHARS).join(''), cut: true };
}

export { didYouMean, editDistance } from '../domain/text-match.js';

/**
 * What a free-text reply to a reminder means: a percent somewhere ("80%"), a completion claim (the text is just
 * "完成"/"已完成"/"done", or starts with one followed by punctuation), "无变化", and the note itself.
 * "已完成排查，形成整治方案" is a note: 完成 there describes a step, not the task.
 */
export function interpretReply(text: string): { percent: number | null; done: boolean; same: boolean; note: string } {
  const s = normaliseText(text);
  const pm = /(?:^|[^\d.])(\d{1,3})\s*%/.exec(s);
  let percent: number | null = null;
  if (pm) {
    const n = Number(pm[1]);
    if (n >= 0 && n <= 100) percent = n;
  }
  const bare = s.replace(/[\s,.!?;:，。！？；：、~～]+/g, '');
  const done =
    /^(已经?|全部|均已|都已)?完成(了|啦)?$/.test(bare) ||
    /^done$/i.test(bare) ||
    /^(已经?|全部)?完成(了)?[\s,.!?;:，。！？；：、]/.test(s);
  const same = /^(无变化|没有变化|没变化|同上|same)$/i.test(bare);
  return { percent, done, same, note: s };
}

/** One line of a report message: `4.2.8 50% 已开工`. */
export interface CodedLine {
  code: string;
  rest: string;
}

/**
 * Lines that start with a task code, as people answer the monthly progress-request card ("2.1.5 80% 已完成清单编制",
 * one line per task) or report unprompted ("4.2.8 进度50%"). `null` when the message does not start with a task
 * code. Lines without a code continue the note of the line before.
 */
export function splitCodedLines(raw: string): CodedLine[] | null {
  const lines = [...raw].slice(0, MAX_PARSE_CHARS).join('').split(/\r?\n|[；;](?=\s*\d{1,2}\s*[.。．、]\s*\d)/).map(normaliseText).filter(Boolean);
  const out: CodedLine[] = [];
  for (const line of lines) {
    const m = /^(?:任务|编号)?\s*(\d{1,2}\s*[.。．、]\s*\d{1,2}\s*[.。．、]\s*\d{1,3})(?![\d%])[\s:：,，、.。]*(.*)$/.exec(line);
    const code = m ? normaliseTaskCode(m[1]!) : null;
    if (m && code && isTaskCode(code)) out.push({ code, rest: m[2]!.trim() });
    else if (out.length) out[out.length - 1]!.rest = `${out[out.length - 1]!.rest} ${line}`.trim();
    else return null;
  }
  return out.length ? out : null;
}


/** "全部无变化" / "都没有变化" / "all same": no change on every task of the card replied to. */
export function isAllSame(raw: string): boolean {
  const bare = normaliseText(raw).replace(/[\s,.!?;:，。！？；：、~～]+/g, '');
  return /^(全部|均|都|以上|各项|所有任务?)(均|都)?(无变化|没有变化|没变化|无变动)$/.test(bare) || /^allsame$/i.test(bare);
}

/** What the text after a task code reports: a percent ("80%", "进度50%"), 完成, 无变化, or a note. */
export function reportOfText(rest: string): { kind: 'progress' | 'done_claim' | 'no_change' | 'note'; percent?: number; note: string | null } {
  const r = interpretReply(rest);
  if (!r.note) return { kind: 'note', note: null };
  if (r.same) return { kind: 'no_change', note: null };
  if (r.done) return { kind: 'done_claim', note: r.note.replace(/^(已经?|全部)?完成(了)?[\s,.!?;:，。！？；：、]*/, '') || null };
  if (r.percent !== null) {
    const note = r.note.replace(/^(进度|完成)?\s*(为|到|达)?\s*\d{1,3}\s*%[\s,，。.;；:：、]*/, '').trim();
    return { kind: 'progress', percent: r.percent, note: note || null };
  }
  return { kind: 'note', note: r.note };
}
