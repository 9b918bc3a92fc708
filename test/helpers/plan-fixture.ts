// Test plans for the digest and reports: a small hand-made plan, a synthetic plan of any size, a minimal
// inserter (chunked under D1's 100-parameter limit) and progress writes mirroring what the chat commands record.
import { eq } from 'drizzle-orm';
import type { Db } from '../../src/db/client.js';
import {
  assignments,
  deadlines,
  extensionRequests,
  metricReports,
  plans,
  progressReports,
  reminderLog,
  targets,
  tasks,
  units,
} from '../../src/db/schema.js';
import { readFileSync } from 'node:fs';
import { planFile, type PlanFile } from '../../src/domain/plan-file.js';

/** The plan bundled with duban (src/plans/dingxi-2022.json), validated. */
export function bundledPlan(): PlanFile {
  return planFile.parse(JSON.parse(readFileSync(new URL('../../src/plans/dingxi-2022.json', import.meta.url), 'utf8')));
}

export const CHAPTERS: PlanFile['chapters'] = [
  { number: 3, title: '加快推动绿色低碳发展', short: '减污降碳', sections: [{ number: 1, title: '碳达峰' }] },
  { number: 4, title: '深入打好蓝天保卫战', short: '蓝天', sections: [{ number: 1, title: '重污染天气' }] },
  { number: 5, title: '深入打好碧水保卫战', short: '碧水', sections: [{ number: 1, title: '黄河' }] },
  { number: 6, title: '深入打好净土保卫战', short: '净土', sections: [{ number: 1, title: '土壤' }] },
  { number: 7, title: '切实维护生态环境安全', short: '生态', sections: [{ number: 1, title: '生态保护' }] },
  { number: 8, title: '提高生态环境治理现代化水平', short: '基础', sections: [{ number: 1, title: '监测' }] },
];

/** A small plan: 6 chapters, 4 departments + 3 counties, 10 tasks, 2 targets. */
export function smallPlan(): PlanFile {
  const t = (code: string, title: string, due: string | null, units: string[], kind = 'month_end') => ({
    code,
    title,
    text: title,
    deadlines: due
      ? [{ kind: kind as 'month_end', dueDate: due, label: `${due.slice(0, 4)}年${Number(due.slice(5, 7))}月底前` }]
      : [{ kind: 'ongoing' as const, label: '长期坚持' }],
    assignments: units.map((u, i) => ({ unit: u, role: i === 0 ? ('lead' as const) : ('co' as const), proposed: false })),
  });
  return {
    code: 'test-plan',
    title: '测试实施方案',
    chapters: CHAPTERS,
    units: [
      { name: '市生态环境局', kind: 'department', aliases: ['生态环境局', '环保局'] },
      { name: '市发展改革委', kind: 'department', aliases: ['发改委'] },
      { name: '市工信局', kind: 'department', aliases: ['工信局'] },
      { name: '市水务局', kind: 'department', aliases: ['水务局'] },
      { name: '安定区', kind: 'county', aliases: ['安定'] },
      { name: '通渭县', kind: 'county', aliases: ['通渭'] },
      { name: '陇西县', kind: 'county', aliases: ['陇西'] },
    ],
    tasks: [
      t('3.1.1', '制定碳达峰实施方案', '2022-06-30', ['市发展改革委', '市生态环境局']),
      t('3.1.2', '推进重点行业清洁生产改造', '2022-12-31', ['市工信局'], 'year_end'),
      t('4.1.1', '完成重污染天气应急预案修订', '2022-06-30', ['市生态环境局', '安定区', '通渭县']),
      t('4.1.2', '淘汰燃煤小锅炉', '2022-07-10', ['安定区', '陇西县'], 'date'),
      t('4.1.3', '推进散煤治理', null, ['通渭县', '陇西县']),
      t('5.1.1', '黄河干流入河排污口排查整治', '2022-05-31', ['市水务局', '安定区']),
      t('5.1.2', '县级水源地规范化建设', '2022-12-31', ['通渭县'], 'year_end'),
      t('6.1.1', '建立建设用地土壤污染风险管控名录', '2022-06-30', ['市生态环境局']),
      t('7.1.1', '开展生物多样性调查', '2023-12-31', ['市生态环境局'], 'year_end'),
      t('8.1.1', '完善生态环境监测网络', '2022-06-20', ['市生态环境局', '陇西县'], 'date'),
    ],
    targets: [
      { code: 'T-PM25-2025', indicator: '细颗粒物（PM2.5）平均浓度', aliases: ['PM2.5'], comparator: '<=', value: 24, unit: 'μg/m³', year: 2025 },
      { code: 'T-AQ-2025', indicator: '空气质量优良天数比例', aliases: ['优良天数'], comparator: '>=', value: 85.9, unit: '%', year: 2025 },
      { code: 'T-WQ-2025', indicator: '地表水国控断面水质优良比例', aliases: [], comparator: '>=', value: 80, unit: '%', year: 2025 },
    ],
  };
}

/** A synthetic plan with n tasks over 6 chapters, 20 departments and 10 counties, 2 units per task. */
export function syntheticPlan(n: number): PlanFile {
  const unitsList: PlanFile['units'] = [
    ...Array.from({ length: 20 }, (_, i) => ({ name: `市第${i + 1}部门管理局`, kind: 'department' as const, aliases: [] })),
    ...Array.from({ length: 10 }, (_, i) => ({ name: `第${i + 1}县`, kind: 'county' as const, aliases: [] })),
  ];
  const tasksList: PlanFile['tasks'] = [];
  for (let i = 0; i < n; i++) {
    const ch = CHAPTERS[i % CHAPTERS.length]!.number;
    const month = (i % 36) + 1;
    const year = 2022 + Math.floor((month - 1) / 12);
    const m = ((month - 1) % 12) + 1;
    const due = `${year}-${String(m).padStart(2, '0')}-28`;
    tasksList.push({
      code: `${ch}.${1 + (Math.floor(i / 6) % 9)}.${Math.floor(i / 54) + 1}`,
      title: `第${i + 1}项合成任务：推进某某领域某某专项治理工作并按期完成验收销号`,
      text: '合成任务正文',
      deadlines: [{ kind: 'date', dueDate: due, label: `${year}年${m}月28日前` }],
      assignments: [
        { unit: unitsList[i % 20]!.name, role: 'lead', proposed: false },
        { unit: unitsList[20 + (i % 10)]!.name, role: 'co', proposed: false },
      ],
    });
  }
  return { code: `synthetic-${n}`, title: `合成方案（${n} 项）`, chapters: CHAPTERS, units: unitsList, tasks: tasksList, targets: [] };
}

async function insertChunked<T extends Record<string, unknown>>(db: Db, table: any, rows: T[], returning?: any) {
  if (rows.length === 0) return [] as any[];
  const perRow = Object.keys(rows[0]!).length;
  const size = Math.max(1, Math.floor(90 / perRow));
  const out: any[] = [];
  for (let i = 0; i < rows.length; i += size) {
    const q = db.insert(table).values(rows.slice(i, i + size));
    out.push(...(returning ? await q.returning(returning) : (await q, [])));
  }
  return out;
}

export interface SeededPlan {
  planId: number;
  unitId: (name: string) => number;
  taskId: (code: string) => number;
  assignmentId: (code: string, unit: string) => number;
  targetId: (code: string) => number;
}

/** Insert a plan file as the loader would (tasks, deadlines, confirmed assignments, targets). */
export async function insertPlan(db: Db, plan: PlanFile, now = Date.parse('2022-06-01T00:00:00Z')): Promise<SeededPlan> {
  const [p] = await db
    .insert(plans)
    .values({ code: plan.code, title: plan.title, outline: plan.chapters, createdAt: now, updatedAt: now })
    .returning({ id: plans.id });
  const planId = p!.id;
  const unitRows = await insertChunked(
    db,
    units,
    plan.units.map((u) => ({ name: u.name, kind: u.kind, aliases: u.aliases })),
    { id: units.id, name: units.name },
  );
  const unitIds = new Map<string, number>(unitRows.map((r) => [r.name, r.id]));
  for (const u of plan.units) for (const a of u.aliases) if (!unitIds.has(a)) unitIds.set(a, unitIds.get(u.name)!);
  const taskRows = await insertChunked(
    db,
    tasks,
    plan.tasks.map((t) => {
      const [c, s, q] = t.code.split('.').map(Number);
      return { planId, code: t.code, chapter: c!, section: s!, seq: q!, title: t.title, sourceText: t.text, createdAt: now, updatedAt: now };
    }),
    { id: tasks.id, code: tasks.code },
  );
  const taskIds = new Map<string, number>(taskRows.map((r) => [r.code, r.id]));
  await insertChunked(
    db,
    deadlines,
    plan.tasks.flatMap((t) =>
      t.deadlines.map((d) => ({
        taskId: taskIds.get(t.code)!,
        kind: d.kind,
        dueDate: d.dueDate ?? null,
        recurrence: d.recurrence ?? null,
        label: d.label,
      })),
    ),
  );
  const asgRows = await insertChunked(
    db,
    assignments,
    plan.tasks.flatMap((t) =>
      t.assignments.map((a) => ({ taskId: taskIds.get(t.code)!, unitId: unitIds.get(a.unit)!, role: a.role, proposed: a.proposed, createdAt: now, updatedAt: now })),
    ),
    { id: assignments.id, taskId: assignments.taskId, unitId: assignments.unitId },
  );
  const asgIds = new Map<string, number>(asgRows.map((r) => [`${r.taskId}|${r.unitId}`, r.id]));
  const targetRows = await insertChunked(
    db,
    targets,
    plan.targets.map((t) => ({
      planId,
      code: t.code,
      indicator: t.indicator,
      aliases: t.aliases,
      comparator: t.comparator,
      value: t.value,
      unit: t.unit ?? null,
      year: t.year,
    })),
    { id: targets.id, code: targets.code },
  );
  const targetIds = new Map<string, number>(targetRows.map((r) => [r.code, r.id]));
  const must = <K>(m: Map<K, number>, k: K) => {
    const v = m.get(k);
    if (v === undefined) throw new Error(`fixture: unknown ${String(k)}`);
    return v;
  };
  return {
    planId,
    unitId: (n) => must(unitIds, n),
    taskId: (c) => must(taskIds, c),
    assignmentId: (c, u) => must(asgIds, `${must(taskIds, c)}|${must(unitIds, u)}`),
    targetId: (c) => must(targetIds, c),
  };
}

/**
 * Record progress the way the commands layer does (`进度` / `完成` / `销号`): update the assignment and append a
 * progress report.
 */
export async function recordProgress(
  db: Db,
  assignmentId: number,
  change: { state: 'in_progress' | 'claimed' | 'closed'; percent: number },
  at: number,
) {
  await db
    .update(assignments)
    .set({
      state: change.state,
      percent: change.percent,
      lastReportAt: at,
      updatedAt: at,
      ...(change.state === 'claimed' ? { claimedAt: at } : {}),
      ...(change.state === 'closed' ? { closedAt: at } : {}),
    })
    .where(eq(assignments.id, assignmentId));
  await db.insert(progressReports).values({
    assignmentId,
    kind: change.state === 'claimed' ? 'done_claim' : change.state === 'closed' ? 'close' : 'progress',
    percent: change.percent,
    channel: 'chat',
    createdAt: at,
  });
}

export async function requestExtension(db: Db, assignmentId: number, currentDue: string, newDueDate: string, reason: string, at: number) {
  await db.insert(extensionRequests).values({ assignmentId, currentDue, newDueDate, reason, createdAt: at });
}

export async function reportMetric(db: Db, targetId: number, value: number, at: number) {
  await db.insert(metricReports).values({ targetId, value, channel: 'chat', createdAt: at });
}

export async function logReminder(db: Db, assignmentId: number, stepKey: string, dueDate: string, level: number, at: number) {
  await db.insert(reminderLog).values({ assignmentId, stepKey, kind: stepKey.split(':')[0]!, dueDate, escalationLevel: level, plannedAt: at });
}
