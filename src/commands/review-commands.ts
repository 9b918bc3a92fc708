// The office's side of the lifecycle: 退回 (send a completion claim back, optionally asking for evidence), 销号
// (close after checking; refused without evidence while 佐证要求 is on) and 待办 (what waits for the office:
// extension and bind requests, claims to check). The rules are src/domain/assignment.ts'; this module reads,
// writes and words them.
import { officePendingWork, reportHistory, updateAssignment, type AssignmentPatch } from '../db/assignment-store.js';
import { runBatch } from '../db/batch.js';
import { applyClose, applyReturn, isRefusal, type CloseEvidence } from '../domain/assignment.js';
import { workdaysBetween } from '../domain/calendar.js';
import { formatDateZh, shanghaiDate } from '../domain/dates.js';
import { asksForEvidence } from '../domain/evidence.js';
import { countAttached, getEvidencePolicy } from '../db/evidence-store.js';
import { refusalZh } from './assignment-text.js';
import { clipNote, splitFirst } from './parse.js';
import { commandAudit, label, noticeInserts, pickAssignment, reportInsert, sourceKey, unitRecipients } from './record.js';
import type { CommandContext, CommandDef, ParseResult } from './registry.js';
import { taskAssignments, type AssignmentView } from '../db/task-store.js';
import { findTask } from './lookup.js';
import { ok } from '../domain/result.js';

const fail = (error: string) => ({ ok: false as const, error });

/** "<编号> [单位] <原因>" where the unit is recognised by trying it. */
async function resolveOfficeTarget(ctx: CommandContext, code: string, rest: string, preferState: string) {
  const t = await findTask(ctx.deps.db, code, ctx.actor);
  if (!t.ok) return { ok: false as const, error: t.error };
  const [maybeUnit, after] = splitFirst(rest);
  if (maybeUnit) {
    const views = await taskAssignments(ctx.deps.db, t.value.id, ctx.today);
    const u = views.find((v) => v.unit.name === maybeUnit || v.unit.aliases.includes(maybeUnit));
    if (u) return { ok: true as const, view: u, rest: after };
  }
  const v = await pickAssignment(ctx, t.value, null, { preferState });
  return v.ok ? { ok: true as const, view: v.value, rest } : { ok: false as const, error: v.error };
}

async function officeTransition(ctx: CommandContext, view: AssignmentView, kind: 'return' | 'close', reason: string) {
  const { db } = ctx.deps;
  const from = view.asg.state;
  const out =
    kind === 'return'
      ? applyReturn(view.asg, { newestFirst: await reportHistory(db, view.asg.id) }, ctx.actor)
      : applyClose(view.asg, await closeEvidence(db, view.asg.id), ctx.actor);
  if (isRefusal(out)) return { text: refusalZh(kind, out, { view, command: kind === 'return' ? '退回' : '销号' }) };
  const note = clipNote(reason.replace(/\s*--要佐证\s*/g, ' ').trim() || '请补充佐证材料').note;
  // 退回 goes back to the percent the unit had reported before its completion claim (the claim set 100%).
  const restored = out.percent;
  const patch: AssignmentPatch =
    out.state === 'in_progress'
      ? { state: out.state, claimedAt: null, percent: restored, updatedAt: ctx.now }
      : { state: out.state, closedAt: ctx.now, percent: out.percent, updatedAt: ctx.now };
  // 退回 can ask for evidence (`--要佐证`, or words such as 请附/佐证/照片): the notice then says how to send it, and a
  // reply to the notice with photos or files attaches them to this assignment (./evidence-intake.ts).
  const wantsEvidence = kind === 'return' && asksForEvidence(reason);
  const tell =
    kind === 'return'
      ? `【退回】${label(view)} ${view.task.title} 的完成申报被办公室退回，原因：${note}\n` +
        (wantsEvidence ? `请补充佐证材料：直接回复本消息发送照片或文件（可多张），或在图片说明开头写「${view.task.code}」。\n` : '') +
        `请整改后再发送「完成 ${view.task.code}」。`
      : `【销号】${label(view)} ${view.task.title} 已由办公室核验销号。`;
  await runBatch(db, [
    updateAssignment(db, view.asg.id, patch),
    reportInsert(ctx, view.asg.id, { kind, percent: kind === 'close' ? 100 : restored, note }),
    commandAudit(ctx, {
      action: `assignment.${kind}`,
      entity: 'assignment',
      entityId: view.asg.id,
      detail: { task: view.task.code, unit: view.unit.name, from, to: patch.state, note, ...(kind === 'return' ? { percent: restored } : {}) },
    }),
    ...noticeInserts(db, await unitRecipients(db, view.unit.id), `notice:${kind}:${view.asg.id}:${sourceKey(ctx)}`, tell, ctx.now, {
      taskId: view.task.id,
      assignmentId: view.asg.id,
    }),
  ]);
  return {
    text: kind === 'return' ? `已退回 ${label(view)}，进度恢复为申报完成前的 ${restored}%，已通知该单位。` : `已销号 ${label(view)}。`,
  };
}

/** What 销号 needs to know of the evidence policy: whether evidence is required, and how much is attached. */
async function closeEvidence(db: CommandContext['deps']['db'], assignmentId: number): Promise<CloseEvidence> {
  const { requireForClose } = await getEvidencePolicy(db);
  return { requireForClose, attached: requireForClose ? await countAttached(db, assignmentId) : 0 };
}

export const returnCmd: CommandDef<{ code: string; rest: string }> = {
  names: ['退回', 'return'],
  usage: '退回 <编号> [单位] <原因> [--要佐证]',
  summary: '退回完成申报，要求整改；原因含“请附/佐证/照片”或加 --要佐证 时，通知单位回复照片或文件作为佐证',
  example: '退回 4.1.1 市生态环境局 缺少整治方案文件',
  roles: ['office'],
  parse(arg) {
    const [code, rest] = splitFirst(arg);
    if (!code) return fail('缺少任务编号。');
    if (!rest) return fail('请写明退回原因。');
    return ok({ code, rest });
  },
  async run(ctx, a) {
    const r = await resolveOfficeTarget(ctx, a.code, a.rest, 'claimed');
    if (!r.ok) return { text: r.error };
    if (!r.rest) return { text: `请写明退回原因。用法：${returnCmd.usage}` };
    return officeTransition(ctx, r.view, 'return', r.rest);
  },
};

export const closeCmd: CommandDef<{ code: string; rest: string }> = {
  names: ['销号', 'close'],
  usage: '销号 <编号> [单位] [说明]',
  summary: '核验后销号，任务结束',
  example: '销号 4.1.1 市生态环境局',
  roles: ['office'],
  parse(arg) {
    const [code, rest] = splitFirst(arg);
    return code ? ok({ code, rest }) : fail('缺少任务编号。');
  },
  async run(ctx, a) {
    const r = await resolveOfficeTarget(ctx, a.code, a.rest, 'claimed');
    if (!r.ok) return { text: r.error };
    // Office policy (`佐证要求 开`): no 销号 without evidence from the unit (the lifecycle refuses it).
    return officeTransition(ctx, r.view, 'close', r.rest);
  },
};

export const pendingCmd: CommandDef<null> = {
  names: ['待办', 'pending'],
  usage: '待办',
  summary: '办公室待处理事项：延期申请、绑定申请、待核验的完成申报',
  roles: ['office'],
  parse: () => ok(null),
  async run(ctx) {
    const { db } = ctx.deps;
    const { ext, binds, claims } = await officePendingWork(db);
    // Longest waiting first, with how many working days each has waited.
    claims.sort((a, b) => (a.claimedAt ?? 0) - (b.claimedAt ?? 0));
    if (!ext.length && !binds.length && !claims.length) return { text: '没有待处理事项。' };
    const y = Number(ctx.today.slice(0, 4));
    const out: string[] = [];
    if (ext.length)
      out.push(
        `延期申请 ${ext.length} 件（批准/驳回 <申请号>）：`,
        ...ext.slice(0, 20).map((e) => `  #${e.r.id} ${e.code}（${e.unit}）延至 ${formatDateZh(e.r.newDueDate, y)}：${e.r.reason.slice(0, 40)}`),
      );
    if (binds.length)
      out.push(
        `绑定申请 ${binds.length} 件（同意/拒绝 <申请号>）：`,
        ...binds.slice(0, 20).map((b) => `  #${b.r.id} ${b.who ?? '（未留姓名）'} → ${b.unit}`),
      );
    if (claims.length)
      out.push(
        `待核验完成申报 ${claims.length} 项（销号/退回 <编号> <单位>）：`,
        ...claims.slice(0, 30).map((c) => {
          const waited = c.claimedAt ? workdaysBetween(shanghaiDate(c.claimedAt), ctx.today) : null;
          return `  ${c.code}（${c.unit}）${c.title.slice(0, 20)}${waited ? `（已等待 ${waited} 个工作日）` : ''}`;
        }),
        ...(claims.length > 30 ? [`  …另有 ${claims.length - 30} 项，运行 npx duban export 导出台账查看全部`] : []),
      );
    return { text: out.join('\n') };
  },
};
