// The assignment lifecycle (src/domain/assignment.ts) as a table: every state × every event, for the unit's own
// contact, another unit's contact, a person with no role and the office; then the extension request's own states and
// the withdrawal of a recalled report.
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/actor.js';
import {
  applyClose,
  applyExtensionRequest,
  applyReport,
  applyReturn,
  ASSIGNMENT_STATES,
  decideExtension,
  withdrawExtension,
  withdrawReport,
  type AssignmentState,
} from '../../src/domain/assignment.js';

const UNIT = 7;
const contact: Actor = { personId: 1, openId: 'ou_c', roles: ['contact'], unitIds: [UNIT] };
const otherContact: Actor = { personId: 2, openId: 'ou_o', roles: ['contact'], unitIds: [8] };
const stranger: Actor = { personId: null, openId: 'ou_s', roles: [], unitIds: [] };
const leader: Actor = { personId: 4, openId: 'ou_l', roles: ['leader'], unitIds: [] };
const office: Actor = { personId: 3, openId: 'ou_x', roles: ['office'], unitIds: [] };

const asg = (state: AssignmentState, percent = 40) => ({ state, percent, unitId: UNIT });

/** Shorthand for an outcome row: the new state and percent, or the refusal code. */
function short(out: object): string {
  if ('refused' in out) return `refused:${(out as { refused: string }).refused}`;
  const o = out as { state?: string; percent?: number; status?: string };
  return o.status ? o.status : `${o.state} ${o.percent}%`;
}

// A history (newest first) with a claim on top of a 40% progress report.
const history = { newestFirst: [{ kind: 'done_claim', percent: 100 }, { kind: 'progress', percent: 40 }] };
const noEvidenceRule = { requireForClose: false, attached: 0 };
const ext = (over: Partial<Parameters<typeof applyExtensionRequest>[1]> = {}) => ({
  today: '2022-06-01',
  currentDue: '2022-06-30',
  newDue: '2022-07-31',
  pendingRequestId: null,
  ...over,
});

type Row = [event: string, run: (state: AssignmentState) => object, expected: Record<AssignmentState, string>];

// Every state × every event, as the unit's own contact (reports, requests) or the office (退回, 销号).
const table: Row[] = [
  ['进度 60%', (s) => applyReport(asg(s), { kind: 'progress', percent: 60 }, contact),
    { not_started: 'in_progress 60%', in_progress: 'in_progress 60%', claimed: 'refused:awaiting_check', closed: 'refused:closed' }],
  ['进度 without a percent', (s) => applyReport(asg(s), { kind: 'progress', percent: null }, contact),
    { not_started: 'in_progress 40%', in_progress: 'in_progress 40%', claimed: 'refused:awaiting_check', closed: 'refused:closed' }],
  ['无变化', (s) => applyReport(asg(s), { kind: 'no_change' }, contact),
    { not_started: 'not_started 40%', in_progress: 'in_progress 40%', claimed: 'refused:awaiting_check', closed: 'refused:closed' }],
  ['进展说明 (note)', (s) => applyReport(asg(s), { kind: 'note' }, contact),
    { not_started: 'in_progress 40%', in_progress: 'in_progress 40%', claimed: 'claimed 40%', closed: 'refused:closed' }],
  ['完成 (claim)', (s) => applyReport(asg(s), { kind: 'done_claim' }, contact),
    { not_started: 'claimed 100%', in_progress: 'claimed 100%', claimed: 'refused:awaiting_check', closed: 'refused:closed' }],
  ['进度 by the office', (s) => applyReport(asg(s), { kind: 'progress', percent: 70 }, office),
    { not_started: 'in_progress 70%', in_progress: 'in_progress 70%', claimed: 'refused:awaiting_check', closed: 'refused:closed' }],
  ['进度 by another unit', (s) => applyReport(asg(s), { kind: 'progress', percent: 60 }, otherContact),
    { not_started: 'refused:not_your_unit', in_progress: 'refused:not_your_unit', claimed: 'refused:not_your_unit', closed: 'refused:not_your_unit' }],
  ['进展说明 by a stranger', (s) => applyReport(asg(s), { kind: 'note' }, stranger),
    { not_started: 'refused:not_your_unit', in_progress: 'refused:not_your_unit', claimed: 'refused:not_your_unit', closed: 'refused:not_your_unit' }],
  ['完成 by a leader', (s) => applyReport(asg(s), { kind: 'done_claim' }, leader),
    { not_started: 'refused:not_your_unit', in_progress: 'refused:not_your_unit', claimed: 'refused:not_your_unit', closed: 'refused:not_your_unit' }],
  ['退回 (office)', (s) => applyReturn(asg(s, s === 'claimed' ? 100 : 40), history, office),
    { not_started: 'refused:not_claimed', in_progress: 'refused:not_claimed', claimed: 'in_progress 40%', closed: 'refused:not_claimed' }],
  ['退回 by a contact', (s) => applyReturn(asg(s), history, contact),
    { not_started: 'refused:office_only', in_progress: 'refused:office_only', claimed: 'refused:office_only', closed: 'refused:office_only' }],
  ['销号 (office)', (s) => applyClose(asg(s), noEvidenceRule, office),
    { not_started: 'closed 100%', in_progress: 'closed 100%', claimed: 'closed 100%', closed: 'refused:already_closed' }],
  ['销号, evidence required, none attached', (s) => applyClose(asg(s), { requireForClose: true, attached: 0 }, office),
    { not_started: 'refused:evidence_required', in_progress: 'refused:evidence_required', claimed: 'refused:evidence_required', closed: 'refused:already_closed' }],
  ['销号, evidence required, one attached', (s) => applyClose(asg(s), { requireForClose: true, attached: 1 }, office),
    { not_started: 'closed 100%', in_progress: 'closed 100%', claimed: 'closed 100%', closed: 'refused:already_closed' }],
  ['销号 by a contact', (s) => applyClose(asg(s), noEvidenceRule, contact),
    { not_started: 'refused:office_only', in_progress: 'refused:office_only', claimed: 'refused:office_only', closed: 'refused:office_only' }],
  ['延期 request', (s) => applyExtensionRequest(asg(s), ext(), contact),
    { not_started: 'pending', in_progress: 'pending', claimed: 'pending', closed: 'refused:closed' }],
  ['延期 to today', (s) => applyExtensionRequest(asg(s), ext({ newDue: '2022-06-01' }), contact),
    { not_started: 'refused:date_not_future', in_progress: 'refused:date_not_future', claimed: 'refused:date_not_future', closed: 'refused:closed' }],
  ['延期 not after the current due date', (s) => applyExtensionRequest(asg(s), ext({ newDue: '2022-06-30' }), contact),
    { not_started: 'refused:not_after_due', in_progress: 'refused:not_after_due', claimed: 'refused:not_after_due', closed: 'refused:closed' }],
  ['延期 while one is pending', (s) => applyExtensionRequest(asg(s), ext({ pendingRequestId: 5 }), contact),
    { not_started: 'refused:extension_pending', in_progress: 'refused:extension_pending', claimed: 'refused:extension_pending', closed: 'refused:closed' }],
  ['延期 by another unit', (s) => applyExtensionRequest(asg(s), ext(), otherContact),
    { not_started: 'refused:not_your_unit', in_progress: 'refused:not_your_unit', claimed: 'refused:not_your_unit', closed: 'refused:not_your_unit' }],
];

describe('the assignment lifecycle: every state × every event', () => {
  it('knows the states the schema names', () => {
    expect(ASSIGNMENT_STATES).toEqual(['not_started', 'in_progress', 'claimed', 'closed']);
  });
  for (const [event, run, expected] of table) {
    it.each(ASSIGNMENT_STATES.map((s) => [s, expected[s]] as const))(`${event} in %s → %s`, (state, want) => {
      expect(short(run(state))).toBe(want);
    });
  }
});

describe('what a report changes and whom it tells', () => {
  it('a claim sets 100%, the claim instant and tells the office; the report row carries 100', () => {
    expect(applyReport(asg('in_progress', 60), { kind: 'done_claim' }, contact)).toEqual({
      state: 'claimed', stateChanged: true, percent: 100, claimed: true, reportPercent: 100, notifyOffice: true,
    });
  });
  it('the first report starts the assignment; 无变化 does not, and repeats the percent', () => {
    expect(applyReport(asg('not_started', 0), { kind: 'progress', percent: 20 }, contact)).toMatchObject({ stateChanged: true, reportPercent: 20 });
    expect(applyReport(asg('not_started', 0), { kind: 'no_change' }, contact)).toMatchObject({ stateChanged: false, reportPercent: 0, notifyOffice: false });
  });
  it('a note carries no percent and keeps the state of a claim (the office still checks it)', () => {
    expect(applyReport(asg('claimed', 100), { kind: 'note' }, contact)).toEqual({
      state: 'claimed', stateChanged: false, percent: 100, claimed: false, reportPercent: null, notifyOffice: false,
    });
  });
  it('the unit check comes first: another unit hears "not your unit" even on a closed assignment', () => {
    expect(applyReport(asg('closed'), { kind: 'note' }, otherContact)).toEqual({ refused: 'not_your_unit' });
  });
});

describe('退回 restores the percent from before the claim; 销号 closes at 100%', () => {
  it.each([
    ['a progress report before the claim', [{ kind: 'done_claim', percent: 100 }, { kind: 'progress', percent: 70 }], 70],
    ['无变化 repeats the percent', [{ kind: 'done_claim', percent: 100 }, { kind: 'no_change', percent: 55 }, { kind: 'progress', percent: 30 }], 55],
    ['an earlier 退回 restored percent', [{ kind: 'done_claim', percent: 100 }, { kind: 'return', percent: 45 }, { kind: 'done_claim', percent: 100 }], 45],
    ['a note carries none: the report before it', [{ kind: 'done_claim', percent: 100 }, { kind: 'note', percent: null }, { kind: 'progress', percent: 25 }], 25],
    ['no report before the claim', [{ kind: 'done_claim', percent: 100 }], 0],
  ] as const)('%s → %i%%', (_what, newestFirst, percent) => {
    expect(applyReturn(asg('claimed', 100), { newestFirst }, office)).toEqual({ state: 'in_progress', percent, clearClaim: true, notifyUnit: true });
  });
  it('销号 tells the unit', () => {
    expect(applyClose(asg('claimed', 100), noEvidenceRule, office)).toEqual({ state: 'closed', percent: 100, closed: true, notifyUnit: true });
  });
});

describe('an extension request: pending → approved / rejected / withdrawn', () => {
  const req = (status: string, requestedBy: number | null = contact.personId) => ({ status, requestedBy, newDueDate: '2022-07-31' });
  it('a request on an assignment without a due date needs only a future date', () => {
    expect(applyExtensionRequest(asg('in_progress'), ext({ currentDue: null, newDue: '2022-06-02' }), contact)).toEqual({ status: 'pending', notifyOffice: true });
  });
  it.each([
    ['pending', 'approved', 'rejected', 'withdrawn'],
    ['approved', 'refused:request_decided', 'refused:request_decided', 'refused:request_decided'],
    ['rejected', 'refused:request_decided', 'refused:request_decided', 'refused:request_decided'],
    ['withdrawn', 'refused:request_decided', 'refused:request_decided', 'refused:request_decided'],
  ])('%s: 批准 → %s, 驳回 → %s, 撤回 by the requester → %s', (status, approve, reject, withdraw) => {
    expect(short(decideExtension(req(status), true, office))).toBe(approve);
    expect(short(decideExtension(req(status), false, office))).toBe(reject);
    expect(short(withdrawExtension(req(status), contact))).toBe(withdraw);
  });
  it('批准 moves the due date; 驳回 does not; both tell the requester', () => {
    expect(decideExtension(req('pending'), true, office)).toEqual({ status: 'approved', extendedTo: '2022-07-31', notifyRequester: true });
    expect(decideExtension(req('pending'), false, office)).toEqual({ status: 'rejected', extendedTo: null, notifyRequester: true });
  });
  it('only the office decides; only the requester withdraws', () => {
    expect(decideExtension(req('pending'), true, contact)).toEqual({ refused: 'office_only' });
    expect(withdrawExtension(req('pending'), otherContact)).toEqual({ refused: 'not_requester' });
    expect(withdrawExtension(req('pending'), office)).toEqual({ refused: 'not_requester' });
    expect(withdrawExtension(req('pending', null), stranger)).toEqual({ refused: 'not_requester' });
    expect(withdrawExtension(req('pending'), contact)).toEqual({ status: 'withdrawn', notifyOffice: true });
  });
});

describe('a recalled message withdraws its report', () => {
  const claim = { kind: 'done_claim', before: { state: 'in_progress', percent: 60 }, after: { state: 'claimed', percent: 100 }, laterReport: false };
  it.each([
    ['the report is still the last word', asg('claimed', 100), claim, { state: 'in_progress', percent: 60, clearClaim: true }],
    ['a later report stands', asg('claimed', 100), { ...claim, laterReport: true }, null],
    ['the office changed it since (closed)', asg('closed', 100), claim, null],
    ['the percent changed since', asg('claimed', 90), claim, null],
    ['an old report without an audit entry', asg('claimed', 100), { ...claim, before: null, after: null }, null],
    ['an audit entry without a percent', asg('claimed', 100), { ...claim, before: { state: 'in_progress' } }, null],
  ] as const)('%s', (_what, now, rep, restore) => {
    expect(withdrawReport(now, rep).restore).toEqual(restore);
  });
  it('a withdrawn note on a claim keeps the claim instant; a withdrawn claim tells the office', () => {
    const note = { kind: 'note', before: { state: 'claimed', percent: 100 }, after: { state: 'claimed', percent: 100 }, laterReport: false };
    expect(withdrawReport(asg('claimed', 100), note)).toEqual({ restore: { state: 'claimed', percent: 100, clearClaim: false }, notifyOffice: false });
    expect(withdrawReport(asg('claimed', 100), claim).notifyOffice).toBe(true);
    const progress = { kind: 'progress', before: { state: 'not_started', percent: 0 }, after: { state: 'in_progress', percent: 50 }, laterReport: false };
    expect(withdrawReport(asg('in_progress', 50), progress)).toEqual({ restore: { state: 'not_started', percent: 0, clearClaim: true }, notifyOffice: false });
  });
});
