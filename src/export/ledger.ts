// The 台账 (ledger): every active task of a plan with its units, deadlines, status and latest progress,
// in the task-assignment table's own columns so an exported file re-imports cleanly.
// Built here from the stored plan (src/db/plan-store.ts) and the ledger reads (src/db/ledger-store.ts), with status
// and targets judged by src/domain/; written as xlsx / csv / JSON by ./write.ts (with the report sheets of
// src/reports/ and the CSV codec of src/import/, the one direction allowed between export/ and import/).
import type { Db } from '../db/client.js';
import { readLatestReports, readLedgerAssignments, readPlanTargets } from '../db/ledger-store.js';
import { firstPlanCode, planIdOf, readStoredPlan, unitNamesById } from '../db/plan-store.js';
import { loadLatestMetrics } from '../db/stats-store.js';
import { COMPARATOR_ZH, formatTargetValue, periodZh } from '../domain/metric-value.js';
import { assessTarget } from '../domain/stats.js';
import { SHANGHAI_OFFSET_MS, shanghaiDate } from '../domain/dates.js';
import { formatDeadlines } from '../domain/deadline-text.js';
import { taskStatusWord } from '../domain/status.js';
import type { PlanFile } from '../domain/plan-file.js';
import { assessAssignment } from '../domain/status.js';

export const LEDGER_COLUMNS = [
  '序号',
  '篇章',
  '标题',
  '任务',
  '牵头单位',
  '配合单位',
  '完成时限',
  '备注',
  '状态',
  '进度(%)',
  '最新进展',
  '最新报送时间',
] as const;

export interface LedgerRow {
  code: string;
  chapter: string;
  title: string;
  task: string;
  /** Unit names; a proposed (unconfirmed) assignment is marked "（待确认）". */
  lead: string[];
  co: string[];
  deadline: string;
  deadlines: PlanFile['tasks'][number]['deadlines'];
  note: string;
  status: string;
  percent: number;
  latestProgress: string;
  /** 'YYYY-MM-DD HH:MM' Asia/Shanghai, or ''. */
  latestReportAt: string;
}

/** One row per assignment (task × unit): the 分工明细 sheet. */
export interface LedgerAssignment {
  code: string;
  title: string;
  unit: string;
  /** 牵头 | 配合 */
  role: string;
  status: string;
  percent: number;
  /** The assignment's current due date (an approved extension included), 'YYYY-MM-DD' or ''. */
  dueDate: string;
  extended: boolean;
  latestNote: string;
  /** 'YYYY-MM-DD HH:MM' Asia/Shanghai, or ''. */
  latestReportAt: string;
}

/** One row per target: the 指标 sheet. */
export interface LedgerTarget {
  code: string;
  taskCode: string;
  indicator: string;
  comparator: string;
  value: number;
  /** "≤ 24" (water classes as Ⅱ类). */
  goal: string;
  unit: string;
  year: number;
  scope: string;
  latestValue: number | null;
  /** The value as reported ("Ⅱ类", "85%"), or ''. */
  latestText: string;
  /** '2022年7月', or '' when the report named no period. */
  latestPeriod: string;
  latestUnit: string;
  latestReportAt: string;
  /** 已达标 | 未达标 | 暂无数据 */
  met: string;
}

export interface Ledger {
  plan: { code: string; title: string };
  exportedAt: number;
  /** 制表日期, 'YYYY-MM-DD' Asia/Shanghai (the day of exportedAt). */
  madeOn: string;
  rows: LedgerRow[];
  assignments: LedgerAssignment[];
  targets: LedgerTarget[];
}

/** The title line: 《plan》任务台账 and 制表日期. */
export function ledgerTitle(l: Pick<Ledger, 'plan' | 'madeOn'>): string {
  const [y, m, d] = l.madeOn.split('-').map(Number);
  return `《${l.plan.title}》任务台账　　制表日期：${y}年${m}月${d}日`;
}

export const PROPOSED_MARK = '（待确认）';

/** One word for a task: the shared rule in src/domain/status.ts. */
export { taskStatusWord };

function formatInstant(ms: number): string {
  const d = new Date(ms + SHANGHAI_OFFSET_MS);
  return `${shanghaiDate(ms)} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

/** Pick the plan: the given code, else the only (or first) stored plan. */
export async function resolveExportPlan(db: Db, code?: string): Promise<string | null> {
  if (code) return code;
  return firstPlanCode(db);
}

/** Build the ledger of plan `code` as of `now`. Withdrawn tasks are left out (re-importing must not revive them). */
export async function buildLedger(db: Db, code: string, now: number): Promise<Ledger | null> {
  const plan = await readStoredPlan(db, code);
  if (!plan) return null;
  const planId = (await planIdOf(db, code))!;
  const today = shanghaiDate(now);

  const rows = await readLedgerAssignments(db, planId);
  const byTask = new Map<string, typeof rows>();
  for (const r of rows) byTask.set(r.taskCode, [...(byTask.get(r.taskCode) ?? []), r]);

  // Latest report per assignment.
  const latestByAssignment = await readLatestReports(db, rows.map((r) => r.id));

  const chapterTitle = new Map(plan.chapters.map((c) => [c.number, c.title]));
  const order = (code: string) => code.split('.').map(Number);
  const sorted = [...plan.tasks].sort((a, b) => {
    const x = order(a.code);
    const y = order(b.code);
    return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
  });
  const out: LedgerRow[] = sorted.map((t) => {
    const as = byTask.get(t.code) ?? [];
    // The status is rolled up from every assignment (src/domain/status.ts rollUpTaskStatus), like 统计 and the digest.
    const words = as.map((a) => assessAssignment(a, t.deadlines.map((d) => ({ ...d, dueDate: d.dueDate ?? null })), today).statusWord);
    // The percent, like the status, is the whole task's: the mean over every assignment (a closed one counts 100),
    // so a lead unit's 销号 never shows 100% on a task whose co-units are overdue.
    const percent = as.length ? Math.round(as.reduce((s, a) => s + (a.state === 'closed' ? 100 : a.percent), 0) / as.length) : 0;
    let latest: { unit: string; note: string | null; percent: number | null; createdAt: number } | undefined;
    for (const a of as) {
      const l = latestByAssignment.get(a.id);
      if (l && (!latest || l.createdAt > latest.createdAt)) latest = { unit: a.unit, ...l };
    }
    const mark = (unit: string, proposed: boolean) => (proposed ? `${unit}${PROPOSED_MARK}` : unit);
    return {
      code: t.code,
      chapter: chapterTitle.get(Number(t.code.split('.')[0])) ?? '',
      title: t.title,
      task: t.text,
      lead: t.assignments.filter((a) => a.role === 'lead').map((a) => mark(a.unit, a.proposed)),
      co: t.assignments.filter((a) => a.role === 'co').map((a) => mark(a.unit, a.proposed)),
      deadline: formatDeadlines(t.deadlines),
      deadlines: t.deadlines,
      note: t.note ?? '',
      status: taskStatusWord(words),
      percent,
      latestProgress: latest
        ? `${latest.unit}：${latest.note ?? (latest.percent != null ? `进度 ${latest.percent}%` : '已报送')}`
        : '',
      latestReportAt: latest ? formatInstant(latest.createdAt) : '',
    };
  });

  // One row per assignment, lead unit first, in task order.
  const asgRows: LedgerAssignment[] = [];
  for (const t of sorted) {
    const as = [...(byTask.get(t.code) ?? [])].sort((a, b) => (a.role === 'lead' ? 0 : 1) - (b.role === 'lead' ? 0 : 1) || a.id - b.id);
    for (const a of as) {
      const assessment = assessAssignment(a, t.deadlines.map((d) => ({ ...d, dueDate: d.dueDate ?? null })), today);
      const l = latestByAssignment.get(a.id);
      asgRows.push({
        code: t.code,
        title: t.title,
        unit: a.unit,
        role: a.role === 'lead' ? '牵头' : '配合',
        status: assessment.statusWord,
        percent: a.state === 'closed' ? 100 : a.percent,
        dueDate: assessment.due?.date ?? '',
        extended: !!assessment.due?.extended,
        latestNote: l ? l.note ?? (l.percent != null ? `进度 ${l.percent}%` : '已报送') : '',
        latestReportAt: l ? formatInstant(l.createdAt) : '',
      });
    }
  }

  // Every target with its latest reported value.
  const tg = await readPlanTargets(db, planId);
  const unitName = await unitNamesById(db);
  const targetRows: LedgerTarget[] = [];
  // The city-wide latest value, by the same rule as the digest, 统计, the board and 指标 (never a county's value).
  const latestMetrics = await loadLatestMetrics(db, planId);
  for (const { t, taskCode } of tg) {
    const m = latestMetrics.get(t.id)?.city ?? null;
    const status = assessTarget(t.comparator, t.value, m?.value);
    targetRows.push({
      code: t.code,
      taskCode: taskCode ?? '',
      indicator: t.indicator,
      comparator: t.comparator,
      value: t.value,
      goal: `${COMPARATOR_ZH[t.comparator] ?? t.comparator} ${formatTargetValue(t.value, /^类/.test(t.unit ?? '') ? t.unit : null)}`,
      unit: t.unit ?? '',
      year: t.year,
      scope: t.scope ?? '',
      latestValue: m?.value ?? null,
      latestText: m ? m.valueText ?? String(m.value) : '',
      latestPeriod: m?.period ? periodZh(m.period) : '',
      latestUnit: m?.unitId ? unitName.get(m.unitId) ?? '' : '',
      latestReportAt: m ? formatInstant(m.createdAt) : '',
      met: status === 'met' ? '已达标' : status === 'not_met' ? '未达标' : '暂无数据',
    });
  }
  return { plan: { code: plan.code, title: plan.title }, exportedAt: now, madeOn: today, rows: out, assignments: asgRows, targets: targetRows };
}

/** A ledger row as the table's cells, in LEDGER_COLUMNS order. */
export function ledgerCells(r: LedgerRow): Array<string | number> {
  return [r.code, r.chapter, r.title, r.task, r.lead.join('、'), r.co.join('、'), r.deadline, r.note, r.status, r.percent, r.latestProgress, r.latestReportAt];
}
