// Task cards (JSON 2.0): the task, its units, deadlines, targets and history; with buttons when the card is
// about one assignment. Also the two forms the buttons open (progress report, extension request). Pure.
import type { CardButtonValue } from '../domain/types.js';
import { formatDateZh } from '../domain/dates.js';
import { mdText } from '../domain/text-escape.js';
import { LIGHT_EMOJI, rollUpTaskStatus, type Light } from '../domain/status.js';
import type { AssignmentView } from '../domain/assignment-view.js';

type Card = Record<string, unknown>;

const TEMPLATE: Record<Light, string> = { red: 'red', yellow: 'orange', green: 'green' };
const KIND_ZH: Record<string, string> = {
  progress: '进度',
  done_claim: '申报完成',
  no_change: '无变化',
  return: '办公室退回',
  close: '办公室销号',
  note: '说明',
  extension: '延期',
};

export interface HistoryItem {
  kind: string;
  percent: number | null;
  note: string | null;
  createdAt: number;
  unitName?: string;
  /** The reporter recalled the message that made this report: shown as 已撤回. */
  withdrawnAt?: number | null;
}

export interface TargetItem {
  indicator: string;
  comparator: string;
  value: number;
  unit: string | null;
  year: number;
}

const md = (content: string) => ({ tag: 'markdown', content });
const plain = (content: string) => ({ tag: 'plain_text', content });

function button(text: string, value: CardButtonValue, type: 'primary' | 'default' | 'danger' = 'default') {
  return { tag: 'button', text: plain(text), type, behaviors: [{ type: 'callback', value }] };
}

/** The four buttons of a reminder or task card about one assignment. */
export function assignmentButtons(asgId: number) {
  return {
    tag: 'column_set',
    columns: [
      button('报送进度', { a: 'progress_form', asg: asgId }, 'primary'),
      button('无变化', { a: 'same', asg: asgId }),
      button('已完成', { a: 'done', asg: asgId }),
      button('申请延期', { a: 'extend_form', asg: asgId }),
    ].map((b) => ({ tag: 'column', width: 'auto', elements: [b] })),
  };
}

function shanghaiDay(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
}

export function assignmentLine(v: AssignmentView, today: string): string {
  const a = v.assessment;
  const y = Number(today.slice(0, 4));
  const due = a.due ? `截止${formatDateZh(a.due.date, y)}${a.due.extended ? '(延期)' : ''}` : '长期';
  const late = a.overdueDays > 0 ? ` 逾期${a.overdueDays}天` : a.open && a.daysLeft != null ? ` 剩${a.daysLeft}天` : '';
  const role = v.asg.role === 'co' ? '配合' : '牵头';
  return `${LIGHT_EMOJI[a.light]} ${mdText(v.unit.name)}（${role}）${a.statusWord} ${v.asg.percent}% ${due}${late}`;
}

export interface TaskCardInput {
  views: AssignmentView[];
  history: HistoryItem[];
  targets: TargetItem[];
  today: string;
  /** When set, the card is about this assignment and carries its buttons. */
  focusAsgId?: number;
  /** A line shown on top, e.g. what was just recorded. */
  banner?: string;
  /** 佐证材料 per unit (issue 18): files with a personal link when the reader may open them, else only a count. */
  evidence?: EvidenceGroup[];
}

export interface EvidenceGroup {
  unitName: string;
  items: Array<{ name: string; url: string | null; by: string | null; at: number }>;
  /** Files the reader may not open (another unit's): counted only. */
  hidden?: number;
}

function evidenceBlock(groups: EvidenceGroup[]): string | null {
  const lines: string[] = [];
  for (const g of groups) {
    if (g.items.length === 0 && !g.hidden) continue;
    const shown = g.items.slice(0, 10).map((e) => {
      const what = e.url ? `[${mdText(e.name)}](${e.url})` : mdText(e.name);
      return `  · ${what}（${mdText(e.by ?? '联络员')} ${shanghaiDay(e.at).slice(5)}）`;
    });
    const more = g.items.length > 10 ? [`  · ……另 ${g.items.length - 10} 个，可在看板查看`] : [];
    const hidden = g.hidden ? `（${g.hidden} 个，仅该单位和办公室可查看）` : '';
    lines.push(`${mdText(g.unitName)}：${g.items.length ? `${g.items.length} 个` : ''}${hidden}`, ...shown, ...more);
  }
  return lines.length ? `**佐证材料**\n${lines.join('\n')}` : null;
}

export function renderTaskCard(input: TaskCardInput): Card {
  const first = input.views[0]!;
  const { task, deadlines } = first;
  const focus = input.views.find((v) => v.asg.id === input.focusAsgId);
  const worst: Light = (focus ? [focus] : input.views).reduce<Light>(
    (acc, v) => (v.assessment.light === 'red' || acc === 'red' ? 'red' : v.assessment.light === 'yellow' ? 'yellow' : acc),
    'green',
  );
  const elements: unknown[] = [];
  if (input.banner) elements.push(md(`**${mdText(input.banner)}**`));
  elements.push(md(`**原文**：${mdText(task.sourceText.slice(0, 600))}${task.sourceText.length > 600 ? '…' : ''}`));
  if (deadlines.length) elements.push(md(`**期限**：${deadlines.map((d) => mdText(d.label) + (d.what ? `（${mdText(d.what)}）` : '')).join('；')}`));
  elements.push(md(`**责任单位**\n${input.views.map((v) => assignmentLine(v, input.today)).join('\n')}`));
  if (input.targets.length)
    elements.push(
      md(`**目标**：${input.targets.map((t) => `${mdText(t.indicator)} ${mdText(t.comparator)} ${t.value}${mdText(t.unit)}（${t.year}年）`).join('；')}`),
    );
  if (input.history.length)
    elements.push(
      md(
        `**最近报送**\n` +
          input.history
            .map(
              (h) =>
                `${shanghaiDay(h.createdAt).slice(5)} ${mdText(h.unitName)} ${KIND_ZH[h.kind] ?? mdText(h.kind)}` +
                (h.percent != null ? ` ${h.percent}%` : '') +
                (h.note ? `：${mdText(h.note.slice(0, 80))}` : '') +
                (h.withdrawnAt ? '（已撤回）' : ''),
            )
            .join('\n'),
      ),
    );
  const ev = input.evidence ? evidenceBlock(input.evidence) : null;
  if (ev) elements.push(md(ev));
  if (focus && focus.asg.state !== 'closed' && focus.asg.state !== 'claimed') elements.push(assignmentButtons(focus.asg.id));
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: {
      title: plain(`${task.code} ${task.title}`.slice(0, 100)),
      // The task's own status is the roll-up over all its units (the same rule as 统计, the digest and the 台账).
      subtitle: focus
        ? plain(`${focus.unit.name} · ${focus.assessment.statusWord} ${focus.asg.percent}%｜任务：${rollUpTaskStatus(input.views.map((v) => v.assessment.statusWord))}`)
        : plain(`任务状态：${rollUpTaskStatus(input.views.map((v) => v.assessment.statusWord))}`),
      template: TEMPLATE[worst],
    },
    body: { elements },
  };
}

/** The form behind 报送进度: percent, note, evidence link. Submits {a:'progress', asg}. */
export function renderProgressForm(v: AssignmentView): Card {
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: { title: plain(`报送进度 · ${v.task.code} ${v.task.title}`.slice(0, 100)), template: 'blue' },
    body: {
      elements: [
        md(`${mdText(v.unit.name)}，当前进度 ${v.asg.percent}%`),
        {
          tag: 'form',
          name: 'progress_form',
          elements: [
            { tag: 'input', name: 'percent', label: plain('进度（0–100）'), placeholder: plain('例如 60'), default_value: String(v.asg.percent) },
            { tag: 'input', name: 'note', label: plain('进展说明'), placeholder: plain('做了什么、还差什么'), input_type: 'multiline_text', max_length: 1000 },
            { tag: 'input', name: 'evidence', label: plain('佐证链接（可选）'), placeholder: plain('https://…') },
            {
              tag: 'button',
              name: 'submit',
              text: plain('提交'),
              type: 'primary',
              form_action_type: 'submit',
              behaviors: [{ type: 'callback', value: { a: 'progress', asg: v.asg.id } satisfies CardButtonValue }],
            },
          ],
        },
      ],
    },
  };
}

/** The form behind 申请延期: new date, reason. Submits {a:'extend', asg}. */
export function renderExtendForm(v: AssignmentView): Card {
  const due = v.assessment.due ? `当前截止 ${v.assessment.due.date}` : '当前无固定截止日期';
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: { title: plain(`申请延期 · ${v.task.code} ${v.task.title}`.slice(0, 100)), template: 'orange' },
    body: {
      elements: [
        md(`${mdText(v.unit.name)}，${due}`),
        {
          tag: 'form',
          name: 'extend_form',
          elements: [
            { tag: 'input', name: 'date', label: plain('延期至'), placeholder: plain('例如 2022-08-31 或 8月底') },
            { tag: 'input', name: 'reason', label: plain('原因'), placeholder: plain('为什么需要延期'), input_type: 'multiline_text', max_length: 500 },
            {
              tag: 'button',
              name: 'submit',
              text: plain('提交申请'),
              type: 'primary',
              form_action_type: 'submit',
              behaviors: [{ type: 'callback', value: { a: 'extend', asg: v.asg.id } satisfies CardButtonValue }],
            },
          ],
        },
      ],
    },
  };
}
