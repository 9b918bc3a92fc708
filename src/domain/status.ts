// Assignment status and traffic lights: which deadline is current, how many days are left, red/yellow/green.
import { addDays, daysBetween, lastDayOfMonth } from './dates.js';

export type Light = 'red' | 'yellow' | 'green';
export type AssignmentState = 'not_started' | 'in_progress' | 'claimed' | 'closed';

export interface DeadlineLike {
  kind: string;
  dueDate: string | null;
  recurrence?: string | null;
  label: string;
}

export interface AssignmentLike {
  state: string;
  percent: number;
  extendedTo: string | null;
  lastReportAt: number | null;
}

export interface CurrentDue {
  date: string;
  label: string;
  kind: string;
  /** True when an approved extension set this date. */
  extended: boolean;
}

/** Days before a dated deadline at which an open assignment turns yellow. */
export const YELLOW_WINDOW_DAYS = 14;

const DATED = new Set(['date', 'month_end', 'year_end', 'target_year']);

export function isDated(d: DeadlineLike): boolean {
  return DATED.has(d.kind) && !!d.dueDate;
}

/**
 * The deadline an assignment is working towards on `today`: an approved extension, else the earliest dated
 * deadline on or after today, else the last dated deadline (then it is overdue). Null for tasks with only
 * ongoing or recurring duties.
 */
export function currentDue(deadlines: DeadlineLike[], extendedTo: string | null, today: string): CurrentDue | null {
  if (extendedTo) return { date: extendedTo, label: `延期至${extendedTo}`, kind: 'date', extended: true };
  const dated = deadlines.filter(isDated).sort((a, b) => (a.dueDate! < b.dueDate! ? -1 : 1));
  if (dated.length === 0) return null;
  const next = dated.find((d) => d.dueDate! >= today) ?? dated[dated.length - 1]!;
  return { date: next.dueDate!, label: next.label, kind: next.kind, extended: false };
}

/** The next occurrence (on or after today) of a recurring duty; null for non-recurring deadlines. */
export function nextOccurrence(d: DeadlineLike, today: string): string | null {
  if (d.kind !== 'recurring') return null;
  const year = Number(today.slice(0, 4));
  const month = Number(today.slice(5, 7));
  switch (d.recurrence) {
    case 'monthly':
      return lastDayOfMonth(year, month);
    case 'quarterly':
      return lastDayOfMonth(year, Math.ceil(month / 3) * 3);
    case 'semiannual':
      return lastDayOfMonth(year, month <= 6 ? 6 : 12);
    default: {
      const md = d.dueDate ? d.dueDate.slice(5) : '12-31';
      const thisYear = `${year}-${md}`;
      return thisYear >= today ? thisYear : `${year + 1}-${md}`;
    }
  }
}

export interface Assessment {
  light: Light;
  /** 未开始 | 进行中 | 待核验 | 已销号 | 逾期 */
  statusWord: string;
  due: CurrentDue | null;
  /** Calendar days until due (negative when overdue); null without a dated deadline. */
  daysLeft: number | null;
  overdueDays: number;
  open: boolean;
}

/** A done assignment (claimed or closed) is never red; an open one is red past its due date, yellow near it. */
export function assessAssignment(a: AssignmentLike, deadlines: DeadlineLike[], today: string): Assessment {
  const due = currentDue(deadlines, a.extendedTo, today);
  const daysLeft = due ? daysBetween(today, due.date) : null;
  const open = a.state !== 'claimed' && a.state !== 'closed';
  const overdueDays = open && daysLeft !== null && daysLeft < 0 ? -daysLeft : 0;
  let light: Light = 'green';
  if (open && overdueDays > 0) light = 'red';
  else if (open && daysLeft !== null && daysLeft <= YELLOW_WINDOW_DAYS) light = 'yellow';
  const statusWord =
    a.state === 'closed'
      ? '已销号'
      : a.state === 'claimed'
        ? '待核验'
        : overdueDays > 0
          ? '逾期'
          : a.state === 'in_progress' || a.percent > 0
            ? '进行中'
            : '未开始';
  return { light, statusWord, due, daysLeft, overdueDays, open };
}

export const LIGHT_EMOJI: Record<Light, string> = { red: '🔴', yellow: '🟡', green: '🟢' };
export const LIGHT_ZH: Record<Light, string> = { red: '红灯', yellow: '黄灯', green: '绿灯' };

/** 'YYYY-MM-DD' of `today` plus n days: re-exported for callers building due-soon windows. */
export const dayOffset = addDays;

export const STATUS_WORDS = ['未开始', '进行中', '待核验', '已销号', '逾期'] as const;
export type TaskStatusWord = (typeof STATUS_WORDS)[number];

/**
 * A task's status rolled up from ALL its assignments (lead unit, co-units, counties). The one rule used by 统计,
 * 逾期, 临期, the digest, the 台账 and the cards. Precedence, first match wins:
 *  1. no assignments                                   -> 未开始
 *  2. every assignment 已销号                            -> 已销号
 *  3. any assignment 逾期                               -> 逾期
 *  4. every assignment not closed is 待核验 (>= 1 such)  -> 待核验
 *  5. any assignment 进行中, 待核验 or 已销号 (someone has reported or finished) -> 进行中
 *  6. otherwise (all 未开始)                             -> 未开始
 */
export function rollUpTaskStatus(words: readonly string[]): TaskStatusWord {
  if (words.length === 0) return '未开始';
  let closed = 0;
  let claimed = 0;
  let started = false;
  for (const w of words) {
    if (w === '逾期') return '逾期';
    if (w === '已销号') closed++;
    else if (w === '待核验') claimed++;
    else if (w === '进行中') started = true;
  }
  if (closed === words.length) return '已销号';
  if (claimed > 0 && closed + claimed === words.length) return '待核验';
  if (started || claimed > 0 || closed > 0) return '进行中';
  return '未开始';
}

/** The same rule under its older name (kept for callers outside the domain). */
export const taskStatusWord = rollUpTaskStatus;

/** The worst light of a task's assignments (red > yellow > green): the task's light. */
export function rollUpLight(lights: readonly Light[]): Light {
  if (lights.includes('red')) return 'red';
  if (lights.includes('yellow')) return 'yellow';
  return 'green';
}

/** Lead unit (牵头) first, then co-units, each group in the plan's unit order (unit id = order of the plan data). */
export function compareLeadFirst(a: { role: string; unitId: number }, b: { role: string; unitId: number }): number {
  const ra = a.role === 'lead' ? 0 : 1;
  const rb = b.role === 'lead' ? 0 : 1;
  return ra - rb || a.unitId - b.unitId;
}

/**
 * Units in the plan's official order: the order in which they appear in the plan data (the loader gives units ids
 * in that order, e.g. 安定区、通渭县、陇西县、渭源县、临洮县、漳县、岷县), never by pinyin.
 */
export function compareUnitOrder(a: { unitId: number }, b: { unitId: number }): number {
  return a.unitId - b.unitId;
}
