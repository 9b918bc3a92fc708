// The Chinese statutory working-day calendar with make-up workdays (调休), from chinese-days' data (2004–2026).
// Pure and synchronous: a year without data is reported by hasCalendarData(), never guessed silently.
import data from 'chinese-days/dist/chinese-days.json' with { type: 'json' };
import { addDays, weekday } from './dates.js';

const holidays: Record<string, string> = (data as { holidays: Record<string, string> }).holidays;
const makeupWorkdays: Record<string, string> = (data as { workdays: Record<string, string> }).workdays;

const years = Object.keys(holidays).map((d) => Number(d.slice(0, 4)));
export const CALENDAR_FIRST_YEAR = Math.min(...years);
export const CALENDAR_LAST_YEAR = Math.max(...years);

/** True when statutory holidays for that year are known; otherwise isWorkday() only knows weekends. */
export function hasCalendarData(year: number): boolean {
  return year >= CALENDAR_FIRST_YEAR && year <= CALENDAR_LAST_YEAR;
}

export function isWorkday(date: string): boolean {
  if (makeupWorkdays[date]) return true;
  if (holidays[date]) return false;
  const wd = weekday(date);
  return wd !== 0 && wd !== 6;
}

/** The holiday's Chinese name if the date is a statutory holiday ('国庆节'), else null. */
export function holidayName(date: string): string | null {
  const v = holidays[date];
  return v ? (v.split(',')[1] ?? null) : null;
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
