// The assignment lifecycle as a pure state machine: for each event on an assignment (a unit's 进度 / 无变化 /
// 完成 / 进展说明, the office's 退回 and 销号, a 延期 request and its 批准 / 驳回 / 撤回, a recalled report) the new
// state and what to tell whom, or a refusal code. No I/O and no Chinese: the commands read the facts, write the
// outcome through db/ stores and turn refusal codes into sentences (commands/assignment-text.ts).
//
// States (assignments.state): not_started → in_progress (any report but 无变化) → claimed (完成, awaiting the
// office's check) → closed (销号). 退回 takes claimed back to in_progress; 销号 closes from any open state.
import type { Actor } from './actor.js';
import { isOffice, mayUpdateUnit } from './permissions.js';
import { percentBeforeLatestClaim, type ReportLike } from './progress-history.js';
import type { AssignmentState } from './status.js';

export type { AssignmentState } from './status.js';

export const ASSIGNMENT_STATES: readonly AssignmentState[] = ['not_started', 'in_progress', 'claimed', 'closed'];

/** What a unit reports: a percent, a completion claim, "no change since last time", or a note only. */
export type ReportKind = 'progress' | 'done_claim' | 'no_change' | 'note';

/** Extension request status (extension_requests.status). */
export type ExtensionStatus = 'pending' | 'approved' | 'rejected' | 'withdrawn';

/**
 * Why an event is refused. Who may act: `not_your_unit` (a report or request on another unit's assignment),
 * `office_only` (退回, 销号, 批准, 驳回 by anyone but the office), `not_requester` (撤回 of someone else's request).
 * State: `closed`, `awaiting_check` (a claim waits for the office: only a note may be added), `not_claimed` (退回
 * with no claim to return), `already_closed`, `request_decided` (the request is no longer pending).
 * Policy and input: `evidence_required` (销号 without evidence while the office requires it), `date_not_future`,
 * `not_after_due`, `extension_pending` (one pending request per assignment).
 */
export type RefusalCode =
  | 'not_your_unit'
  | 'office_only'
  | 'not_requester'
  | 'closed'
  | 'awaiting_check'
  | 'not_claimed'
  | 'already_closed'
  | 'request_decided'
  | 'evidence_required'
  | 'date_not_future'
  | 'not_after_due'
  | 'extension_pending';

export interface Refusal {
  refused: RefusalCode;
}

export function isRefusal(x: object): x is Refusal {
  return 'refused' in x;
}

const refuse = (refused: RefusalCode): Refusal => ({ refused });

/** The facts of an assignment every transition reads. `state` is the stored text (a known AssignmentState). */
export interface AssignmentFacts {
  state: string;
  percent: number;
  unitId: number;
}

// ---------------------------------------------------------------------------------------------------------------
// 进度 / 完成 / 无变化 / 进展说明

export interface ReportInputFacts {
  kind: ReportKind;
  percent?: number | null;
}

export interface ReportOutcome {
  state: string;
  /** True when the state changes (the write sets it only then, so a concurrent 销号 is never undone). */
  stateChanged: boolean;
  percent: number;
  /** 完成: claimed_at becomes now. */
  claimed: boolean;
  /** The percent the progress_reports row carries: null for a note. */
  reportPercent: number | null;
  /** 完成: the office is told there is a claim to check. */
  notifyOffice: boolean;
}

/** A unit's report on its assignment. A claim waits for the office: until 退回 or 销号 only a note is taken. */
export function applyReport(asg: AssignmentFacts, input: ReportInputFacts, actor: Actor): ReportOutcome | Refusal {
  if (!mayUpdateUnit(actor, asg.unitId)) return refuse('not_your_unit');
  if (asg.state === 'closed') return refuse('closed');
  if (asg.state === 'claimed' && input.kind !== 'note') return refuse('awaiting_check');
  if (input.kind === 'done_claim')
    return { state: 'claimed', stateChanged: true, percent: 100, claimed: true, reportPercent: 100, notifyOffice: true };
  const percent = input.kind === 'progress' && input.percent != null ? input.percent : asg.percent;
  const starts = input.kind !== 'no_change' && asg.state === 'not_started';
  return {
    state: starts ? 'in_progress' : asg.state,
    stateChanged: starts,
    percent,
    claimed: false,
    reportPercent: input.kind === 'note' ? null : percent,
    notifyOffice: false,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 退回 and 销号 (the office)

export interface ReturnOutcome {
  state: 'in_progress';
  /** The percent the unit had reported before its latest claim (the claim set 100%). */
  percent: number;
  /** claimed_at is cleared. */
  clearClaim: true;
  notifyUnit: true;
}

/** 退回: the office sends a completion claim back; the percent goes back to what it was before the claim. */
export function applyReturn(asg: AssignmentFacts, history: { newestFirst: readonly ReportLike[] }, actor: Actor): ReturnOutcome | Refusal {
  if (!isOffice(actor)) return refuse('office_only');
  if (asg.state !== 'claimed') return refuse('not_claimed');
  return { state: 'in_progress', percent: percentBeforeLatestClaim(history.newestFirst), clearClaim: true, notifyUnit: true };
}

export interface CloseOutcome {
  state: 'closed';
  percent: 100;
  /** closed_at becomes now. */
  closed: true;
  notifyUnit: true;
}

/** The evidence policy as 销号 sees it: whether the office requires evidence, and how many files are attached. */
export interface CloseEvidence {
  requireForClose: boolean;
  attached: number;
}

/** 销号: the office closes an assignment from any open state (normally a claim it has checked). */
export function applyClose(asg: AssignmentFacts, evidence: CloseEvidence, actor: Actor): CloseOutcome | Refusal {
  if (!isOffice(actor)) return refuse('office_only');
  if (asg.state === 'closed') return refuse('already_closed');
  if (evidence.requireForClose && evidence.attached === 0) return refuse('evidence_required');
  return { state: 'closed', percent: 100, closed: true, notifyUnit: true };
}

// ---------------------------------------------------------------------------------------------------------------
// 延期: request, decision, withdrawal

export interface ExtensionRequestFacts {
  today: string;
  /** The assignment's current due date (an earlier extension included), null when it has none. */
  currentDue: string | null;
  newDue: string;
  /** The id of the assignment's pending request, if it has one. */
  pendingRequestId: number | null;
}

export interface ExtensionRequestOutcome {
  status: 'pending';
  /** The state of the assignment does not change until the office approves. */
  notifyOffice: true;
}

/** 延期: a unit asks the office for a later due date. */
export function applyExtensionRequest(asg: AssignmentFacts, req: ExtensionRequestFacts, actor: Actor): ExtensionRequestOutcome | Refusal {
  if (!mayUpdateUnit(actor, asg.unitId)) return refuse('not_your_unit');
  if (asg.state === 'closed') return refuse('closed');
  if (req.newDue <= req.today) return refuse('date_not_future');
  if (req.currentDue && req.newDue <= req.currentDue) return refuse('not_after_due');
  if (req.pendingRequestId != null) return refuse('extension_pending');
  return { status: 'pending', notifyOffice: true };
}

export interface ExtensionDecisionOutcome {
  status: 'approved' | 'rejected';
  /** 批准: the assignment's extended_to becomes the requested date. */
  extendedTo: string | null;
  notifyRequester: true;
}

/** 批准 / 驳回: the office decides a pending request. */
export function decideExtension(
  req: { status: string; newDueDate: string },
  approve: boolean,
  actor: Actor,
): ExtensionDecisionOutcome | Refusal {
  if (!isOffice(actor)) return refuse('office_only');
  if (req.status !== 'pending') return refuse('request_decided');
  return approve
    ? { status: 'approved', extendedTo: req.newDueDate, notifyRequester: true }
    : { status: 'rejected', extendedTo: null, notifyRequester: true };
}

export interface ExtensionWithdrawalOutcome {
  status: 'withdrawn';
  notifyOffice: true;
}

/** 撤回 <申请号>: the requester takes back their own pending request. */
export function withdrawExtension(req: { status: string; requestedBy: number | null }, actor: Actor): ExtensionWithdrawalOutcome | Refusal {
  if (actor.personId === null || req.requestedBy !== actor.personId) return refuse('not_requester');
  if (req.status !== 'pending') return refuse('request_decided');
  return { status: 'withdrawn', notifyOffice: true };
}

// ---------------------------------------------------------------------------------------------------------------
// A recalled message withdraws the report it made

export interface ReportWithdrawalFacts {
  kind: string;
  /** The assignment before and after the report, from the report's audit entry (absent for old entries). */
  before?: { state?: string; percent?: number } | null;
  after?: { state?: string; percent?: number } | null;
  /** A report on the assignment after this one that still stands. */
  laterReport: boolean;
}

export interface ReportWithdrawalOutcome {
  /** The state to go back to: only when nothing changed the assignment since (no later report, same state and percent). */
  restore: { state: string; percent: number; clearClaim: boolean } | null;
  /** A withdrawn claim: the office no longer needs to check it. */
  notifyOffice: boolean;
}

/**
 * A recalled message withdraws its report (always; the row is marked withdrawn). The assignment goes back to
 * where it was before the report only if the report is still the last word on it.
 */
export function withdrawReport(asg: { state: string; percent: number }, rep: ReportWithdrawalFacts): ReportWithdrawalOutcome {
  const { before, after } = rep;
  const unchanged = !!after && asg.state === after.state && asg.percent === after.percent;
  const restorable = !!before?.state && typeof before.percent === 'number' && !rep.laterReport && unchanged;
  return {
    restore: restorable ? { state: before!.state!, percent: before!.percent!, clearClaim: before!.state !== 'claimed' } : null,
    notifyOffice: rep.kind === 'done_claim',
  };
}
