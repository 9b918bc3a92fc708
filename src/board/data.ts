// What the board shows, read and computed with the same functions as `统计` and the weekly digest
// (loadStatsInput → filterStatsInput → computeStats), so a number on the board is the number in chat.
// Scope first (a contact's own units), then the page's filters; every data route goes through here.
import {
  activePlanTask,
  assignmentsWithUnits,
  deadlinesInOrder,
  extensionRequestsOf,
  recentDigestSummaries,
  reportEvidenceLinks,
  reportsWithNames,
} from '../db/board-store.js';
import type { Db } from '../db/client.js';
import { evidenceOfAssignments } from '../db/evidence-store.js';
import { findReportPlan, listUnits, loadStatsInput } from '../db/stats-store.js';
import { computeDeltas, digestWeekKey, type DigestDeltas } from '../domain/digest.js';
import { isIsoDate, shanghaiDate, shanghaiInstant } from '../domain/dates.js';
import { assessAssignment, compareLeadFirst, rollUpLight, rollUpTaskStatus, type Light, type TaskStatusWord } from '../domain/status.js';
import {
  computeStats,
  filterStatsInput,
  STATUS_WORDS,
  summarizeStats,
  type LightCounts,
  type Stats,
  type StatsInput,
  type StatsSummary,
  type StatusCounts,
  type UnitStats,
} from '../domain/stats.js';
import { previousDigest } from '../reports/digest-run.js';
import { resolveUnit } from '../domain/view-filter.js';
import { DubanError } from '../domain/errors.js';

/** Who is looking: everything (office, leaders) or only some units (a contact). */
export interface BoardScope {
  all: boolean;
  unitIds: number[];
}

export type StatusFilter = (typeof STATUS_WORDS)[number] | Light;
export const LIGHT_FILTERS: Light[] = ['red', 'yellow', 'green'];

export interface BoardQuery {
  /** 'YYYY-MM-DD' (Asia/Shanghai); absent: today. */
  at?: string;
  chapter?: number;
  unitId?: number;
  status?: StatusFilter;
}

export class BoardInputError extends DubanError {
  constructor(
    message: string,
    readonly status: 400 | 403 | 404,
  ) {
    super('board_input', message);
  }
}

/** Read ?at=, ?chapter=, ?unit=, ?status= into a query; bad values get a Chinese error that says what is allowed. */
export function parseBoardQuery(
  q: Record<string, string | undefined>,
  ctx: { chapters: Array<{ number: number; short: string }>; units: Array<{ id: number; name: string; kind: string; aliases: string[] }> },
): BoardQuery {
  const out: BoardQuery = {};
  const at = q.at?.trim();
  if (at) {
    if (!isIsoDate(at)) throw new BoardInputError(`日期「${at}」无效，请写成 2022-07-05 这样的格式（年-月-日）。`, 400);
    out.at = at;
  }
  const ch = q.chapter?.trim();
  if (ch) {
    const n = Number(ch);
    if (!ctx.chapters.some((c) => c.number === n)) {
      throw new BoardInputError(`没有第「${ch}」章。现有篇章：${ctx.chapters.map((c) => `${c.number}（${c.short}）`).join('、')}。`, 400);
    }
    out.chapter = n;
  }
  const u = q.unit?.trim();
  if (u) {
    const byId = /^\d+$/.test(u) ? ctx.units.find((x) => x.id === Number(u)) : undefined;
    const r = byId ? { unit: byId } : resolveUnit(u, ctx.units);
    if (!('unit' in r)) {
      const hint = r.suggestions.length ? `您是不是要找：${r.suggestions.join('、')}？` : '请从“单位”下拉框中选择。';
      throw new BoardInputError(`没有找到单位「${u}」。${hint}`, 400);
    }
    out.unitId = r.unit.id;
  }
  const s = q.status?.trim();
  if (s) {
    if (!(STATUS_WORDS as readonly string[]).includes(s) && !(LIGHT_FILTERS as string[]).includes(s)) {
      throw new BoardInputError(`状态「${s}」无效，可选：${STATUS_WORDS.join('、')}，或 red / yellow / green（红黄绿灯）。`, 400);
    }
    out.status = s as StatusFilter;
  }
  return out;
}

export interface MatrixCell {
  assignments: number;
  lights: LightCounts;
  byStatus: StatusCounts;
  /** The cell's colour: red if any red, else yellow if any yellow, else green; null when empty. */
  light: Light | null;
}

export interface MatrixRow {
  unitId: number;
  name: string;
  kind: string;
  cells: Array<MatrixCell | null>;
  total: UnitStats | null;
}

export interface AssignmentLine {
  assignmentId: number;
  taskCode: string;
  taskTitle: string;
  chapter: number;
  unitId: number;
  unitName: string;
  role: string;
  statusWord: string;
  light: Light;
  percent: number;
  dueDate: string | null;
  dueLabel: string | null;
}

/** Pure: one assignment as the board lists it (the board's list and the task page share it). */
function assignmentLine(
  a: { id: number; unitId: number; role: string; percent: number },
  t: { code: string; title: string; chapter: number },
  unitName: string,
  as: Pick<ReturnType<typeof assessAssignment>, 'statusWord' | 'light' | 'due'>,
): AssignmentLine {
  return {
    assignmentId: a.id,
    taskCode: t.code,
    taskTitle: t.title,
    chapter: t.chapter,
    unitId: a.unitId,
    unitName,
    role: a.role,
    statusWord: as.statusWord,
    light: as.light,
    percent: a.percent,
    dueDate: as.due?.date ?? null,
    dueLabel: as.due?.label ?? null,
  };
}

export interface TrendPoint {
  weekKey: string;
  today: string;
  closedRate: number;
  lights: LightCounts;
}

export interface BoardView {
  planTitle: string;
  today: string;
  /** The real date when the board is shown as of another date (?at=). */
  realToday: string;
  query: BoardQuery;
  scope: BoardScope;
  stats: Stats;
  chapters: Array<{ number: number; short: string; title: string }>;
  /** Units that may be chosen in the unit filter (the scope's). */
  unitChoices: Array<{ id: number; name: string; kind: string }>;
  matrix: MatrixRow[];
  countyRanking: UnitStats[];
  /** Change since the last weekly digest before this week (office and leaders, unfiltered view only). */
  deltas: DigestDeltas | null;
  /** Closed rate and lights of the stored digests, oldest first (office and leaders). */
  trend: TrendPoint[];
  /** The assignments behind the numbers, filtered; worst first. */
  list: AssignmentLine[];
}

const LIGHT_RANK: Record<Light, number> = { red: 2, yellow: 1, green: 0 };
const cellLight = (l: LightCounts, n: number): Light | null => (n === 0 ? null : l.red > 0 ? 'red' : l.yellow > 0 ? 'yellow' : 'green');

/** Units in the plan's official order: counties as the plan lists them, then departments and the rest. */
export function officialUnitOrder<U extends { id: number; kind: string }>(list: U[]): U[] {
  const byId = [...list].sort((a, b) => a.id - b.id);
  return [...byId.filter((u) => u.kind === 'county'), ...byId.filter((u) => u.kind !== 'county')];
}

/** Keep only assignments whose status word or light matches (tasks without any kept assignment go too). */
export function filterByStatus(input: StatsInput, status: StatusFilter): StatsInput {
  const taskById = new Map(input.tasks.map((t) => [t.id, t]));
  const keep = input.assignments.filter((a) => {
    const t = taskById.get(a.taskId);
    if (!t) return false;
    const as = assessAssignment(a, t.deadlines, input.today);
    return as.statusWord === status || as.light === status;
  });
  const taskIds = new Set(keep.map((a) => a.taskId));
  const asgIds = new Set(keep.map((a) => a.id));
  return {
    ...input,
    tasks: input.tasks.filter((t) => taskIds.has(t.id)),
    assignments: keep,
    escalations: input.escalations.filter((e) => asgIds.has(e.assignmentId)),
    pendingExtensions: input.pendingExtensions.filter((e) => asgIds.has(e.assignmentId)),
    targets: [],
  };
}

/**
 * Task-level numbers under a status filter: the tasks whose status rolled up from ALL their assignments (in the
 * view's scope) matches, counted by computeStats over those tasks with all their assignments. So `?status=已销号`
 * counts exactly the tasks 统计 calls 已销号, not every task with one closed assignment (a task whose lead unit
 * closed while a co-unit is overdue is 逾期, never 已销号).
 */
export function tasksMatchingStatus(input: StatsInput, status: StatusFilter): Stats['tasks'] {
  const byTask = new Map<number, { words: string[]; lights: Light[] }>();
  const taskById = new Map(input.tasks.map((t) => [t.id, t]));
  for (const a of input.assignments) {
    const t = taskById.get(a.taskId);
    if (!t) continue;
    const as = assessAssignment(a, t.deadlines, input.today);
    let g = byTask.get(t.id);
    if (!g) byTask.set(t.id, (g = { words: [], lights: [] }));
    g.words.push(as.statusWord);
    g.lights.push(as.light);
  }
  const keep = new Set<number>();
  for (const t of input.tasks) {
    const g = byTask.get(t.id);
    const as = g ? null : assessAssignment({ state: 'not_started', percent: 0, extendedTo: null, lastReportAt: null }, t.deadlines, input.today);
    const word = g ? rollUpTaskStatus(g.words) : as!.statusWord;
    const light = g ? rollUpLight(g.lights) : as!.light;
    if (word === status || light === status) keep.add(t.id);
  }
  return computeStats({
    ...input,
    tasks: input.tasks.filter((t) => keep.has(t.id)),
    assignments: input.assignments.filter((a) => keep.has(a.taskId)),
    escalations: [],
    pendingExtensions: [],
    targets: [],
  }).tasks;
}

/** The stats input as the viewer may see it, before the page's filters. */
export function scopeInput(input: StatsInput, scope: BoardScope): StatsInput {
  return scope.all ? input : filterStatsInput(input, { unitIds: scope.unitIds });
}

export function assertUnitInScope(scope: BoardScope, unitId: number, unitName: string): void {
  if (!scope.all && !scope.unitIds.includes(unitId)) {
    throw new BoardInputError(`你只能查看本单位的情况，不能查看「${unitName}」。`, 403);
  }
}

/** Everything the board page shows for a viewer, a date and filters. */
export async function loadBoard(db: Db, scope: BoardScope, query: BoardQuery, now: number): Promise<BoardView> {
  const realToday = shanghaiDate(now);
  const today = query.at ?? realToday;
  const [raw, unitRows] = await Promise.all([loadStatsInput(db, undefined, today), listUnits(db)]);
  if (raw.planId === null) throw new BoardInputError('还没有导入方案，暂无数据。请办公室先导入方案。', 404);
  if (query.unitId !== undefined) {
    const u = unitRows.find((x) => x.id === query.unitId);
    assertUnitInScope(scope, query.unitId, u?.name ?? String(query.unitId));
  }
  const scoped = scopeInput(raw, scope);
  let input = filterStatsInput(scoped, {
    ...(query.unitId !== undefined ? { unitIds: [query.unitId] } : {}),
    ...(query.chapter !== undefined ? { chapter: query.chapter } : {}),
  });
  // Filters narrow the input; computeStats does the arithmetic, exactly as for 统计.
  const statusTasks = query.status ? tasksMatchingStatus(input, query.status) : null;
  if (query.status) input = filterByStatus(input, query.status);
  const stats = computeStats(input);
  if (statusTasks) stats.tasks = statusTasks;

  const chapters = raw.chapters.filter((c) => raw.tasks.some((t) => t.chapter === c.number));
  // The matrix: one computeStats per chapter column over the same filtered input.
  const perChapter = new Map<number, Map<number, UnitStats>>();
  for (const c of chapters) {
    if (query.chapter !== undefined && c.number !== query.chapter) continue;
    const s = computeStats(filterStatsInput(input, { chapter: c.number }));
    perChapter.set(c.number, new Map(s.units.map((u) => [u.unitId, u])));
  }
  const unitTotals = new Map(stats.units.map((u) => [u.unitId, u]));
  const present = new Set(input.assignments.map((a) => a.unitId));
  const matrix: MatrixRow[] = officialUnitOrder(unitRows.filter((u) => present.has(u.id))).map((u) => ({
    unitId: u.id,
    name: u.name,
    kind: u.kind,
    total: unitTotals.get(u.id) ?? null,
    cells: chapters.map((c) => {
      const g = perChapter.get(c.number)?.get(u.id);
      return g ? { assignments: g.assignments, lights: g.lights, byStatus: g.byStatus, light: cellLight(g.lights, g.assignments) } : null;
    }),
  }));

  const countyRanking = [...stats.counties].sort(
    (a, b) =>
      b.completion.closedRate - a.completion.closedRate ||
      a.lights.red - b.lights.red ||
      b.completion.doneRate - a.completion.doneRate ||
      a.unitId - b.unitId,
  );

  const unfiltered = scope.all && query.chapter === undefined && query.unitId === undefined && !query.status;
  let deltas: DigestDeltas | null = null;
  let trend: TrendPoint[] = [];
  if (unfiltered) {
    const weekKey = digestWeekKey(shanghaiInstant(today, '12:00'));
    const prev = await previousDigest(db, weekKey);
    deltas = computeDeltas(summarizeStats(stats), prev?.summary ?? null);
    const rows = await recentDigestSummaries(db, 12);
    trend = rows
      .filter((r) => r.weekKey <= weekKey)
      .reverse()
      .map((r) => {
        const s = r.stats as unknown as StatsSummary;
        return { weekKey: r.weekKey, today: s.today, closedRate: s.completion?.closedRate ?? 0, lights: s.lights ?? { red: 0, yellow: 0, green: 0 } };
      });
  }

  const taskById = new Map(input.tasks.map((t) => [t.id, t]));
  const list: AssignmentLine[] = [];
  for (const a of input.assignments) {
    const t = taskById.get(a.taskId);
    if (!t) continue;
    const as = assessAssignment(a, t.deadlines, today);
    list.push(assignmentLine(a, t, a.unitName, as));
  }
  // ISO dates compare as plain strings (localeCompare would cost ICU work per comparison).
  const dueKey = (d: string | null) => d ?? '9999-99-99';
  list.sort((x, y) => LIGHT_RANK[y.light] - LIGHT_RANK[x.light] || (dueKey(x.dueDate) < dueKey(y.dueDate) ? -1 : dueKey(x.dueDate) > dueKey(y.dueDate) ? 1 : 0) || x.assignmentId - y.assignmentId);

  const unitChoices = officialUnitOrder(unitRows.filter((u) => scope.all || scope.unitIds.includes(u.id)))
    .filter((u) => raw.assignments.some((a) => a.unitId === u.id))
    .map((u) => ({ id: u.id, name: u.name, kind: u.kind }));

  return { planTitle: raw.planTitle, today, realToday, query, scope, stats, chapters, unitChoices, matrix, countyRanking, deltas, trend, list };
}

/** Filter choices without computing anything (for parsing the query before loadBoard). */
export async function loadFilterContext(db: Db) {
  const [plan, unitRows] = await Promise.all([findReportPlan(db), listUnits(db)]);
  return {
    chapters: (plan?.outline ?? []).map((c) => ({ number: c.number, title: c.title, short: c.short || c.title })),
    units: unitRows,
  };
}

// ---- the task page --------------------------------------------------------------------------------------------

export interface Evidence {
  /** Where it can be seen (a link), or null for a stored file shown by name. */
  url: string | null;
  name: string;
  at: number;
  by: string | null;
}

/**
 * The evidence behind an assignment's reports. Today that is the evidence link a progress report may carry;
 * when stored evidence (files, photos) exists, it is read here, and the task page shows whatever this returns.
 */
export async function evidenceForAssignments(db: Db, assignmentIds: number[]): Promise<Map<number, Evidence[]>> {
  const out = new Map<number, Evidence[]>();
  if (assignmentIds.length === 0) return out;
  const rows = await reportEvidenceLinks(db, assignmentIds);
  for (const r of rows) {
    const list = out.get(r.assignmentId) ?? [];
    list.push({ url: r.url, name: r.url ?? '', at: r.at, by: r.by });
    out.set(r.assignmentId, list);
  }
  // Stored files (issue 18): GET /evidence/:id opens them with the board session, re-checking the viewer's units.
  for (const e of await evidenceOfAssignments(db, assignmentIds)) {
    const list = out.get(e.assignmentId!) ?? [];
    list.push({ url: `/evidence/${e.id}`, name: e.name, at: e.createdAt, by: e.by });
    out.set(e.assignmentId!, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.at - b.at);
  return out;
}

export interface HistoryItem {
  at: number;
  kind: string;
  percent: number | null;
  note: string | null;
  channel: string;
  by: string | null;
}

export interface TaskAssignmentView extends AssignmentLine {
  extendedTo: string | null;
  lastReportAt: number | null;
  history: HistoryItem[];
  extensions: Array<{ at: number; newDueDate: string; reason: string; status: string; decisionNote: string | null }>;
  evidence: Evidence[];
}

export interface TaskView {
  planTitle: string;
  today: string;
  realToday: string;
  task: { id: number; code: string; title: string; chapter: number; chapterTitle: string; sourceText: string; note: string | null };
  deadlines: Array<{ kind: string; dueDate: string | null; label: string; what: string | null }>;
  /** The task's status rolled up from the assignments shown (all of them for the office and leaders), as in 统计. */
  status: { word: TaskStatusWord; light: Light };
  /** Lead unit first, then co-units in the plan's unit order. */
  assignments: TaskAssignmentView[];
  /** Assignments of units the viewer may not see (a contact): counted, not shown. */
  hiddenAssignments: number;
}

/** A task with every assignment the viewer may see; a contact sees a task only through their own units. */
export async function loadTask(db: Db, scope: BoardScope, code: string, at: string | undefined, now: number): Promise<TaskView> {
  const realToday = shanghaiDate(now);
  const today = at ?? realToday;
  const plan = await findReportPlan(db);
  if (!plan) throw new BoardInputError('还没有导入方案，暂无数据。请办公室先导入方案。', 404);
  const task = await activePlanTask(db, plan.id, code);
  if (!task) throw new BoardInputError(`没有编号为「${code}」的任务。请从看板上点选任务。`, 404);
  const [dl, asgRows] = await Promise.all([
    deadlinesInOrder(db, task.id),
    assignmentsWithUnits(db, task.id),
  ]);
  const visible = asgRows
    .filter((r) => scope.all || scope.unitIds.includes(r.a.unitId))
    .sort((x, y) => compareLeadFirst(x.a, y.a) || x.a.id - y.a.id);
  if (!scope.all && visible.length === 0) {
    throw new BoardInputError(`任务 ${code} 不是你所在单位的任务，你只能查看本单位的任务。`, 403);
  }
  const ids = visible.map((r) => r.a.id);
  const [reports, exts, evidence] = await Promise.all([
    ids.length ? reportsWithNames(db, ids) : Promise.resolve([]),
    ids.length ? extensionRequestsOf(db, ids) : Promise.resolve([]),
    evidenceForAssignments(db, ids),
  ]);
  const deadlineLikes = dl.map((d) => ({ kind: d.kind, dueDate: d.dueDate, recurrence: d.recurrence, label: d.label }));
  const outline = plan.outline.find((c) => c.number === task.chapter);
  const assessed = visible.map((r) => assessAssignment(r.a, deadlineLikes, today));
  const status = assessed.length
    ? { word: rollUpTaskStatus(assessed.map((x) => x.statusWord)), light: rollUpLight(assessed.map((x) => x.light)) }
    : (() => {
        // No assignment at all: assessed as not started against its own deadlines, as 统计 does.
        const as = assessAssignment({ state: 'not_started', percent: 0, extendedTo: null, lastReportAt: null }, deadlineLikes, today);
        return { word: as.statusWord as TaskStatusWord, light: as.light };
      })();
  return {
    planTitle: plan.title,
    today,
    realToday,
    task: {
      id: task.id,
      code: task.code,
      title: task.title,
      chapter: task.chapter,
      chapterTitle: outline ? `第${task.chapter}章 ${outline.short || outline.title}` : `第${task.chapter}章`,
      sourceText: task.sourceText,
      note: task.note,
    },
    deadlines: dl.map((d) => ({ kind: d.kind, dueDate: d.dueDate, label: d.label, what: d.what })),
    status,
    assignments: visible.map(({ a, unitName }, i) => {
      const as = assessed[i]!;
      return {
        ...assignmentLine(a, task, unitName, as),
        extendedTo: a.extendedTo,
        lastReportAt: a.lastReportAt,
        history: reports
          .filter((x) => x.r.assignmentId === a.id)
          .map((x) => ({ at: x.r.createdAt, kind: x.r.kind, percent: x.r.percent, note: x.r.note, channel: x.r.channel, by: x.by })),
        extensions: exts
          .filter((e) => e.assignmentId === a.id)
          .map((e) => ({ at: e.createdAt, newDueDate: e.newDueDate, reason: e.reason, status: e.status, decisionNote: e.decisionNote })),
        evidence: evidence.get(a.id) ?? [],
      };
    }),
    hiddenAssignments: asgRows.length - visible.length,
  };
}
