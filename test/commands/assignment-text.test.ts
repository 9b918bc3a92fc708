// The one map from the lifecycle's refusal codes to Chinese (src/commands/assignment-text.ts): every code has its
// sentence, worded as the commands answered before the state machine existed, and the unit check's wording is one.
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/actor.js';
import type { RefusalCode } from '../../src/domain/assignment.js';
import { assessAssignment } from '../../src/domain/status.js';
import { notYourUnitsText, refusalZh, unitRefusal, type LifecycleEvent, type RefusalFacts } from '../../src/commands/assignment-text.js';
import type { AssignmentView } from '../../src/db/task-store.js';

const asg = { id: 9, taskId: 1, unitId: 7, role: 'lead', proposed: false, state: 'in_progress', percent: 40, extendedTo: null, lastReportAt: null, claimedAt: null, closedAt: null, createdAt: 0, updatedAt: 0 };
const view = {
  asg,
  task: { id: 1, code: '4.1.1', title: '黑臭水体整治' },
  unit: { id: 7, name: '安定区', aliases: [] },
  deadlines: [],
  assessment: assessAssignment(asg, [], '2022-06-01'),
} as unknown as AssignmentView;

const cases: Array<[LifecycleEvent, RefusalCode, RefusalFacts, string]> = [
  ['report', 'not_your_unit', { view }, '4.1.1（安定区） 不是你绑定单位的任务，你只能报送本单位的任务。'],
  ['report', 'closed', { view }, '4.1.1（安定区） 已销号，无需再报送。如有疑问请联系办公室。'],
  ['report', 'awaiting_check', { view }, '4.1.1（安定区） 已申报完成，正在等待办公室核验；如需修改请联系办公室（办公室可「退回」）。'],
  ['return', 'not_claimed', { view }, '4.1.1（安定区） 当前状态是「进行中」，没有待核验的完成申报，无需退回。'],
  ['return', 'office_only', { view, command: '退回' }, '「退回」仅限办公室使用。'],
  ['close', 'already_closed', { view }, '4.1.1（安定区） 已经销号。'],
  [
    'close',
    'evidence_required',
    { view },
    '不能销号：办公室要求销号前须有佐证材料，4.1.1（安定区） 尚未提交任何佐证。\n可发送「退回 4.1.1 安定区 请附佐证材料」让该单位回复照片或文件；或发送「佐证要求 关」取消这一要求。',
  ],
  ['extend', 'closed', { view }, '4.1.1（安定区） 已销号，无需延期。'],
  ['extend', 'date_not_future', { view, newDue: '2022-06-01', today: '2022-06-01' }, '延期日期 2022-06-01 应晚于今天（2022-06-01）。'],
  ['extend', 'not_after_due', { view, newDue: '2022-06-20', currentDue: '2022-06-30' }, '延期日期 2022-06-20 应晚于当前截止日期 2022-06-30。'],
  ['extend', 'extension_pending', { view, requestId: 3 }, '4.1.1（安定区） 已有待审批的延期申请 #3，请等待办公室答复。'],
  ['decide', 'request_decided', { requestId: 3, requestStatus: 'approved' }, '延期申请 #3 已批准，不能重复处理。'],
  ['decide', 'request_decided', { requestId: 3, requestStatus: 'rejected' }, '延期申请 #3 已驳回，不能重复处理。'],
  ['decide', 'request_decided', { requestId: 3, requestStatus: 'withdrawn' }, '延期申请 #3 已由申请人撤回，不能重复处理。'],
  ['withdraw', 'request_decided', { requestId: 3, requestStatus: 'approved' }, '延期申请 #3 已批准，不能再撤回。'],
  ['withdraw', 'request_decided', { requestId: 3, requestStatus: 'withdrawn' }, '延期申请 #3 已撤回，不能再撤回。'],
  ['withdraw', 'not_requester', { requestId: 3 }, '申请 #3 不是你提交的，只能撤回自己的申请。'],
];

describe('refusal codes in Chinese', () => {
  it.each(cases)('%s / %s', (event, code, facts, sentence) => {
    expect(refusalZh(event, { refused: code }, facts)).toBe(sentence);
  });

  it('every refusal code has a sentence', () => {
    const codes: RefusalCode[] = [
      'not_your_unit', 'office_only', 'not_requester', 'closed', 'awaiting_check', 'not_claimed', 'already_closed',
      'request_decided', 'evidence_required', 'date_not_future', 'not_after_due', 'extension_pending',
    ];
    expect(codes.filter((c) => !cases.some(([, code]) => code === c))).toEqual([]);
  });

  it('the unit check: nothing for the unit and the office, one sentence for everyone else', () => {
    const own: Actor = { personId: 1, openId: 'a', roles: ['contact'], unitIds: [7] };
    const office: Actor = { personId: 2, openId: 'b', roles: ['office'], unitIds: [] };
    const other: Actor = { personId: 3, openId: 'c', roles: ['contact'], unitIds: [8] };
    expect(unitRefusal(own, view)).toBeNull();
    expect(unitRefusal(office, view)).toBeNull();
    expect(unitRefusal(other, view)).toBe('4.1.1（安定区） 不是你绑定单位的任务，你只能报送本单位的任务。');
    expect(unitRefusal(other, view, 'skipped')).toBe('4.1.1（安定区） 不是你绑定单位的任务，未记录。');
    expect(notYourUnitsText({ code: '4.1.1' }, [view])).toBe(
      '任务 4.1.1 的责任单位是 安定区，不是你绑定的单位；你只能报送本单位的任务。发送「我的任务」查看。',
    );
  });
});
