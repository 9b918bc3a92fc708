// The office's report tables for the 台账 export: per-unit and per-county summaries and the overdue list, as
// plain rows (the export writes them as xlsx sheets, CSV or JSON). Pure: built from computeStats' output,
// so the ledger, 统计 and the weekly digest can never disagree.
import type { GroupStats, Stats, UnitStats } from '../domain/stats.js';

export interface Sheet {
  /** Sheet name (xlsx tab; <= 31 characters, no []:*?/\). */
  name: string;
  headers: string[];
  rows: Array<Array<string | number>>;
}

const KIND_ZH: Record<string, string> = { department: '部门', county: '县区', office: '办公室', other: '其他' };

const GROUP_HEADERS = ['责任分工', '未开始', '进行中', '待核验', '已销号', '逾期', '红灯', '黄灯', '绿灯', '完成率(%)', '含待核验完成率(%)'];

function groupCells(g: GroupStats): Array<string | number> {
  return [
    g.assignments,
    g.byStatus['未开始'],
    g.byStatus['进行中'],
    g.byStatus['待核验'],
    g.byStatus['已销号'],
    g.byStatus['逾期'],
    g.lights.red,
    g.lights.yellow,
    g.lights.green,
    g.completion.closedRate,
    g.completion.doneRate,
  ];
}

function byName(list: UnitStats[]): UnitStats[] {
  return [...list].sort((a, b) => a.unitId - b.unitId); // the plan's official unit order, never pinyin
}

/** One row per unit with assignments, plus a 合计 row equal to the plan's overall numbers. */
export function unitSummarySheet(s: Stats): Sheet {
  return {
    name: '分单位汇总',
    headers: ['单位', '类型', ...GROUP_HEADERS],
    rows: [
      ...byName(s.units).map((u) => [u.label, KIND_ZH[u.kind] ?? u.kind, ...groupCells(u)]),
      ['合计', '', ...groupCells({ key: 'all', label: '合计', assignments: s.assignments.total, byStatus: s.assignments.byStatus, lights: s.lights, completion: s.completion })],
    ],
  };
}

/** One row per county (unit kind 'county'), plus a 合计 over the counties. */
export function countySummarySheet(s: Stats): Sheet {
  const total = s.counties.reduce(
    (acc, c) => {
      acc.assignments += c.assignments;
      for (const k of Object.keys(acc.byStatus) as Array<keyof typeof acc.byStatus>) acc.byStatus[k] += c.byStatus[k];
      for (const k of ['red', 'yellow', 'green'] as const) acc.lights[k] += c.lights[k];
      return acc;
    },
    { assignments: 0, byStatus: { 未开始: 0, 进行中: 0, 待核验: 0, 已销号: 0, 逾期: 0 }, lights: { red: 0, yellow: 0, green: 0 } },
  );
  const pct = (n: number) => (total.assignments === 0 ? 0 : Math.round((n / total.assignments) * 1000) / 10);
  const closed = total.byStatus['已销号'];
  const done = closed + total.byStatus['待核验'];
  return {
    name: '分县区汇总',
    headers: ['县区', ...GROUP_HEADERS],
    rows: [
      ...byName(s.counties).map((c) => [c.label, ...groupCells(c)]),
      [
        '合计',
        ...groupCells({
          key: 'counties',
          label: '合计',
          ...total,
          completion: { total: total.assignments, closed, done, closedRate: pct(closed), doneRate: pct(done) },
        }),
      ],
    ],
  };
}

/** One row per chapter. */
export function chapterSummarySheet(s: Stats): Sheet {
  return {
    name: '分篇章汇总',
    headers: ['篇章', '名称', '任务', ...GROUP_HEADERS],
    rows: s.chapters.map((c) => [`${c.number} ${c.label}`, c.title, c.tasks, ...groupCells(c)]),
  };
}

/** A note for the overdue sheet's readers: where 督办步骤 comes from. */
export const LEDGER_STEP_NOTE = '督办步骤来自提醒记录：未提醒 / 已提醒 / 已报办公室 / 已报领导';

/** Every overdue assignment, most overdue first. */
export function overdueSheet(s: Stats): Sheet {
  return {
    name: '逾期清单',
    headers: ['序号', '单位', '任务编号', '任务', '篇章', '到期日', '期限', '逾期天数', '进度(%)', '督办步骤'],
    rows: s.overdue.map((o, i) => {
      const ch = s.chapters.find((c) => c.number === o.chapter);
      return [i + 1, o.unitName, o.taskCode, o.taskTitle, ch ? ch.label : String(o.chapter), o.dueDate, o.dueLabel, o.daysOverdue, o.percent, o.escalationStep];
    }),
  };
}

export type LedgerReport = 'summary' | 'overdue';

/** The sheets of a `--report` view: summary = chapters, units, counties; overdue = the overdue list. */
export function ledgerReportSheets(s: Stats, report: LedgerReport): Sheet[] {
  return report === 'overdue' ? [overdueSheet(s)] : [chapterSummarySheet(s), unitSummarySheet(s), countySummarySheet(s)];
}

/** All report sheets, to append to the 台账 workbook. */
export function ledgerExtraSheets(s: Stats): Sheet[] {
  return [chapterSummarySheet(s), unitSummarySheet(s), countySummarySheet(s), overdueSheet(s)];
}

/** A sheet as RFC 4180 CSV (CRLF, quotes doubled). */
export function sheetToCsv(sheet: Sheet): string {
  const cell = (v: string | number) => {
    const t = String(v);
    return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
  };
  return [sheet.headers, ...sheet.rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** A sheet as JSON records keyed by header. */
export function sheetToRecords(sheet: Sheet): Array<Record<string, string | number>> {
  return sheet.rows.map((r) => Object.fromEntries(sheet.headers.map((h, i) => [h, r[i] ?? ''])));
}
