// The domain's assignment view: the shapes cards and evidence read, which the database's rows must keep satisfying,
// and the one way replies name an assignment.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { assignmentLabel, type AssignmentView } from '../../src/domain/assignment-view.js';
import type { AssignmentView as RowView } from '../../src/db/task-store.js';
import { assessAssignment } from '../../src/domain/status.js';
import { assignmentLine } from '../../src/cards/task-card.js';

describe('assignmentLabel', () => {
  it.each([
    ['4.1.1', '安定区', '4.1.1（安定区）'],
    ['10.2.13', '市生态环境局', '10.2.13（市生态环境局）'],
    ['1.1.1', '', '1.1.1（）'],
  ])('%s of %s reads %s', (code, name, want) => {
    expect(assignmentLabel({ task: { code }, unit: { name } })).toBe(want);
  });
});

describe('AssignmentView', () => {
  it("is satisfied by the database's view (so cards take either)", () => {
    expectTypeOf<RowView>().toMatchTypeOf<AssignmentView>();
  });

  it('is enough for a card line, built from plain values with no database', () => {
    const deadlines = [{ kind: 'date', dueDate: '2022-06-30', recurrence: null, label: '2022年6月底前', what: null }];
    const asg = { id: 7, taskId: 3, unitId: 2, role: 'co', state: 'in_progress', percent: 40, extendedTo: null, lastReportAt: null };
    const v: AssignmentView = {
      asg,
      task: { id: 3, code: '4.1.1', title: '整治', sourceText: '……' },
      unit: { id: 2, name: '安定区' },
      deadlines,
      assessment: assessAssignment(asg, deadlines, '2022-06-20'),
    };
    expect(assignmentLine(v, '2022-06-20')).toContain('安定区（配合）');
    expect(assignmentLine(v, '2022-06-20')).toContain('40%');
    expect(assignmentLine(v, '2022-06-20')).toContain('剩10天');
  });
});
