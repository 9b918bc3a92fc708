// The plan's numbers at a date: statuses, lights, completion, per chapter/unit/county, overdue, due soon,
// pending extensions and targets. One module for the digest, `统计`, `逾期`, `临期` and the office's ledger.
import { addDays } from './dates.js';
import {
  assessAssignment,
  compareLeadFirst,
  LIGHT_ZH,
  rollUpTaskStatus,
  STATUS_WORDS,
  taskStatusWord,
  type DeadlineLike,
  type Light,
  type TaskStatusWord as StatusWord,
} from './status.js';

export { LIGHT_ZH, STATUS_WORDS, taskStatusWord, type StatusWord };
export type StatusCounts = Record<StatusWord, number>;
export type LightCounts = Record<Light, number>;

/** Days ahead that count as "due soon" in the digest (matches the yellow window). */
export const DUE_SOON_DAYS = 14;

export interface StatsChapter {
  number: number;
  title: string;
  /** Short name for charts (蓝天 / 碧水 …); the title when the outline has none. */
  short: string;
}

export interface StatsTask {
  id: number;
  code: string;
  title: string;
  chapter: number;
  deadlines: DeadlineLike[];
}

export interface StatsAssignment {
  id: number;
  taskId: number;
  unitId: number;
  unitName: string;
  /** department | county | office | other */
  unitKind: string;
  role: string;
  state: string;
  percent: number;
  extendedTo: string | null;
  lastReportAt: number | null;
}

/** What the scheduler logged for an assignment's deadline (reminder_log), summed up. */
export interface StatsEscalation {
  assignmentId: number;
  dueDate: string | null;
  /** Highest escalation_level logged (the scheduler: 2 = office, 3 = leaders). */
  level: number;
  /** Steps logged, of any kind. */
  steps: number;
  /** Overdue reminders ('after:…' steps). */
  overdueReminders: number;
  /** 'escalate:office:…' logged. */
  office: boolean;
  /** 'escalate:leaders:…' logged. */
  leaders: boolean;
  /** No reminder reached the unit (only 'no_contact:…' steps, besides office notices): no contact is bound. */
  noContactOnly: boolean;
}

export interface StatsExtension {
  id: number;
  assignmentId: number;
  currentDue: string | null;
  newDueDate: string;
  reason: string;
  createdAt: number;
}

export interface StatsTarget {
  code: string;
  indicator: string;
  comparator: string;
  value: number;
  unit: string | null;
  year: number;
  /** The latest city-wide value (never a county's; see pickLatestMetrics) and the period it is for, if any. */
  latest: { value: number; at: number; period?: string | null } | null;
}

export interface StatsInput {
  planId: number | null;
  planTitle: string;
  today: string;
  chapters: StatsChapter[];
  tasks: StatsTask[];
  assignments: StatsAssignment[];
  escalations: StatsEscalation[];
  pendingExtensions: StatsExtension[];
  targets: StatsTarget[];
}

export interface Completion {
  total: number;
  closed: number;
  /** Claimed (待核验) plus closed. */
  done: number;
  /** closed / total, percent with one decimal; 0 when there is nothing. */
  closedRate: number;
  /** (claimed + closed) / total, percent with one decimal. */
  doneRate: number;
}

export interface GroupStats {
  key: string;
  label: string;
  assignments: number;
  byStatus: StatusCounts;
  lights: LightCounts;
  completion: Completion;
}

export interface ChapterStats extends GroupStats {
  number: number;
  title: string;
  tasks: number;
}

export interface UnitStats extends GroupStats {
  unitId: number;
  kind: string;
}

/** One assignment in the overdue or due-soon lists. */
interface AssignmentItem {
  assignmentId: number;
  unitId: number;
  unitName: string;
  taskCode: string;
  taskTitle: string;
  chapter: number;
  dueDate: string;
  dueLabel: string;
  percent: number;
}

export interface OverdueItem extends AssignmentItem {
  daysOverdue: number;
  escalationLevel: number;
  /** 未提醒 | 已提醒 | 已催办 N 次 | 已报办公室 | 已报领导 | 无联络员，未能提醒 */
  escalationStep: string;
}

export interface DueItem extends AssignmentItem {
  daysLeft: number;
  statusWord: string;
}

export interface ExtensionItem {
  id: number;
  assignmentId: number;
  unitName: string;
  taskCode: string;
  taskTitle: string;
  currentDue: string | null;
  newDueDate: string;
  reason: string;
}

export type TargetStatus = 'met' | 'not_met' | 'no_data';

export interface TargetItem extends StatsTarget {
  status: TargetStatus;
}

export interface Stats {
  planId: number | null;
  planTitle: string;
  today: string;
  dueSoonDays: number;
  tasks: { total: number; byStatus: StatusCounts; lights: LightCounts };
  assignments: { total: number; byStatus: StatusCounts };
  /** Assignment lights: one light per unit's share of a task. */
  lights: LightCounts;
  completion: Completion;
  chapters: ChapterStats[];
  units: UnitStats[];
  /** units with kind 'county', in the same order. */
  counties: UnitStats[];
  /** Most overdue first. */
  overdue: OverdueItem[];
  /** Soonest first. */
  dueSoon: DueItem[];
  pendingExtensions: ExtensionItem[];
  targets: TargetItem[];
}

const emptyStatus = (): StatusCounts => ({ 未开始: 0, 进行中: 0, 待核验: 0, 已销号: 0, 逾期: 0 });
const emptyLights = (): LightCounts => ({ red: 0, yellow: 0, green: 0 });
/** '4.2.1' before '4.10.1': task codes compare part by part as numbers. */
export function compareCodes(a: string, b: string): number {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = Number(x[i] ?? -1) - Number(y[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}
const LIGHT_RANK: Record<Light, number> = { green: 0, yellow: 1, red: 2 };

/** Percent with one decimal. */
export function percentOf(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10;
}

export function completionOf(byStatus: StatusCounts, total: number): Completion {
  const closed = byStatus['已销号'];
  const done = closed + byStatus['待核验'];
  return { total, closed, done, closedRate: percentOf(closed, total), doneRate: percentOf(done, total) };
}

/** The escalation step in words, from the scheduler's reminder_log for the current deadline. */
export function escalationStepZh(e: StatsEscalation | undefined): string {
  if (!e || e.steps === 0) return '未提醒';
  // A unit no reminder reached (no contact bound) is said so, not counted as reminded.
  if (e.noContactOnly) return e.leaders ? '未绑定联络员，已报领导' : e.office ? '未绑定联络员，已报办公室' : '无联络员，未能提醒';
  if (e.leaders) return '已报领导';
  if (e.office) return '已报办公室';
  if (e.overdueReminders > 0) return `已催办 ${e.overdueReminders} 次`;
  return '已提醒';
}


/**
 * Compare a reported value with a target. Lower-is-better targets (<=, <) are met at or under the value;
 * '=' allows a relative tolerance of 0.1% for reported decimals.
 */
export function assessTarget(comparator: string, target: number, latest: number | null | undefined): TargetStatus {
  if (latest === null || latest === undefined || Number.isNaN(latest)) return 'no_data';
  switch (comparator) {
    case '<=':
      return latest <= target ? 'met' : 'not_met';
    case '<':
      return latest < target ? 'met' : 'not_met';
    case '>=':
      return latest >= target ? 'met' : 'not_met';
    case '>':
      return latest > target ? 'met' : 'not_met';
    default:
      return Math.abs(latest - target) <= Math.abs(target) * 0.001 ? 'met' : 'not_met';
  }
}

interface GroupAcc {
  assignments: number;
  byStatus: StatusCounts;
  lights: LightCounts;
  tasks?: Set<number>;
}

const newAcc = (): GroupAcc => ({ assignments: 0, byStatus: emptyStatus(), lights: emptyLights() });

function addTo(acc: GroupAcc, word: StatusWord, light: Light) {
  acc.assignments++;
  acc.byStatus[word]++;
  acc.lights[light]++;
}

function finish(acc: GroupAcc, key: string, label: string): GroupStats {
  return {
    key,
    label,
    assignments: acc.assignments,
    byStatus: acc.byStatus,
    lights: acc.lights,
    completion: completionOf(acc.byStatus, acc.assignments),
  };
}

/** All the numbers, from rows and a date. Pure; O(assignments + deadlines). */
export function computeStats(input: StatsInput, opts: { dueSoonDays?: number } = {}): Stats {
  const dueSoonDays = opts.dueSoonDays ?? DUE_SOON_DAYS;
  const { today } = input;
  const horizon = addDays(today, dueSoonDays);
  const taskById = new Map(input.tasks.map((t) => [t.id, t]));
  const escalationByKey = new Map<string, StatsEscalation>();
  for (const e of input.escalations) escalationByKey.set(`${e.assignmentId}|${e.dueDate ?? ''}`, e);

  const asgByStatus = emptyStatus();
  const lights = emptyLights();
  const taskWords = new Map<number, { all: string[]; lead: string[]; allLight: Light; leadLight: Light | null }>();
  const chapterAcc = new Map<number, GroupAcc>();
  const unitAcc = new Map<number, GroupAcc & { name: string; kind: string }>();
  const overdue: OverdueItem[] = [];
  const dueSoon: DueItem[] = [];
  const asgInfo = new Map<number, { unitName: string; task: StatsTask }>();
  const roleOf = new Map<number, string>();
  // Within one task: the lead unit first, then the others in the plan's unit order.
  const leadFirst = (a: { assignmentId: number; unitId: number }, b: { assignmentId: number; unitId: number }) =>
    compareLeadFirst({ role: roleOf.get(a.assignmentId) ?? 'co', unitId: a.unitId }, { role: roleOf.get(b.assignmentId) ?? 'co', unitId: b.unitId });

  for (const a of input.assignments) {
    const task = taskById.get(a.taskId);
    if (!task) continue;
    asgInfo.set(a.id, { unitName: a.unitName, task });
    roleOf.set(a.id, a.role);
    const as = assessAssignment(a, task.deadlines, today);
    const word = as.statusWord as StatusWord;
    asgByStatus[word]++;
    lights[as.light]++;
    let tw = taskWords.get(task.id);
    if (!tw) taskWords.set(task.id, (tw = { all: [], lead: [], allLight: 'green', leadLight: null }));
    tw.all.push(word);
    if (LIGHT_RANK[as.light] > LIGHT_RANK[tw.allLight]) tw.allLight = as.light;
    if (a.role === 'lead') {
      tw.lead.push(word);
      if (!tw.leadLight || LIGHT_RANK[as.light] > LIGHT_RANK[tw.leadLight]) tw.leadLight = as.light;
    }

    let ch = chapterAcc.get(task.chapter);
    if (!ch) chapterAcc.set(task.chapter, (ch = newAcc()));
    addTo(ch, word, as.light);
    let u = unitAcc.get(a.unitId);
    if (!u) unitAcc.set(a.unitId, (u = { ...newAcc(), name: a.unitName, kind: a.unitKind }));
    addTo(u, word, as.light);

    if (as.overdueDays > 0 && as.due) {
      const esc =
        escalationByKey.get(`${a.id}|${as.due.date}`) ??
        // An extension moves the due date; steps logged for the old date no longer apply.
        (as.due.extended ? undefined : escalationByKey.get(`${a.id}|`));
      overdue.push({
        assignmentId: a.id,
        unitId: a.unitId,
        unitName: a.unitName,
        taskCode: task.code,
        taskTitle: task.title,
        chapter: task.chapter,
        dueDate: as.due.date,
        dueLabel: as.due.label,
        daysOverdue: as.overdueDays,
        percent: a.percent,
        escalationLevel: esc?.level ?? 0,
        escalationStep: escalationStepZh(esc),
      });
    } else if (as.open && as.due && as.due.date >= today && as.due.date <= horizon) {
      dueSoon.push({
        assignmentId: a.id,
        unitId: a.unitId,
        unitName: a.unitName,
        taskCode: task.code,
        taskTitle: task.title,
        chapter: task.chapter,
        dueDate: as.due.date,
        dueLabel: as.due.label,
        daysLeft: as.daysLeft ?? 0,
        percent: a.percent,
        statusWord: as.statusWord,
      });
    }
  }

  const taskByStatus = emptyStatus();
  const taskLights = emptyLights();
  const chapterTasks = new Map<number, number>();
  for (const t of input.tasks) {
    const tw = taskWords.get(t.id);
    let word: StatusWord;
    let light: Light;
    if (tw) {
      // Every assignment counts (lead, co-units, counties): see rollUpTaskStatus.
      word = rollUpTaskStatus(tw.all);
      light = tw.allLight;
    } else {
      // A task nobody is assigned to is assessed as not started against its own deadlines.
      const as = assessAssignment({ state: 'not_started', percent: 0, extendedTo: null, lastReportAt: null }, t.deadlines, today);
      word = as.statusWord as StatusWord;
      light = as.light;
    }
    taskByStatus[word]++;
    taskLights[light]++;
    chapterTasks.set(t.chapter, (chapterTasks.get(t.chapter) ?? 0) + 1);
  }

  const chapterNumbers = new Set<number>([...input.chapters.map((c) => c.number), ...chapterTasks.keys()]);
  const chapterMeta = new Map(input.chapters.map((c) => [c.number, c]));
  const chapters: ChapterStats[] = [...chapterNumbers]
    .sort((a, b) => a - b)
    .filter((n) => (chapterTasks.get(n) ?? 0) > 0)
    .map((n) => {
      const meta = chapterMeta.get(n);
      const short = meta?.short || meta?.title || `第${n}章`;
      return {
        ...finish(chapterAcc.get(n) ?? newAcc(), String(n), short),
        number: n,
        title: meta?.title ?? short,
        tasks: chapterTasks.get(n) ?? 0,
      };
    });

  const units: UnitStats[] = [...unitAcc.entries()]
    .map(([unitId, acc]) => ({ ...finish(acc, String(unitId), acc.name), unitId, kind: acc.kind }))
    .sort((a, b) => a.unitId - b.unitId); // the plan's official order (see compareUnitOrder)

  overdue.sort((a, b) => b.daysOverdue - a.daysOverdue || compareCodes(a.taskCode, b.taskCode) || leadFirst(a, b));
  dueSoon.sort((a, b) => a.daysLeft - b.daysLeft || compareCodes(a.taskCode, b.taskCode) || leadFirst(a, b));

  const pendingExtensions: ExtensionItem[] = [];
  for (const e of [...input.pendingExtensions].sort((a, b) => a.createdAt - b.createdAt)) {
    const info = asgInfo.get(e.assignmentId);
    if (!info) continue;
    pendingExtensions.push({
      id: e.id,
      assignmentId: e.assignmentId,
      unitName: info.unitName,
      taskCode: info.task.code,
      taskTitle: info.task.title,
      currentDue: e.currentDue,
      newDueDate: e.newDueDate,
      reason: e.reason,
    });
  }

  const targets: TargetItem[] = input.targets.map((t) => ({ ...t, status: assessTarget(t.comparator, t.value, t.latest?.value) }));

  const assessed = input.assignments.filter((a) => taskById.has(a.taskId)).length;
  return {
    planId: input.planId,
    planTitle: input.planTitle,
    today,
    dueSoonDays,
    tasks: { total: input.tasks.length, byStatus: taskByStatus, lights: taskLights },
    assignments: { total: assessed, byStatus: asgByStatus },
    lights,
    completion: completionOf(asgByStatus, assessed),
    chapters,
    units,
    counties: units.filter((u) => u.kind === 'county'),
    overdue,
    dueSoon,
    pendingExtensions,
    targets,
  };
}

export interface StatsFilter {
  unitIds?: number[];
  /** Only units of kind 'county'. */
  countiesOnly?: boolean;
  chapter?: number;
}

/**
 * Narrow the input before computing, so a filtered view uses exactly the same arithmetic as the whole.
 * Tasks are kept when at least one of their assignments is kept (or, for a chapter filter, by chapter).
 */
export function filterStatsInput(input: StatsInput, f: StatsFilter): StatsInput {
  const unitSet = f.unitIds ? new Set(f.unitIds) : null;
  const byUnit = unitSet || f.countiesOnly;
  const assignments = input.assignments.filter(
    (a) => (!unitSet || unitSet.has(a.unitId)) && (!f.countiesOnly || a.unitKind === 'county'),
  );
  const withAsg = new Set(assignments.map((a) => a.taskId));
  const tasks = input.tasks.filter(
    (t) => (f.chapter === undefined || t.chapter === f.chapter) && (!byUnit || withAsg.has(t.id)),
  );
  const taskIds = new Set(tasks.map((t) => t.id));
  const keptAsg = assignments.filter((a) => taskIds.has(a.taskId));
  const asgIds = new Set(keptAsg.map((a) => a.id));
  return {
    ...input,
    chapters: f.chapter === undefined ? input.chapters : input.chapters.filter((c) => c.number === f.chapter),
    tasks,
    assignments: keptAsg,
    escalations: input.escalations.filter((e) => asgIds.has(e.assignmentId)),
    pendingExtensions: input.pendingExtensions.filter((e) => asgIds.has(e.assignmentId)),
    // Targets are plan-wide; a unit or chapter view does not repeat them.
    targets: byUnit || f.chapter !== undefined ? [] : input.targets,
  };
}

/** The part of the stats kept with each sent digest: enough for next week's "change since last week". */
export interface StatsSummary {
  today: string;
  tasks: { total: number; byStatus: StatusCounts; lights: LightCounts };
  assignments: { total: number; byStatus: StatusCounts };
  lights: LightCounts;
  completion: Completion;
  chapters: Array<{ number: number; label: string; closedRate: number; doneRate: number }>;
  overdue: number;
  dueSoon: number;
  pendingExtensions: number;
  targets: Array<{ code: string; latest: number | null; status: TargetStatus }>;
}

export function summarizeStats(s: Stats): StatsSummary {
  return {
    today: s.today,
    tasks: s.tasks,
    assignments: s.assignments,
    lights: s.lights,
    completion: s.completion,
    chapters: s.chapters.map((c) => ({
      number: c.number,
      label: c.label,
      closedRate: c.completion.closedRate,
      doneRate: c.completion.doneRate,
    })),
    overdue: s.overdue.length,
    dueSoon: s.dueSoon.length,
    pendingExtensions: s.pendingExtensions.length,
    targets: s.targets.map((t) => ({ code: t.code, latest: t.latest?.value ?? null, status: t.status })),
  };
}
