// The scheduler's messages, PURE: what a claimed step says and to whom (reminder and periodic-request card inputs,
// the office's escalation / go-live / re-check / calendar / 【无法送达】 texts, the per-step lines `tick` prints).
// No database, no clock: the pass (pass.ts) resolves what these need (recipients, plan names, the digest) first.
import { createHash } from 'node:crypto';
import { PROGRESS_REQUEST_MAX_ITEMS } from '../cards/reminder-card.js';
import { storedCard } from '../cards/stored-card.js';
import { formatDateZh, shanghaiDate } from '../domain/dates.js';
import type {
  CalendarFlagAction, Contact, EscalationAction, LiveBacklogAction, NoContactAction, PlanAssignment, PlannedAction, PlanWaitingAction,
  RecheckClaimAction, ReminderAction,
} from '../domain/reminder-plan.js';
import { currentDue } from '../domain/status.js';
import type { OutboundMessage } from '../domain/types.js';

export interface QueuedItem {
  kind: PlannedAction['kind'];
  /** Who gets it, in words: "张三（安定区联络员）", "督办办公室群", "—" when nothing is sent. */
  recipient: string;
  /** "4.1.1 完成县级城市建成区黑臭水体排查（安定区）" */
  task?: string;
  /** "截止前10个工作日提醒" */
  step: string;
  assignmentId: number;
  stepKey: string;
  outboxIds: number[];
}

export interface OfficeTarget {
  receiveIdType: 'chat_id' | 'open_id';
  receiveId: string;
  label: string;
}

/** The messages of a group of claimed steps, and for each step the keys of the messages that carry it. */
export interface Built {
  messages: OutboundMessage[];
  items: Array<{ item: QueuedItem; keys: string[] }>;
  /** Steps skipped because the unit had reported (claimed, nothing sent). */
  suppressed: number;
}

/** What the single-step messages need beyond the steps, resolved by the pass beforehand. */
export interface SingleContext {
  at: number;
  /** The Shanghai date of the pass. */
  date: string;
  office: OfficeTarget[];
  unitGroups?: Map<number, string>;
  /** Plans named in plan_waiting steps (absent: the text says 计划). */
  planNames?: Map<number, { code: string; title: string }>;
  /** The weekly digest's messages by week (absent: no digest builder, the step queues nothing). */
  digests?: Map<string, OutboundMessage[]>;
}

/** The office chat(s) if registered, else office members by direct message, else OFFICE_OPEN_IDS. */
export function officeTargets(
  chats: string[],
  members: Array<{ openId: string; name: string | null }>,
  officeOpenIds: readonly string[],
): OfficeTarget[] {
  if (chats.length) return chats.map((chatId) => ({ receiveIdType: 'chat_id', receiveId: chatId, label: '督办办公室群' }));
  const seen = new Set<string>();
  const out: OfficeTarget[] = [];
  for (const m of members) {
    if (seen.has(m.openId)) continue;
    seen.add(m.openId);
    out.push({ receiveIdType: 'open_id', receiveId: m.openId, label: `${m.name ?? m.openId}（办公室）` });
  }
  for (const id of officeOpenIds) {
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ receiveIdType: 'open_id', receiveId: id, label: `${id}（办公室）` });
  }
  return out;
}

/** Messages for steps sent one by one (deadline reminders, calendar and go-live notices, the digest). */
export function buildSingle(mine: PlannedAction[], ctx: SingleContext): Built {
  const { at, date, office } = ctx;
  const unitGroups = ctx.unitGroups ?? new Map<number, string>();
  const messages: OutboundMessage[] = [];
  const items: Built['items'] = [];
  let suppressed = 0;
  for (const a of mine) {
    switch (a.kind) {
      case 'reminder': {
        const keys: string[] = [];
        for (const msg of reminderMessages(a, at, unitGroups)) {
          messages.push(msg);
          keys.push(msg.dedupeKey);
        }
        items.push({ item: summary(a, contactsLabel(a)), keys });
        break;
      }
      case 'suppressed':
        suppressed++;
        break;
      case 'escalate_leaders':
        items.push({ item: summary(a, '领导周报（红灯）'), keys: [] });
        break;
      case 'calendar_flag': {
        const keys = officeMessages(messages, office, `notice:${a.ahead ? `calendar_ahead:${a.stepKey.split(':')[2]}` : 'calendar'}:${a.year}`, calendarNoticeText(a), 'notice', null);
        items.push({ item: summary(a, officeLabel(office)), keys });
        break;
      }
      case 'plan_waiting': {
        const text = planWaitingText(a, ctx.planNames?.get(a.planId), date);
        const keys = officeMessages(messages, office, `notice:golive:${a.planId}:${date}`, text, 'notice', null);
        items.push({ item: summary(a, officeLabel(office)), keys });
        break;
      }
      case 'digest': {
        const built = ctx.digests?.get(a.weekKey);
        if (!built) break;
        messages.push(...built);
        items.push({ item: summary(a, '领导周报'), keys: built.map((m) => m.dedupeKey) });
        break;
      }
      default:
        break;
    }
  }
  return { messages, items, suppressed };
}

/** 【节假日数据缺失/待补】: the calendar of a year is missing (or the next year's, ahead of it). */
export function calendarNoticeText(a: Pick<CalendarFlagAction, 'year' | 'ahead'>): string {
  return (
    (a.ahead
      ? `【节假日数据待补】${a.year} 年即将到来，机器人还没有 ${a.year} 年的法定节假日和调休安排。` +
        `不补齐的话，${a.year} 年起的提醒将停发（不按猜测的日子发出）。`
      : `【节假日数据缺失】机器人没有 ${a.year} 年的法定节假日和调休数据，无法判断哪天是工作日。` +
        `在补齐之前，${a.year} 年的提醒不会按猜测的日子发出。`) +
    `国务院办公厅发布通知后，请办公室发送「节假日 ${a.year} <粘贴通知全文>」录入（或运行 ` +
    `npx duban calendar set ${a.year} --file 通知.txt），录入后发送「节假日 ${a.year}」核对；也可升级 chinese-days 后重新部署。`
  );
}

/** 【计划未上线】: reminders wait for the office's go-live; `date` is the pass's Shanghai date. */
export function planWaitingText(
  a: Pick<PlanWaitingAction, 'liveFrom' | 'waiting' | 'overdue'>,
  p: { code: string; title: string } | undefined,
  date: string,
): string {
  const name = p ? `《${p.title}》（编号 ${p.code}）` : '计划';
  return (
    `【计划未上线】${name}${a.liveFrom ? `定于 ${formatDateZh(a.liveFrom)} 上线` : '尚未上线'}，` +
    `${a.waiting} 项责任分工的提醒在等待，暂不向各单位发送，其中 ${a.overdue} 项已逾期。\n` +
    (a.liveFrom
      ? '到上线日起按提醒规则发送；上线日已逾期的事项将汇总成一条发给办公室，不逐条发给单位。'
      : `确认任务分工和联络员无误后，请办公室发送「上线 <日期>」（例如「上线 ${date}」），或运行 ` +
        `npx duban plan live <日期>${p ? ` --plan ${p.code}` : ''}。上线日已逾期的事项将汇总成一条发给办公室，不逐条发给单位。`)
  );
}

/** "张三（安定区联络员）": one string per unit's contact list, shared by every step queued for that unit. */
const contactLabels = new WeakMap<Contact[], string>();
export function contactsLabel(a: ReminderAction): string {
  let label = contactLabels.get(a.recipients);
  if (label === undefined) {
    label = a.recipients.map((c) => `${c.name ?? c.openId}（${a.assignment.unitName}联络员）`).join('、');
    contactLabels.set(a.recipients, label);
  }
  return label;
}

/** Lines in one office message before the rest is summarised (Feishu refuses over-long messages). */
const MAX_LINES = 60;
export const MAX_CODES_PER_UNIT = 15;

/** The first MAX_LINES items as lines, then one saying how many more there are (only the lines shown are made). */
export function capLines<T>(items: T[], line: (item: T) => string, more: (n: number) => string): string[] {
  const shown = items.slice(0, MAX_LINES).map(line);
  return items.length <= MAX_LINES ? shown : [...shown, more(items.length - MAX_LINES)];
}

/**
 * Messages for steps grouped into few messages: a unit's periodic requests (one card per unit and period), and the
 * office's escalation, go-live backlog and re-check lists (one message per office recipient). No-contact steps are
 * claimed without a message (the day's 【无法送达】 summary tells the office).
 */
export function buildGrouped(mine: PlannedAction[], office: OfficeTarget[], at: number, unitGroups: Map<number, string> = new Map()): Built {
  const messages: OutboundMessage[] = [];
  const items: Built['items'] = [];
  const periodic = mine.filter((a): a is ReminderAction => a.kind === 'reminder');
  const byUnit = new Map<number, ReminderAction[]>();
  for (const r of periodic) {
    const list = byUnit.get(r.assignment.unitId) ?? [];
    list.push(r);
    byUnit.set(r.assignment.unitId, list);
  }
  for (const list of byUnit.values()) {
    const who = contactsLabel(list[0]!);
    if (list.length === 1) {
      const a = list[0]!;
      const keys = reminderMessages(a, at, unitGroups).map((msg) => {
        messages.push(msg);
        return msg.dedupeKey;
      });
      items.push({ item: summary(a, who), keys });
      continue;
    }
    // One card (or a few) per unit and period instead of one per standing duty.
    const parts: ReminderAction[][] = [];
    for (let i = 0; i < list.length; i += PROGRESS_REQUEST_MAX_ITEMS) parts.push(list.slice(i, i + PROGRESS_REQUEST_MAX_ITEMS));
    const keys: string[] = [];
    parts.forEach((part, idx) => {
      // Stored as the card's input and rendered when sent (see cards/stored-card).
      const card = storedCard('progress_request', {
        unitName: part[0]!.assignment.unitName,
        period: part[0]!.period ?? '',
        part: parts.length > 1 ? `(${idx + 1}/${parts.length})` : undefined,
        items: part.map((a) => ({
          assignmentId: a.assignmentId, taskCode: a.assignment.taskCode, taskTitle: a.assignment.taskTitle,
          percent: a.assignment.percent, lastReportAt: a.assignment.lastReportAt,
        })),
        now: at,
      });
      const groupChat = unitGroups.get(part[0]!.assignment.unitId);
      if (groupChat) {
        // The unit's group (本群设为 <单位>群): one card there, mentioning the unit's contacts.
        const msg: OutboundMessage = {
          dedupeKey: `periodic:${part[0]!.assignment.unitId}:${part[0]!.period}:${groupHash(part)}:chat`,
          receiveIdType: 'chat_id', receiveId: groupChat, msgType: 'interactive', purpose: 'reminder',
          content: { ...card, v: { ...(card.v as object), mentions: mentionsOf(part[0]!.recipients) } },
        };
        messages.push(msg);
        keys.push(msg.dedupeKey);
        return;
      }
      for (const c of part[0]!.recipients) {
        const msg: OutboundMessage = {
          dedupeKey: `periodic:${part[0]!.assignment.unitId}:${part[0]!.period}:${groupHash(part)}:p${c.personId}`,
          receiveIdType: 'open_id', receiveId: c.openId, msgType: 'interactive', content: card, purpose: 'reminder',
        };
        messages.push(msg);
        keys.push(msg.dedupeKey);
      }
    });
    for (const a of list) items.push({ item: summary(a, who), keys });
  }
  const toOffice = mine.filter((a): a is EscalationAction => a.kind === 'escalate_office');
  const noContact = mine.filter((a): a is NoContactAction => a.kind === 'no_contact');
  if (toOffice.length) {
    const lines = capLines(
      toOffice,
      (e) =>
        `• ${e.assignment.taskCode} ${e.assignment.taskTitle}（${e.assignment.unitName}）：截止${formatDateZh(e.dueDate)}，` +
        `已逾期 ${-e.daysLeft} 天，进度 ${e.assignment.percent}%${e.neverReminded ? '，未绑定联络员' : ''}`,
      (n) => `……另有 ${n} 项，发送「逾期」查看全部`,
    );
    const text = escalationText(toOffice, lines);
    const keys = officeMessages(messages, office, `escalation:office:${groupHash(toOffice)}`, text, 'escalation', toOffice);
    for (const e of toOffice) items.push({ item: summary(e, officeLabel(office)), keys });
  }
  const backlog = mine.filter((a): a is LiveBacklogAction => a.kind === 'live_backlog');
  if (backlog.length) {
    const byUnit = groupByUnit(backlog);
    const lines = capLines(
      byUnit,
      (list) => {
        const codes = list
          .slice(0, MAX_CODES_PER_UNIT)
          .map((n) => `${n.assignment.taskCode}（截止${formatDateZh(n.dueDate)}，逾期 ${-n.daysLeft} 天）`);
        const rest = list.length > MAX_CODES_PER_UNIT ? ` 等 ${list.length} 项` : '';
        return `• ${list[0]!.assignment.unitName}：${codes.join('、')}${rest}`;
      },
      (n) => `……另有 ${n} 个单位，发送「逾期」查看全部`,
    );
    const text =
      `【上线时已逾期】计划自 ${formatDateZh(backlog[0]!.liveFrom)} 上线，以下 ${backlog.length} 项在上线日已逾期。` +
      `为免一次性向各单位发出大量逾期提醒，这些事项只汇总告知办公室，请逐项处理（催办、批准延期或销号）；` +
      `此后按逾期提醒规则继续提醒：\n${lines.join('\n')}\n发送「逾期」查看全部逾期事项。`;
    const keys = officeMessages(messages, office, `notice:live_backlog:${groupHash(backlog)}`, text, 'notice', backlog);
    for (const n of backlog) items.push({ item: summary(n, officeLabel(office)), keys });
  }
  const rechecks = mine.filter((a): a is RecheckClaimAction => a.kind === 'recheck_claim');
  if (rechecks.length) {
    const lines = capLines(
      rechecks,
      (r) =>
        `• ${r.assignment.taskCode} ${r.assignment.taskTitle}（${r.assignment.unitName}）：` +
        `${formatDateZh(shanghaiDate(r.claimedAt), Number(shanghaiDate(at).slice(0, 4)))}申报完成，已等待 ${r.waitedWorkdays} 个工作日`,
      (n) => `……另有 ${n} 项，发送「待办」查看全部`,
    );
    const text =
      `【待核验】以下完成申报已等待办公室核验多日，请核验：\n${lines.join('\n')}\n` +
      '核验通过发送「销号 <编号> <单位>」，需要整改发送「退回 <编号> <单位> <原因>」；发送「待办」查看全部。';
    const keys = officeMessages(messages, office, `notice:recheck:${groupHash(rechecks)}`, text, 'notice', rechecks);
    for (const r of rechecks) items.push({ item: summary(r, officeLabel(office)), keys });
  }
  // 【无法送达】: the steps are claimed here without a message; queueNoContactSummary sends one summary a day.
  for (const n of noContact) items.push({ item: summary(n, '（每日汇总告知办公室）'), keys: [] });
  return { messages, items, suppressed: 0 };
}

/** The office's escalation text: units never reached (no contact bound) are said so, not "经多次提醒". */
export function escalationText(list: EscalationAction[], lines: string[]): string {
  const never = list.filter((e) => e.neverReminded);
  if (never.length === 0) return `【逾期升级】以下任务已逾期，经多次提醒仍未完成，请督办办公室跟进：\n${lines.join('\n')}`;
  if (never.length === list.length)
    return `【逾期升级】以下任务已逾期，责任单位未绑定联络员，从未收到提醒，请督办办公室跟进并督促绑定联络员：\n${lines.join('\n')}`;
  return `【逾期升级】以下任务已逾期，请督办办公室跟进（标「未绑定联络员」的单位从未收到提醒，其余经多次提醒仍未完成）：\n${lines.join('\n')}`;
}

function groupByUnit<T extends { assignment: PlanAssignment }>(list: T[]): T[][] {
  const byUnit = new Map<number, T[]>();
  for (const n of list) {
    const l = byUnit.get(n.assignment.unitId);
    if (l) l.push(n);
    else byUnit.set(n.assignment.unitId, [n]);
  }
  // The plan's unit order.
  return [...byUnit.entries()].sort((x, y) => x[0] - y[0]).map(([, l]) => l);
}

export function officeLabel(office: OfficeTarget[]): string {
  return office.length ? office.map((o) => o.label).join('、') : '（无办公室接收人）';
}

export function officeMessages(
  messages: OutboundMessage[],
  office: OfficeTarget[],
  baseKey: string,
  text: string,
  purpose: OutboundMessage['purpose'],
  about: Array<{ assignmentId: number; assignment: PlanAssignment }> | null,
): string[] {
  const single = about && about.length === 1 ? about[0]! : null;
  return office.map((o) => {
    const msg: OutboundMessage = {
      dedupeKey: `${baseKey}:${o.receiveId}`,
      receiveIdType: o.receiveIdType,
      receiveId: o.receiveId,
      msgType: 'text',
      content: { text },
      purpose,
      taskId: single?.assignment.taskId ?? null,
      assignmentId: single?.assignmentId ?? null,
    };
    messages.push(msg);
    return msg.dedupeKey;
  });
}

/** A stable name for a group of steps: the same steps always give the same outbox key. */
export function groupHash(list: Array<{ assignmentId: number; stepKey: string }>): string {
  const keys = list.map((a) => `${a.assignmentId}|${a.stepKey}`).sort();
  return createHash('sha256').update(keys.join('\n')).digest('hex').slice(0, 16);
}

const mentionsOf = (cs: Contact[]) => cs.map((c) => ({ openId: c.openId, name: c.name ?? null }));

/** A reminder's messages: one to the unit's group mentioning its contacts, or one per contact. */
export function reminderMessages(a: ReminderAction, now: number, unitGroups: Map<number, string>): OutboundMessage[] {
  const group = unitGroups.get(a.assignment.unitId);
  if (!group || a.recipients.length === 0) return a.recipients.map((c) => reminderMessage(a, c, now));
  const base = reminderMessage(a, a.recipients[0]!, now);
  return [
    {
      ...base,
      dedupeKey: `reminder:${a.assignmentId}:${a.stepKey}:chat`,
      receiveIdType: 'chat_id',
      receiveId: group,
      content: { ...base.content, v: { ...(base.content.v as object), mentions: mentionsOf(a.recipients) } },
    },
  ];
}

function reminderMessage(a: ReminderAction, c: Contact, now: number): OutboundMessage {
  const due = a.dueDate ? currentDue(a.assignment.deadlines, a.assignment.extendedTo, a.dueDate) : null;
  return {
    dedupeKey: `reminder:${a.assignmentId}:${a.stepKey}:p${c.personId}`,
    receiveIdType: 'open_id',
    receiveId: c.openId,
    msgType: 'interactive',
    // Stored as the card's input and rendered when sent (see cards/stored-card).
    content: storedCard('reminder', {
      assignmentId: a.assignmentId,
      taskCode: a.assignment.taskCode,
      taskTitle: a.assignment.taskTitle,
      unitName: a.assignment.unitName,
      step: a.step,
      urgency: a.urgency,
      dueLabel: due?.date === a.dueDate ? due.label : null,
      dueDate: a.dueDate,
      daysLeft: a.daysLeft,
      offset: a.step === 'before' ? (a.workdaysLeft ?? a.offset) : a.offset,
      period: a.period,
      percent: a.assignment.percent,
      lastReportAt: a.assignment.lastReportAt,
      escalationLevel: a.escalationLevel,
      now,
    }),
    purpose: 'reminder',
    taskId: a.assignment.taskId,
    assignmentId: a.assignmentId,
  };
}

export function describeStep(a: PlannedAction): string {
  switch (a.kind) {
    case 'reminder':
    case 'no_contact': {
      const base = stepZh(a.step, a.offset, a.period);
      return a.kind === 'no_contact' ? `${base}：单位未绑定联络员，已告知办公室` : base;
    }
    case 'suppressed':
      return '已报送，跳过本次提醒';
    case 'escalate_office':
      return `逾期升级：报督办办公室（逾期 ${a.overdueWorkdays} 个工作日）`;
    case 'escalate_leaders':
      return `逾期升级：列入领导周报红灯（逾期 ${a.overdueWorkdays} 个工作日）`;
    case 'calendar_flag':
      return `缺少 ${a.year} 年节假日数据，已告知办公室`;
    case 'digest':
      return `${a.weekKey} 周报`;
    case 'plan_waiting':
      return `计划未上线：${a.waiting} 项提醒在等待（其中 ${a.overdue} 项已逾期），已告知办公室`;
    case 'live_backlog':
      return `上线日已逾期：汇总告知办公室，不发给单位`;
    case 'recheck_claim':
      return `完成申报已等待核验 ${a.waitedWorkdays} 个工作日，再次提请办公室核验`;
    case 'no_contact_summary':
      return '【无法送达】每日汇总，已告知办公室';
  }
}

function stepZh(step: string, offset: number, period?: string): string {
  switch (step) {
    case 'before':
      return `截止前 ${offset} 个工作日提醒`;
    case 'due':
      return '截止日提醒';
    case 'after':
      return `逾期第 ${offset} 次提醒（红牌）`;
    default: {
      const m = /^(\d{4})-(?:(\d{2})|Q(\d))$/.exec(period ?? '');
      const when = !m ? '' : m[2] ? `${m[1]}年${Number(m[2])}月` : `${m[1]}年第${m[3]}季度`;
      return `${when}进度报送请求`;
    }
  }
}

/**
 * A claimed step as reported to whoever ran the pass. Its wording (task, step) is worked out when read, not for each
 * of the tens of thousands of steps a catch-up claims: most passes are only counted (the cron job logs numbers).
 */
class QueuedStep implements QueuedItem {
  outboxIds: number[] = [];
  constructor(
    private readonly action: PlannedAction,
    readonly recipient: string,
  ) {}

  get kind(): PlannedAction['kind'] {
    return this.action.kind;
  }
  get assignmentId(): number {
    return this.action.assignmentId;
  }
  get stepKey(): string {
    return this.action.stepKey;
  }
  get task(): string | undefined {
    const asg = 'assignment' in this.action ? this.action.assignment : null;
    return asg ? `${asg.taskCode} ${asg.taskTitle}（${asg.unitName}）` : undefined;
  }
  get step(): string {
    return describeStep(this.action);
  }
  toJSON(): QueuedItem {
    const { kind, recipient, task, step, assignmentId, stepKey, outboxIds } = this;
    return { kind, recipient, task, step, assignmentId, stepKey, outboxIds };
  }
}

export function summary(a: PlannedAction, recipient: string): QueuedItem {
  return new QueuedStep(a, recipient);
}

/** One unit's steps that found no contact, for the day's 【无法送达】 summary: task codes by assignment. */
export interface NoContactGroup {
  unit: string;
  items: Map<number, string>;
}

/** 【无法送达】: the day's summary of the units whose reminders could not be sent (groups in the plan's unit order). */
export function noContactSummaryText(groups: NoContactGroup[]): string {
  const lines = capLines(
    groups,
    (g) => {
      const codes = [...g.items.values()];
      const rest = codes.length > MAX_CODES_PER_UNIT ? ` 等 ${codes.length} 项` : '';
      return `• ${g.unit}：${codes.slice(0, MAX_CODES_PER_UNIT).join('、')}${rest}`;
    },
    (n) => `……另有 ${n} 个单位，发送「待办」或运行 npx duban people list 查看`,
  );
  return (
    `【无法送达】今日汇总：以下单位尚未绑定联络员，提醒无法发出：\n${lines.join('\n')}\n` +
    '请联络员私聊机器人发送“绑定 单位名称”并由办公室批准；绑定后下一轮会补发提醒。'
  );
}

/** The code a no-contact step is listed under: "4.1.1（截止6月30日）". */
export function noContactItem(code: string, dueDate: string | null): string {
  return `${code}${dueDate ? `（截止${formatDateZh(dueDate)}）` : ''}`;
}
