// The reminder card a unit's contact receives (Feishu card JSON 2.0): pure, so it can be snapshot-tested.
import { formatDateZh, shanghaiDate } from '../domain/dates.js';
import { mdText } from '../domain/text-escape.js';
import type { CardButtonValue } from '../domain/types.js';

export interface ReminderCardInput {
  assignmentId: number;
  taskCode: string;
  taskTitle: string;
  unitName: string;
  /** before | due | after | periodic */
  step: 'before' | 'due' | 'after' | 'periodic';
  urgency: 'normal' | 'soon' | 'overdue';
  /** The deadline as the plan words it ("2022年6月底前"), if any. */
  dueLabel?: string | null;
  dueDate: string | null;
  /** Calendar days until the due date (negative when overdue). */
  daysLeft: number | null;
  /** Working days left as of sending (before) or the overdue reminder's number (after). */
  offset: number;
  /** 'YYYY-MM' or 'YYYY-Qn' for periodic requests. */
  period?: string;
  percent: number;
  lastReportAt: number | null;
  /** 2+ when the office has been told as well. */
  escalationLevel?: number;
  /** Sent to the unit's group (本群设为 <单位>群): the contacts to @mention there. */
  mentions?: Array<{ openId: string; name?: string | null }>;
  /** Instant of the send, for "today" wording. */
  now: number;
}

/** `<at id=…></at>` for each contact (card JSON 2.0 markdown); ids that are not plain open_ids are left out. */
export function mentionLine(mentions: ReminderCardInput['mentions']): string | null {
  const ids = (mentions ?? []).map((m) => m.openId).filter((id) => /^[\w-]{1,64}$/.test(id));
  return ids.length ? `**联络员**：${ids.map((id) => `<at id=${id}></at>`).join(' ')}` : null;
}

const TEMPLATE = { normal: 'blue', soon: 'orange', overdue: 'red' } as const;

function button(text: string, value: CardButtonValue, type: 'primary' | 'default' = 'default') {
  return {
    tag: 'button',
    text: { tag: 'plain_text', content: text },
    type,
    behaviors: [{ type: 'callback', value }],
  };
}

function periodZh(period: string): string {
  const q = /^(\d{4})-Q(\d)$/.exec(period);
  if (q) return `${q[1]}年第${q[2]}季度`;
  return `${Number(period.slice(0, 4))}年${Number(period.slice(5, 7))}月`;
}

export function reminderTitle(i: Pick<ReminderCardInput, 'step' | 'offset' | 'daysLeft' | 'period'>): string {
  if (i.step !== 'periodic' && i.daysLeft !== null && i.daysLeft < 0) return `逾期提醒：已逾期 ${-i.daysLeft} 天`;
  switch (i.step) {
    case 'before':
      return `督办提醒：距截止还有 ${i.offset} 个工作日`;
    case 'due':
      return i.daysLeft === 0 ? '督办提醒：今天截止' : '督办提醒：截止日前最后一个工作日';
    case 'after':
      return `逾期提醒：已逾期 ${Math.max(0, -(i.daysLeft ?? 0))} 天`;
    case 'periodic':
      return `进度报送：${i.period ? periodZh(i.period) : '本期'}`;
  }
}

export function renderReminderCard(i: ReminderCardInput): Record<string, unknown> {
  const refYear = Number(shanghaiDate(i.now).slice(0, 4));
  const lines: string[] = [`**任务**：${mdText(i.taskCode)} ${mdText(i.taskTitle)}`, `**责任单位**：${mdText(i.unitName)}`];
  const at = mentionLine(i.mentions);
  if (at) lines.push(at);
  if (i.dueDate) {
    const when = formatDateZh(i.dueDate, refYear);
    const label = i.dueLabel && !i.dueLabel.startsWith('延期至') ? `（${mdText(i.dueLabel)}）` : i.dueLabel ? '（已延期）' : '';
    lines.push(`**截止时间**：${when}${label}`);
    if (i.daysLeft !== null) {
      lines.push(
        i.daysLeft > 0
          ? `**剩余**：${i.daysLeft} 天`
          : i.daysLeft === 0
            ? '**剩余**：今天截止'
            : `**已逾期**：${-i.daysLeft} 天`,
      );
    }
  } else {
    lines.push('**期限**：长期坚持 / 周期性任务，请报送本期进展');
  }
  lines.push(`**当前进度**：${i.percent}%`);
  lines.push(
    `**最近报送**：${i.lastReportAt ? formatDateZh(shanghaiDate(i.lastReportAt), refYear) : '尚未报送'}`,
  );
  if ((i.escalationLevel ?? 0) >= 2) lines.push('⚠️ 该任务逾期情况已报告督办办公室。');

  const asg = i.assignmentId;
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: {
      title: { tag: 'plain_text', content: reminderTitle(i) },
      template: TEMPLATE[i.urgency],
    },
    body: {
      elements: [
        { tag: 'markdown', content: lines.join('\n') },
        {
          tag: 'column_set',
          columns: [
            button('报送进度', { a: 'progress_form', asg }, 'primary'),
            button('无变化', { a: 'same', asg }),
            button('已完成', { a: 'done', asg }),
            button('申请延期', { a: 'extend_form', asg }),
          ].map((b) => ({ tag: 'column', width: 'auto', elements: [b] })),
        },
        { tag: 'markdown', content: '<font color="grey">也可直接回复本消息，例如：80% 已完成排查</font>' },
      ],
    },
  };
}

export interface ProgressRequestItem {
  assignmentId: number;
  taskCode: string;
  taskTitle: string;
  percent: number;
  lastReportAt: number | null;
}

/** Max tasks per progress-request card (card size limit ~30 KB, and a list a person can still read). */
export const PROGRESS_REQUEST_MAX_ITEMS = 15;

/**
 * One periodic progress request listing a unit's standing duties (长期坚持 / 周期性), so a unit with dozens of
 * them gets one card a month, not dozens. Each task has its own 报送进度 / 无变化 buttons.
 */
export interface ProgressRequestCardInput {
  unitName: string;
  period: string;
  items: ProgressRequestItem[];
  /** "(1/3)" when the unit's list is split over several cards. */
  part?: string;
  /** Sent to the unit's group: the contacts to @mention there. */
  mentions?: Array<{ openId: string; name?: string | null }>;
  now: number;
}

export function renderProgressRequestCard(i: ProgressRequestCardInput): Record<string, unknown> {
  const refYear = Number(shanghaiDate(i.now).slice(0, 4));
  const elements: Array<Record<string, unknown>> = [
    {
      tag: 'markdown',
      content:
        `**${mdText(i.unitName)}**：请报送以下 ${i.items.length} 项长期/周期性任务${periodZh(i.period)}的进展。` +
        (mentionLine(i.mentions) ? `\n${mentionLine(i.mentions)}` : ''),
    },
  ];
  for (const it of i.items) {
    const last = it.lastReportAt ? formatDateZh(shanghaiDate(it.lastReportAt), refYear) : '尚未报送';
    elements.push({
      tag: 'column_set',
      columns: [
        {
          tag: 'column',
          width: 'weighted',
          weight: 3,
          elements: [{ tag: 'markdown', content: `**${mdText(it.taskCode)}** ${mdText(it.taskTitle)}\n进度 ${it.percent}%｜最近报送 ${last}` }],
        },
        { tag: 'column', width: 'auto', elements: [button('报送进度', { a: 'progress_form', asg: it.assignmentId }, 'primary')] },
        { tag: 'column', width: 'auto', elements: [button('无变化', { a: 'same', asg: it.assignmentId })] },
      ],
    });
  }
  elements.push({
    tag: 'markdown',
    content:
      `<font color="grey">也可直接回复本消息，每行一项，例如：${mdText(i.items[0]?.taskCode ?? '4.1.5')} 80% 已完成排查；` +
      `都没有变化请回复“全部无变化”</font>`,
  });
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: {
      title: { tag: 'plain_text', content: `进度报送：${periodZh(i.period)}${i.part ? ` ${i.part}` : ''}` },
      template: 'blue',
    },
    body: { elements },
  };
}
