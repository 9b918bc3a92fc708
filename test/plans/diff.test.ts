// The pure plan diff (src/domain/plan-diff.ts), without a database: a stored state + a plan file → change set and
// report. `commit` below is a small in-memory fake of the plan store's writer, so a test can load a plan, change
// the file and diff again, as an office does with successive imports.
import { describe, expect, it } from 'vitest';
import { diffPlan, type PlanChangeSet, type PlanState } from '../../src/domain/plan-diff.js';
import { planFile, type PlanFile } from '../../src/domain/plan-file.js';
import { formatPlanReport } from '../../src/plans/report.js';
import { smallPlan } from '../fixtures/small-plan.js';

const EMPTY: PlanState = {
  plan: undefined,
  units: [],
  tasks: [],
  deadlines: [],
  assignments: [],
  targets: [],
  nextPlanId: 1,
  nextUnitId: 1,
  nextTaskId: 1,
};

/** Apply a change set to an in-memory state, as writePlanChanges does to the tables. */
function commit(state: PlanState, c: PlanChangeSet): PlanState {
  const s = structuredClone(state);
  if (c.planInsert) s.plan = { id: c.planId, ...structuredClone(c.planInsert) };
  if (c.planUpdate) Object.assign(s.plan!, structuredClone(c.planUpdate));
  for (const u of c.unitUpdates) Object.assign(s.units.find((x) => x.id === u.id)!, structuredClone(u.set));
  s.units.push(...structuredClone(c.unitInserts));
  for (const t of c.taskUpdates) Object.assign(s.tasks.find((x) => x.id === t.id)!, t.set);
  for (const a of c.assignmentRoleUpdates) s.assignments.find((x) => x.a.id === a.id)!.a.role = a.role;
  s.tasks.push(...c.taskInserts.map((t) => ({ id: t.id, code: t.code, title: t.title, sourceText: t.sourceText, note: t.note, state: 'active' })));
  for (const id of c.taskWithdrawIds) s.tasks.find((x) => x.id === id)!.state = 'withdrawn';
  s.deadlines = s.deadlines.filter((d) => !c.deadlineDeleteTaskIds.includes(d.taskId));
  s.deadlines.push(...c.deadlineInserts);
  s.assignments = s.assignments.filter((r) => !c.assignmentDeleteIds.includes(r.a.id));
  for (const id of c.assignmentConfirmIds) s.assignments.find((x) => x.a.id === id)!.a.proposed = false;
  let nextAsg = Math.max(0, ...state.assignments.map((r) => r.a.id)) + 1;
  for (const a of c.assignmentInserts) {
    s.assignments.push({ a: { id: nextAsg++, ...a, percent: 0, state: 'not_started' }, reports: 0, extensions: 0 });
  }
  let nextTarget = Math.max(0, ...state.targets.map((t) => t.id)) + 1;
  for (const t of c.targetInserts) s.targets.push({ id: nextTarget++, ...t });
  for (const t of c.targetUpdates) Object.assign(s.targets.find((x) => x.id === t.id)!, t.set);
  s.nextPlanId = Math.max(s.nextPlanId, c.planId + 1);
  s.nextUnitId = Math.max(0, ...s.units.map((u) => u.id)) + 1;
  s.nextTaskId = Math.max(0, ...s.tasks.map((t) => t.id)) + 1;
  return s;
}

const parse = (p: unknown): PlanFile => planFile.parse(p);
/** The small plan as stored after a first load. */
function loaded(plan: PlanFile = parse(smallPlan())): PlanState {
  const d = diffPlan(EMPTY, plan);
  expect(d.issues).toEqual([]);
  return commit(EMPTY, d.changes);
}
function edited(edit: (p: PlanFile) => void): PlanFile {
  const p = parse(smallPlan());
  edit(p);
  return parse(p);
}
const task = (p: PlanFile, code: string) => p.tasks.find((t) => t.code === code)!;
const taskId = (s: PlanState, code: string) => s.tasks.find((t) => t.code === code)!.id;
const unitId = (s: PlanState, name: string) => s.units.find((u) => u.name === name)!.id;
/** Everything the change set would write, by kind, as counts (audit left out). */
function writes(c: PlanChangeSet) {
  const { planId: _p, planInsert, planUpdate, audit: _a, ...lists } = c;
  return {
    ...(planInsert ? { planInsert: 1 } : {}),
    ...(planUpdate ? { planUpdate: 1 } : {}),
    ...Object.fromEntries(Object.entries(lists).filter(([, v]) => v.length).map(([k, v]) => [k, v.length])),
  };
}

describe('diffPlan: a first load', () => {
  it('adds the plan, its units, tasks, deadlines, assignments and targets with ids the batch can link', () => {
    const { report, changes, issues } = diffPlan({ ...EMPTY, nextPlanId: 3, nextUnitId: 10, nextTaskId: 100 }, parse(smallPlan()));
    expect(issues).toEqual([]);
    expect(report.planCreated).toBe(true);
    expect(report.changed).toBe(true);
    expect(report.unitsAdded).toEqual(['市发展改革委', '市生态环境局', '安定区政府']);
    expect(report.tasksAdded).toEqual(['2.1.1', '2.1.2', '3.1.1', '3.1.2']);
    expect(report.targetsAdded).toEqual(['T-PM25-2025']);
    expect(changes.planId).toBe(3);
    expect(changes.unitInserts.map((u) => u.id)).toEqual([10, 11, 12]);
    expect(changes.taskInserts.map((t) => [t.id, t.planId, t.chapter, t.section, t.seq])).toEqual([
      [100, 3, 2, 1, 1],
      [101, 3, 2, 1, 2],
      [102, 3, 3, 1, 1],
      [103, 3, 3, 1, 2],
    ]);
    // 安定区 is an alias of 安定区政府: the assignment points at that unit.
    expect(changes.assignmentInserts).toContainEqual({ taskId: 102, unitId: 12, role: 'co', proposed: false });
    expect(changes.deadlineInserts.filter((d) => d.taskId === 102)).toHaveLength(2);
    expect(changes.targetInserts).toEqual([expect.objectContaining({ code: 'T-PM25-2025', planId: 3, taskId: 102, value: 24 })]);
    expect(writes(changes)).toEqual({ planInsert: 1, unitInserts: 3, taskInserts: 4, deadlineInserts: 5, assignmentInserts: 6, targetInserts: 1 });
    // Audit: unit updates (none), the plan, its units, then each task in file order, then the targets.
    expect(changes.audit.map((a) => a.action)).toEqual([
      'plan.create',
      'unit.create',
      'unit.create',
      'unit.create',
      'task.create',
      'task.create',
      'task.create',
      'task.create',
      'target.create',
    ]);
  });

  it('a dry run reports the same and says so', () => {
    const wet = diffPlan(EMPTY, parse(smallPlan()));
    const dry = diffPlan(EMPTY, parse(smallPlan()), { dryRun: true });
    expect(dry.report).toEqual({ ...wet.report, dryRun: true });
    expect(formatPlanReport(dry.report)[0]).toMatch(/^【试运行，未写入】计划 test-plan/);
  });
});

describe('diffPlan: re-importing', () => {
  it('the same plan again is idempotent: no change, no writes, no audit', () => {
    const state = loaded();
    const { report, changes, issues } = diffPlan(state, parse(smallPlan()));
    expect(issues).toEqual([]);
    expect(report.changed).toBe(false);
    expect(report.planCreated).toBe(false);
    expect(writes(changes)).toEqual({});
    expect(changes.audit).toEqual([]);
    expect(formatPlanReport(report)).toContain('与数据库一致，没有变化。');
  });

  it('twice in a row after a change: the second diff finds nothing', () => {
    const next = edited((p) => {
      task(p, '2.1.1').title = '碳达峰政策体系（修订）';
      p.tasks.push({ code: '3.1.3', title: '秸秆禁烧', text: '全面禁烧秸秆。', deadlines: [], assignments: [{ unit: '安定区', role: 'lead', proposed: false }] });
    });
    const once = commit(loaded(), diffPlan(loaded(), next).changes);
    expect(diffPlan(once, next).report.changed).toBe(false);
  });

  // One edit of the file each; the report lists it and the change set writes exactly that.
  const cases: Array<{ name: string; edit: (p: PlanFile) => void; report: Record<string, unknown>; writes: Record<string, number> }> = [
    {
      name: 'rename a task',
      edit: (p) => (task(p, '2.1.1').title = '碳达峰“1+N”政策体系'),
      report: { tasksUpdated: [{ task: '2.1.1', fields: ['title'] }] },
      writes: { taskUpdates: 1 },
    },
    {
      name: 'reword a task and its note (whitespace around them does not count)',
      edit: (p) => {
        task(p, '3.1.1').text = '  完善重污染天气应急预案。  ';
        task(p, '3.1.1').note = '  重点  ';
      },
      report: { tasksUpdated: [{ task: '3.1.1', fields: ['text'] }] },
      writes: { taskUpdates: 1 },
    },
    {
      name: 'move a deadline',
      edit: (p) => (task(p, '2.1.1').deadlines = [{ kind: 'month_end', dueDate: '2023-06-30', label: '2023年6月底前' }]),
      report: { deadlinesChanged: [{ task: '2.1.1', before: ['2022年底前'], after: ['2023年6月底前'] }] },
      writes: { deadlineDeleteTaskIds: 1, deadlineInserts: 1 },
    },
    {
      name: 'deadlines in another order and punctuation mean the same: no change',
      edit: (p) => {
        const t = task(p, '3.1.1');
        t.deadlines = [{ ...t.deadlines[1]!, what: '完成，整治。' }, t.deadlines[0]!];
      },
      report: { changed: false, deadlinesChanged: [] },
      writes: {},
    },
    {
      name: 'add a co-unit by its alias',
      edit: (p) => task(p, '2.1.2').assignments.push({ unit: '安定区', role: 'co', proposed: false }),
      report: { assignmentsAdded: [{ task: '2.1.2', unit: '安定区政府', role: 'co' }] },
      writes: { assignmentInserts: 1 },
    },
    {
      name: 'swap lead and co',
      edit: (p) => {
        const t = task(p, '3.1.1');
        t.assignments = [
          { unit: '安定区政府', role: 'lead', proposed: false },
          { unit: '市生态环境局', role: 'co', proposed: false },
        ];
      },
      report: {
        assignmentsRoleChanged: [
          { task: '3.1.1', unit: '安定区政府', role: 'lead', from: 'co' },
          { task: '3.1.1', unit: '市生态环境局', role: 'co', from: 'lead' },
        ],
      },
      writes: { assignmentRoleUpdates: 2 },
    },
    {
      name: 'confirm a proposed assignment',
      edit: (p) => (task(p, '2.1.1').assignments[1]!.proposed = false),
      report: { assignmentsConfirmed: [{ task: '2.1.1', unit: '市生态环境局', role: 'co' }] },
      writes: { assignmentConfirmIds: 1 },
    },
    {
      name: 'drop an assignment nobody reported on',
      edit: (p) => (task(p, '2.1.1').assignments = task(p, '2.1.1').assignments.slice(0, 1)),
      report: { assignmentsRemoved: [{ task: '2.1.1', unit: '市生态环境局', role: 'co' }], assignmentsKept: [] },
      writes: { assignmentDeleteIds: 1 },
    },
    {
      name: 'a new alias for a known unit accumulates (the unit is not added again)',
      edit: (p) => p.units[1]!.aliases.push('市环境局'),
      report: { unitsAdded: [], unitsUpdated: [{ unit: '市生态环境局', fields: ['aliases'] }] },
      writes: { unitUpdates: 1 },
    },
    {
      name: 'a unit listed under an alias of a stored unit is that unit',
      edit: (p) => (p.units[2] = { name: '安定区', kind: 'county', aliases: [] }),
      report: { changed: false, unitsAdded: [], unitsUpdated: [] },
      writes: {},
    },
    {
      name: 'change a unit kind',
      edit: (p) => (p.units[2]!.kind = 'other'),
      report: { unitsUpdated: [{ unit: '安定区政府', fields: ['kind'] }] },
      writes: { unitUpdates: 1 },
    },
    {
      name: 'change the plan title and outline',
      edit: (p) => {
        p.title = '测试实施意见（修订）';
        p.chapters[0]!.title = '减污降碳协同';
      },
      report: { planUpdated: ['title', 'outline'] },
      writes: { planUpdate: 1 },
    },
    {
      name: 'change a target value and move it to another task',
      edit: (p) => Object.assign(p.targets[0]!, { value: 23, taskCode: '3.1.2' }),
      report: { targetsUpdated: [{ target: 'T-PM25-2025', fields: ['value', 'taskCode'] }] },
      writes: { targetUpdates: 1 },
    },
  ];
  it.each(cases)('$name', ({ edit, report, writes: expected }) => {
    const state = loaded();
    const d = diffPlan(state, edited(edit));
    expect(d.issues).toEqual([]);
    expect(d.report).toMatchObject({ changed: true, ...report });
    expect(writes(d.changes)).toEqual(expected);
    // Applied, the file and the state agree.
    expect(diffPlan(commit(state, d.changes), edited(edit)).report.changed).toBe(false);
  });

  it('an added assignment is audited by the row the batch inserts (its id is not known before)', () => {
    const state = loaded();
    const d = diffPlan(state, edited((p) => task(p, '2.1.2').assignments.push({ unit: '安定区', role: 'co', proposed: false })));
    expect(d.changes.audit).toEqual([
      {
        action: 'assignment.create',
        entity: 'assignment',
        entityId: { assignmentOf: { taskId: taskId(state, '2.1.2'), unitId: unitId(state, '安定区政府') } },
        detail: { task: '2.1.2', unit: '安定区政府', role: 'co', proposed: false },
      },
    ]);
  });

  it('confirmation is one way: a later file that still says proposed does not un-confirm', () => {
    const confirmed = edited((p) => (task(p, '2.1.1').assignments[1]!.proposed = false));
    const state = commit(loaded(), diffPlan(loaded(), confirmed).changes);
    expect(diffPlan(state, parse(smallPlan())).report.changed).toBe(false);
  });

  it('an assignment with progress that the file drops is kept, with its report count', () => {
    const state = loaded();
    const row = state.assignments.find((r) => r.a.taskId === taskId(state, '2.1.1') && r.a.role === 'co')!;
    row.reports = 2;
    const d = diffPlan(state, edited((p) => (task(p, '2.1.1').assignments = task(p, '2.1.1').assignments.slice(0, 1))));
    expect(d.report.assignmentsKept).toEqual([{ task: '2.1.1', unit: '市生态环境局', role: 'co', reports: 2 }]);
    expect(d.report.assignmentsRemoved).toEqual([]);
    expect(d.report.changed).toBe(false);
    expect(formatPlanReport(d.report).join('\n')).toContain('已报送 2 次');
  });

  it.each([
    ['a percent', { percent: 30 }],
    ['a state', { state: 'in_progress' }],
  ])('an assignment with %s but no report counts as used too', (_, a) => {
    const state = loaded();
    Object.assign(state.assignments.find((r) => r.a.taskId === taskId(state, '2.1.1') && r.a.role === 'co')!.a, a);
    const d = diffPlan(state, edited((p) => (task(p, '2.1.1').assignments = task(p, '2.1.1').assignments.slice(0, 1))));
    expect(d.report.assignmentsKept).toHaveLength(1);
    expect(d.changes.assignmentDeleteIds).toEqual([]);
  });
});

describe('diffPlan: tasks the file leaves out', () => {
  const without312 = () => edited((p) => (p.tasks = p.tasks.filter((t) => t.code !== '3.1.2')));

  it('a plan file is the whole plan: they are withdrawn (never deleted)', () => {
    const state = loaded();
    const d = diffPlan(state, without312());
    expect(d.report.tasksWithdrawn).toEqual(['3.1.2']);
    expect(d.report.tasksMissing).toEqual([]);
    expect(d.changes.taskWithdrawIds).toEqual([taskId(state, '3.1.2')]);
    expect(writes(d.changes)).toEqual({ taskWithdrawIds: 1 });
  });

  it('a partial table (withdrawMissing false) leaves them as they are and says how to withdraw them', () => {
    const d = diffPlan(loaded(), without312(), { withdrawMissing: false });
    expect(d.report.tasksWithdrawn).toEqual([]);
    expect(d.report.tasksMissing).toEqual(['3.1.2']);
    expect(d.report.changed).toBe(false);
    expect(writes(d.changes)).toEqual({});
    expect(formatPlanReport(d.report).join('\n')).toContain('加 --withdraw-missing（将撤销 1 项：3.1.2）');
  });

  it('withdrawing a task with progress says so; listing it again restores it', () => {
    const state = loaded();
    state.assignments.find((r) => r.a.taskId === taskId(state, '3.1.2'))!.reports = 1;
    const d = diffPlan(state, without312());
    expect(d.report.withdrawnWithProgress).toEqual(['3.1.2']);
    const withdrawn = commit(state, d.changes);
    // Already withdrawn: neither withdrawn again nor "missing".
    expect(diffPlan(withdrawn, without312(), { withdrawMissing: false }).report.tasksMissing).toEqual([]);
    const back = diffPlan(withdrawn, parse(smallPlan()));
    expect(back.report.tasksRestored).toEqual(['3.1.2']);
    expect(back.changes.taskUpdates).toEqual([{ id: taskId(state, '3.1.2'), set: { state: 'active' } }]);
    expect(back.changes.audit.map((a) => a.action)).toEqual(['task.restore']);
  });
});

describe('diffPlan: problems stop the load', () => {
  const cases: Array<[string, (p: PlanFile) => void, RegExp]> = [
    ['a task code twice', (p) => p.tasks.push({ ...p.tasks[0]! }), /tasks\[4\]：任务编号 2\.1\.1 与 tasks\[0\] 重复/],
    ['a unit twice', (p) => p.units.push({ name: '市生态环境局', kind: 'department', aliases: [] }), /units\[3\]：单位 市生态环境局 重复/],
    ['a target twice', (p) => p.targets.push({ ...p.targets[0]! }), /指标编号 T-PM25-2025 重复/],
    ['a target of an unknown task', (p) => (p.targets[0]!.taskCode = '9.9.9'), /指标 T-PM25-2025 所属任务 9\.9\.9 不存在/],
    [
      'an unknown unit, with a suggestion',
      (p) => task(p, '2.1.1').assignments.push({ unit: '市生态环境', role: 'co', proposed: false }),
      /任务 2\.1\.1：单位“市生态环境”不在单位名单中，是否是：市生态环境局/,
    ],
  ];
  it.each(cases)('%s', (_, edit, message) => {
    const d = diffPlan(loaded(), edited(edit));
    expect(d.issues.join('\n')).toMatch(message);
  });

  it('a target may name a task that only the database holds', () => {
    const state = loaded();
    const d = diffPlan(state, edited((p) => (p.tasks = p.tasks.filter((t) => t.code !== '3.1.1'))), { withdrawMissing: false });
    expect(d.issues).toEqual([]);
    expect(d.report.targetsUpdated).toEqual([]);
  });
});
