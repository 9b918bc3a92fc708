import { describe, expect, it } from 'vitest';
import { assessAssignment, currentDue, nextOccurrence } from '../../src/domain/status.js';

const june = { kind: 'month_end', dueDate: '2022-06-30', label: '2022年6月底前' };
const end = { kind: 'year_end', dueDate: '2023-12-31', label: '2023年底前' };
const open = { state: 'in_progress', percent: 30, extendedTo: null, lastReportAt: null };

describe('status', () => {
  it('picks the next dated deadline, else the last one', () => {
    expect(currentDue([end, june], null, '2022-06-16')?.date).toBe('2022-06-30');
    expect(currentDue([end, june], null, '2022-07-01')?.date).toBe('2023-12-31');
    expect(currentDue([june], null, '2022-07-05')?.date).toBe('2022-06-30');
    expect(currentDue([june], '2022-08-31', '2022-07-05')).toMatchObject({ date: '2022-08-31', extended: true });
    expect(currentDue([{ kind: 'ongoing', dueDate: null, label: '长期坚持' }], null, '2022-07-05')).toBeNull();
  });
  it('lights: red when overdue, yellow within 14 days, green otherwise or when done', () => {
    expect(assessAssignment(open, [june], '2022-07-05')).toMatchObject({ light: 'red', overdueDays: 5, statusWord: '逾期' });
    expect(assessAssignment(open, [june], '2022-06-16')).toMatchObject({ light: 'yellow', daysLeft: 14 });
    expect(assessAssignment(open, [june], '2022-06-01')).toMatchObject({ light: 'green', statusWord: '进行中' });
    expect(assessAssignment({ ...open, state: 'claimed' }, [june], '2022-07-05')).toMatchObject({ light: 'green', statusWord: '待核验' });
    expect(assessAssignment({ ...open, state: 'closed' }, [june], '2022-07-05').statusWord).toBe('已销号');
    expect(assessAssignment({ ...open, state: 'not_started', percent: 0 }, [june], '2022-01-01').statusWord).toBe('未开始');
  });
  it('finds the next occurrence of recurring duties', () => {
    expect(nextOccurrence({ kind: 'recurring', recurrence: 'annual', dueDate: '2022-12-31', label: '每年' }, '2023-03-01')).toBe('2023-12-31');
    expect(nextOccurrence({ kind: 'recurring', recurrence: 'quarterly', dueDate: null, label: '每季度' }, '2023-05-01')).toBe('2023-06-30');
  });
});
