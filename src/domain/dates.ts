// Calendar dates in Asia/Shanghai (UTC+8, no daylight saving) and plain 'YYYY-MM-DD' date arithmetic.
// Instants are epoch ms; a calendar date is only ever derived here.

export const SHANGHAI_OFFSET_MS = 8 * 3600_000;
const DAY = 86_400_000;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The Asia/Shanghai calendar date of an instant. */
export function shanghaiDate(ms: number): string {
  const d = new Date(ms + SHANGHAI_OFFSET_MS);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Minutes since midnight, Asia/Shanghai. */
export function shanghaiMinutes(ms: number): number {
  const d = new Date(ms + SHANGHAI_OFFSET_MS);
  return d.getUTCHours() * 60 + d.getUTCMinutes();
}

/** 'HH:MM' → minutes since midnight. */
export function parseHHMM(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** The instant of a Shanghai wall-clock time on a date ('09:00' on '2022-06-16'). */
export function shanghaiInstant(date: string, hhmm = '00:00'): number {
  return dateToUtcMs(date) + parseHHMM(hhmm) * 60_000 - SHANGHAI_OFFSET_MS;
}

export function isIsoDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const ms = dateToUtcMs(s);
  return !Number.isNaN(ms) && utcMsToDate(ms) === s;
}

function dateToUtcMs(date: string): number {
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
}

function utcMsToDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

export function addDays(date: string, n: number): string {
  return utcMsToDate(dateToUtcMs(date) + n * DAY);
}

/** b − a in calendar days. */
export function daysBetween(a: string, b: string): number {
  return Math.round((dateToUtcMs(b) - dateToUtcMs(a)) / DAY);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(date: string): number {
  return new Date(dateToUtcMs(date)).getUTCDay();
}

export function lastDayOfMonth(year: number, month: number): string {
  return utcMsToDate(Date.UTC(year, month, 0));
}

/** ISO-8601 week key, e.g. '2022-W26'. */
export function isoWeekKey(date: string): string {
  const ms = dateToUtcMs(date);
  const wd = (new Date(ms).getUTCDay() + 6) % 7; // Monday = 0
  const thursday = ms + (3 - wd) * DAY;
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / DAY / 7) + 1;
  return `${year}-W${pad(week)}`;
}

/** Monday of the ISO week containing date. */
export function weekStart(date: string): string {
  return addDays(date, -((weekday(date) + 6) % 7));
}

/** '2022-06-30' → '6月30日' (with the year when it differs from `refYear`). */
export function formatDateZh(date: string, refYear?: number): string {
  const y = Number(date.slice(0, 4));
  const md = `${Number(date.slice(5, 7))}月${Number(date.slice(8, 10))}日`;
  return refYear === y ? md : `${y}年${md}`;
}
