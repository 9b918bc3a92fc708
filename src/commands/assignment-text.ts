// The words for an assignment in replies: its label ("4.1.1（安定区）"), its due line, and the ONE map from the
// lifecycle's refusal codes (src/domain/assignment.ts) to the Chinese sentence each command answers with. The
// "may this person act for this unit" refusal is worded here once, for every place that checks it.
import type { Actor } from '../domain/actor.js';
import type { Refusal } from '../domain/assignment.js';
import { assignmentLabel } from '../domain/assignment-view.js';
import { formatDateZh } from '../domain/dates.js';
import { mayUpdateUnit } from '../domain/permissions.js';
import { LIGHT_EMOJI, type Assessment } from '../domain/status.js';
import type { AssignmentView, TaskRow } from '../db/task-store.js';

/** How replies name one assignment: the domain's rule (also used outside commands/). */
export const label = assignmentLabel;

/** "截止 6月30日，还剩14天 🟡" for a reply. */
export function dueLine(a: Assessment, today: string): string {
  if (!a.due) return '该任务为长期/周期性任务，无固定截止日期。';
  const y = Number(today.slice(0, 4));
  const when = `截止 ${formatDateZh(a.due.date, y)}${a.due.extended ? '（已延期）' : ''}`;
  if (!a.open) return `${when}。`;
  if (a.overdueDays > 0) return `${when}，已逾期 ${a.overdueDays} 天 ${LIGHT_EMOJI[a.light]}`;
  return `${when}，还剩 ${a.daysLeft} 天 ${LIGHT_EMOJI[a.light]}`;
}

/** The lifecycle events, as the refusal sentences tell them apart (a closed assignment: 无需再报送 / 无需延期). */
export type LifecycleEvent = 'report' | 'return' | 'close' | 'extend' | 'decide' | 'withdraw';

/** What a refusal sentence may name besides the assignment. */
export interface RefusalFacts {
  view?: AssignmentView;
  today?: string;
  newDue?: string;
  currentDue?: string | null;
  /** The request (延期申请) the event is about, or the pending one that blocks a new request. */
  requestId?: number;
  requestStatus?: string;
  /** The office's verb, for office_only: 退回, 销号, 批准, 驳回. */
  command?: string;
}

const decided = (status: string | undefined, withdrawn: string) => (status === 'approved' ? '批准' : status === 'withdrawn' ? withdrawn : '驳回');

/** The Chinese sentence for a refusal of the lifecycle. */
export function refusalZh(event: LifecycleEvent, r: Refusal, f: RefusalFacts): string {
  const what = f.view ? label(f.view) : '';
  switch (r.refused) {
    case 'not_your_unit':
      return `${what} 不是你绑定单位的任务，你只能报送本单位的任务。`;
    case 'office_only':
      return `「${f.command ?? event}」仅限办公室使用。`;
    case 'not_requester':
      return `申请 #${f.requestId} 不是你提交的，只能撤回自己的申请。`;
    case 'closed':
      return event === 'extend' ? `${what} 已销号，无需延期。` : `${what} 已销号，无需再报送。如有疑问请联系办公室。`;
    case 'awaiting_check':
      return `${what} 已申报完成，正在等待办公室核验；如需修改请联系办公室（办公室可「退回」）。`;
    case 'not_claimed':
      return `${what} 当前状态是「${f.view?.assessment.statusWord ?? ''}」，没有待核验的完成申报，无需退回。`;
    case 'already_closed':
      return `${what} 已经销号。`;
    case 'request_decided':
      return event === 'withdraw'
        ? `延期申请 #${f.requestId} 已${decided(f.requestStatus, '撤回')}，不能再撤回。`
        : `延期申请 #${f.requestId} 已${decided(f.requestStatus, '由申请人撤回')}，不能重复处理。`;
    case 'evidence_required':
      return (
        `不能销号：办公室要求销号前须有佐证材料，${what} 尚未提交任何佐证。\n` +
        `可发送「退回 ${f.view?.task.code} ${f.view?.unit.name} 请附佐证材料」让该单位回复照片或文件；或发送「佐证要求 关」取消这一要求。`
      );
    case 'date_not_future':
      return `延期日期 ${f.newDue} 应晚于今天（${f.today}）。`;
    case 'not_after_due':
      return `延期日期 ${f.newDue} 应晚于当前截止日期 ${f.currentDue}。`;
    case 'extension_pending':
      return `${what} 已有待审批的延期申请 #${f.requestId}，请等待办公室答复。`;
  }
}

/**
 * "May this person act for this unit", as every command and reply path asks it before touching an assignment:
 * null when they may, else the sentence to answer. `skipped`: the line of a many-task answer (全部无变化) that says
 * the task was left out; `brief`: the clause inside another sentence (where a file could not be placed).
 */
export function unitRefusal(actor: Actor, view: AssignmentView, how: 'report' | 'skipped' | 'brief' = 'report'): string | null {
  if (mayUpdateUnit(actor, view.unit.id)) return null;
  if (how === 'brief') return `${label(view)} 不是你绑定单位的任务`;
  return how === 'skipped' ? `${label(view)} 不是你绑定单位的任务，未记录。` : refusalZh('report', { refused: 'not_your_unit' }, { view });
}

/** The refusal when none of a task's (named) units is the person's own. */
export function notYourUnitsText(task: Pick<TaskRow, 'code'>, pool: AssignmentView[]): string {
  return `任务 ${task.code} 的责任单位是 ${pool.map((v) => v.unit.name).join('、')}，不是你绑定的单位；你只能报送本单位的任务。发送「我的任务」查看。`;
}

/** The card button's short refusal (a toast) for another unit's assignment. */
export const NOT_YOUR_UNIT_TOAST = '这不是你单位的任务，只能由该单位联络员报送';
