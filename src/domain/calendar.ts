// The Chinese statutory working-day calendar with make-up workdays (调休), from chinese-days' data (2004–2026).
// Pure and synchronous: a year without data is reported by hasCalendarData(), never guessed silently.
import data from 'chinese-days/dist/chinese-days.json' with { type: 'json' };
import { addDays, weekday } from './dates.js';
import { err, ok, type Result } from './result.js';

const holidays: Record<string, string> = (data as { holidays: Record<string, string> }).holidays;
const makeupWorkdays: Record<string, string> = (data as { workdays: Record<string, string> }).workdays;

const years = Object.keys(holidays).map((d) => Number(d.slice(0, 4)));
/** The years the bundled library (chinese-days) knows. */
export const CALENDAR_FIRST_YEAR = Math.min(...years);
export const CALENDAR_LAST_YEAR = Math.max(...years);

/**
 * A year's holidays and make-up workdays as the office entered them from the State Council's notice (kept in the
 * database, see db/calendar-store). For that year they override the library wherever both know a day.
 */
export interface YearCalendar {
  year: number;
  /** date -> holiday name ('春节'). */
  holidays: Record<string, string>;
  /** Make-up working days (调休上班), weekend days that are working days. */
  workdays: string[];
}

// The office's entries, installed by loadCalendarOverrides() from the database before any pass or command runs.
// Module state rather than a parameter because every working-day function (and its many callers) depends on it.
let overrideYears = new Map<number, YearCalendar>();
let overrideWorkdays = new Set<string>();

/** Install the office-entered years (replaces what was installed before). */
export function setCalendarOverrides(list: readonly YearCalendar[]): void {
  overrideYears = new Map(list.map((y) => [y.year, y]));
  overrideWorkdays = new Set(list.flatMap((y) => y.workdays));
}

export function calendarOverrides(): YearCalendar[] {
  return [...overrideYears.values()].sort((a, b) => a.year - b.year);
}

/** True when the library knows the year's statutory holidays. */
export function libraryCovers(year: number): boolean {
  return year >= CALENDAR_FIRST_YEAR && year <= CALENDAR_LAST_YEAR;
}

/** True when statutory holidays for that year are known (library or office); otherwise isWorkday() only knows weekends. */
export function hasCalendarData(year: number): boolean {
  return overrideYears.has(year) || libraryCovers(year);
}

export function isWorkday(date: string): boolean {
  // The office's entry wins where it names the day; other days keep the library's answer (or the weekend rule).
  if (overrideWorkdays.has(date)) return true;
  if (overrideYears.get(Number(date.slice(0, 4)))?.holidays[date]) return false;
  if (makeupWorkdays[date]) return true;
  if (holidays[date]) return false;
  const wd = weekday(date);
  return wd !== 0 && wd !== 6;
}

/** The holiday's Chinese name if the date is a statutory holiday ('国庆节'), else null. */
export function holidayName(date: string): string | null {
  const entered = overrideYears.get(Number(date.slice(0, 4)));
  if (entered?.holidays[date]) return entered.holidays[date]!;
  if (overrideWorkdays.has(date)) return null;
  const v = holidays[date];
  return v ? (v.split(',')[1] ?? null) : null;
}

/** The library's own view of a year (for showing what the office would override). */
export function libraryYear(year: number): YearCalendar {
  const prefix = `${year}-`;
  const h: Record<string, string> = {};
  for (const [d, v] of Object.entries(holidays)) if (d.startsWith(prefix)) h[d] = v.split(',')[1] ?? v;
  return { year, holidays: h, workdays: Object.keys(makeupWorkdays).filter((d) => d.startsWith(prefix)).sort() };
}

/** The first working day on or after date. */
export function nextWorkday(date: string): string {
  let d = date;
  for (let i = 0; i < 40 && !isWorkday(d); i++) d = addDays(d, 1);
  return d;
}

/** The last working day on or before date. */
export function previousWorkday(date: string): string {
  let d = date;
  for (let i = 0; i < 40 && !isWorkday(d); i++) d = addDays(d, -1);
  return d;
}

/**
 * Move n working days from date (n < 0 goes back). addWorkdays(d, 0) is d itself if it is a workday, else the
 * next workday. addWorkdays('2022-06-30', -10) is the working day 10 working days before the 30th.
 */
export function addWorkdays(date: string, n: number): string {
  if (n === 0) return nextWorkday(date);
  const step = n > 0 ? 1 : -1;
  let d = date;
  let left = Math.abs(n);
  while (left > 0) {
    d = addDays(d, step);
    if (isWorkday(d)) left--;
  }
  return d;
}

/** Working days in (from, to]: how many working days after `from` up to and including `to` (negative if to < from). */
export function workdaysBetween(from: string, to: string): number {
  if (to === from) return 0;
  const sign = to > from ? 1 : -1;
  let count = 0;
  let d = from;
  while (d !== to) {
    d = addDays(d, sign);
    if (isWorkday(d)) count++;
  }
  return sign * count;
}

/** A holiday notice read into dates, or what could not be read. */
/** A year's holidays and make-up workdays as read, with the lines that describe them; or what is wrong. */
export type NoticeParse = Result<{ calendar: YearCalendar; lines: string[] }>;

const CN_DATE = /(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日/g;

function ymd(y: number, m: number, d: number): string | null {
  if (m < 1 || m > 12 || d < 1 || d > 31) return null;
  const iso = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  const t = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(t.getTime()) || t.toISOString().slice(0, 10) !== iso ? null : iso;
}

/**
 * Read the State Council's holiday notice (国务院办公厅关于某年部分节假日安排的通知), pasted as text, for `year`:
 * "一、元旦：1月1日（周五）至3日（周日）放假调休，共3天。1月4日（周一）上班。"
 * "春节：2月10日至17日放假调休，共8天。2月4日（周日）、2月18日（周日）上班。"
 * Each item: the holiday's name before "：", a day or a range before 放假, and the make-up days in the sentence
 * that ends in 上班. Dates without a year are in `year`; "2022年12月31日至2023年1月2日" keeps its years.
 */
export function parseHolidayNotice(text: string, year: number): NoticeParse {
  const clean = text.replace(/\r/g, '').replace(/[\s\u3000]+/g, '').replace(/\(/g, '（').replace(/\)/g, '）').replace(/:/g, '：');
  // Items start at "一、" numbering or at a holiday name followed by "：".
  const items = clean.split(/(?=[一二三四五六七八九十]+、)|(?<=。)(?=[^。：]{1,8}：)/).filter((x) => x.includes('放假'));
  const calendar: YearCalendar = { year, holidays: {}, workdays: [] };
  const lines: string[] = [];
  for (const raw of items) {
    const item = raw.replace(/^[一二三四五六七八九十]+、/, '');
    const colon = item.indexOf('：');
    const name = colon > 0 ? item.slice(0, colon).replace(/[^\u4e00-\u9fa5]/g, '') : '节假日';
    const body = colon > 0 ? item.slice(colon + 1) : item;
    const off = body.indexOf('放假');
    const head = body.slice(0, off);
    const range = /(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日(?:（[^）]*）)?(?:至(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})日(?:（[^）]*）)?)?/.exec(head);
    if (!range) continue; // a preamble or closing paragraph that mentions 放假 without dates
    const y1 = range[1] ? Number(range[1]) : year;
    const m1 = Number(range[2]);
    const start = ymd(y1, m1, Number(range[3]));
    const y2 = range[4] ? Number(range[4]) : y1;
    const m2 = range[5] ? Number(range[5]) : m1;
    const end = range[6] ? ymd(y2, m2, Number(range[6])) : start;
    if (!start || !end || end < start) return err(`「${item.slice(0, 30)}」的放假日期无效`);
    let n = 0;
    for (let d = start; d <= end; d = addDays(d, 1)) {
      if (n++ > 40) return err(`「${item.slice(0, 30)}」的放假天数不合理`);
      if (Number(d.slice(0, 4)) === year) calendar.holidays[d] = name;
    }
    // Make-up workdays: the dates of the sentence(s) after 放假 that say 上班.
    const after = body.slice(off);
    const work: string[] = [];
    for (const sentence of after.split('。')) {
      if (!sentence.includes('上班')) continue;
      for (const m of sentence.matchAll(CN_DATE)) {
        const d = ymd(m[1] ? Number(m[1]) : y1, Number(m[2]), Number(m[3]));
        if (!d) return err(`「${sentence.slice(0, 30)}」中的上班日期无效`);
        if (Number(d.slice(0, 4)) === year) work.push(d);
      }
    }
    calendar.workdays.push(...work);
    lines.push(`${name}：${formatRange(start, end)} 放假${work.length ? `，${work.map(md).join('、')} 上班` : ''}`);
  }
  if (lines.length === 0)
    return err('没有读到任何节假日安排。请粘贴通知中「一、元旦：1月1日至3日放假调休，共3天。1月4日上班。」这样的条目。');
  calendar.workdays = [...new Set(calendar.workdays)].sort();
  return ok({ calendar, lines });
}

function md(d: string): string {
  return `${Number(d.slice(5, 7))}月${Number(d.slice(8, 10))}日`;
}

function formatRange(a: string, b: string): string {
  return a === b ? md(a) : `${md(a)}至${md(b)}`;
}

/** A year's entries as the lines shown back to the office for checking (holidays grouped into runs). */
export function describeYearCalendar(c: YearCalendar): string[] {
  const days = Object.keys(c.holidays).sort();
  const runs: Array<{ name: string; from: string; to: string }> = [];
  for (const d of days) {
    const last = runs[runs.length - 1];
    if (last && last.name === c.holidays[d] && addDays(last.to, 1) === d) last.to = d;
    else runs.push({ name: c.holidays[d]!, from: d, to: d });
  }
  const out = runs.map((r) => `${r.name}：${formatRange(r.from, r.to)} 放假（${daysIn(r.from, r.to)} 天）`);
  out.push(c.workdays.length ? `调休上班：${c.workdays.map(md).join('、')}` : '调休上班：无');
  return out;
}

function daysIn(a: string, b: string): number {
  let n = 1;
  for (let d = a; d < b; d = addDays(d, 1)) n++;
  return n;
}

/**
 * A year's entries from dates: "放假 元旦 2027-01-01至2027-01-03 春节 2027-02-06~2027-02-13 上班 2027-02-14 2027-02-20".
 * After 放假 (holidays): a name sets the name of the dates that follow; a date or a range (至, ~, .., —) adds days.
 * After 上班 (make-up workdays): dates. Dates may be 2027-01-01, 2027/1/1, 2027年1月1日 or 1月1日 (in `year`).
 */
export function parseHolidayDates(text: string, year: number): NoticeParse {
  const tokens = text
    .normalize('NFKC')
    .replace(/\s*(至|到|~|～|\.\.|—|–)\s*/g, '~')
    .split(/[\s,，、；;。]+/)
    .filter(Boolean);
  const calendar: YearCalendar = { year, holidays: {}, workdays: [] };
  let mode: 'holiday' | 'work' | null = null;
  let name = '节假日';
  const date = (t: string): string | null => {
    let m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(t);
    if (m) return ymd(Number(m[1]), Number(m[2]), Number(m[3]));
    m = /^(\d{1,2})月(\d{1,2})日?$/.exec(t);
    if (m) return ymd(year, Number(m[1]), Number(m[2]));
    m = /^(\d{1,2})日$/.exec(t);
    return null;
  };
  for (const raw of tokens) {
    for (const t of raw.split(/(?=放假|上班)|(?<=放假|上班)/).filter(Boolean)) {
      if (t === '放假' || t === '休息' || t === 'off') {
        mode = 'holiday';
        continue;
      }
      if (t === '上班' || t === '调休上班' || t === 'work') {
        mode = 'work';
        continue;
      }
      const [a, b] = t.split('~');
      const from = a ? date(a) : null;
      if (!from) {
        if (/^[\u4e00-\u9fa5]{1,10}$/.test(t) && mode === 'holiday') {
          name = t;
          continue;
        }
        return err(`看不懂“${t}”。日期写作 2027-01-01，连续几天写作 2027-01-01至2027-01-03`);
      }
      const to = b === undefined ? from : (date(b) ?? (/^\d{1,2}日?$/.test(b) ? ymd(Number(from.slice(0, 4)), Number(from.slice(5, 7)), Number(b.replace('日', ''))) : null));
      if (!to || to < from) return err(`日期范围“${t}”无效`);
      if (mode === null) return err('请先写「放假」或「上班」，再写日期，例如：放假 元旦 2027-01-01至2027-01-03 上班 2027-01-04');
      for (const d of [from, to]) if (Number(d.slice(0, 4)) !== year) return err(`日期 ${d} 不在 ${year} 年`);
      let n = 0;
      for (let d = from; d <= to; d = addDays(d, 1)) {
        if (n++ > 40) return err(`日期范围“${t}”太长`);
        if (mode === 'holiday') calendar.holidays[d] = name;
        else calendar.workdays.push(d);
      }
    }
  }
  calendar.workdays = [...new Set(calendar.workdays)].sort();
  for (const d of calendar.workdays)
    if (calendar.holidays[d]) return err(`${d} 既写成放假又写成上班，请核对`);
  if (Object.keys(calendar.holidays).length === 0 && calendar.workdays.length === 0)
    return err('没有读到日期。例如：放假 元旦 2027-01-01至2027-01-03 春节 2027-02-06至2027-02-13 上班 2027-02-14');
  return ok({ calendar, lines: describeYearCalendar(calendar) });
}

/** Read what the office gave for a year: the State Council notice's text, or dates after 放假 / 上班. */
export function parseHolidayInput(text: string, year: number): NoticeParse {
  const isNotice = /\d{1,2}月\d{1,2}日/.test(text) && /放假/.test(text) && /[：:]/.test(text);
  return isNotice ? parseHolidayNotice(text, year) : parseHolidayDates(text, year);
}
