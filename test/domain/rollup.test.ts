// The task status roll-up: one rule over ALL assignments (lead, co-units, counties), table-tested on every
// combination of assignment states. Used by 统计, 逾期, 临期, the digest, the 台账 and the cards.
import { describe, expect, it } from 'vitest';
import { compareLeadFirst, rollUpLight, rollUpTaskStatus, STATUS_WORDS, taskStatusWord, type TaskStatusWord } from '../../src/domain/status.js';
import { percentBeforeLatestClaim, latestUnitNote } from '../../src/domain/progress-history.js';

/** Every non-empty set of states present among a task's assignments, and the task's status. */
const TABLE: Array<[TaskStatusWord[], TaskStatusWord]> = [
  [['未开始'], '未开始'],
  [['进行中'], '进行中'],
  [['待核验'], '待核验'],
  [['已销号'], '已销号'],
  [['逾期'], '逾期'],
  [['未开始', '进行中'], '进行中'],
  [['未开始', '待核验'], '进行中'],
  [['未开始', '已销号'], '进行中'],
  [['未开始', '逾期'], '逾期'],
  [['进行中', '待核验'], '进行中'],
  [['进行中', '已销号'], '进行中'],
  [['进行中', '逾期'], '逾期'],
  [['待核验', '已销号'], '待核验'],
  [['待核验', '逾期'], '逾期'],
  [['已销号', '逾期'], '逾期'],
  [['未开始', '进行中', '待核验'], '进行中'],
  [['未开始', '进行中', '已销号'], '进行中'],
  [['未开始', '进行中', '逾期'], '逾期'],
  [['未开始', '待核验', '已销号'], '进行中'],
  [['未开始', '待核验', '逾期'], '逾期'],
  [['未开始', '已销号', '逾期'], '逾期'],
  [['进行中', '待核验', '已销号'], '进行中'],
  [['进行中', '待核验', '逾期'], '逾期'],
  [['进行中', '已销号', '逾期'], '逾期'],
  [['待核验', '已销号', '逾期'], '逾期'],
  [['未开始', '进行中', '待核验', '已销号'], '进行中'],
  [['未开始', '进行中', '待核验', '逾期'], '逾期'],
  [['未开始', '进行中', '已销号', '逾期'], '逾期'],
  [['未开始', '待核验', '已销号', '逾期'], '逾期'],
  [['进行中', '待核验', '已销号', '逾期'], '逾期'],
  [['未开始', '进行中', '待核验', '已销号', '逾期'], '逾期'],
];

describe('rollUpTaskStatus', () => {
  it('covers every combination of assignment states exactly once', () => {
    const keys = TABLE.map(([set]) => [...set].sort().join('+'));
    expect(new Set(keys).size).toBe(2 ** STATUS_WORDS.length - 1);
  });
  it.each(TABLE)('states %j roll up to %s, whatever the order and multiplicity', (set, expected) => {
    expect(rollUpTaskStatus(set)).toBe(expected);
    expect(rollUpTaskStatus([...set].reverse())).toBe(expected);
    // Six counties in one state and the lead in another: the same answer.
    expect(rollUpTaskStatus([...set, ...set, ...set.slice(0, 1), ...set.slice(0, 1)])).toBe(expected);
  });
  it('is 未开始 for a task with no assignments, and the old name is the same rule', () => {
    expect(rollUpTaskStatus([])).toBe('未开始');
    expect(taskStatusWord).toBe(rollUpTaskStatus);
  });
  it('the reported cases: the lead closed while six units are overdue; co-units reported for months', () => {
    expect(rollUpTaskStatus(['已销号', '逾期', '逾期', '逾期', '逾期', '逾期', '逾期'])).toBe('逾期');
    expect(rollUpTaskStatus(['未开始', '进行中', '进行中'])).toBe('进行中');
    expect(rollUpTaskStatus(['已销号', '待核验', '待核验'])).toBe('待核验');
  });
  it('a task light is its worst assignment light', () => {
    expect(rollUpLight(['green', 'yellow', 'red'])).toBe('red');
    expect(rollUpLight(['green', 'yellow'])).toBe('yellow');
    expect(rollUpLight(['green'])).toBe('green');
    expect(rollUpLight([])).toBe('green');
  });
  it('lists the lead unit first, then the others in the plan order', () => {
    const list = [
      { role: 'co', unitId: 35 }, { role: 'co', unitId: 33 }, { role: 'lead', unitId: 40 }, { role: 'co', unitId: 2 },
    ];
    expect([...list].sort(compareLeadFirst).map((u) => u.unitId)).toEqual([40, 2, 33, 35]);
  });
});

describe('report history rules', () => {
  it.each([
    // newest first
    [[{ kind: 'done_claim', percent: 100 }, { kind: 'progress', percent: 40 }], 40],
    [[{ kind: 'done_claim', percent: 100 }, { kind: 'no_change', percent: 60 }, { kind: 'progress', percent: 40 }], 60],
    [[{ kind: 'done_claim', percent: 100 }, { kind: 'note', percent: null }, { kind: 'progress', percent: 70 }], 70],
    [[{ kind: 'done_claim', percent: 100 }], 0],
    // a second claim after an earlier 退回: back to the percent the 退回 restored
    [[{ kind: 'done_claim', percent: 100 }, { kind: 'return', percent: 40 }, { kind: 'done_claim', percent: 100 }, { kind: 'progress', percent: 40 }], 40],
    [[{ kind: 'progress', percent: 55 }], 0],
  ])('退回 restores the percent before the latest claim: %j -> %d', (history, expected) => {
    expect(percentBeforeLatestClaim(history)).toBe(expected);
  });
  it('the latest note is the unit’s own: 无变化 never hides it, the office’s 退回 reason is never taken for it', () => {
    const h = [
      { kind: 'no_change', percent: 40, note: null },
      { kind: 'return', percent: 40, note: '缺少整治方案文件' },
      { kind: 'done_claim', percent: 100, note: '已完成' },
      { kind: 'progress', percent: 40, note: '完成排查' },
    ];
    expect(latestUnitNote(h)?.note).toBe('已完成');
    expect(latestUnitNote(h.slice(0, 2))).toBeNull();
    expect(latestUnitNote([{ kind: 'no_change', percent: 0, note: '无变化' }, { kind: 'progress', percent: 30, note: '开始' }])?.note).toBe('开始');
  });
});
