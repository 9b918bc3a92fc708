// When the weekly digest is due, which week it belongs to, and how this week's numbers moved since the last one.
import { isWorkday } from './calendar.js';
import { addDays, isoWeekKey, parseHHMM, shanghaiDate, shanghaiMinutes, weekStart } from './dates.js';
import type { LightCounts, StatusCounts, StatsSummary } from './stats.js';

/** Wall-clock time (Asia/Shanghai) on the week's first working day from which the digest goes out. */
export const DIGEST_TIME = '09:00';

/** The first working day of the ISO week containing date, or null when the whole week is a holiday. */
export function firstWorkdayOfWeek(date: string): string | null {
  const monday = weekStart(date);
  for (let i = 0; i < 7; i++) {
    const d = addDays(monday, i);
    if (isWorkday(d)) return d;
  }
  return null;
}

/** The digest's week key: the ISO week of the Asia/Shanghai date of `at` ('2022-W26'). */
export function digestWeekKey(at: number): string {
  return isoWeekKey(shanghaiDate(at));
}

/**
 * Is this week's digest due at `at`: on or after 09:00 of the week's first working day (a holiday Monday moves it
 * to the next working day). Later in the same week it stays due, so a pass missed on Monday catches up; the
 * weekly claim in runDigest keeps it to one send.
 */
export function isDigestDue(at: number, time = DIGEST_TIME): boolean {
  const today = shanghaiDate(at);
  const first = firstWorkdayOfWeek(today);
  if (!first || today < first) return false;
  return today > first || shanghaiMinutes(at) >= parseHHMM(time);
}

/** The Monday–Sunday span of the week of date. */
export function weekRange(date: string): { from: string; to: string } {
  const from = weekStart(date);
  return { from, to: addDays(from, 6) };
}

/**
 * The week a digest made on `date` reports on: the last full week (Monday to Sunday) before `date`'s week. The
 * digest goes out on the first working day of a week, about the week that has just ended.
 */
export function reportedWeek(date: string): { from: string; to: string } {
  const from = addDays(weekStart(date), -7);
  return { from, to: addDays(from, 6) };
}

export interface DigestDeltas {
  /** The date of the digest compared against. */
  since: string;
  tasks: StatusCounts;
  assignments: StatusCounts;
  lights: LightCounts;
  /** Percentage points. */
  closedRate: number;
  doneRate: number;
  overdue: number;
  chapters: Record<number, number>;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function diffCounts<T extends Record<string, number>>(a: T, b: Partial<T> | undefined): T {
  const out = {} as Record<string, number>;
  for (const k of Object.keys(a)) out[k] = a[k]! - ((b?.[k] as number | undefined) ?? 0);
  return out as T;
}

/** Week-over-week change from the previous stored digest's summary; null when there is none. */
export function computeDeltas(current: StatsSummary, previous: StatsSummary | null): DigestDeltas | null {
  if (!previous) return null;
  const prevChapters = new Map((previous.chapters ?? []).map((c) => [c.number, c.closedRate]));
  const chapters: Record<number, number> = {};
  for (const c of current.chapters) chapters[c.number] = round1(c.closedRate - (prevChapters.get(c.number) ?? 0));
  return {
    since: previous.today,
    tasks: diffCounts(current.tasks.byStatus, previous.tasks?.byStatus),
    assignments: diffCounts(current.assignments.byStatus, previous.assignments?.byStatus),
    lights: diffCounts(current.lights, previous.lights),
    closedRate: round1(current.completion.closedRate - (previous.completion?.closedRate ?? 0)),
    doneRate: round1(current.completion.doneRate - (previous.completion?.doneRate ?? 0)),
    overdue: current.overdue - (previous.overdue ?? 0),
    chapters,
  };
}

/** '+3' / '−2' / '持平' for a count change. */
export function formatDelta(n: number, unit = ''): string {
  if (n === 0) return '持平';
  return `${n > 0 ? '+' : '−'}${Math.abs(Math.round(n * 10) / 10)}${unit}`;
}
