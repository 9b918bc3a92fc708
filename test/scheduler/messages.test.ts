// The scheduler's message builders alone (src/scheduler/messages.ts): pure, no database, table tests.
import { describe, expect, it } from 'vitest';
import { PROGRESS_REQUEST_MAX_ITEMS } from '../../src/cards/reminder-card.js';
import { shanghaiInstant } from '../../src/domain/dates.js';
import type {
  Contact, EscalationAction, LiveBacklogAction, NoContactAction, PlanAssignment, PlannedAction, RecheckClaimAction, ReminderAction,
} from '../../src/domain/reminder-plan.js';
import type { OutboundMessage } from '../../src/domain/types.js';
import {
  buildGrouped, buildSingle, calendarNoticeText, describeStep, escalationText, groupHash, noContactItem,
  noContactSummaryText, officeTargets, planWaitingText, type OfficeTarget,
} from '../../src/scheduler/messages.js';

const AT = shanghaiInstant('2022-06-16', '09:30');
const DATE = '2022-06-16';

function asg(id: number, over: Partial<PlanAssignment> = {}): PlanAssignment {
  return {
    id, taskId: 100 + id, taskCode: `4.1.${id}`, taskTitle: `任务${id}`, unitId: 7, unitName: '安定区', state: 'in_progress',
    percent: 40, extendedTo: null, lastReportAt: null, deadlines: [{ kind: 'date', dueDate: '2022-06-30', label: '6月底前' }], ...over,
  };
}
const zhang: Contact = { personId: 1, openId: 'ou_zhang', name: '张三' };
const li: Contact = { personId: 2, openId: 'ou_li', name: null };

function reminder(id: number, over: Partial<ReminderAction> = {}): ReminderAction {
  return {
    kind: 'reminder', assignmentId: id, stepKey: 'before:5:2022-06-30', step: 'before', offset: 5, dueDate: '2022-06-30',
    urgency: 'soon', escalationLevel: 0, daysLeft: 14, workdaysLeft: 10, assignment: asg(id), recipients: [zhang, li], ...over,
  };
}
function periodic(id: number, unitId = 7): ReminderAction {
  return reminder(id, {
    stepKey: 'periodic:2022-06', step: 'periodic', offset: 0, dueDate: null, period: '2022-06', urgency: 'normal', daysLeft: null,
    workdaysLeft: null, assignment: asg(id, { unitId }),
  });
}
function escalation(id: number, neverReminded = false): EscalationAction {
  return {
    kind: 'escalate_office', assignmentId: id, stepKey: 'escalate:2:2022-05-31', dueDate: '2022-05-31', escalationLevel: 2,
    overdueWorkdays: 10, daysLeft: -16, assignment: asg(id), neverReminded,
  };
}
const officeChat: OfficeTarget[] = [{ receiveIdType: 'chat_id', receiveId: 'oc_office', label: '督办办公室群' }];
const twoMembers: OfficeTarget[] = [
  { receiveIdType: 'open_id', receiveId: 'ou_a', label: '王五（办公室）' },
  { receiveIdType: 'open_id', receiveId: 'ou_b', label: 'ou_b（办公室）' },
];
const text = (m: OutboundMessage) => (m.content as { text: string }).text;

describe('describeStep: the line tick prints for each kind of step', () => {
  const cases: Array<[string, PlannedAction, string]> = [
    ['before', reminder(1), '截止前 5 个工作日提醒'],
    ['due', reminder(1, { step: 'due', offset: 0 }), '截止日提醒'],
    ['after', reminder(1, { step: 'after', offset: 2 }), '逾期第 2 次提醒（红牌）'],
    ['periodic month', periodic(1), '2022年6月进度报送请求'],
    ['periodic quarter', reminder(1, { step: 'periodic', period: '2022-Q3' }), '2022年第3季度进度报送请求'],
    [
      'no contact',
      { kind: 'no_contact', assignmentId: 1, stepKey: 'no_contact:due:2022-06-30', step: 'due', offset: 0, dueDate: '2022-06-30', assignment: asg(1) },
      '截止日提醒：单位未绑定联络员，已告知办公室',
    ],
    ['suppressed', { kind: 'suppressed', assignmentId: 1, stepKey: 'x', dueDate: null, assignment: asg(1) }, '已报送，跳过本次提醒'],
    ['escalate office', escalation(1), '逾期升级：报督办办公室（逾期 10 个工作日）'],
    ['escalate leaders', { ...escalation(1), kind: 'escalate_leaders', overdueWorkdays: 20 }, '逾期升级：列入领导周报红灯（逾期 20 个工作日）'],
    ['calendar', { kind: 'calendar_flag', assignmentId: 0, stepKey: 'calendar:2023', year: 2023 }, '缺少 2023 年节假日数据，已告知办公室'],
    ['digest', { kind: 'digest', assignmentId: 0, stepKey: 'digest:2022-W24', weekKey: '2022-W24', date: DATE }, '2022-W24 周报'],
    [
      'plan waiting',
      { kind: 'plan_waiting', assignmentId: 0, stepKey: 'golive', planId: 1, liveFrom: null, waiting: 30, overdue: 4 },
      '计划未上线：30 项提醒在等待（其中 4 项已逾期），已告知办公室',
    ],
    [
      'live backlog',
      { kind: 'live_backlog', assignmentId: 1, stepKey: 'b', dueDate: '2022-05-31', daysLeft: -16, liveFrom: DATE, assignment: asg(1) },
      '上线日已逾期：汇总告知办公室，不发给单位',
    ],
    [
      'recheck',
      { kind: 'recheck_claim', assignmentId: 1, stepKey: 'recheck:1', waitedWorkdays: 6, claimedAt: AT, assignment: asg(1) },
      '完成申报已等待核验 6 个工作日，再次提请办公室核验',
    ],
    ['no contact summary', { kind: 'no_contact_summary', assignmentId: 0, stepKey: 's', date: DATE }, '【无法送达】每日汇总，已告知办公室'],
  ];
  it.each(cases)('%s', (_name, action, expected) => {
    expect(describeStep(action)).toBe(expected);
  });
});

describe('office texts', () => {
  it.each([
    [{ year: 2023, ahead: false }, ['【节假日数据缺失】机器人没有 2023 年', '「节假日 2023 <粘贴通知全文>」', 'npx duban calendar set 2023 --file 通知.txt']],
    [{ year: 2023, ahead: true }, ['【节假日数据待补】2023 年即将到来', '2023 年起的提醒将停发', '发送「节假日 2023」核对']],
  ])('calendar notice %j', (a, parts) => {
    const t = calendarNoticeText(a);
    for (const p of parts) expect(t).toContain(p);
  });

  it.each([
    [{ liveFrom: '2022-07-01', waiting: 12, overdue: 3 }, { code: 'DX2022', title: '定西计划' }, ['【计划未上线】《定西计划》（编号 DX2022）定于 2022年7月1日 上线，12 项', '其中 3 项已逾期', '到上线日起按提醒规则发送']],
    [{ liveFrom: null, waiting: 5, overdue: 0 }, { code: 'DX2022', title: '定西计划' }, ['尚未上线', '「上线 2022-06-16」', 'npx duban plan live <日期> --plan DX2022']],
    [{ liveFrom: null, waiting: 5, overdue: 0 }, undefined, ['【计划未上线】计划尚未上线', 'npx duban plan live <日期>。']],
  ])('plan waiting %j', (a, plan, parts) => {
    const t = planWaitingText(a, plan, DATE);
    for (const p of parts) expect(t).toContain(p);
    if (!plan) expect(t).not.toContain('--plan');
  });

  it.each([
    [[false, false], '经多次提醒仍未完成，请督办办公室跟进'],
    [[true, true], '责任单位未绑定联络员，从未收到提醒'],
    [[true, false], '标「未绑定联络员」的单位从未收到提醒，其余经多次提醒仍未完成'],
  ])('escalation wording for neverReminded %j', (flags, phrase) => {
    const t = escalationText(flags.map((f, i) => escalation(i + 1, f)), ['• 一行']);
    expect(t.startsWith('【逾期升级】')).toBe(true);
    expect(t).toContain(phrase);
    expect(t.endsWith('• 一行')).toBe(true);
  });

  it('the 【无法送达】 summary caps codes per unit and units per message', () => {
    const many = new Map<number, string>();
    for (let i = 1; i <= 20; i++) many.set(i, noContactItem(`1.${i}`, i === 1 ? '2022-06-30' : null));
    const groups = [{ unit: '安定区', items: many }, ...Array.from({ length: 64 }, (_, i) => ({ unit: `单位${i}`, items: new Map([[1000 + i, `9.${i}`]]) }))];
    const t = noContactSummaryText(groups);
    expect(t).toContain('• 安定区：1.1（截止2022年6月30日）、1.2、');
    expect(t).toContain('1.15 等 20 项');
    expect(t).not.toContain('1.16');
    expect(t).toContain('……另有 5 个单位，发送「待办」或运行 npx duban people list 查看');
    expect(t.split('\n').filter((l) => l.startsWith('• '))).toHaveLength(60);
    expect(t.endsWith('绑定后下一轮会补发提醒。')).toBe(true);
  });
});

describe('officeTargets', () => {
  it.each([
    ['chats win', ['oc_1'], [{ openId: 'ou_a', name: '王五' }], ['ou_x'], [['chat_id', 'oc_1', '督办办公室群']]],
    [
      'members then OFFICE_OPEN_IDS, each once',
      [],
      [{ openId: 'ou_a', name: '王五' }, { openId: 'ou_a', name: '王五' }, { openId: 'ou_b', name: null }],
      ['ou_b', 'ou_c'],
      [['open_id', 'ou_a', '王五（办公室）'], ['open_id', 'ou_b', 'ou_b（办公室）'], ['open_id', 'ou_c', 'ou_c（办公室）']],
    ],
    ['nobody', [], [], [], []],
  ] as const)('%s', (_n, chats, members, ids, expected) => {
    const got = officeTargets([...chats], [...members], ids);
    expect(got.map((o) => [o.receiveIdType, o.receiveId, o.label])).toEqual(expected);
  });
});

describe('buildSingle', () => {
  it('a reminder goes to each contact as a stored reminder card, or once to the unit group mentioning them', () => {
    const direct = buildSingle([reminder(1)], { at: AT, date: DATE, office: officeChat });
    expect(direct.messages.map((m) => [m.dedupeKey, m.receiveIdType, m.receiveId])).toEqual([
      ['reminder:1:before:5:2022-06-30:p1', 'open_id', 'ou_zhang'],
      ['reminder:1:before:5:2022-06-30:p2', 'open_id', 'ou_li'],
    ]);
    const card = direct.messages[0]!.content as { $card: string; v: Record<string, unknown> };
    expect(card.$card).toBe('reminder');
    expect(card.v).toMatchObject({ assignmentId: 1, taskCode: '4.1.1', unitName: '安定区', step: 'before', offset: 10, dueLabel: '6月底前', now: AT });
    expect(direct.items.map((i) => [i.item.recipient, i.item.task, i.item.step, i.keys.length])).toEqual([
      ['张三（安定区联络员）、ou_li（安定区联络员）', '4.1.1 任务1（安定区）', '截止前 5 个工作日提醒', 2],
    ]);
    const grouped = buildSingle([reminder(1)], { at: AT, date: DATE, office: officeChat, unitGroups: new Map([[7, 'oc_unit']]) });
    expect(grouped.messages).toHaveLength(1);
    expect(grouped.messages[0]).toMatchObject({ dedupeKey: 'reminder:1:before:5:2022-06-30:chat', receiveIdType: 'chat_id', receiveId: 'oc_unit' });
    expect((grouped.messages[0]!.content as { v: { mentions: unknown } }).v.mentions).toEqual([
      { openId: 'ou_zhang', name: '张三' }, { openId: 'ou_li', name: null },
    ]);
  });

  it('counts suppressed steps, lists leader escalations without a message, and queues the digest only when built', () => {
    const digest: PlannedAction = { kind: 'digest', assignmentId: 0, stepKey: 'digest:2022-W24', weekKey: '2022-W24', date: DATE };
    const mine: PlannedAction[] = [
      { kind: 'suppressed', assignmentId: 1, stepKey: 's', dueDate: null, assignment: asg(1) },
      { kind: 'suppressed', assignmentId: 2, stepKey: 's', dueDate: null, assignment: asg(2) },
      { ...escalation(3), kind: 'escalate_leaders' },
      digest,
    ];
    const without = buildSingle(mine, { at: AT, date: DATE, office: officeChat });
    expect(without.suppressed).toBe(2);
    expect(without.messages).toEqual([]);
    expect(without.items.map((i) => [i.item.kind, i.item.recipient])).toEqual([['escalate_leaders', '领导周报（红灯）']]);
    const msg: OutboundMessage = { dedupeKey: 'digest:2022-W24:chat:oc_l', receiveIdType: 'chat_id', receiveId: 'oc_l', msgType: 'interactive', content: {}, purpose: 'digest' };
    const withDigest = buildSingle(mine, { at: AT, date: DATE, office: officeChat, digests: new Map([['2022-W24', [msg]]]) });
    expect(withDigest.messages).toEqual([msg]);
    expect(withDigest.items.at(-1)!.item.recipient).toBe('领导周报');
    expect(withDigest.items.at(-1)!.keys).toEqual([msg.dedupeKey]);
  });

  it('office notices go to every office recipient under a per-recipient key', () => {
    const b = buildSingle(
      [
        { kind: 'calendar_flag', assignmentId: 0, stepKey: 'calendar_ahead:x:2023', year: 2023, ahead: true },
        { kind: 'plan_waiting', assignmentId: 0, stepKey: 'golive', planId: 4, liveFrom: null, waiting: 2, overdue: 1 },
      ],
      { at: AT, date: DATE, office: twoMembers, planNames: new Map([[4, { code: 'P4', title: '计划四' }]]) },
    );
    expect(b.messages.map((m) => m.dedupeKey)).toEqual([
      'notice:calendar_ahead:2023:2023:ou_a', 'notice:calendar_ahead:2023:2023:ou_b', 'notice:golive:4:2022-06-16:ou_a', 'notice:golive:4:2022-06-16:ou_b',
    ]);
    expect(text(b.messages[2]!)).toContain('《计划四》（编号 P4）');
    expect(b.items.map((i) => i.item.recipient)).toEqual(['王五（办公室）、ou_b（办公室）', '王五（办公室）、ou_b（办公室）']);
  });
});

describe('buildGrouped', () => {
  it('one periodic card per unit and period (split past the card limit), every step sharing its keys', () => {
    const n = PROGRESS_REQUEST_MAX_ITEMS + 2;
    const list = Array.from({ length: n }, (_, i) => periodic(i + 1));
    const b = buildGrouped([...list, periodic(99, 8)], officeChat, AT);
    const cards = b.messages.filter((m) => m.dedupeKey.startsWith('periodic:7:'));
    expect(cards).toHaveLength(4); // two parts × two contacts
    const parts = cards.map((m) => (m.content as { v: { part?: string; items: unknown[] } }).v);
    expect(parts.map((v) => [v.part, v.items.length])).toEqual([
      ['(1/2)', PROGRESS_REQUEST_MAX_ITEMS], ['(1/2)', PROGRESS_REQUEST_MAX_ITEMS], ['(2/2)', 2], ['(2/2)', 2],
    ]);
    const unit7 = b.items.filter((i) => i.item.assignmentId !== 99);
    expect(unit7).toHaveLength(n);
    expect(new Set(unit7.map((i) => i.keys)).size).toBe(1);
    // A unit with one periodic step gets the plain reminder card.
    expect(b.messages.filter((m) => m.dedupeKey.startsWith('reminder:99:'))).toHaveLength(2);
  });

  it('the office escalation list is one message, capped at 60 lines, and names the task when about one step', () => {
    const many = buildGrouped(Array.from({ length: 62 }, (_, i) => escalation(i + 1)), officeChat, AT);
    expect(many.messages).toHaveLength(1);
    const lines = text(many.messages[0]!).split('\n');
    expect(lines.filter((l) => l.startsWith('• '))).toHaveLength(60);
    expect(lines.at(-1)).toBe('……另有 2 项，发送「逾期」查看全部');
    expect(many.messages[0]).toMatchObject({ purpose: 'escalation', taskId: null, assignmentId: null });
    const one = buildGrouped([escalation(5, true)], officeChat, AT);
    expect(text(one.messages[0]!)).toContain('• 4.1.5 任务5（安定区）：截止2022年5月31日，已逾期 16 天，进度 40%，未绑定联络员');
    expect(one.messages[0]).toMatchObject({ taskId: 105, assignmentId: 5 });
  });

  it('live backlog by unit, re-checks, and no-contact steps (claimed without a message)', () => {
    const backlog: LiveBacklogAction[] = [1, 2].map((id) => ({
      kind: 'live_backlog', assignmentId: id, stepKey: `b${id}`, dueDate: '2022-05-31', daysLeft: -16, liveFrom: DATE, assignment: asg(id),
    }));
    const recheck: RecheckClaimAction = {
      kind: 'recheck_claim', assignmentId: 3, stepKey: 'recheck:3', waitedWorkdays: 6, claimedAt: shanghaiInstant('2022-06-08', '10:00'), assignment: asg(3),
    };
    const noContact: NoContactAction = {
      kind: 'no_contact', assignmentId: 4, stepKey: 'no_contact:due:2022-06-30', step: 'due', offset: 0, dueDate: '2022-06-30', assignment: asg(4),
    };
    const b = buildGrouped([...backlog, recheck, noContact], officeChat, AT);
    expect(b.messages.map((m) => m.dedupeKey)).toEqual([
      `notice:live_backlog:${groupHash(backlog)}:oc_office`, `notice:recheck:${groupHash([recheck])}:oc_office`,
    ]);
    expect(text(b.messages[0]!)).toContain('【上线时已逾期】计划自 2022年6月16日 上线，以下 2 项在上线日已逾期。');
    expect(text(b.messages[0]!)).toContain('• 安定区：4.1.1（截止2022年5月31日，逾期 16 天）、4.1.2（截止2022年5月31日，逾期 16 天）');
    expect(text(b.messages[1]!)).toContain('• 4.1.3 任务3（安定区）：6月8日申报完成，已等待 6 个工作日');
    const nc = b.items.find((i) => i.item.kind === 'no_contact')!;
    expect([nc.item.recipient, nc.keys]).toEqual(['（每日汇总告知办公室）', []]);
  });

  it('groupHash names a group of steps whatever their order', () => {
    const a = [{ assignmentId: 1, stepKey: 'x' }, { assignmentId: 2, stepKey: 'y' }];
    expect(groupHash(a)).toBe(groupHash([...a].reverse()));
    expect(groupHash(a)).not.toBe(groupHash([a[0]!]));
    expect(groupHash(a)).toMatch(/^[0-9a-f]{16}$/);
  });
});
