// One scheduler pass: read the plan's state in bulk, plan what is due at instant `at`, claim each step in
// reminder_log and queue its messages in the outbox. Safe to repeat and to run twice at once.
import { createHash } from 'node:crypto';
import { and, between, eq, gt, inArray, isNotNull, like, lt, lte, sql } from 'drizzle-orm';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { auditInsert } from '../db/audit.js';
import { insertRowsQueries, maxBoundParams, rawRowsQuery, rawRunQuery, readRows, runBatch } from '../db/batch.js';
import { outboxInsertMany } from '../db/outbox-store.js';
import { getPolicy } from '../db/policy-store.js';
import {
  assignments, chats, people, plans, reminderLog, roles, schedulerSlices, tasks, units,
} from '../db/schema.js';
import { backfillPlanLive, planLiveMap } from '../db/plan-live-store.js';
import { loadCalendarOverrides } from '../db/calendar-store.js';
import { PROGRESS_REQUEST_MAX_ITEMS } from '../cards/reminder-card.js';
import { storedCard } from '../cards/stored-card.js';
import { formatDateZh, shanghaiDate } from '../domain/dates.js';
import {
  checkGate, ladderReached, periodKey, planReminders, type Contact, type EscalationAction, type NoContactAction, type PlanAssignment,
  type LiveBacklogAction, type PendingClaim, type PlannedAction, type PlanWaitingAction, type RecheckClaimAction, type ReminderAction,
  type SentStep, type SkipReason,
} from '../domain/reminder-plan.js';
import { currentDue, type DeadlineLike } from '../domain/status.js';
import type { OutboundMessage } from '../domain/types.js';
import type { Logger } from '../logger.js';
import type { BuildDigest } from '../ports.js';

/** Delivers pending outbox rows now (the Lark sender's drainOutbox); returns what it did, for printing. */
export type DeliverOutbox = (now: number) => Promise<DeliveryReport>;

export interface DeliveryReport {
  sent: number;
  failed: number;
  retried?: number;
  rateLimited?: number;
}

export interface SchedulerDeps {
  db: Db;
  config: Pick<Config, 'WORK_DAY_START' | 'WORK_DAY_END' | 'OFFICE_OPEN_IDS'>;
  logger?: Logger;
  buildDigest?: BuildDigest | null;
  /** Real time, for telling a dead pass's slices from a live one's (the pass's instant may be any time). */
  clock?: () => number;
}

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

interface OfficeTarget {
  receiveIdType: 'chat_id' | 'open_id';
  receiveId: string;
  label: string;
}

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
    await commitSteps(deps, at, single.slice(i, i + SLICE), result, async (mine) => buildSingle(deps, at, plan.date, mine, office, result, unitGroups));
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

/** A slice journal row older than this belongs to a pass that died (a live one deletes its row within seconds). */
export const DEAD_SLICE_MS = 10 * 60_000;

const clockOf = (deps: SchedulerDeps) => deps.clock ?? Date.now;

/**
 * Give back the claims of slices whose pass died between committing them and queueing their messages, so this
 * pass plans those steps again. Returns how many claims were given back.
 */
async function recoverDeadSlices(deps: SchedulerDeps): Promise<number> {
  const { db } = deps;
  const now = clockOf(deps)();
  const dead = await db.select().from(schedulerSlices).where(lt(schedulerSlices.createdAt, now - DEAD_SLICE_MS));
  if (dead.length === 0) return 0;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const queries: any[] = dead.flatMap((d) => [
    db
      .delete(reminderLog)
      .where(and(between(reminderLog.id, d.firstClaimId, d.lastClaimId ?? d.firstClaimId - 1), eq(reminderLog.plannedAt, d.plannedAt)))
      .returning({ id: reminderLog.id }),
    db.delete(schedulerSlices).where(eq(schedulerSlices.id, d.id)),
  ]);
  queries.push(
    auditInsert(db, {
      at: now, actor: 'scheduler', channel: 'system', action: 'reminder.recovered', entity: 'scheduler',
      entityId: shanghaiDate(dead[0]!.plannedAt),
      detail: { slices: dead.map(({ plannedAt, firstClaimId, lastClaimId, createdAt }) => ({ plannedAt, firstClaimId, lastClaimId, createdAt })) },
    }),
  );
  const results = await runBatch(db, queries);
  const claims = results.slice(0, -1).filter((_, i) => i % 2 === 0).reduce((n: number, r) => n + (r as unknown[]).length, 0);
  deps.logger?.warn('scheduler: claims of an interrupted pass given back', { slices: dead.length, claims });
  return claims;
}

/** The plan of a pass; the input it was made from (every open assignment's sent steps, …) is garbage once it returns. */
async function planPass(deps: SchedulerDeps, at: number) {
  const input = await loadPlanInput(deps, at);
  return { plan: planReminders(input), policyInvalid: input.policyInvalid, globalSteps: input.sentSteps.get(0) ?? [] };
}

/**
 * Steps per committed slice. Each commit writes every page its claims touched, so fewer, larger slices write less
 * (2,000 took a fresh 100,000-assignment plan's first pass from ~1.1 s to ~0.9 s); larger still gained nothing and
 * held more in memory (see bench/README.md).
 */
const SLICE = 2000;

function slicesByUnit(list: PlannedAction[]): PlannedAction[][] {
  const byUnit = new Map<number, PlannedAction[]>();
  for (const a of list) {
    const unit = 'assignment' in a ? a.assignment.unitId : 0;
    const l = byUnit.get(unit);
    if (l) l.push(a);
    else byUnit.set(unit, [a]);
  }
  const out: PlannedAction[][] = [];
  let cur: PlannedAction[] = [];
  for (const l of byUnit.values()) {
    if (cur.length && cur.length + l.length > SLICE) {
      out.push(cur);
      cur = [];
    }
    cur.push(...l);
  }
  if (cur.length) out.push(cur);
  return out;
}

type Built = { messages: OutboundMessage[]; items: Array<{ item: QueuedItem; keys: string[] }> };

/**
 * Claim the steps in reminder_log (a concurrent pass's claim makes ours return nothing), then queue the
 * messages and audit entries of the claims won, in one batch; if that batch fails the claims are given back.
 */
async function commitSteps(
  deps: SchedulerDeps,
  at: number,
  actions: PlannedAction[],
  result: PassResult,
  build: (mine: PlannedAction[]) => Promise<Built>,
): Promise<void> {
  const { db } = deps;
  // In index order: neighbouring claims land on the same B-tree pages, so a slice dirties (and commits) far fewer
  // pages than claims in planning order would, which for a unit's periodic requests are spread over every page.
  const claimRows = actions
    .map((a) => [
      a.assignmentId, a.stepKey, a.kind, 'dueDate' in a ? a.dueDate : null, 'escalationLevel' in a ? a.escalationLevel : 0,
    ] as [number, string, string, string | null, number])
    .sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0));
  const claimQueries = insertRowsQueries(
    db,
    {
      table: 'reminder_log',
      columns: ['assignment_id', 'step_key', 'kind', 'due_date', 'escalation_level'],
      constants: { planned_at: at },
      tail: 'on conflict do nothing returning id, assignment_id, step_key',
    },
    claimRows,
  );
  // The slice's journal row is written with its claims and deleted with its messages (see schedulerSlices): if the
  // process dies in between, the next pass finds it and gives the claims back, so no step is claimed and never sent.
  const journal = [
    rawRowsQuery(
      db,
      sql`insert into scheduler_slices (planned_at, first_claim_id, created_at)
        values (${at}, (select coalesce(max(id), 0) + 1 from reminder_log), ${clockOf(deps)()}) returning id`,
    ),
    // Nothing else writes inside this batch's transaction: the newest journal row is this one.
    rawRunQuery(
      db,
      sql`update scheduler_slices set last_claim_id = (select coalesce(max(id), 0) from reminder_log)
        where id = (select max(id) from scheduler_slices)`,
    ),
  ];
  const written = await runBatch(db, [journal[0], ...claimQueries, journal[1]]);
  const sliceId = (written[0] as Array<[number]>)[0]![0];
  const closeSlice = rawRunQuery(db, sql`delete from scheduler_slices where id = ${sliceId}`);
  const claimed = written.slice(1, 1 + claimQueries.length).flat() as Array<[number, number, string]>;
  if (claimed.length === 0) {
    await runBatch(db, [closeSlice]);
    return;
  }
  // Usually every claim is won; only when a concurrent pass took some are ours picked out.
  let mine = actions;
  if (claimed.length < actions.length) {
    const won = new Set(claimed.map(([, assignmentId, stepKey]) => `${assignmentId}|${stepKey}`));
    mine = actions.filter((a) => won.has(`${a.assignmentId}|${a.stepKey}`));
  }
  let inserted: Array<[number, string]>;
  let built: Built;
  try {
    built = await build(mine);
    const queries = outboxInsertMany(db, built.messages, at);
    const outboxQueries = queries.length;
    // The claim rows (planned_at = this pass's instant) are the per-step record; the audit log gets one entry per
    // committed slice saying what it queued, written in the same batch.
    const byKind: Record<string, number> = {};
    for (const a of mine) byKind[a.kind] = (byKind[a.kind] ?? 0) + 1;
    queries.push(
      auditInsert(db, {
        at, actor: 'scheduler', channel: 'system', action: 'reminder.batch', entity: 'scheduler', entityId: shanghaiDate(at),
        detail: { plannedAt: at, steps: mine.length, byKind, messages: built.messages.length },
      }),
      closeSlice,
    );
    inserted = (await runBatch(db, queries)).slice(0, outboxQueries).flat() as Array<[number, string]>;
  } catch (err) {
    // Give the steps back so the next pass plans them again (with the journal row, in one commit).
    const ids = claimed.map(([id]) => id);
    const step = maxBoundParams(db) - 10;
    const giveBack = [];
    for (let i = 0; i < ids.length; i += step) giveBack.push(db.delete(reminderLog).where(inArray(reminderLog.id, ids.slice(i, i + step))));
    await runBatch(db, [...giveBack, closeSlice]);
    throw err;
  }
  const idByKey = new Map(inserted.map(([id, dedupeKey]) => [dedupeKey, id]));
  // Steps grouped into one message (a unit's periodic card, the office's escalation list) share one list of ids.
  const idsOf = new Map<string[], number[]>();
  for (const { item, keys } of built.items) {
    let ids = idsOf.get(keys);
    if (!ids) idsOf.set(keys, (ids = keys.map((k) => idByKey.get(k)).filter((x): x is number => x !== undefined)));
    item.outboxIds = ids;
    result.queued.push(item);
  }
  for (const [id] of inserted) result.outboxIds.push(id);
}

async function buildSingle(
  deps: SchedulerDeps,
  at: number,
  date: string,
  mine: PlannedAction[],
  office: OfficeTarget[],
  result: PassResult,
  unitGroups: Map<number, string> = new Map(),
): Promise<Built> {
  const messages: OutboundMessage[] = [];
  const items: Built['items'] = [];
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
        result.suppressed++;
        break;
      case 'escalate_leaders':
        items.push({ item: summary(a, '领导周报（红灯）'), keys: [] });
        break;
      case 'calendar_flag': {
        const text =
          (a.ahead
            ? `【节假日数据待补】${a.year} 年即将到来，机器人还没有 ${a.year} 年的法定节假日和调休安排。` +
              `不补齐的话，${a.year} 年起的提醒将停发（不按猜测的日子发出）。`
            : `【节假日数据缺失】机器人没有 ${a.year} 年的法定节假日和调休数据，无法判断哪天是工作日。` +
              `在补齐之前，${a.year} 年的提醒不会按猜测的日子发出。`) +
          `国务院办公厅发布通知后，请办公室发送「节假日 ${a.year} <粘贴通知全文>」录入（或运行 ` +
          `npx duban calendar set ${a.year} --file 通知.txt），录入后发送「节假日 ${a.year}」核对；也可升级 chinese-days 后重新部署。`;
        const keys = officeMessages(messages, office, `notice:${a.ahead ? `calendar_ahead:${a.stepKey.split(':')[2]}` : 'calendar'}:${a.year}`, text, 'notice', null);
        items.push({ item: summary(a, officeLabel(office)), keys });
        break;
      }
      case 'plan_waiting': {
        const [p] = await deps.db.select({ code: plans.code, title: plans.title }).from(plans).where(eq(plans.id, a.planId));
        const name = p ? `《${p.title}》（编号 ${p.code}）` : '计划';
        const text =
          `【计划未上线】${name}${a.liveFrom ? `定于 ${formatDateZh(a.liveFrom)} 上线` : '尚未上线'}，` +
          `${a.waiting} 项责任分工的提醒在等待，暂不向各单位发送，其中 ${a.overdue} 项已逾期。\n` +
          (a.liveFrom
            ? '到上线日起按提醒规则发送；上线日已逾期的事项将汇总成一条发给办公室，不逐条发给单位。'
            : `确认任务分工和联络员无误后，请办公室发送「上线 <日期>」（例如「上线 ${date}」），或运行 ` +
              `npx duban plan live <日期>${p ? ` --plan ${p.code}` : ''}。上线日已逾期的事项将汇总成一条发给办公室，不逐条发给单位。`);
        const keys = officeMessages(messages, office, `notice:golive:${a.planId}:${date}`, text, 'notice', null);
        items.push({ item: summary(a, officeLabel(office)), keys });
        break;
      }
      case 'digest': {
        if (!deps.buildDigest) break;
        const built = await deps.buildDigest({ weekKey: a.weekKey, date, now: at });
        messages.push(...built);
        items.push({ item: summary(a, '领导周报'), keys: built.map((m) => m.dedupeKey) });
        break;
      }
      default:
        break;
    }
  }
  return { messages, items };
}

/** "张三（安定区联络员）": one string per unit's contact list, shared by every step queued for that unit. */
const contactLabels = new WeakMap<Contact[], string>();
function contactsLabel(a: ReminderAction): string {
  let label = contactLabels.get(a.recipients);
  if (label === undefined) {
    label = a.recipients.map((c) => `${c.name ?? c.openId}（${a.assignment.unitName}联络员）`).join('、');
    contactLabels.set(a.recipients, label);
  }
  return label;
}

/** Lines in one office message before the rest is summarised (Feishu refuses over-long messages). */
const MAX_LINES = 60;
const MAX_CODES_PER_UNIT = 15;

/** The first MAX_LINES items as lines, then one saying how many more there are (only the lines shown are made). */
function capLines<T>(items: T[], line: (item: T) => string, more: (n: number) => string): string[] {
  const shown = items.slice(0, MAX_LINES).map(line);
  return items.length <= MAX_LINES ? shown : [...shown, more(items.length - MAX_LINES)];
}

async function buildGrouped(mine: PlannedAction[], office: OfficeTarget[], at: number, unitGroups: Map<number, string> = new Map()): Promise<Built> {
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
  return { messages, items };
}

/** The office's escalation text: units never reached (no contact bound) are said so, not "经多次提醒". */
function escalationText(list: EscalationAction[], lines: string[]): string {
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
      await commitSteps(deps, at, [marker], result, async () => ({ messages: [], items: [] }));
    }
    return;
  }
  const { db } = deps;
  const rows = await db
    .select({ assignmentId: reminderLog.assignmentId, dueDate: reminderLog.dueDate, code: tasks.code, unitId: units.id, unit: units.name })
    .from(reminderLog)
    .innerJoin(assignments, eq(assignments.id, reminderLog.assignmentId))
    .innerJoin(tasks, eq(tasks.id, assignments.taskId))
    .innerJoin(units, eq(units.id, assignments.unitId))
    .where(
      and(
        like(reminderLog.stepKey, 'no_contact:%'),
        gt(reminderLog.plannedAt, since),
        lte(reminderLog.plannedAt, at),
        inArray(assignments.state, ['not_started', 'in_progress']),
      ),
    );
  if (rows.length === 0) return;
  const byUnit = new Map<number, { unit: string; items: Map<number, string> }>();
  for (const r of rows) {
    let u = byUnit.get(r.unitId);
    if (!u) byUnit.set(r.unitId, (u = { unit: r.unit, items: new Map() }));
    u.items.set(r.assignmentId, `${r.code}${r.dueDate ? `（截止${formatDateZh(r.dueDate)}）` : ''}`);
  }
  const groups = [...byUnit.entries()].sort((x, y) => x[0] - y[0]).map(([, g]) => g);
  const lines = capLines(
    groups,
    (g) => {
      const codes = [...g.items.values()];
      const rest = codes.length > MAX_CODES_PER_UNIT ? ` 等 ${codes.length} 项` : '';
      return `• ${g.unit}：${codes.slice(0, MAX_CODES_PER_UNIT).join('、')}${rest}`;
    },
    (n) => `……另有 ${n} 个单位，发送「待办」或运行 npx duban people list 查看`,
  );
  const text =
    `【无法送达】今日汇总：以下单位尚未绑定联络员，提醒无法发出：\n${lines.join('\n')}\n` +
    '请联络员私聊机器人发送“绑定 单位名称”并由办公室批准；绑定后下一轮会补发提醒。';
  const action: PlannedAction = { kind: 'no_contact_summary', assignmentId: 0, stepKey: key, date };
  await commitSteps(deps, at, [action], result, async () => {
    const messages: OutboundMessage[] = [];
    const keys = officeMessages(messages, office, `notice:no_contact:${date}`, text, 'notice', null);
    return { messages, items: [{ item: summary(action, officeLabel(office)), keys }] };
  });
}

type LoadedInput = Parameters<typeof planReminders>[0] & { policyInvalid?: string };

const OPEN_SQL = `('not_started', 'in_progress')`;

/**
 * One bulk read of everything the planner needs, and no more. Rows come back as arrays straight from SQLite (no
 * per-row objects from the ORM): open assignments without joins (task and unit names come from small maps and are
 * shared, not copied per row), and only the reminder_log rows the planner can look at: those of each open
 * assignment's current due date, of the current period, and global steps.
 */
export async function loadPlanInput(deps: SchedulerDeps, at: number): Promise<LoadedInput> {
  const { db } = deps;
  const today = shanghaiDate(at);
  const [{ policy, invalid }, [asgRows, taskRows, dlRows], unitRows, contactRows, liveFrom] = await Promise.all([
    getPolicy(db),
    readRows(db, [
      {
        columns: 'id, task_id, unit_id, state, percent, extended_to, last_report_at',
        table: 'assignments',
        // `+state`: most assignments are open, so reading each id range whole beats a lookup through the state index.
        where: `+state in ${OPEN_SQL}`,
        chunkBits: 13,
      },
      // Titles are free text: 512 rows a chunk leaves ~4 KB per row under D1's 2 MB per value.
      { columns: 'id, code, title, plan_id', table: 'tasks', where: `state = 'active'`, chunkBits: 9 },
      { columns: 'task_id, kind, due_date, recurrence, label', table: 'deadlines', chunkBits: 9 },
    ]) as Promise<[Iterable<AsgRow>, Iterable<TaskRow>, Iterable<DeadlineRow>]>,
    db.select({ id: units.id, name: units.name }).from(units),
    db
      .select({ unitId: roles.unitId, personId: people.id, openId: people.openId, name: people.name })
      .from(roles)
      .innerJoin(people, eq(people.id, roles.personId))
      .where(and(eq(roles.role, 'contact'), isNotNull(people.openId))),
    planLiveMap(db),
  ]);
  if ([...liveFrom.values()].some((v) => v === null)) await backfillPlanLive(db, liveFrom, at);
  const byTask = new Map<number, DeadlineLike[]>();
  for (const [taskId, kind, dueDate, recurrence, label] of dlRows) {
    let list = byTask.get(taskId);
    if (!list) byTask.set(taskId, (list = []));
    list.push({ kind, dueDate, recurrence, label });
  }
  const unitName = new Map(unitRows.map((u) => [u.id, u.name]));
  const taskById = new Map<number, { code: string; title: string; planId: number }>();
  for (const [id, code, title, planId] of taskRows) taskById.set(id, { code, title, planId });
  const none: DeadlineLike[] = [];
  // The due dates the planner can reach today: the current deadline of each task, or an assignment's extension.
  const dueDates = new Set<string>();
  const dueOfTask = new Map<number, string | null>();
  const list: PlanAssignment[] = [];
  for (const [id, taskId, unitId, state, percent, extendedTo, lastReportAt] of asgRows) {
    const task = taskById.get(taskId);
    const name = unitName.get(unitId);
    if (!task || name === undefined) continue; // a suspended task (or a dangling unit) is not reminded
    const dl = byTask.get(taskId) ?? none;
    if (extendedTo) dueDates.add(extendedTo);
    else if (!dueOfTask.has(taskId)) {
      const due = currentDue(dl, null, today)?.date ?? null;
      dueOfTask.set(taskId, due);
      if (due) dueDates.add(due);
    }
    list.push({
      id, taskId, taskCode: task.code, taskTitle: task.title, unitId, unitName: name,
      // One shared string per state rather than one per row.
      state: state === 'in_progress' ? 'in_progress' : 'not_started',
      percent, extendedTo, lastReportAt, deadlines: dl, planId: task.planId,
    });
  }
  const periodKeys: string[] = [];
  if (policy.periodicEvery !== 'off') {
    const { key } = periodKey(today, policy.periodicEvery);
    periodKeys.push(`periodic:${key}`, `no_contact:periodic:${key}`);
  }
  // Steps of done assignments, of past deadlines and of past periods can never matter again, nor those of a
  // deadline whose ladder has not reached its first step yet (see ladderReached). The lists travel as one JSON
  // parameter each (D1 allows 100 bound parameters).
  const [logRows] = (await readRows(db, [
    {
      columns: 'assignment_id, step_key, planned_at, due_date, escalation_level',
      // A scan with a primary-key probe per candidate row: cheaper than SQLite's plan for `assignment_id in (…)`,
      // which looks up each open assignment's rows one by one.
      table: 'reminder_log',
      where: `assignment_id = 0
          or ((due_date in (select value from json_each(?)) or step_key in (select value from json_each(?)))
            and exists (select 1 from assignments a where a.id = assignment_id and a.state in ${OPEN_SQL}))`,
      params: [JSON.stringify([...dueDates].filter((d) => ladderReached(d, today, policy))), JSON.stringify(periodKeys)],
      chunkBits: 13,
    },
  ])) as [Iterable<LogRow>];
  const sentSteps = new Map<number, SentStep[]>();
  for (const [assignmentId, stepKey, plannedAt, dueDate, escalationLevel] of logRows) {
    const step: SentStep = { stepKey, plannedAt, dueDate, escalationLevel };
    const s = sentSteps.get(assignmentId);
    if (s) s.push(step);
    else sentSteps.set(assignmentId, [step]);
  }
  // Completion claims awaiting the office, and the re-check steps already planned for them.
  const claims: PendingClaim[] = [];
  if (policy.recheckClaimAfterWorkdays > 0) {
    const claimRows = await db
      .select({
        id: assignments.id, taskId: assignments.taskId, unitId: assignments.unitId, percent: assignments.percent,
        claimedAt: assignments.claimedAt, lastReportAt: assignments.lastReportAt,
      })
      .from(assignments)
      .where(and(eq(assignments.state, 'claimed'), isNotNull(assignments.claimedAt)));
    for (const c of claimRows) {
      const task = taskById.get(c.taskId);
      const name = unitName.get(c.unitId);
      if (!task || name === undefined) continue;
      claims.push({
        claimedAt: c.claimedAt!,
        assignment: {
          id: c.id, taskId: c.taskId, taskCode: task.code, taskTitle: task.title, unitId: c.unitId, unitName: name,
          state: 'claimed', percent: c.percent, extendedTo: null, lastReportAt: c.lastReportAt, deadlines: none, planId: task.planId,
        },
      });
    }
    if (claims.length) {
      const [recheckRows] = (await readRows(db, [
        {
          columns: 'assignment_id, step_key, planned_at, due_date, escalation_level',
          table: 'reminder_log',
          where: `step_key like 'recheck:%' and exists (select 1 from assignments a where a.id = assignment_id and a.state = 'claimed')`,
          chunkBits: 13,
        },
      ])) as [Iterable<LogRow>];
      for (const [assignmentId, stepKey, plannedAt, dueDate, escalationLevel] of recheckRows) {
        const step: SentStep = { stepKey, plannedAt, dueDate, escalationLevel };
        const s = sentSteps.get(assignmentId);
        if (s) s.push(step);
        else sentSteps.set(assignmentId, [step]);
      }
    }
  }
  const contactsByUnit = new Map<number, Contact[]>();
  for (const c of contactRows) {
    let s = contactsByUnit.get(c.unitId);
    if (!s) contactsByUnit.set(c.unitId, (s = []));
    if (!s.some((x) => x.personId === c.personId)) s.push({ personId: c.personId, openId: c.openId!, name: c.name });
  }
  return {
    now: at,
    policy,
    policyInvalid: invalid,
    workHours: { start: deps.config.WORK_DAY_START, end: deps.config.WORK_DAY_END },
    assignments: list,
    sentSteps,
    contactsByUnit,
    digest: !!deps.buildDigest,
    liveFrom,
    claims,
  };
}

type AsgRow = [number, number, number, string, number, string | null, number | null];
type TaskRow = [number, string, string, number];
type DeadlineRow = [number, string, string | null, string | null, string];
type LogRow = [number, string, number, string | null, number];

/** The office chat(s) if registered, else office members by direct message, else OFFICE_OPEN_IDS. */
export async function loadOfficeTargets(deps: SchedulerDeps): Promise<OfficeTarget[]> {
  const groups = await deps.db.select({ chatId: chats.chatId }).from(chats).where(eq(chats.purpose, 'office'));
  if (groups.length) return groups.map((g) => ({ receiveIdType: 'chat_id', receiveId: g.chatId, label: '督办办公室群' }));
  const members = await deps.db
    .select({ openId: people.openId, name: people.name })
    .from(roles)
    .innerJoin(people, eq(people.id, roles.personId))
    .where(and(eq(roles.role, 'office'), isNotNull(people.openId)));
  const seen = new Set<string>();
  const out: OfficeTarget[] = [];
  for (const m of members) {
    if (seen.has(m.openId!)) continue;
    seen.add(m.openId!);
    out.push({ receiveIdType: 'open_id', receiveId: m.openId!, label: `${m.name ?? m.openId}（办公室）` });
  }
  for (const id of deps.config.OFFICE_OPEN_IDS) {
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ receiveIdType: 'open_id', receiveId: id, label: `${id}（办公室）` });
  }
  return out;
}

function officeLabel(office: OfficeTarget[]): string {
  return office.length ? office.map((o) => o.label).join('、') : '（无办公室接收人）';
}

function officeMessages(
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
function groupHash(list: Array<{ assignmentId: number; stepKey: string }>): string {
  const keys = list.map((a) => `${a.assignmentId}|${a.stepKey}`).sort();
  return createHash('sha256').update(keys.join('\n')).digest('hex').slice(0, 16);
}

/** Units with a registered group (本群设为 <单位>群): their reminders go there instead of to each contact. */
export async function loadUnitGroups(deps: SchedulerDeps): Promise<Map<number, string>> {
  const rows = await deps.db.select({ chatId: chats.chatId, unitId: chats.unitId }).from(chats).where(eq(chats.purpose, 'unit'));
  const out = new Map<number, string>();
  for (const r of rows) if (r.unitId && !out.has(r.unitId)) out.set(r.unitId, r.chatId);
  return out;
}

const mentionsOf = (cs: Contact[]) => cs.map((c) => ({ openId: c.openId, name: c.name ?? null }));

/** A reminder's messages: one to the unit's group mentioning its contacts, or one per contact. */
function reminderMessages(a: ReminderAction, now: number, unitGroups: Map<number, string>): OutboundMessage[] {
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

function summary(a: PlannedAction, recipient: string): QueuedItem {
  return new QueuedStep(a, recipient);
}
