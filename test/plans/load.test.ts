import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { assignments, auditLog, deadlines, plans, progressReports, targets, tasks, units } from '../../src/db/schema.js';
import { applyPlan, formatPlanReport, PlanValidationError } from '../../src/plans/load.js';
import { bundledPlan, ensureBundledPlan } from '../../src/plans/bundled.js';
import type { Db } from '../../src/db/client.js';
import type { NodeDatabase } from '../../src/db/node.js';
import { createTestDatabase } from '../helpers/db.js';
import { smallPlan } from '../fixtures/small-plan.js';

const NOW = Date.parse('2022-06-16T01:00:00Z');
const opts = { now: NOW, actor: 'cli', channel: 'cli' };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function count(db: Db, table: any) {
  const [r] = await db.select({ n: sql<number>`count(*)` }).from(table);
  return Number(r!.n);
}

let database: NodeDatabase;
let db: Db;
beforeEach(() => {
  database = createTestDatabase();
  db = database.db;
});
afterEach(() => database.close());

describe('applyPlan', () => {
  it('loads a plan into an empty database', async () => {
    const r = await applyPlan(db, smallPlan(), opts);
    expect(r.planCreated).toBe(true);
    expect(r.changed).toBe(true);
    expect(r.unitsAdded).toEqual(['市发展改革委', '市生态环境局', '安定区政府']);
    expect(r.tasksAdded).toEqual(['2.1.1', '2.1.2', '3.1.1', '3.1.2']);
    expect(r.targetsAdded).toEqual(['T-PM25-2025']);
    expect(await count(db, tasks)).toBe(4);
    expect(await count(db, deadlines)).toBe(5);
    expect(await count(db, assignments)).toBe(6);
    const t311 = (await db.select().from(tasks).where(eq(tasks.code, '3.1.1')))[0]!;
    expect([t311.chapter, t311.section, t311.seq, t311.note]).toEqual([3, 1, 1, '重点']);
    // 安定区 is an alias of 安定区政府: the assignment points at the unit.
    const co = await db
      .select({ unit: units.name, role: assignments.role })
      .from(assignments)
      .innerJoin(units, eq(units.id, assignments.unitId))
      .where(eq(assignments.taskId, t311.id));
    expect(co).toEqual(expect.arrayContaining([{ unit: '安定区政府', role: 'co' }, { unit: '市生态环境局', role: 'lead' }]));
    const [target] = await db.select().from(targets);
    expect(target!.taskId).toBe(t311.id);
    // Audit rows carry real entity ids even for rows inserted in the same batch.
    const created = await db.select().from(auditLog).where(eq(auditLog.action, 'task.create'));
    expect(created).toHaveLength(4);
    expect(created.map((a) => a.entityId)).toContain(String(t311.id));
    expect(created.every((a) => a.actor === 'cli' && a.at === NOW)).toBe(true);
  });

  it('re-applying the same plan changes nothing and writes nothing', async () => {
    await applyPlan(db, smallPlan(), opts);
    const audits = await count(db, auditLog);
    const r = await applyPlan(db, smallPlan(), opts);
    expect(r.changed).toBe(false);
    expect(await count(db, auditLog)).toBe(audits);
    expect(formatPlanReport(r).join('\n')).toContain('没有变化');
  });

  it('a revised plan updates in place, reports the changes and keeps progress', async () => {
    await applyPlan(db, smallPlan(), opts);
    const [t212] = await db.select().from(tasks).where(eq(tasks.code, '2.1.2'));
    const [a212] = await db.select().from(assignments).where(eq(assignments.taskId, t212!.id));
    await db.insert(progressReports).values({ assignmentId: a212!.id, kind: 'progress', percent: 30, channel: 'chat', note: '已启动' });
    await db.update(assignments).set({ percent: 30, state: 'in_progress' }).where(eq(assignments.id, a212!.id));

    const p = smallPlan();
    p.title = '测试实施意见（修订）';
    p.tasks = p.tasks.filter((t) => t.code !== '3.1.2'); // dropped: withdrawn
    const t211 = p.tasks.find((t) => t.code === '2.1.1')!;
    t211.text = '完成碳达峰政策体系编制工作并印发。';
    t211.deadlines = [{ kind: 'month_end', dueDate: '2022-09-30', label: '2022年9月底前' }];
    t211.assignments = [{ unit: '市发改委', role: 'lead', proposed: false }, { unit: '生态环境局', role: 'co', proposed: false }];
    const t212p = p.tasks.find((t) => t.code === '2.1.2')!;
    t212p.assignments = [{ unit: '市发展改革委', role: 'lead', proposed: false }]; // drops 生态环境局, which reported
    const t311 = p.tasks.find((t) => t.code === '3.1.1')!;
    t311.assignments = [{ unit: '市生态环境局', role: 'lead', proposed: false }]; // drops 安定区 (no progress)
    p.tasks.push({
      code: '3.1.3', title: '新任务', text: '新增的任务。', deadlines: [], note: undefined,
      assignments: [{ unit: '市气象局', role: 'lead', proposed: false }],
    });
    p.units.push({ name: '市气象局', kind: 'department', aliases: [] });

    const dry = await applyPlan(db, p, { ...opts, dryRun: true });
    expect(dry.changed).toBe(true);
    expect(await count(db, tasks)).toBe(4);

    const r = await applyPlan(db, p, opts);
    expect(r.planUpdated).toEqual(['title']);
    expect(r.unitsAdded).toEqual(['市气象局']);
    expect(r.tasksAdded).toEqual(['3.1.3']);
    expect(r.tasksUpdated).toEqual([{ task: '2.1.1', fields: ['text'] }]);
    expect(r.tasksWithdrawn).toEqual(['3.1.2']);
    expect(r.deadlinesChanged).toEqual([{ task: '2.1.1', before: ['2022年底前'], after: ['2022年9月底前'] }]);
    expect(r.assignmentsConfirmed).toEqual([{ task: '2.1.1', unit: '市生态环境局', role: 'co' }]);
    expect(r.assignmentsRemoved).toEqual([{ task: '3.1.1', unit: '安定区政府', role: 'co' }]);
    expect(r.assignmentsKept).toEqual([{ task: '2.1.2', unit: '市生态环境局', role: 'lead', reports: 1 }]);
    // A new task's assignments come with the task; only additions to existing tasks are listed.
    expect(r.assignmentsAdded).toEqual([{ task: '2.1.2', unit: '市发展改革委', role: 'lead' }]);
    expect(dry).toEqual({ ...r, dryRun: true });

    // Progress survives; the withdrawn task is kept with state withdrawn.
    expect(await count(db, progressReports)).toBe(1);
    const [kept] = await db.select().from(assignments).where(eq(assignments.id, a212!.id));
    expect(kept!.percent).toBe(30);
    const [w] = await db.select().from(tasks).where(eq(tasks.code, '3.1.2'));
    expect(w!.state).toBe('withdrawn');
    const [plan] = await db.select().from(plans);
    expect(plan!.title).toBe('测试实施意见（修订）');
    const text = formatPlanReport(r).join('\n');
    expect(text).toContain('撤销任务 1 项');
    expect(text).toContain('已报送 1 次');

    // Bringing 3.1.2 back restores it.
    const again = await applyPlan(db, smallPlan(), opts);
    expect(again.tasksRestored).toEqual(['3.1.2']);
    expect(again.tasksWithdrawn).toEqual(['3.1.3']);
    expect(again.withdrawnWithProgress).toEqual([]);
    const p2 = smallPlan();
    p2.tasks = p2.tasks.filter((t) => t.code !== '2.1.2');
    const dropReported = await applyPlan(db, p2, { ...opts, dryRun: true });
    expect(dropReported.withdrawnWithProgress).toEqual(['2.1.2']);
    expect(formatPlanReport(dropReported).join('\n')).toContain('其中 1 项已有进度报送：2.1.2');
  });

  it('rejects an invalid plan and writes nothing', async () => {
    const p = smallPlan();
    p.tasks[1]!.code = '2.1.1';
    p.tasks[2]!.assignments.push({ unit: '市生态环境', role: 'co', proposed: false });
    const err = await applyPlan(db, p, opts).catch((e) => e);
    expect(err).toBeInstanceOf(PlanValidationError);
    expect(err.message).toContain('任务编号 2.1.1');
    expect(err.message).toContain('是否是：市生态环境局');
    expect(await count(db, plans)).toBe(0);
    expect(await count(db, units)).toBe(0);
    await expect(applyPlan(db, { code: 'x' }, opts)).rejects.toThrow(PlanValidationError);
    const q = smallPlan();
    q.targets[0]!.taskCode = '9.9.9';
    await expect(applyPlan(db, q, opts)).rejects.toThrow(/指标 T-PM25-2025 所属任务 9\.9\.9 不存在/);
    expect(await count(db, plans)).toBe(0);
  });

  it('is atomic: a statement failing late in the batch leaves nothing written', async () => {
    database.sqlite.exec(
      "create trigger fail_target before insert on targets begin select raise(abort, 'simulated failure'); end",
    );
    await expect(applyPlan(db, smallPlan(), opts)).rejects.toThrow(/simulated failure/);
    for (const table of [plans, units, tasks, deadlines, assignments, auditLog]) expect(await count(db, table)).toBe(0);
    database.sqlite.exec('drop trigger fail_target');
    await applyPlan(db, smallPlan(), opts);
    expect(await count(db, tasks)).toBe(4);
  });

  it('two loads racing: one writes, the other fails cleanly with nothing half-written', async () => {
    const results = await Promise.allSettled([applyPlan(db, smallPlan(), opts), applyPlan(db, smallPlan(), opts)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(failed.reason.message).toMatch(/冲突.*未写入任何数据。请重新运行导入/);
    expect(await count(db, tasks)).toBe(4);
    expect(await count(db, assignments)).toBe(6);
    expect((await applyPlan(db, smallPlan(), opts)).changed).toBe(false);
  });

  it("keeps every statement under D1's 100 bound parameters", async () => {
    let most = 0;
    const prepare = database.sqlite.prepare.bind(database.sqlite);
    database.sqlite.prepare = ((source: string) => {
      most = Math.max(most, (source.match(/\?/g) ?? []).length);
      return prepare(source);
    }) as typeof database.sqlite.prepare;
    const p = smallPlan();
    for (let i = 0; i < 400; i++) {
      p.units.push({ name: `单位${i}`, kind: 'department', aliases: [`别名${i}`] });
      p.tasks.push({
        code: `9.1.${i + 1}`, title: `任务${i}`, text: `内容${i}`, note: '备注',
        deadlines: [{ kind: 'month_end', dueDate: '2022-06-30', label: '2022年6月底前', what: '完成' }],
        assignments: [{ unit: `单位${i}`, role: 'lead', proposed: true }, { unit: '安定区', role: 'co', proposed: true }],
      });
      p.targets.push({ code: `T${i}`, taskCode: `9.1.${i + 1}`, indicator: '指标', aliases: [], comparator: '>=', value: i, year: 2025 });
    }
    await applyPlan(db, p, opts);
    for (const t of p.tasks) {
      t.assignments = t.assignments.map((a) => ({ ...a, proposed: false })).filter((a) => a.role === 'lead');
      t.deadlines = [{ kind: 'year_end', dueDate: '2022-12-31', label: '2022年底前' }];
    }
    p.tasks = p.tasks.slice(0, 200);
    p.targets = p.targets.slice(0, 200).map((t) => ({ ...t, value: t.value + 1 }));
    const r = await applyPlan(db, p, opts);
    expect(r.tasksWithdrawn.length).toBe(204);
    expect(r.assignmentsConfirmed.length).toBeGreaterThan(150);
    expect(most).toBeGreaterThan(50);
    expect(most).toBeLessThan(100);
  });

  it('loads 5,000 tasks in one batch', async () => {
    const p = smallPlan();
    p.tasks = [];
    for (let i = 0; i < 5000; i++) {
      p.tasks.push({
        code: `${2 + (i % 7)}.${1 + (i % 5)}.${i + 1}`,
        title: `任务${i}`,
        text: `任务内容${i}`,
        deadlines: [{ kind: 'year_end', dueDate: '2023-12-31', label: '2023年底前' }],
        assignments: [{ unit: '市生态环境局', role: 'lead', proposed: false }, { unit: '安定区', role: 'co', proposed: true }],
      });
    }
    p.targets = [];
    const r = await applyPlan(db, p, opts);
    expect(r.tasksAdded).toHaveLength(5000);
    expect(await count(db, assignments)).toBe(10000);
    p.tasks[10]!.title = '改过的标题';
    const r2 = await applyPlan(db, p, opts);
    expect(r2.tasksUpdated).toEqual([{ task: p.tasks[10]!.code, fields: ['title'] }]);
  });
});

describe('ensureBundledPlan', () => {
  it('loads the bundled plan only into an empty database', async () => {
    expect(await ensureBundledPlan(db, NOW)).toBe(true);
    const [plan] = await db.select().from(plans);
    expect(plan!.code).toBe(bundledPlan().code);
    expect(await count(db, tasks)).toBe(bundledPlan().tasks.length);
    expect(await ensureBundledPlan(db, NOW)).toBe(false);
  });
});
