// Deadline wording as offices write it ("2022年6月底前", "到2025年", "长期坚持", "每年") <-> DeadlineSpec[].
// Pure: no I/O. Used by the table importer (完成时限 column) and by the exporter to write the wording back.
import { isIsoDate, lastDayOfMonth } from './dates.js';
import type { DeadlineSpec } from './plan-file.js';
import { DubanError } from './errors.js';

export const ACCEPTED_DEADLINE_FORMS =
  '2022年6月底前、2022年6月30日前、2022年底前、到2025年、2025年、2022-06-30、长期坚持、持续推进、每年、每年12月底前、每半年、每季度、每月；' +
  '多个时限用“，”或“；”分开，例如“2022年6月底前完成排查，2023年底前完成整治”';

export class DeadlineTextError extends DubanError {
  constructor(
    readonly text: string,
    readonly reason: string,
  ) {
    super('deadline_unparseable', `无法识别完成时限“${text}”（${reason}）。可用写法：${ACCEPTED_DEADLINE_FORMS}`);
  }
}

export interface DeadlineParseOptions {
  /** Year used for the first occurrence of "每年12月底前"-style duties (default 2022, the plan's first year). */
  baseYear?: number;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Full-width digits/letters/punctuation to ASCII, and all whitespace removed (offices type both freely). */
export function normalizeWideText(s: string): string {
  return s
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, ' ');
}

const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);

/** An Excel date serial (days since 1899-12-30, the 1900 leap-year bug included) as 'YYYY-MM-DD'. */
export function excelSerialToDate(serial: number): string {
  const d = new Date(EXCEL_EPOCH_MS + Math.floor(serial) * 86_400_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

function dateOf(d: Date): string {
  // exceljs hands date cells back as UTC midnight of the calendar day shown in Excel.
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

function checkedDate(y: number, m: number, day: number, raw: string): string {
  const iso = `${y}-${pad(m)}-${pad(day)}`;
  if (!isIsoDate(iso)) throw new DeadlineTextError(raw, `日期 ${iso} 不存在`);
  return iso;
}

function checkedMonth(m: number, raw: string): number {
  if (m < 1 || m > 12) throw new DeadlineTextError(raw, `月份 ${m} 不存在`);
  return m;
}

const BEFORE = '(?:之前|以前|前)?';
const MONTH_END = '(?:底|末)';
const YEAR_END = '(?:年底|年末|底|末)';

interface Matcher {
  re: RegExp;
  build(m: RegExpExecArray, raw: string, opts: Required<DeadlineParseOptions>): Omit<DeadlineSpec, 'label' | 'what'>;
}

// Order matters: longer, more specific forms first. Each pattern is anchored at the start of a segment.
const MATCHERS: Matcher[] = [
  {
    re: /^(?:到|至|于|在)?(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:日)?(?:之前|以前|前)?/,
    build: (m, raw) => ({ kind: 'date', dueDate: checkedDate(+m[1]!, +m[2]!, +m[3]!, raw) }),
  },
  {
    re: new RegExp(`^(?:到|至|于|在)?(\\d{4})年(\\d{1,2})月(\\d{1,2})[日号]${BEFORE}`),
    build: (m, raw) => ({ kind: 'date', dueDate: checkedDate(+m[1]!, +m[2]!, +m[3]!, raw) }),
  },
  {
    re: new RegExp(`^(?:到|至|于|在)?(\\d{4})年(\\d{1,2})月(?:${MONTH_END}${BEFORE}|份?${BEFORE})`),
    build: (m, raw) => {
      const month = checkedMonth(+m[2]!, raw);
      return { kind: 'month_end', dueDate: lastDayOfMonth(+m[1]!, month) };
    },
  },
  {
    re: new RegExp(`^(?:到|至|于|在)?(\\d{4})年${YEAR_END}${BEFORE}`),
    build: (m) => ({ kind: 'year_end', dueDate: `${m[1]}-12-31` }),
  },
  {
    re: new RegExp(`^(?:到|至|于|在)?(\\d{4})年${BEFORE}`),
    build: (m) => ({ kind: 'target_year', dueDate: `${m[1]}-12-31` }),
  },
  {
    re: new RegExp(`^每年(?:度)?(\\d{1,2})月(\\d{1,2})[日号]${BEFORE}`),
    build: (m, raw, o) => ({
      kind: 'recurring',
      recurrence: 'annual',
      dueDate: checkedDate(o.baseYear, checkedMonth(+m[1]!, raw), +m[2]!, raw),
    }),
  },
  {
    re: new RegExp(`^每年(?:度)?(\\d{1,2})月(?:${MONTH_END})?${BEFORE}`),
    build: (m, raw, o) => ({
      kind: 'recurring',
      recurrence: 'annual',
      dueDate: lastDayOfMonth(o.baseYear, checkedMonth(+m[1]!, raw)),
    }),
  },
  {
    re: new RegExp(`^每年(?:度)?${YEAR_END}${BEFORE}`),
    build: (_m, _raw, o) => ({ kind: 'recurring', recurrence: 'annual', dueDate: `${o.baseYear}-12-31` }),
  },
  { re: /^每半年(?:度)?/, build: () => ({ kind: 'recurring', recurrence: 'semiannual' }) },
  { re: /^(?:每季度?|按季度?)/, build: () => ({ kind: 'recurring', recurrence: 'quarterly' }) },
  { re: /^(?:每月|按月)/, build: () => ({ kind: 'recurring', recurrence: 'monthly' }) },
  { re: /^(?:每年(?:度)?|按年(?:度)?|年度)/, build: () => ({ kind: 'recurring', recurrence: 'annual' }) },
  {
    re: /^(?:长期|持续|常态化|经常性)(?:深入)?(?:坚持|推进|开展|实施|执行|优化|推动|加强|深化|落实|抓好|做好)?/,
    build: () => ({ kind: 'ongoing' }),
  },
];

const SEGMENT_SPLIT = /[，,；;。\n]+/;

/**
 * Parse one 完成时限 cell. Strings, Excel date cells (Date) and date serials / bare years (number) are accepted.
 * An empty cell is no deadline ([]). Unknown wording throws DeadlineTextError naming the accepted forms.
 */
export function parseDeadlineText(input: unknown, opts: DeadlineParseOptions = {}): DeadlineSpec[] {
  const o = { baseYear: opts.baseYear ?? 2022 };
  if (input === null || input === undefined) return [];
  if (input instanceof Date) {
    if (Number.isNaN(input.getTime())) throw new DeadlineTextError(String(input), '不是有效日期');
    const iso = dateOf(input);
    return [{ kind: 'date', dueDate: iso, label: formatIsoZh(iso) }];
  }
  if (typeof input === 'number') {
    if (Number.isInteger(input) && input >= 1900 && input <= 2100) {
      return [{ kind: 'target_year', dueDate: `${input}-12-31`, label: `${input}年` }];
    }
    if (input > 0 && input < 2_958_466) {
      const iso = excelSerialToDate(input);
      return [{ kind: 'date', dueDate: iso, label: formatIsoZh(iso) }];
    }
    throw new DeadlineTextError(String(input), '数字既不是年份也不是 Excel 日期');
  }
  const raw = String(input);
  const text = normalizeWideText(raw).replace(/\s+/g, '');
  if (text === '' || text === '-' || text === '—' || text === '/') return [];

  const out: DeadlineSpec[] = [];
  for (const segment of text.split(SEGMENT_SPLIT)) {
    if (!segment) continue;
    let matched = false;
    for (const mt of MATCHERS) {
      const m = mt.re.exec(segment);
      if (!m) continue;
      const label = m[0];
      const what = segment.slice(label.length).replace(/^[:：、]+/, '');
      out.push({ ...mt.build(m, raw, o), label, ...(what ? { what } : {}) } as DeadlineSpec);
      matched = true;
      break;
    }
    if (matched) continue;
    // A clause without its own date continues the previous one ("2023年底前，完成整治").
    const prev = out[out.length - 1];
    if (!prev) throw new DeadlineTextError(raw, `“${segment}”不是时限写法`);
    prev.what = prev.what ? `${prev.what}，${segment}` : segment;
  }
  return out;
}

/** '2022-06-30' -> '2022年6月30日前'. */
function formatIsoZh(iso: string): string {
  return `${Number(iso.slice(0, 4))}年${Number(iso.slice(5, 7))}月${Number(iso.slice(8, 10))}日前`;
}

/** Canonical wording of one deadline, from its kind and date (used when the label cannot stand for it). */
export function canonicalDeadlineLabel(d: DeadlineSpec): string {
  const y = d.dueDate ? Number(d.dueDate.slice(0, 4)) : 0;
  const m = d.dueDate ? Number(d.dueDate.slice(5, 7)) : 0;
  switch (d.kind) {
    case 'date':
      return formatIsoZh(d.dueDate!);
    case 'month_end':
      return `${y}年${m}月底前`;
    case 'year_end':
      return `${y}年底前`;
    case 'target_year':
      return `到${y}年`;
    case 'ongoing':
      return '长期坚持';
    case 'recurring':
      switch (d.recurrence) {
        case 'monthly':
          return '每月';
        case 'quarterly':
          return '每季度';
        case 'semiannual':
          return '每半年';
        default: {
          if (!d.dueDate) return '每年';
          const day = d.dueDate.slice(5);
          if (day === '12-31') return '每年年底前';
          const last = lastDayOfMonth(y, m).slice(5);
          return day === last ? `每年${m}月底前` : `每年${m}月${Number(d.dueDate.slice(8, 10))}日前`;
        }
      }
  }
}

/** The semantic identity of a deadline: what a re-import compares (the wording itself may differ). */
export function deadlineKey(d: Pick<DeadlineSpec, 'kind' | 'dueDate' | 'recurrence' | 'what'>): string {
  // Recurring duties compare by month-day only: their stored year is just the first occurrence.
  const due = d.kind === 'recurring' ? (d.dueDate?.slice(5) ?? '') : (d.dueDate ?? '');
  // Punctuation inside "what" does not survive a trip through a cell's separators reliably: compare without it.
  const what = normalizeWideText(d.what ?? '').replace(/[\s,;.:、。]+/g, '');
  return `${d.kind}|${due}|${d.recurrence ?? ''}|${what}`;
}

/**
 * Deadlines back to the wording of a 完成时限 cell. The stored label is kept when it reads back to the same
 * deadline, so the office sees its own words; otherwise the canonical wording is written.
 */
export function formatDeadlines(list: DeadlineSpec[]): string {
  return list
    .map((d) => {
      let label = d.label;
      try {
        const back = parseDeadlineText(label + (d.what ?? ''), {
          baseYear: d.dueDate ? Number(d.dueDate.slice(0, 4)) : 2022,
        });
        if (back.length !== 1 || deadlineKey(back[0]!) !== deadlineKey(d)) label = canonicalDeadlineLabel(d);
      } catch {
        label = canonicalDeadlineLabel(d);
      }
      return label + (d.what ?? '');
    })
    .join('；');
}
