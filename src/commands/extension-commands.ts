// Extension requests (延期): a unit asks for a later due date (the command or the card form), the requester may
// take it back (撤回 <申请号>, which also withdraws a bind request of that number), the office approves (批准) or
// rejects (驳回). The rules are the lifecycle's (src/domain/assignment.ts); this module reads, writes and words them.
import {
  bindRequestById,
  extensionRequestById,
  insertExtensionRequest,
  pendingExtensionOf,
  personOpenId,
  settleExtensionRequest,
  updateAssignment,
  withdrawBindRequest,
} from '../db/assignment-store.js';
import { runBatch } from '../db/batch.js';
import { applyExtensionRequest, decideExtension, isRefusal, withdrawExtension } from '../domain/assignment.js';
import { formatDateZh } from '../domain/dates.js';
import { refusalZh } from './assignment-text.js';
import { clipNote, parseDate, parseRequestNo, splitFirst } from './parse.js';
import { commandAudit, label, noticeInserts, officeRecipients, pickAssignment, reportInsert, unitRecipients } from './record.js';
import type { CommandContext, CommandDef, ParseResult } from './registry.js';
import { unitFromRest } from './report-commands.js';
import { assignmentView, type AssignmentView } from '../db/task-store.js';
import { findTask } from './lookup.js';
import { type Result, err, ok } from '../domain/result.js';

const fail = (error: string) => ({ ok: false as const, error });

/** File an extension request; shared by the command and the card form. */
export async function requestExtension(
  ctx: CommandContext,
  view: AssignmentView,
  newDue: string,
  reasonRaw: string,
): Promise<Result<string>> {
  const { db } = ctx.deps;
  const current = view.assessment.due?.date ?? null;
  const pending = await pendingExtensionOf(db, view.asg.id);
  const out = applyExtensionRequest(view.asg, { today: ctx.today, currentDue: current, newDue, pendingRequestId: pending?.id ?? null }, ctx.actor);
  if (isRefusal(out))
    return err(refusalZh('extend', out, { view, today: ctx.today, newDue, currentDue: current, requestId: pending?.id }));
  const reason = clipNote(reasonRaw).note ?? '';
  const [row] = (await runBatch(db, [
    insertExtensionRequest(db, {
      assignmentId: view.asg.id,
      requestedBy: ctx.actor.personId,
      currentDue: current,
      newDueDate: newDue,
      reason,
      status: out.status,
      createdAt: ctx.now,
    }),
    reportInsert(ctx, view.asg.id, {
      kind: 'extension',
      note: `申请延期至 ${newDue}：${reason}`,
    }),
    commandAudit(ctx, {
      action: 'extension.request',
      entity: 'assignment',
      entityId: view.asg.id,
      detail: { task: view.task.code, unit: view.unit.name, currentDue: current, newDue, reason },
    }),
  ])) as Array<Array<{ id: number }>>;
  const reqId = row![0]!.id;
  const y = Number(ctx.today.slice(0, 4));
  const noticeText =
    `【延期申请 #${reqId}】${label(view)} ${view.task.title}\n` +
    `申请由 ${current ? formatDateZh(current, y) : '无固定期限'} 延至 ${formatDateZh(newDue, y)}，原因：${reason}\n` +
    `同意请发送「批准 ${reqId}」，不同意请发送「驳回 ${reqId} <原因>」。`;
  // The notice follows the request in its own statement: the request number is only known after the insert.
  await runBatch(db, noticeInserts(db, await officeRecipients(ctx), `notice:ext:${reqId}`, noticeText, ctx.now, {
    taskId: view.task.id,
    assignmentId: view.asg.id,
  }));
  return ok(`已提交延期申请 #${reqId}：${label(view)} 延至 ${formatDateZh(newDue, y)}。办公室审批后会通知你。`);
}

export const extend: CommandDef<{ code: string; unit: string | null; date: string; dateText: string; reason: string }> = {
  names: ['延期', 'extend'],
  usage: '延期 <编号> <日期> <原因>',
  summary: '申请延期，办公室批准后生效；「撤回 <申请号>」可撤回',
  example: '延期 4.1.1 7月31日 施工季节受限',
  roles: ['contact'],
  parse(arg, ctx) {
    const parts = arg.split(' ').filter(Boolean);
    if (parts.length < 2) return fail('缺少日期和原因。');
    const [code, ...after] = parts as [string, ...string[]];
    // Never moved to next year silently: a date written without a year is this year's, and a past one is refused.
    const asDate = (tok: string) => parseDate(tok, ctx.today, { rollForward: false });
    // A unit (the office, or a contact of several units) may stand before the date: 延期 4.1.1 安定区 2027-12-31 原因.
    // After the date it is recognised in run(), where the task's units are known.
    let unit: string | null = null;
    let d = asDate(after[0]!);
    if (!d.ok && after[1] !== undefined) {
      const second = asDate(after[1]);
      const dateLike = (tok: string) => /\d|[底末]/.test(tok);
      // A unit before the date: the next word is a date, or at least looks like one (its error is the one to show).
      if (second.ok || (!dateLike(after[0]!) && dateLike(after[1]))) {
        unit = after.shift()!;
        d = second;
      }
    } else if (!d.ok && !/\d/.test(after[0]!) && !/[底末]/.test(after[0]!)) return fail(`“${after[0]}”之后缺少日期。`);
    if (!d.ok) return fail(d.error);
    const [dateTok, ...reason] = after as [string, ...string[]];
    if (reason.length === 0) return fail('请写明延期原因。');
    return ok({ code, unit, date: d.value, dateText: dateTok, reason: reason.join(' ') });
  },
  async run(ctx, a) {
    const y = Number(ctx.today.slice(0, 4));
    if (a.date <= ctx.today) {
      const understood = formatDateZh(a.date);
      return {
        text:
          `“${a.dateText}”理解为 ${understood}（${a.date}），${a.date === ctx.today ? '就是今天' : '已经过去'}，不能延期到这一天（今天是 ${formatDateZh(ctx.today, y)}）。` +
          `请写一个今天以后的日期；如指明年，请写明年份，例如：延期 ${a.code} ${y + 1}-${a.date.slice(5)} ${a.reason}`,
      };
    }
    const t = await findTask(ctx.deps.db, a.code, ctx.actor);
    if (!t.ok) return { text: t.error };
    // 延期 4.1.1 2027-12-31 安定区 原因: the first word after the date names one of the task's units.
    let { unit, reason } = a;
    if (!unit) {
      const u = await unitFromRest(ctx, t.value.id, reason);
      if (u.unit && u.rest) {
        unit = u.unit;
        reason = u.rest;
      }
    }
    const v = await pickAssignment(ctx, t.value, unit);
    if (!v.ok) return { text: v.error };
    const r = await requestExtension(ctx, v.value, a.date, reason);
    return { text: r.ok ? r.value : r.error, assignmentId: v.value.asg.id, taskId: t.value.id };
  },
};

/** 撤回 <申请号>: the requester withdraws their own pending extension (or bind) request; the office is told. */
export const withdrawRequest: CommandDef<{ id: number }> = {
  names: ['撤回', 'withdraw'],
  usage: '撤回 <申请号>',
  summary: '撤回自己提交、尚未审批的延期或绑定申请',
  example: '撤回 3',
  roles: 'any',
  parse(arg) {
    const id = parseRequestNo(splitFirst(arg)[0]);
    return id ? ok({ id }) : fail('缺少或看不懂申请号（提交申请时回复里的 #数字）。');
  },
  async run(ctx, { id }) {
    const { db } = ctx.deps;
    const me = ctx.actor.personId;
    const ext = await extensionRequestById(db, id);
    const bind = await bindRequestById(db, id);
    const mineExt = ext && me !== null && ext.requestedBy === me ? ext : undefined;
    const mineBind = bind && me !== null && bind.personId === me ? bind : undefined;
    if (mineExt && (mineExt.status === 'pending' || !mineBind || mineBind.status !== 'pending')) {
      const out = withdrawExtension(mineExt, ctx.actor);
      if (isRefusal(out)) return { text: refusalZh('withdraw', out, { requestId: id, requestStatus: mineExt.status }) };
      const view = await assignmentView(db, mineExt.assignmentId, ctx.today);
      const what = view ? label(view) : `申请 #${id}`;
      await runBatch(db, [
        settleExtensionRequest(db, id, { status: out.status, decidedBy: me, decidedAt: ctx.now, decisionNote: '申请人撤回' }),
        reportInsert(ctx, mineExt.assignmentId, { kind: 'extension', note: `撤回延期申请 #${id}` }),
        commandAudit(ctx, { action: 'extension.withdraw', entity: 'extension_request', entityId: id, detail: { assignmentId: mineExt.assignmentId } }),
        ...noticeInserts(db, await officeRecipients(ctx), `notice:ext-withdrawn:${id}`, `【延期申请 #${id} 已撤回】${what} 的延期申请已由申请人撤回，无需审批。`, ctx.now, {
          assignmentId: mineExt.assignmentId,
        }),
      ]);
      return { text: `已撤回延期申请 #${id}（${what}），仍按原期限推进。` };
    }
    if (mineBind) {
      if (mineBind.status !== 'pending') return { text: `绑定申请 #${id} 已处理，不能再撤回。` };
      await runBatch(db, [
        withdrawBindRequest(db, id, me, ctx.now),
        commandAudit(ctx, { action: 'bind.withdraw', entity: 'bind_request', entityId: id }),
        ...noticeInserts(db, await officeRecipients(ctx), `notice:bind-withdrawn:${id}`, `【绑定申请 #${id} 已撤回】申请人已撤回，无需处理。`, ctx.now),
      ]);
      return { text: `已撤回绑定申请 #${id}。` };
    }
    if (ext || bind) return { text: refusalZh('withdraw', { refused: 'not_requester' }, { requestId: id }) };
    return { text: `没有编号为 #${id} 的申请。发送「待办」（办公室）或查看提交申请时的回复核对申请号。` };
  },
};

async function decideRequest(ctx: CommandContext, id: number, approve: boolean, note: string) {
  const { db } = ctx.deps;
  const req = await extensionRequestById(db, id);
  if (!req) return { text: `没有编号为 #${id} 的延期申请。` };
  const out = decideExtension(req, approve, ctx.actor);
  if (isRefusal(out)) return { text: refusalZh('decide', out, { requestId: id, requestStatus: req.status, command: approve ? '批准' : '驳回' }) };
  const view = await assignmentView(db, req.assignmentId, ctx.today);
  if (!view) return { text: `延期申请 #${id} 对应的任务已不存在。` };
  const y = Number(ctx.today.slice(0, 4));
  const requester = req.requestedBy ? await personOpenId(db, req.requestedBy) : null;
  const tellText = approve
    ? `你的延期申请 #${id} 已批准：${label(view)} 截止日期调整为 ${formatDateZh(req.newDueDate, y)}。`
    : `你的延期申请 #${id} 未获批准：${label(view)}，原因：${note}。请按原期限推进。`;
  const queries: unknown[] = [
    settleExtensionRequest(db, id, { status: out.status, decidedBy: ctx.actor.personId, decidedAt: ctx.now, decisionNote: note || null }),
    reportInsert(ctx, view.asg.id, {
      kind: 'extension',
      note: approve ? `批准延期至 ${req.newDueDate}（申请 #${id}）` : `驳回延期申请 #${id}：${note}`,
    }),
    commandAudit(ctx, {
      action: approve ? 'extension.approve' : 'extension.reject',
      entity: 'extension_request',
      entityId: id,
      detail: { assignmentId: view.asg.id, task: view.task.code, unit: view.unit.name, newDue: req.newDueDate, note },
    }),
  ];
  if (out.extendedTo) queries.push(updateAssignment(db, view.asg.id, { extendedTo: out.extendedTo, updatedAt: ctx.now }));
  const recipients = requester
    ? [{ receiveIdType: 'open_id' as const, receiveId: requester }]
    : await unitRecipients(db, view.unit.id);
  queries.push(...noticeInserts(db, recipients, `notice:ext-decision:${id}`, tellText, ctx.now, { taskId: view.task.id, assignmentId: view.asg.id }));
  await runBatch(db, queries);
  return {
    text: approve
      ? `已批准延期申请 #${id}：${label(view)} 截止日期改为 ${formatDateZh(req.newDueDate, y)}，已通知申请人。`
      : `已驳回延期申请 #${id}（${label(view)}），已通知申请人。`,
  };
}

export const approveExt: CommandDef<{ id: number }> = {
  names: ['批准', 'approve'],
  usage: '批准 <申请号>',
  summary: '批准延期申请',
  example: '批准 3',
  roles: ['office'],
  parse(arg) {
    const id = parseRequestNo(splitFirst(arg)[0]);
    return id ? ok({ id }) : fail('缺少或看不懂申请号（延期申请通知里的 #数字）。');
  },
  run: (ctx, { id }) => decideRequest(ctx, id, true, ''),
};

export const rejectExt: CommandDef<{ id: number; reason: string }> = {
  names: ['驳回', 'reject'],
  usage: '驳回 <申请号> <原因>',
  summary: '驳回延期申请，并告知原因',
  example: '驳回 3 省级考核节点不能推迟',
  roles: ['office'],
  parse(arg) {
    const [no, reason] = splitFirst(arg);
    const id = parseRequestNo(no);
    if (!id) return fail('缺少或看不懂申请号（延期申请通知里的 #数字）。');
    if (!reason) return fail('请写明驳回原因。');
    return ok({ id, reason });
  },
  run: (ctx, { id, reason }) => decideRequest(ctx, id, false, reason),
};
