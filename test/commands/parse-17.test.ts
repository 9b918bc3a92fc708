// Table tests for what people write: coded report lines, 全部无变化, indicator values and periods, task codes,
// and dates that must not roll into next year.
import { describe, expect, it } from 'vitest';
import { isAllSame, parseDate, reportOfText, splitCodedLines } from '../../src/commands/parse.js';
import { formatTargetValue, parseMetricValue, parsePeriod, periodZh } from '../../src/domain/metric-value.js';
import { normaliseTaskCode } from '../../src/domain/task-code.js';

describe('splitCodedLines', () => {
  it.each([
    ['2.1.5 80% 已完成清单编制', [{ code: '2.1.5', rest: '80% 已完成清单编制' }]],
    ['4.2.8 进度50%', [{ code: '4.2.8', rest: '进度50%' }]],
    ['４．２．８ 50% 已开工', [{ code: '4.2.8', rest: '50% 已开工' }]],
    ['4。2。8：完成', [{ code: '4.2.8', rest: '完成' }]],
    ['2.1.5 80% 已完成\n2.1.6 无变化', [{ code: '2.1.5', rest: '80% 已完成' }, { code: '2.1.6', rest: '无变化' }]],
    ['2.1.5 80% 已完成；2.1.6 30%', [{ code: '2.1.5', rest: '80% 已完成' }, { code: '2.1.6', rest: '30%' }]],
    ['2.1.5 80%\n补充：资料已报送', [{ code: '2.1.5', rest: '80% 补充：资料已报送' }]],
    ['任务 4.1.1 60%', [{ code: '4.1.1', rest: '60%' }]],
    ['4.1.1', [{ code: '4.1.1', rest: '' }]],
  ])('%j', (text, expected) => expect(splitCodedLines(text)).toEqual(expected));

  it.each(['进度 4.1.1 60%', '80% 已完成', '4.1 全部', '2022.7.1 开会', '今天 4.1.1 开会'])('%j is not a coded report', (text) =>
    expect(splitCodedLines(text)).toBeNull(),
  );
});

describe('reportOfText', () => {
  it.each([
    ['80% 已完成清单编制', { kind: 'progress', percent: 80, note: '已完成清单编制' }],
    ['进度50%', { kind: 'progress', percent: 50, note: null }],
    ['完成', { kind: 'done_claim', note: null }],
    ['无变化', { kind: 'no_change', note: null }],
    ['已完成排查，形成方案', { kind: 'note', note: '已完成排查，形成方案' }],
  ])('%j', (text, expected) => expect(reportOfText(text)).toEqual(expected));
});

it.each([
  ['全部无变化', true],
  ['都没有变化', true],
  ['以上均无变化。', true],
  ['无变化', false],
  ['全部完成', false],
])('isAllSame(%j) = %s', (t, v) => expect(isAllSame(t)).toBe(v));

describe('parseMetricValue', () => {
  it.each([
    ['22', 22],
    ['23.5', 23.5],
    ['85%', 85],
    ['98.1%以上', 98.1],
    ['24以下', 24],
    ['22μg/m³', 22],
    ['Ⅱ类', 2],
    ['II类', 2],
    ['2类', 2],
    ['二类', 2],
    ['III类', 3],
    ['劣Ⅴ类', 6],
  ])('%j → %d', (raw, v) => expect(parseMetricValue(raw)).toMatchObject({ value: v }));
  it.each(['很好', 'Ⅸ类', '2022年7月', ''])('%j is not a value', (raw) => expect(parseMetricValue(raw)).toBeNull());
  it('water classes read back as Roman numerals', () => {
    expect(formatTargetValue(2, '类（Ⅱ类）')).toBe('Ⅱ类');
    expect(formatTargetValue(24, 'μg/m³')).toBe('24μg/m³');
  });
});

describe('parsePeriod', () => {
  const today = '2022-08-10';
  it.each([
    ['2022年7月', '2022-07'],
    ['2022-07', '2022-07'],
    ['7月', '2022-07'],
    ['7月份', '2022-07'],
    ['2022年第二季度', '2022-Q2'],
    ['2022Q2', '2022-Q2'],
    ['上半年', '2022-H1'],
    ['2021年', '2021'],
    ['2021年度', '2021'],
    ['上月', '2022-07'],
  ])('%j → %s', (raw, p) => expect(parsePeriod(raw, today)).toBe(p));
  it.each(['安定区', '13月', '22'])('%j is not a period', (raw) => expect(parsePeriod(raw, today)).toBeNull());
  it('reads back in Chinese', () => {
    expect(periodZh('2022-07')).toBe('2022年7月');
    expect(periodZh('2022-Q2')).toBe('2022年第2季度');
    expect(periodZh('2022-H1')).toBe('2022年上半年');
  });
});

describe('one task-code normaliser for chat and import', () => {
  it.each([
    ['4.1.2', '4.1.2'],
    ['４．１．２', '4.1.2'],
    ['4。1。2', '4.1.2'],
    ['04.01.02', '4.1.2'],
    ['任务4.1.2', '4.1.2'],
    [' 4 . 1 . 2 ', '4.1.2'],
    ['4.1.2.', '4.1.2'],
  ])('%j → %s', (raw, code) => expect(normaliseTaskCode(raw)).toBe(code));
});

describe('parseDate for 延期 (no roll-forward)', () => {
  it('keeps a past date in this year so it can be refused', () => {
    expect(parseDate('3月1日', '2022-11-20', { rollForward: false })).toEqual({ ok: true, value: '2022-03-01' });
    expect(parseDate('3月1日', '2022-11-20')).toEqual({ ok: true, value: '2023-03-01' });
  });
});
