import { describe, expect, it } from 'vitest';
import {
  DeadlineTextError,
  canonicalDeadlineLabel,
  deadlineKey,
  formatDeadlines,
  parseDeadlineText,
} from '../../src/domain/deadline-text.js';

describe('parseDeadlineText', () => {
  const cases: Array<[string, object[]]> = [
    ['2022年6月底前', [{ kind: 'month_end', dueDate: '2022-06-30', label: '2022年6月底前' }]],
    ['2022年2月底', [{ kind: 'month_end', dueDate: '2022-02-28', label: '2022年2月底' }]],
    ['2022年6月30日前', [{ kind: 'date', dueDate: '2022-06-30', label: '2022年6月30日前' }]],
    ['2022年底前', [{ kind: 'year_end', dueDate: '2022-12-31', label: '2022年底前' }]],
    ['2022年年底前', [{ kind: 'year_end', dueDate: '2022-12-31', label: '2022年年底前' }]],
    ['2023年', [{ kind: 'target_year', dueDate: '2023-12-31', label: '2023年' }]],
    ['到2025年', [{ kind: 'target_year', dueDate: '2025-12-31', label: '到2025年' }]],
    ['2025年', [{ kind: 'target_year', dueDate: '2025-12-31', label: '2025年' }]],
    ['长期坚持', [{ kind: 'ongoing', label: '长期坚持' }]],
    ['持续推进', [{ kind: 'ongoing', label: '持续推进' }]],
    ['每年', [{ kind: 'recurring', recurrence: 'annual', label: '每年' }]],
    ['每年12月底前', [{ kind: 'recurring', recurrence: 'annual', dueDate: '2022-12-31', label: '每年12月底前' }]],
    ['每年6月底前', [{ kind: 'recurring', recurrence: 'annual', dueDate: '2022-06-30', label: '每年6月底前' }]],
    ['每季度', [{ kind: 'recurring', recurrence: 'quarterly', label: '每季度' }]],
    ['每半年', [{ kind: 'recurring', recurrence: 'semiannual', label: '每半年' }]],
    ['每月', [{ kind: 'recurring', recurrence: 'monthly', label: '每月' }]],
    ['2022-06-30', [{ kind: 'date', dueDate: '2022-06-30', label: '2022-06-30' }]],
    ['2022/6/30', [{ kind: 'date', dueDate: '2022-06-30', label: '2022/6/30' }]],
    ['２０２２年 ６月底前', [{ kind: 'month_end', dueDate: '2022-06-30', label: '2022年6月底前' }]],
    [' 2022 年底前 ', [{ kind: 'year_end', dueDate: '2022-12-31', label: '2022年底前' }]],
    [
      '2022年6月底前完成排查，2023年底前完成整治',
      [
        { kind: 'month_end', dueDate: '2022-06-30', label: '2022年6月底前', what: '完成排查' },
        { kind: 'year_end', dueDate: '2023-12-31', label: '2023年底前', what: '完成整治' },
      ],
    ],
    [
      '2022年底前；长期坚持',
      [
        { kind: 'year_end', dueDate: '2022-12-31', label: '2022年底前' },
        { kind: 'ongoing', label: '长期坚持' },
      ],
    ],
    ['2023年底前，完成整治', [{ kind: 'year_end', dueDate: '2023-12-31', label: '2023年底前', what: '完成整治' }]],
    ['', []],
    ['  ', []],
  ];
  it.each(cases)('%s', (text, expected) => {
    expect(parseDeadlineText(text)).toEqual(expected);
  });

  it('reads Excel date cells and serial numbers, and bare year numbers', () => {
    expect(parseDeadlineText(new Date(Date.UTC(2022, 5, 30)))).toEqual([
      { kind: 'date', dueDate: '2022-06-30', label: '2022年6月30日前' },
    ]);
    expect(parseDeadlineText(44742)[0]).toMatchObject({ kind: 'date', dueDate: '2022-06-30' });
    expect(parseDeadlineText(2025)[0]).toMatchObject({ kind: 'target_year', dueDate: '2025-12-31' });
    expect(parseDeadlineText(null)).toEqual([]);
  });

  it('uses baseYear for the first occurrence of a yearly duty', () => {
    expect(parseDeadlineText('每年12月底前', { baseYear: 2024 })[0]!.dueDate).toBe('2024-12-31');
  });

  it.each(['尽快', '年内', '2022年13月底前', '2022年2月30日前', '下半年', '2022-02-30'])('rejects %s with the accepted forms', (text) => {
    const err = (() => {
      try {
        parseDeadlineText(text);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DeadlineTextError);
    expect((err as Error).message).toContain(`“${text}”`);
    expect((err as Error).message).toContain('2022年6月底前');
    expect((err as Error).message).toContain('长期坚持');
  });
});

describe('formatDeadlines', () => {
  it('writes the stored wording back and it parses to the same deadlines', () => {
    const texts = ['2022年6月底前完成排查，2023年底前完成整治', '每年12月底前', '到2025年', '长期坚持', '每季度', '2022年6月30日前'];
    for (const t of texts) {
      const parsed = parseDeadlineText(t);
      const again = parseDeadlineText(formatDeadlines(parsed));
      expect(again.map(deadlineKey)).toEqual(parsed.map(deadlineKey));
    }
  });

  it('falls back to canonical wording when a label does not read back', () => {
    const text = formatDeadlines([{ kind: 'month_end', dueDate: '2022-06-30', label: '上半年' }]);
    expect(text).toBe('2022年6月底前');
    expect(canonicalDeadlineLabel({ kind: 'recurring', recurrence: 'annual', dueDate: '2022-06-15', label: 'x' })).toBe('每年6月15日前');
    expect(formatDeadlines([])).toBe('');
  });
});

describe('standing duties keep their verb in the label', () => {
  it.each(['持续优化', '持续推动', '持续加强', '持续深入开展', '常态化', '长期坚持', '常态化推进'])('%s', (text) => {
    expect(parseDeadlineText(text)).toEqual([{ kind: 'ongoing', label: text }]);
  });
});

describe('deadlineKey', () => {
  it('ignores punctuation and width differences in what is due', () => {
    const a = { kind: 'month_end' as const, dueDate: '2022-06-30', what: '完成排查。制定方案' };
    expect(deadlineKey(a)).toBe(deadlineKey({ ...a, what: '完成排查，制定方案' }));
    expect(deadlineKey(a)).not.toBe(deadlineKey({ ...a, what: '完成整治' }));
    expect(deadlineKey({ kind: 'recurring', recurrence: 'annual', dueDate: '2022-12-31' })).toBe(
      deadlineKey({ kind: 'recurring', recurrence: 'annual', dueDate: '2025-12-31' }),
    );
  });
});
