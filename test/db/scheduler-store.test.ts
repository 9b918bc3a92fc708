// The scheduler's bulk read hands out named rows (one reused view per iteration): the names must carry the right
// columns, and every row must be seen, whatever the chunking.
import { and, eq, inArray } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeDatabase } from '../../src/db/node.js';
import { readOpenStepLog, readPlanningRows } from '../../src/db/scheduler-store.js';
import { assignments, deadlines, reminderLog, tasks } from '../../src/db/schema.js';
import { createTestDatabase } from '../helpers/db.js';
import { seedPlan } from '../scheduler/fixture.js';

let database: NodeDatabase;
beforeEach(async () => {
  database = createTestDatabase();
  await seedPlan(database.db);
});
afterEach(() => database.close());

describe('readPlanningRows', () => {
  it('gives the open assignments, active tasks and deadlines under their column names', async () => {
    const { db } = database;
    await db.update(assignments).set({ state: 'in_progress', percent: 35, extendedTo: '2022-09-30', lastReportAt: 1234 }).where(eq(assignments.id, 3));
    await db.update(assignments).set({ state: 'closed' }).where(eq(assignments.id, 4));
    const rows = await readPlanningRows(db);
    // A view is refilled at each step: copy while iterating.
    const copy = <T extends object>(it: Iterable<T>) => Array.from(it, (r) => ({ ...r }));
    const open = await db
      .select({
        id: assignments.id, taskId: assignments.taskId, unitId: assignments.unitId, state: assignments.state, percent: assignments.percent,
        extendedTo: assignments.extendedTo, lastReportAt: assignments.lastReportAt,
      })
      .from(assignments)
      .where(inArray(assignments.state, ['not_started', 'in_progress']));
    expect(copy(rows.assignments).sort((a, b) => a.id - b.id)).toEqual(open.sort((a, b) => a.id - b.id));
    expect(copy(rows.assignments).find((r) => r.id === 3)).toEqual({
      id: 3, taskId: open.find((r) => r.id === 3)!.taskId, unitId: open.find((r) => r.id === 3)!.unitId, state: 'in_progress',
      percent: 35, extendedTo: '2022-09-30', lastReportAt: 1234,
    });
    expect(copy(rows.assignments).some((r) => r.id === 4)).toBe(false);
    const active = await db.select({ id: tasks.id, code: tasks.code, title: tasks.title, planId: tasks.planId }).from(tasks).where(eq(tasks.state, 'active'));
    expect(copy(rows.tasks)).toEqual(active);
    const dls = await db
      .select({ taskId: deadlines.taskId, kind: deadlines.kind, dueDate: deadlines.dueDate, recurrence: deadlines.recurrence, label: deadlines.label })
      .from(deadlines);
    expect(copy(rows.deadlines)).toHaveLength(dls.length);
    expect(copy(rows.deadlines)).toEqual(expect.arrayContaining(dls));
    // Each iteration starts over with its own view.
    expect([...rows.tasks].length).toBe(active.length);
  });

  it('reads the step log a planner can use under named columns', async () => {
    const { db } = database;
    await db.insert(reminderLog).values([
      { assignmentId: 1, stepKey: 'before:5:2022-06-30', kind: 'reminder', dueDate: '2022-06-30', escalationLevel: 0, plannedAt: 10 },
      { assignmentId: 2, stepKey: 'periodic:2022-06', kind: 'reminder', dueDate: null, escalationLevel: 1, plannedAt: 20 },
      { assignmentId: 0, stepKey: 'digest:2022-W24', kind: 'digest', dueDate: null, escalationLevel: 0, plannedAt: 30 },
      { assignmentId: 1, stepKey: 'before:5:2022-12-31', kind: 'reminder', dueDate: '2022-12-31', escalationLevel: 0, plannedAt: 40 },
    ]);
    const steps = Array.from(await readOpenStepLog(db, ['2022-06-30'], ['periodic:2022-06']), (r) => ({ ...r }));
    expect(steps.sort((a, b) => a.plannedAt - b.plannedAt)).toEqual([
      { assignmentId: 1, stepKey: 'before:5:2022-06-30', plannedAt: 10, dueDate: '2022-06-30', escalationLevel: 0 },
      { assignmentId: 2, stepKey: 'periodic:2022-06', plannedAt: 20, dueDate: null, escalationLevel: 1 },
      { assignmentId: 0, stepKey: 'digest:2022-W24', plannedAt: 30, dueDate: null, escalationLevel: 0 },
    ]);
    await db.update(assignments).set({ state: 'closed' }).where(and(eq(assignments.id, 2)));
    expect(Array.from(await readOpenStepLog(db, [], ['periodic:2022-06']), (r) => r.stepKey)).toEqual(['digest:2022-W24']);
  });
});
