// Writes that change an assignment: each is the change + a progress_reports row + an audit row (+ notices) in
// one runBatch, so a failed command writes nothing and a successful one is never half-recorded.
import type { Db } from '../db/client.js';
import { auditInsert, actorOf } from '../db/audit.js';
import { insertProgressReport, updateAssignment, type AssignmentPatch } from '../db/assignment-store.js';
import { runBatch } from '../db/batch.js';
import { officeChatIds, unitChatIds } from '../db/chat-store.js';
import { outboxInsert } from '../db/outbox-store.js';
import { applyReport, isRefusal, type ReportKind } from '../domain/assignment.js';
import { assessAssignment } from '../domain/status.js';
import type { OutboundMessage } from '../domain/types.js';
import { dueLine, label, notYourUnitsText, refusalZh, unitRefusal } from './assignment-text.js';
import { clipNote, MAX_NOTE_CHARS } from './parse.js';
import type { CommandContext } from './registry.js';
import { officeOpenIds, unitContactOpenIds } from '../db/people-store.js';
import { taskAssignments, type AssignmentView, type TaskRow } from '../db/task-store.js';
import { type Found, findUnit } from './lookup.js';
import { err, ok, type Result } from '../domain/result.js';

export { dueLine, label } from './assignment-text.js';
export type { ReportKind } from '../domain/assignment.js';

export interface ReportInput {
  kind: ReportKind;
  percent?: number | null;
  note?: string | null;
  evidenceUrl?: string | null;
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
  const mine = pool.filter((v) => !unitRefusal(ctx.actor, v));
  if (mine.length === 0) return { ok: false, error: notYourUnitsText(task, pool) };
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
  const groups = await officeChatIds(db);
  if (groups.length) return groups.map((chatId) => ({ receiveIdType: 'chat_id' as const, receiveId: chatId }));
  const ids = new Set([...ctx.deps.config.OFFICE_OPEN_IDS, ...(await officeOpenIds(db))]);
  return [...ids].map((id) => ({ receiveIdType: 'open_id' as const, receiveId: id }));
}

/** A notice's recipient; `mention`: the unit group's contacts, @mentioned before the text (see `mentionOpenIds`). */
export type NoticeRecipient = Pick<OutboundMessage, 'receiveIdType' | 'receiveId'> & { mention?: string[] };

/** Where notices for a unit go: its registered group chat (mentioning its contacts), else its contacts by open_id. */
export async function unitRecipients(db: Db, unitId: number): Promise<NoticeRecipient[]> {
  const unitGroups = await unitChatIds(db, unitId);
  if (unitGroups.length) {
    const mention = await unitContactOpenIds(db, unitId);
    return unitGroups.map((chatId) => ({ receiveIdType: 'chat_id' as const, receiveId: chatId, ...(mention.length ? { mention } : {}) }));
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
  return insertProgressReport(ctx.deps.db, {
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

/** Source key for notices: the message being answered, else the instant. */
export function sourceKey(ctx: CommandContext): string {
  return ctx.msg?.messageId ?? `t${ctx.now}`;
}

/** Record a progress report, completion claim, no-change or note on one assignment. */
export async function recordReport(
  ctx: CommandContext,
  view: AssignmentView,
  input: ReportInput,
): Promise<Result<{ text: string; view: AssignmentView }>> {
  const { db } = ctx.deps;
  const { asg } = view;
  const out = applyReport(asg, input, ctx.actor);
  if (isRefusal(out)) return err(refusalZh('report', out, { view }));
  const clipped = clipNote(input.note ?? '');
  const now = ctx.now;
  const { percent } = out;
  const patch: AssignmentPatch = { lastReportAt: now, updatedAt: now };
  if (out.stateChanged) patch.state = out.state;
  if (out.claimed) patch.claimedAt = now;
  patch.percent = percent;
  const queries: unknown[] = [
    updateAssignment(db, asg.id, patch),
    insertProgressReport(db, {
      assignmentId: asg.id,
      personId: ctx.actor.personId,
      kind: input.kind,
      percent: out.reportPercent,
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
        to: { state: out.state, percent },
        note: clipped.note,
        evidenceUrl: input.evidenceUrl ?? null,
        messageId: ctx.msg?.messageId ?? null,
      },
    }),
  ];
  if (out.notifyOffice) {
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
  return ok({ text: text + cut, view: after });
}
