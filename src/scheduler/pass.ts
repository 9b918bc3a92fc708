// The scheduler pass, orchestrated: at instant `at`, give back a dead pass's claims (recovery.ts), plan what is due
// from one bulk read (plan-input.ts + the domain planner), then commit the steps in slices (slices.ts) with their
// messages (messages.ts, pure), office notices last, and the day's 【无法送达】 summary. Safe to repeat and to run
// twice at once. The scheduled jobs around it (lease, outbox flush) are composed once in run.ts.
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { loadCalendarOverrides } from '../db/calendar-store.js';
import { readNoContactSteps, readOfficeChats, readOfficeMembers, readPlanName, readUnitGroups } from '../db/scheduler-store.js';
import { shanghaiDate } from '../domain/dates.js';
import { checkGate, planReminders, type PlannedAction, type SentStep, type SkipReason } from '../domain/reminder-plan.js';
import type { OutboundMessage } from '../domain/types.js';
import type { Logger } from '../logger.js';
import type { BuildDigest } from '../ports.js';
import {
  buildGrouped, buildSingle, noContactItem, noContactSummaryText, officeLabel, officeMessages, officeTargets, summary,
  type Built, type NoContactGroup, type OfficeTarget, type QueuedItem,
} from './messages.js';
import { loadPlanInput } from './plan-input.js';
import { recoverDeadSlices } from './recovery.js';
import { commitSteps, SLICE, slicesByUnit } from './slices.js';

export type { QueuedItem } from './messages.js';
export { DEAD_SLICE_MS } from './recovery.js';

export interface SchedulerDeps {
  db: Db;
  config: Pick<Config, 'WORK_DAY_START' | 'WORK_DAY_END' | 'OFFICE_OPEN_IDS'>;
  logger?: Logger;
  buildDigest?: BuildDigest | null;
  /** Real time, for telling a dead pass's slices from a live one's (the pass's instant may be any time). */
  clock?: () => number;
}

export interface PassResult {
  at: number;
  date: string;
  skippedReason?: SkipReason;
  /** Steps claimed by this pass and the messages queued for them (suppressed steps are counted apart). */
  queued: QueuedItem[];
  outboxIds: number[];
  /** Steps the planner found due; more than claimed when a concurrent pass won some of them. */
  planned: number;
  suppressed: number;
  warnings: string[];
}

export const SKIP_REASON_ZH: Record<SkipReason, string> = {
  not_workday: '今天不是工作日（法定节假日或周末），不发提醒',
  outside_hours: '当前不在工作时间内，不发提醒',
  no_calendar_data: '缺少今年的节假日数据，不按猜测的工作日发提醒（已通知办公室）',
};

export async function runSchedulerPass(deps: SchedulerDeps, at: number): Promise<PassResult> {
  const { db } = deps;
  // The office's holiday entries decide working days here too (installed for every runtime).
  await loadCalendarOverrides(db);
  const gate = checkGate(at, { start: deps.config.WORK_DAY_START, end: deps.config.WORK_DAY_END });
  if (gate === 'not_workday' || gate === 'outside_hours') {
    return { at, date: shanghaiDate(at), skippedReason: gate, queued: [], outboxIds: [], planned: 0, suppressed: 0, warnings: [] };
  }
  const recovered = await recoverDeadSlices(deps);
  const { plan, policyInvalid, globalSteps } = await planPass(deps, at);
  const result: PassResult = {
    at, date: plan.date, skippedReason: plan.skippedReason, queued: [], outboxIds: [], planned: plan.actions.length, suppressed: 0,
    warnings: [],
  };
  if (recovered) result.warnings.push(`上一次巡检在排队途中中断，其中 ${recovered} 项已认领但未排队的提醒步骤已撤回，本次重新安排`);
  if (policyInvalid) result.warnings.push(`已保存的提醒策略无效（${policyInvalid}），本次按默认策略执行`);
  for (const w of plan.actions) {
    if (w.kind === 'plan_waiting')
      result.warnings.push(
        `计划尚未上线（${w.liveFrom ? `定于 ${w.liveFrom} 上线` : '办公室尚未确定上线日期'}）：${w.waiting} 项责任分工的提醒在等待，` +
          `其中 ${w.overdue} 项已逾期。确认后运行 npx duban plan live <日期> 或在飞书发送「上线 <日期>」`,
      );
  }
  if (plan.actions.length === 0) {
    // Nothing planned: only a marker left after yesterday's summary can call for one (see queueNoContactSummary).
    if (!plan.skippedReason && globalSteps.some((g) => g.stepKey.startsWith('no_contact_pending:')))
      await queueNoContactSummary(deps, at, plan.date, globalSteps, result, await loadOfficeTargets(deps));
    return result;
  }

  // Per-assignment steps are committed in slices (bounded memory and batch size on a province-scale catch-up);
  // office notices that group many steps are committed last, in one message per pass.
  const office = await loadOfficeTargets(deps);
  const unitGroups = await loadUnitGroups(deps);
  const forOffice = (a: PlannedAction) =>
    a.kind === 'no_contact' || a.kind === 'escalate_office' || a.kind === 'calendar_flag' || a.kind === 'plan_waiting' ||
    a.kind === 'live_backlog' || a.kind === 'recheck_claim';
  let actions = plan.actions;
  if (office.length === 0 && actions.some(forOffice)) {
    // Nobody to tell: leave these steps open so they go out once an office chat or member exists.
    const held = actions.filter(forOffice).length;
    actions = actions.filter((a) => !forOffice(a));
    result.warnings.push(
      `有 ${held} 项需告知办公室（未绑定联络员、逾期升级或节假日数据缺失），但没有办公室接收人：` +
        '请在办公室群发送“本群设为办公室”，或设置 OFFICE_OPEN_IDS；之后的巡检会补发',
    );
    deps.logger?.warn('scheduler: no office recipient; office notices held back', { held });
  }
  const isPeriodic = (a: PlannedAction) => a.kind === 'reminder' && a.step === 'periodic';
  const isOffice = (a: PlannedAction) =>
    a.kind === 'no_contact' || a.kind === 'escalate_office' || a.kind === 'live_backlog' || a.kind === 'recheck_claim';
  const single = actions.filter((a) => !isPeriodic(a) && !isOffice(a));
  for (let i = 0; i < single.length; i += SLICE) {
    await commitSteps(deps, at, single.slice(i, i + SLICE), result, (mine) => buildSingleResolved(deps, at, plan.date, mine, office, unitGroups));
  }
  // Periodic requests are one card per unit: slices never split a unit.
  for (const slice of slicesByUnit(actions.filter(isPeriodic))) {
    await commitSteps(deps, at, slice, result, async (mine) => buildGrouped(mine, office, at, unitGroups));
  }
  const officeActions = actions.filter(isOffice);
  if (officeActions.length) await commitSteps(deps, at, officeActions, result, async (mine) => buildGrouped(mine, office, at));
  if (office.length) await queueNoContactSummary(deps, at, plan.date, globalSteps, result, office);
  deps.logger?.info('scheduler pass', {
    date: plan.date, steps: result.queued.length, messages: result.outboxIds.length, suppressed: result.suppressed,
  });
  return result;
}

/** The plan of a pass; the input it was made from (every open assignment's sent steps, …) is garbage once it returns. */
async function planPass(deps: SchedulerDeps, at: number) {
  const input = await loadPlanInput(deps, at);
  return { plan: planReminders(input), policyInvalid: input.policyInvalid, globalSteps: input.sentSteps.get(0) ?? [] };
}

/** Resolve what single-step messages need from storage and the digest builder, then build them (pure). */
async function buildSingleResolved(
  deps: SchedulerDeps,
  at: number,
  date: string,
  mine: PlannedAction[],
  office: OfficeTarget[],
  unitGroups: Map<number, string>,
): Promise<Built> {
  const planNames = new Map<number, { code: string; title: string }>();
  const digests = new Map<string, OutboundMessage[]>();
  for (const a of mine) {
    if (a.kind === 'plan_waiting' && !planNames.has(a.planId)) {
      const p = await readPlanName(deps.db, a.planId);
      if (p) planNames.set(a.planId, p);
    } else if (a.kind === 'digest' && deps.buildDigest && !digests.has(a.weekKey)) {
      digests.set(a.weekKey, await deps.buildDigest({ weekKey: a.weekKey, date, now: at }));
    }
  }
  return buildSingle(mine, { at, date, office, unitGroups, planNames, digests });
}

/** The office chat(s) if registered, else office members by direct message, else OFFICE_OPEN_IDS. */
export async function loadOfficeTargets(deps: SchedulerDeps): Promise<OfficeTarget[]> {
  const chats = await readOfficeChats(deps.db);
  return officeTargets(chats, chats.length ? [] : await readOfficeMembers(deps.db), deps.config.OFFICE_OPEN_IDS);
}

/** Units with a registered group (本群设为 <单位>群): their reminders go there instead of to each contact. */
export async function loadUnitGroups(deps: SchedulerDeps): Promise<Map<number, string>> {
  return readUnitGroups(deps.db);
}

/**
 * 【无法送达】 once a day: the steps that could not reach a unit (no contact bound) since the last summary, in one
 * message to the office, instead of one message per reminder step.
 */
async function queueNoContactSummary(
  deps: SchedulerDeps,
  at: number,
  date: string,
  globalSteps: SentStep[],
  result: PassResult,
  office: OfficeTarget[],
): Promise<void> {
  if (office.length === 0) return;
  const key = `no_contact_summary:${date}`;
  let since = -1;
  let sentToday = false;
  for (const g of globalSteps) {
    if (g.stepKey === key) sentToday = true;
    if (g.stepKey.startsWith('no_contact_summary:') && g.plannedAt > since) since = g.plannedAt;
  }
  // Read reminder_log only when something new can be there: steps claimed by this pass, or a marker left by a pass
  // that claimed some after the day's summary had gone out.
  const claimedNow = result.queued.some((q) => q.kind === 'no_contact' && q.outboxIds.length === 0);
  const pending = globalSteps.some((g) => g.stepKey.startsWith('no_contact_pending:') && g.plannedAt > since);
  if (!claimedNow && !pending) return;
  if (sentToday) {
    if (claimedNow && !globalSteps.some((g) => g.stepKey === `no_contact_pending:${date}`)) {
      const marker: PlannedAction = { kind: 'no_contact_summary', assignmentId: 0, stepKey: `no_contact_pending:${date}`, date };
      await commitSteps(deps, at, [marker], result, async () => ({ messages: [], items: [], suppressed: 0 }));
    }
    return;
  }
  const rows = await readNoContactSteps(deps.db, since, at);
  if (rows.length === 0) return;
  const byUnit = new Map<number, NoContactGroup>();
  for (const r of rows) {
    let u = byUnit.get(r.unitId);
    if (!u) byUnit.set(r.unitId, (u = { unit: r.unit, items: new Map() }));
    u.items.set(r.assignmentId, noContactItem(r.code, r.dueDate));
  }
  const text = noContactSummaryText([...byUnit.entries()].sort((x, y) => x[0] - y[0]).map(([, g]) => g));
  const action: PlannedAction = { kind: 'no_contact_summary', assignmentId: 0, stepKey: key, date };
  await commitSteps(deps, at, [action], result, async () => {
    const messages: OutboundMessage[] = [];
    const keys = officeMessages(messages, office, `notice:no_contact:${date}`, text, 'notice', null);
    return { messages, items: [{ item: summary(action, officeLabel(office)), keys }], suppressed: 0 };
  });
}

