// The task-assignment table (任务分工表) as offices keep it: find the header row, map columns by their many
// names, and turn each data row into a task, with a `第N行：…` error for every bad row.
import { DeadlineTextError, normalizeWideText, parseDeadlineText, ACCEPTED_DEADLINE_FORMS } from '../domain/deadline-text.js';
import type { DeadlineSpec } from '../domain/plan-file.js';
import { splitUnitCell } from '../domain/unit-names.js';
import { normaliseTaskCode } from '../domain/task-code.js';
import type { CellValue, RowError, SheetRow } from './types.js';

export type ColumnKey = 'seq' | 'code' | 'task' | 'title' | 'lead' | 'co' | 'deadline' | 'note' | 'chapter' | 'extra';

/** Header names per column (compared after removing spaces and a trailing bracketed remark). */
const HEADER_NAMES: Record<ColumnKey, string[]> = {
  seq: ['序号', '序'],
  code: ['编号', '任务编号', '任务代码', '代码', 'code'],
  task: ['任务', '重点任务', '任务内容', '工作任务', '主要任务', '具体任务', '工作内容', '重点工作', '任务措施', 'task', 'text'],
  title: ['任务名称', '任务标题', '标题', 'title'],
  lead: ['牵头单位', '责任单位', '牵头部门', '牵头责任单位', '主要责任单位', '牵头', 'lead'],
  co: ['配合单位', '配合部门', '协助单位', '参与单位', '配合', 'co'],
  deadline: ['完成时限', '时限', '完成时间', '时间要求', '完成期限', '时限要求', '时间节点', 'deadline'],
  note: ['备注', '说明', 'note'],
  chapter: ['篇章', '章节', '类别', '领域', 'chapter'],
  // Columns the 台账 export adds: recognised so they are not mistaken for anything else, then ignored.
  extra: ['状态', '进度', '最新进展', '最新报送时间', '亮灯', 'status', 'percent', 'latestprogress', 'latestreportat', 'deadlines'],
};

const HEADER_INDEX = new Map<string, ColumnKey>();
for (const [key, names] of Object.entries(HEADER_NAMES) as Array<[ColumnKey, string[]]>) {
  for (const n of names) HEADER_INDEX.set(n.toLowerCase(), key);
}

export const EXPECTED_COLUMNS =
  '序号（或编号，填任务编号如 4.1.2）、任务（或重点任务/任务内容）、牵头单位（或责任单位）、配合单位、完成时限、备注';

/** Text of a cell for matching and for most fields: folded width, trimmed. Dates become YYYY-MM-DD. */
export function cellText(v: CellValue | undefined): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return String(v).trim();
}

function headerKey(v: CellValue | undefined): ColumnKey | undefined {
  const t = normalizeWideText(cellText(v))
    .replace(/\s+/g, '')
    .replace(/[（(][^）)]*[)）]$/, '')
    .replace(/[*※:：]/g, '')
    .toLowerCase();
  return t ? HEADER_INDEX.get(t) : undefined;
}

export interface HeaderMatch {
  /** Index into the rows array of the header row. */
  index: number;
  rowNumber: number;
  columns: Partial<Record<ColumnKey, number>>;
  /** Index of the first data row (after a second header row such as 牵头/配合 under 责任单位). */
  dataStart: number;
}

function mapColumns(cells: CellValue[]): Partial<Record<ColumnKey, number>> {
  const cols: Partial<Record<ColumnKey, number>> = {};
  cells.forEach((c, i) => {
    const k = headerKey(c);
    if (k && cols[k] === undefined) cols[k] = i;
  });
  return cols;
}

/** The header row: the first of the first 30 rows naming a code column, a task column and a lead-unit column. */
export function findHeader(rows: SheetRow[]): HeaderMatch | null {
  for (let i = 0; i < Math.min(rows.length, 30); i++) {
    const cols = mapColumns(rows[i]!.cells);
    if ((cols.seq === undefined && cols.code === undefined) || cols.task === undefined || cols.lead === undefined) continue;
    let dataStart = i + 1;
    // Two-level header: 责任单位 merged over 牵头 | 配合 in the row below.
    // Cells merged down from the header row repeat its text; only the cells that differ count.
    const next = rows[i + 1];
    if (next) {
      const head = rows[i]!.cells;
      const own = next.cells.map((c, j) => (cellText(c) === cellText(head[j]) ? null : c));
      const sub = mapColumns(own);
      const subKeys = Object.keys(sub) as ColumnKey[];
      if (subKeys.some((k) => k === 'lead' || k === 'co') && subKeys.every((k) => k === 'lead' || k === 'co' || k === 'extra')) {
        for (const k of subKeys) cols[k] = sub[k];
        dataStart = i + 2;
      }
    }
    return { index: i, rowNumber: rows[i]!.rowNumber, columns: cols, dataStart };
  }
  return null;
}

export interface UnitPick {
  /** Canonical unit name. */
  name: string;
  /** Marked "（待确认）" in the cell: stays a proposal. */
  proposed: boolean;
}

export interface TableTask {
  row: number;
  code: string;
  text: string;
  title?: string;
  lead: UnitPick[];
  /** Undefined when the table has no 配合单位 column (then existing co-units are kept). */
  co?: UnitPick[];
  /** Undefined when the table has no 完成时限 column. */
  deadlines?: DeadlineSpec[];
  /** Undefined when the table has no 备注 column; null when the cell is empty. */
  note?: string | null;
  chapter?: string;
}

export interface UnitLookup {
  /** Canonical name of a known unit (by name or alias), or undefined. */
  resolve(name: string): string | undefined;
  suggest(name: string): string[];
  /** Names of all county-level units, for "各县区" in a cell. */
  counties: string[];
}

/** "各县区", "各县（区）", "各县区人民政府" …: every county and district. */
const ALL_COUNTIES_RE = /^各县[(（]?区[)）]?(?:人民)?(?:政府)?$/;

export interface ParseTableOptions {
  units: UnitLookup;
  /** Unknown units become new units instead of errors. */
  createUnits: boolean;
  /** Year for the first occurrence of yearly duties ("每年6月底前"). */
  baseYear: number;
}

export interface ParsedTable {
  tasks: TableTask[];
  errors: RowError[];
  /** Unknown unit names that --create-units will add. */
  newUnits: string[];
  columns: Partial<Record<ColumnKey, number>>;
}

const CODE_RE = /^\d+\.\d+\.\d+$/;
const HEADING_RE = /^(?:[（(]?[一二三四五六七八九十百]+[)）、.．]|第[一二三四五六七八九十百\d]+[章篇节部分])/;
const SEQ_HEADING_RE = /^[（(]?[一二三四五六七八九十百]+[)）、.．]?$/;
const FOOTNOTE_RE = /^(?:注|说明|备注|填表|附)[:：]?/;
const PROPOSED_RE = /[（(]待确认[)）]$/;

/** Parse the data rows under the header. Every problem becomes a RowError; rows with errors yield no task. */
export function parseTaskTable(rows: SheetRow[], header: HeaderMatch, opts: ParseTableOptions): ParsedTable {
  const cols = header.columns;
  const errors: RowError[] = [];
  const tasks: TableTask[] = [];
  const seen = new Map<string, number>();
  const newUnits = new Set<string>();
  const get = (r: SheetRow, k: ColumnKey): CellValue => (cols[k] === undefined ? null : (r.cells[cols[k]!] ?? null));

  for (const r of rows.slice(header.dataStart)) {
    const n = r.rowNumber;
    const fail = (what: string) => errors.push({ row: n, message: `第${n}行：${what}` });
    const values = r.cells.map(cellText).filter(Boolean);
    if (values.length === 0) continue;

    const seqText = cellText(get(r, 'seq'));
    const codeText = cellText(get(r, 'code'));
    const text = cellText(get(r, 'task'));
    const leadText = cellText(get(r, 'lead'));
    const coText = cellText(get(r, 'co'));
    const deadlineCell = get(r, 'deadline');
    const noteText = cellText(get(r, 'note'));
    const looksLikeCode = (s: string) => /\d+\s*[.．。、]\s*\d+/.test(normalizeWideText(s));
    const noDuty = !leadText && !coText && !cellText(deadlineCell) && !noteText;

    // Chapter/section heading rows, merged title rows and footnotes carry no task.
    // A two-level number ("2.1") with no units or deadline numbers a section, not a task.
    if (noDuty && /^\d+\.\d+$/.test(normaliseTaskCode(codeText || seqText))) continue;
    if (noDuty && !looksLikeCode(codeText || seqText)) {
      const merged = values.length > 1 && new Set(values).size === 1;
      if (merged || SEQ_HEADING_RE.test(seqText) || HEADING_RE.test(seqText) || HEADING_RE.test(text) || FOOTNOTE_RE.test(values[0]!)) {
        continue;
      }
    }

    let code: string | undefined;
    const rowErrors = errors.length;
    const candidate = codeText || seqText;
    const from = codeText ? '编号' : '序号';
    const rawCode = codeText ? get(r, 'code') : get(r, 'seq');
    if (rawCode instanceof Date) {
      fail(`${from}被 Excel 当成了日期（${candidate}），请把该列设置为“文本”格式后重新填写任务编号（如 4.1.2）`);
    } else if (!candidate) {
      fail(`缺少任务编号，请在“${cols.code !== undefined ? '编号' : '序号'}”列填写任务编号（章.节.序号，如 4.1.2）`);
    } else if (!codeText && /^\d+$/.test(normalizeWideText(seqText).trim())) {
      fail(
        `序号“${seqText}”只是顺序号，不是任务编号。请在序号列填写任务编号（章.节.序号，如 4.1.2），或增加一列“编号”填写任务编号`,
      );
    } else {
      const c = normaliseTaskCode(candidate);
      if (!CODE_RE.test(c)) fail(`${from}“${candidate}”不是有效的任务编号，应为 章.节.序号（如 4.1.2）`);
      else if (seen.has(c)) fail(`任务编号 ${c} 与第${seen.get(c)}行重复，请删除重复的行或改正编号`);
      else {
        code = c;
        seen.set(c, n);
      }
    }
    const label = code ? `任务 ${code} ` : '';

    if (!text) fail(`${label}的任务内容为空，请在“任务”列填写任务内容`.replace(/^的/, ''));

    const pickUnits = (cell: string, column: string): UnitPick[] => {
      const out: UnitPick[] = [];
      for (const rawName of splitUnitCell(cell)) {
        const proposed = PROPOSED_RE.test(rawName);
        const name = rawName.replace(PROPOSED_RE, '');
        if (!name) continue;
        if (ALL_COUNTIES_RE.test(normalizeWideText(name)) && opts.units.counties.length) {
          for (const c of opts.units.counties) if (!out.some((u) => u.name === c)) out.push({ name: c, proposed });
          continue;
        }
        const known = opts.units.resolve(name);
        if (known) {
          if (!out.some((u) => u.name === known)) out.push({ name: known, proposed });
          continue;
        }
        if (opts.createUnits) {
          newUnits.add(name);
          if (!out.some((u) => u.name === name)) out.push({ name, proposed });
          continue;
        }
        const hint = opts.units.suggest(name);
        fail(
          `${column}“${name}”不在单位名单中${hint.length ? `，是否是“${hint.join('”或“')}”？` : '。'}` +
            `请改正单位名称（可用单位全称或别名），或在导入时加 --create-units 新增该单位`,
        );
      }
      return out;
    };
    const lead = pickUnits(leadText, '牵头单位');
    if (!leadText) fail(`${label}没有牵头单位，请在“牵头单位”列填写至少一个单位`);
    const co = cols.co !== undefined ? pickUnits(coText, '配合单位').filter((u) => !lead.some((l) => l.name === u.name)) : undefined;

    let deadlines: DeadlineSpec[] | undefined;
    if (cols.deadline !== undefined) {
      try {
        deadlines = parseDeadlineText(deadlineCell, { baseYear: opts.baseYear });
      } catch (e) {
        if (!(e instanceof DeadlineTextError)) throw e;
        fail(`完成时限“${cellText(deadlineCell)}”无法识别（${e.reason}），请改用以下写法之一：${ACCEPTED_DEADLINE_FORMS}`);
      }
    }

    if (errors.length > rowErrors || !code) continue;
    tasks.push({
      row: n,
      code,
      text,
      ...(cols.title !== undefined && cellText(get(r, 'title')) ? { title: cellText(get(r, 'title')) } : {}),
      lead,
      ...(co ? { co } : {}),
      ...(deadlines ? { deadlines } : {}),
      ...(cols.note !== undefined ? { note: noteText || null } : {}),
      ...(cellText(get(r, 'chapter')) ? { chapter: cellText(get(r, 'chapter')) } : {}),
    });
  }
  return { tasks, errors, newUnits: [...newUnits], columns: cols };
}
