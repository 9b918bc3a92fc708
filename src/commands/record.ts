// Writes that change an assignment: each is the change + a progress_reports row + an audit row (+ notices) in
// one runBatch, so a failed command writes nothing and a successful one is never half-recorded.
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { auditInsert, actorOf } from '../db/audit.js';
import { runBatch } from '../db/batch.js';
import { outboxInsert } from '../db/outbox-store.js';
import { assignments, chats, progressReports } from '../db/schema.js';
import { formatDateZh } from '../domain/dates.js';
import { mayUpdateUnit } from '../domain/permissions.js';
import { assessAssignment, LIGHT_EMOJI, type Assessment } from '../domain/status.js';
import type { OutboundMessage } from '../domain/types.js';
import { assignmentLabel } from '../domain/assignment-view.js';
import { clipNote, MAX_NOTE_CHARS } from './parse.js';
import type { CommandContext } from './registry.js';
import { officeOpenIds, unitContactOpenIds } from '../db/people-store.js';
import { taskAssignments, type AssignmentView, type TaskRow } from '../db/task-store.js';
import { type Found, findUnit } from './lookup.js';

export type ReportKind = 'progress' | 'done_claim' | 'no_change' | 'note';

export interface ReportInput {
  kind: ReportKind;
  percent?: number | null;
  note?: string | null;
  evidenceUrl?: string | null;
}

/** How replies name one assignment (the domain's rule, also used outside commands/). */
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

/**
 * Pick the assignment of `task` the actor means: for a contact, their own unit's (refusing other units'); for the
 * office, the one named by `unitHint`, the only one, or (for return/close) the only claimed one.
 */
export async function pickAssignment(
  ctx: CommandContext,
  task: TaskRow,
  unitHint: string | null,
  opts: { preferState?: string } = {},
): Promise<Found<AssignmentView>> {
  const all = await taskAssignments(ctx.deps.db, task.id, ctx.today);
  if (all.length === 0) return { ok: false, error: `任务 ${task.code} 还没有责任单位。` };
  let pool = all;
  if (unitHint) {
    const u = await findUnit(ctx.deps.db, unitHint);
    if (!u.ok) return u;
    pool = all.filter((v) => v.unit.id === u.value.id);
    if (pool.length === 0)
      return {
        ok: false,
        error: `${u.value.name} 不是任务 ${task.code} 的责任单位。责任单位：${all.map((v) => v.unit.name).join('、')}。`,
      };
  }
  const mine = pool.filter((v) => mayUpdateUnit(ctx.actor, v.unit.id));
  if (mine.length === 0)
    return {
      ok: false,
      error: `任务 ${task.code} 的责任单位是 ${pool.map((v) => v.unit.name).join('、')}，不是你绑定的单位；你只能报送本单位的任务。发送「我的任务」查看。`,
    };
  if (mine.length === 1) return { ok: true, value: mine[0]! };
  if (opts.preferState) {
    const inState = mine.filter((v) => v.asg.state === opts.preferState);
    if (inState.length === 1) return { ok: true, value: inState[0]! };
  }
  return {
    ok: false,
    error: `任务 ${task.code} 有多个责任单位（${mine.map((v) => v.unit.name).join('、')}），请在编号后写明单位，例如：${task.code} ${mine[0]!.unit.name}`,
  };
}

/** Where notices for the office go: registered office group chats, else every office member by open_id. */
export async function officeRecipients(ctx: CommandContext): Promise<Array<Pick<OutboundMessage, 'receiveIdType' | 'receiveId'>>> {
  const db = ctx.deps.db;
  const groups = await db.select().from(chats).where(eq(chats.purpose, 'office'));
  if (groups.length) return groups.map((g) => ({ receiveIdType: 'chat_id' as const, receiveId: g.chatId }));
  const ids = new Set([...ctx.deps.config.OFFICE_OPEN_IDS, ...(await officeOpenIds(db))]);
  return [...ids].map((id) => ({ receiveIdType: 'open_id' as const, receiveId: id }));
}

/** A notice's recipient; `mention`: the unit group's contacts, @mentioned before the text (see `mentionOpenIds`). */
export type NoticeRecipient = Pick<OutboundMessage, 'receiveIdType' | 'receiveId'> & { mention?: string[] };

/** Where notices for a unit go: its registered group chat (mentioning its contacts), else its contacts by open_id. */
export async function unitRecipients(db: Db, unitId: number): Promise<NoticeRecipient[]> {
  const groups = await db.select().from(chats).where(eq(chats.unitId, unitId));
  const unitGroups = groups.filter((g) => g.purpose === 'unit');
  if (unitGroups.length) {
    const mention = await unitContactOpenIds(db, unitId);
    return unitGroups.map((g) => ({ receiveIdType: 'chat_id' as const, receiveId: g.chatId, ...(mention.length ? { mention } : {}) }));
  }
  return (await unitContactOpenIds(db, unitId)).map((id) => ({ receiveIdType: 'open_id' as const, receiveId: id }));
}

/** Text notices to several recipients, as outbox inserts for the same batch. */
export function noticeInserts(
  db: Db,
  recipients: NoticeRecipient[],
  keyBase: string,
  text: string,
  now: number,
  extra: Partial<OutboundMessage> = {},
) {
  return recipients.map((r) =>
    outboxInsert(
      db,
      {
        dedupeKey: `${keyBase}:${r.receiveId}`,
        op: 'send',
        receiveIdType: r.receiveIdType,
        receiveId: r.receiveId,
        msgType: 'text',
        content: { text },
        ...(r.mention ? { mentionOpenIds: r.mention } : {}),
        purpose: 'notice',
        ...extra,
      },
      now,
    ),
  );
}

/** Source key for notices: the message being answered, else the instant. */
/** The audit entry of a command: who ran it, when and through which channel, plus what it changed. */
export function commandAudit(
  ctx: CommandContext,
  e: { action: string; entity: string; entityId?: string | number | null; detail?: Record<string, unknown> },
) {
  return auditInsert(ctx.deps.db, {
    at: ctx.now,
    actor: actorOf(ctx.actor.personId),
    personId: ctx.actor.personId,
    channel: ctx.channel,
    ...e,
  });
}

/** The progress_reports row of a command on one assignment (who, when, channel and source message filled in). */
export function reportInsert(
  ctx: CommandContext,
  assignmentId: number,
  r: { kind: string; percent?: number | null; note?: string | null; evidenceUrl?: string | null },
) {
  return ctx.deps.db.insert(progressReports).values({
    assignmentId,
    personId: ctx.actor.personId,
    kind: r.kind,
    percent: r.percent ?? null,
    note: r.note ?? null,
    evidenceUrl: r.evidenceUrl ?? null,
    channel: ctx.channel,
    sourceMessageId: ctx.msg?.messageId ?? null,
    createdAt: ctx.now,
  });
}

export function sourceKey(ctx: CommandContext): string {
  return ctx.msg?.messageId ?? `t${ctx.now}`;
}

/** Record a progress report, completion claim, no-change or note on one assignment. */
export async function recordReport(
  ctx: CommandContext,
  view: AssignmentView,
  input: ReportInput,
): Promise<{ ok: true; text: string; view: AssignmentView } | { ok: false; error: string }> {
  const { db } = ctx.deps;
  const { asg } = view;
  if (!mayUpdateUnit(ctx.actor, view.unit.id))
    return { ok: false, error: `${label(view)} 不是你绑定单位的任务，你只能报送本单位的任务。` };
  if (asg.state === 'closed') return { ok: false, error: `${label(view)} 已销号，无需再报送。如有疑问请联系办公室。` };
  if (asg.state === 'claimed' && input.kind !== 'note')
    return {
      ok: false,
      error: `${label(view)} 已申报完成，正在等待办公室核验；如需修改请联系办公室（办公室可「退回」）。`,
    };
  const clipped = clipNote(input.note ?? '');
  const now = ctx.now;
  const patch: Partial<typeof assignments.$inferInsert> = { lastReportAt: now, updatedAt: now };
  let percent = asg.percent;
  if (input.kind === 'progress' && input.percent != null) percent = input.percent;
  if (input.kind === 'done_claim') {
    percent = 100;
    patch.state = 'claimed';
    patch.claimedAt = now;
  } else if (input.kind !== 'no_change' && asg.state === 'not_started') {
    patch.state = 'in_progress';
  }
  patch.percent = percent;
  const queries: unknown[] = [
    db.update(assignments).set(patch).where(eq(assignments.id, asg.id)),
    db.insert(progressReports).values({
      assignmentId: asg.id,
      personId: ctx.actor.personId,
      kind: input.kind,
      percent: input.kind === 'no_change' ? asg.percent : input.kind === 'note' ? null : percent,
      note: clipped.note,
      evidenceUrl: input.evidenceUrl ?? null,
      channel: ctx.channel,
      sourceMessageId: ctx.msg?.messageId ?? null,
      createdAt: now,
    }),
    auditInsert(db, {
      at: now,
      actor: actorOf(ctx.actor.personId),
      personId: ctx.actor.personId,
      channel: ctx.channel,
      action: `assignment.${input.kind}`,
      entity: 'assignment',
      entityId: asg.id,
      detail: {
        task: view.task.code,
        unit: view.unit.name,
        from: { state: asg.state, percent: asg.percent },
        to: { state: patch.state ?? asg.state, percent },
        note: clipped.note,
        evidenceUrl: input.evidenceUrl ?? null,
        messageId: ctx.msg?.messageId ?? null,
      },
    }),
  ];
  if (input.kind === 'done_claim') {
    const text =
      `【待核验】${label(view)} ${view.task.title} 申报完成` +
      (clipped.note ? `：${clipped.note}` : '。') +
      `\n核验后发送「销号 ${view.task.code} ${view.unit.name}」，或「退回 ${view.task.code} ${view.unit.name} <原因>」。`;
    queries.push(
      ...noticeInserts(db, await officeRecipients(ctx), `notice:claim:${asg.id}:${sourceKey(ctx)}`, text, now, {
        taskId: view.task.id,
        assignmentId: asg.id,
      }),
    );
  }
  await runBatch(db, queries);
  const after: AssignmentView = {
    ...view,
    asg: { ...asg, ...patch, percent } as AssignmentView['asg'],
  };
  after.assessment = assessAssignment(after.asg, view.deadlines, ctx.today);
  const cut = clipped.cut ? `（说明超过 ${MAX_NOTE_CHARS} 字，已保留前 ${MAX_NOTE_CHARS} 字）` : '';
  let text: string;
  switch (input.kind) {
    case 'progress':
      text = `已记录 ${label(view)}进度 ${percent}%。${dueLine(after.assessment, ctx.today)}`;
      if (percent === 100) text += `\n如已全部完成，请发送「完成 ${view.task.code}」申报完成。`;
      break;
    case 'done_claim':
      text = `已记录 ${label(view)}申报完成，等待办公室核验销号。`;
      break;
    case 'no_change':
      text = `已记录 ${label(view)}本期无变化，进度仍为 ${percent}%。${dueLine(after.assessment, ctx.today)}`;
      break;
    case 'note':
      text = `已记录 ${label(view)}进展说明，进度仍为 ${percent}%。如需更新进度，回复“60%”这样的百分比。`;
      break;
  }
  return { ok: true, text: text + cut, view: after };
}
