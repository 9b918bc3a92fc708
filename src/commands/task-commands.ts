// Commands on tasks and assignments: 我的任务, 任务, 进度, 完成, 无变化, 延期, 批准, 驳回, 退回, 销号, 指标.
import { and, eq } from 'drizzle-orm';
import { runBatch } from '../db/batch.js';
import {
  assignments,
  bindRequests,
  extensionRequests,
  metricReports,
  people,
  targets,
  tasks,
  units,
} from '../db/schema.js';
import { formatDateZh } from '../domain/dates.js';
import { isOffice } from '../domain/permissions.js';
import { LIGHT_EMOJI } from '../domain/status.js';
import { assignmentLine, renderTaskCard } from '../cards/task-card.js';
import { clipNote, looksLikePercent, parseDate, parsePercent, parseRequestNo, splitFirst } from './parse.js';
import type { CommandContext, CommandDef, ParseResult } from './registry.js';
import {
  commandAudit,
  label,
  noticeInserts,
  officeRecipients,
  pickAssignment,
  recordReport,
  reportInsert,
  sourceKey,
  unitRecipients,
} from './record.js';
import {
  assignmentView,
  findTask,
  recentReports,
  taskAssignments,
  taskTargets,
  unitAssignments,
  type AssignmentView,
} from './store.js';
import { asksForEvidence } from '../domain/evidence.js';
import { evidenceGroupsFor } from '../evidence/card.js';
import { countAttached, getEvidencePolicy } from '../evidence/store.js';

const fail = (error: string) => ({ ok: false as const, error });
const ok = <A>(args: A): ParseResult<A> => ({ ok: true, args });

/** Split "<编号> [单位] rest": the unit is there when the token after the code is not what `isValue` expects. */
function codeUnitRest(argText: string, isValue: (tok: string) => boolean): { code: string; unit: string | null; rest: string } | null {
  const [code, after] = splitFirst(argText);
  if (!code) return null;
  const [maybeUnit, rest2] = splitFirst(after);
  if (maybeUnit && !isValue(maybeUnit) && rest2 && isValue(splitFirst(rest2)[0])) return { code, unit: maybeUnit, rest: rest2 };
  return { code, unit: null, rest: after };
}

/** A percent token possibly glued to its note ("60%已完成排查"). */
function splitPercent(rest: string): { pct: string; note: string } {
  const [tok, note] = splitFirst(rest);
  const glued = /^(-?\d+(?:\.\d+)?%)(.+)$/.exec(tok);
  if (glued) return { pct: glued[1]!, note: `${glued[2]} ${note}`.trim() };
  return { pct: tok, note };
}

async function taskCardFor(ctx: CommandContext, views: AssignmentView[], focusAsgId?: number, banner?: string) {
  const db = ctx.deps.db;
  const hist = await recentReports(db, views.map((v) => v.asg.id), 6);
  const byAsg = new Map(views.map((v) => [v.asg.id, v.unit.name]));
  const tg = await taskTargets(db, views[0]!.task.id);
  return renderTaskCard({
    views,
    history: hist.map((h) => ({ ...h, unitName: byAsg.get(h.assignmentId) })),
    targets: tg,
    today: ctx.today,
    focusAsgId,
    banner,
    evidence: await evidenceGroupsFor(ctx, views),
  });
}

/** The card for one assignment (used by 任务 for contacts and by card actions). */
export async function assignmentCard(ctx: CommandContext, asgId: number, banner?: string) {
  const v = await assignmentView(ctx.deps.db, asgId, ctx.today);
  if (!v) return undefined;
  const views = await taskAssignments(ctx.deps.db, v.task.id, ctx.today);
  return taskCardFor(ctx, views, asgId, banner);
}

const mine: CommandDef<{ all: boolean }> = {
  names: ['我的任务', 'mine', '我的'],
  usage: '我的任务 [全部]',
  summary: '本单位未完成的任务，最近截止的在前，带红黄绿灯',
  roles: ['contact'],
  parse: (arg) => ok({ all: /全部|all/i.test(arg) }),
  async run(ctx, { all }) {
    if (ctx.actor.unitIds.length === 0)
      return { text: isOffice(ctx.actor) ? '你是办公室成员，没有绑定单位。发送「逾期」「临期」「统计」查看全局情况。' : '你还没有绑定单位。' };
    const views = (await unitAssignments(ctx.deps.db, ctx.actor.unitIds, ctx.today)).filter((v) => all || v.assessment.open);
    if (views.length === 0) return { text: '本单位目前没有未完成的任务。👍' };
    const rank = { red: 0, yellow: 1, green: 2 } as const;
    views.sort(
      (a, b) =>
        rank[a.assessment.light] - rank[b.assessment.light] ||
        (a.assessment.due?.date ?? '9999').localeCompare(b.assessment.due?.date ?? '9999') ||
        a.task.code.localeCompare(b.task.code, undefined, { numeric: true }),
    );
    const counts = { red: 0, yellow: 0, green: 0 };
    for (const v of views) counts[v.assessment.light]++;
    const shown = views.slice(0, 20);
    const lines = shown.map((v) => `${v.task.code} ${v.task.title.slice(0, 24)}\n   ${assignmentLine(v, ctx.today)}`);
    const more = views.length > shown.length ? `\n……还有 ${views.length - shown.length} 项` : '';
    return {
      text:
        `本单位${all ? '全部' : '未完成'}任务 ${views.length} 项：${LIGHT_EMOJI.red}${counts.red} ${LIGHT_EMOJI.yellow}${counts.yellow} ${LIGHT_EMOJI.green}${counts.green}\n` +
        lines.join('\n') +
        more +
        `\n报送：进度 <编号> 60% 说明｜完成 <编号>｜无变化 <编号>`,
    };
  },
};

const task: CommandDef<{ code: string }> = {
  names: ['任务', 'task'],
  usage: '任务 <编号>',
  summary: '查看任务原文、责任单位、期限、目标和报送记录',
  example: '任务 4.1.1',
  roles: ['office', 'contact', 'leader'],
  parse: (arg) => (arg ? ok({ code: splitFirst(arg)[0] }) : fail('缺少任务编号。')),
  async run(ctx, { code }) {
    const t = await findTask(ctx.deps.db, code);
    if (!t.ok) return { text: t.error };
    const views = await taskAssignments(ctx.deps.db, t.value.id, ctx.today);
    if (views.length === 0) return { text: `${t.value.code} ${t.value.title}\n${t.value.sourceText}\n（尚无责任单位）` };
    const own = views.filter((v) => ctx.actor.unitIds.includes(v.unit.id));
    return { card: await taskCardFor(ctx, views, own.length === 1 ? own[0]!.asg.id : undefined) };
  },
};

interface ProgressArgs {
  code: string;
  unit: string | null;
  percent: number;
  note: string;
}

const progress: CommandDef<ProgressArgs> = {
  names: ['进度', 'progress'],
  usage: '进度 <编号> <0–100>% [说明]',
  summary: '报送进度百分比和进展说明',
  example: '进度 4.1.1 60% 已完成排查，形成整治方案',
  roles: ['contact'],
  parse(arg) {
    const p = codeUnitRest(arg, (t) => looksLikePercent(t) || /^-?\d+(?:\.\d+)?%/.test(t));
    if (!p) return fail('缺少任务编号和进度。');
    const { pct, note } = splitPercent(p.rest);
    if (!pct) return fail('缺少进度百分比。');
    const r = parsePercent(pct);
    if (!r.ok) return fail(r.error);
    return ok({ code: p.code, unit: p.unit, percent: r.value, note });
  },
  async run(ctx, a) {
    const t = await findTask(ctx.deps.db, a.code);
    if (!t.ok) return { text: t.error };
    const v = await pickAssignment(ctx, t.value, a.unit);
    if (!v.ok) return { text: v.error };
    const r = await recordReport(ctx, v.value, { kind: 'progress', percent: a.percent, note: a.note });
    return { text: r.ok ? r.text : r.error };
  },
};

/** When the first word after the code names one of the task's units, it picks that unit (the office's way). */
async function unitFromRest(ctx: CommandContext, taskId: number, rest: string): Promise<{ unit: string | null; rest: string }> {
  const [first, after] = splitFirst(rest);
  if (!first) return { unit: null, rest };
  const views = await taskAssignments(ctx.deps.db, taskId, ctx.today);
  const hit = views.find((v) => v.unit.name === first || v.unit.aliases.includes(first));
  return hit ? { unit: hit.unit.name, rest: after } : { unit: null, rest };
}

const codeUnitNote = (arg: string): ParseResult<{ code: string; unit: string | null; note: string }> => {
  const [code, rest] = splitFirst(arg);
  if (!code) return fail('缺少任务编号。');
  return ok({ code, unit: null, note: rest });
};

type CodeNoteArgs = { code: string; unit: string | null; note: string };

/** 完成 and 无变化: a report of one kind on the sender's assignment of a task, with an optional note. */
function simpleReport(
  meta: Pick<CommandDef<CodeNoteArgs>, 'names' | 'usage' | 'summary' | 'example'>,
  kind: 'done_claim' | 'no_change',
): CommandDef<CodeNoteArgs> {
  return {
    ...meta,
    roles: ['contact'],
    parse: codeUnitNote,
    async run(ctx, a) {
      const t = await findTask(ctx.deps.db, a.code);
      if (!t.ok) return { text: t.error };
      const u = await unitFromRest(ctx, t.value.id, a.note);
      const v = await pickAssignment(ctx, t.value, u.unit);
      if (!v.ok) return { text: v.error };
      const r = await recordReport(ctx, v.value, { kind, note: u.rest });
      return { text: r.ok ? r.text : r.error };
    },
  };
}

const done = simpleReport(
  { names: ['完成', 'done'], usage: '完成 <编号> [说明]', summary: '申报任务完成（办公室核验后销号）', example: '完成 4.1.1 整治方案已印发' },
  'done_claim',
);

const same = simpleReport(
  { names: ['无变化', 'same'], usage: '无变化 <编号>', summary: '一键报送：自上次报送以来没有变化', example: '无变化 4.1.1' },
  'no_change',
);

/** File an extension request; shared by the command and the card form. */
export async function requestExtension(
  ctx: CommandContext,
  view: AssignmentView,
  newDue: string,
  reasonRaw: string,
): Promise<{ ok: true; text: string } | { ok: false; error: string }> {
  const { db } = ctx.deps;
  if (view.asg.state === 'closed') return { ok: false, error: `${label(view)} 已销号，无需延期。` };
  if (newDue <= ctx.today) return { ok: false, error: `延期日期 ${newDue} 应晚于今天（${ctx.today}）。` };
  const current = view.assessment.due?.date ?? null;
  if (current && newDue <= current)
    return { ok: false, error: `延期日期 ${newDue} 应晚于当前截止日期 ${current}。` };
  const pending = await db
    .select()
    .from(extensionRequests)
    .where(and(eq(extensionRequests.assignmentId, view.asg.id), eq(extensionRequests.status, 'pending')));
  if (pending.length) return { ok: false, error: `${label(view)} 已有待审批的延期申请 #${pending[0]!.id}，请等待办公室答复。` };
  const reason = clipNote(reasonRaw).note ?? '';
  const [row] = (await runBatch(db, [
    db
      .insert(extensionRequests)
      .values({
        assignmentId: view.asg.id,
        requestedBy: ctx.actor.personId,
        currentDue: current,
        newDueDate: newDue,
        reason,
        createdAt: ctx.now,
      })
      .returning({ id: extensionRequests.id }),
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
  return { ok: true, text: `已提交延期申请 #${reqId}：${label(view)} 延至 ${formatDateZh(newDue, y)}。办公室审批后会通知你。` };
}

const extend: CommandDef<{ code: string; unit: string | null; date: string; reason: string }> = {
  names: ['延期', 'extend'],
  usage: '延期 <编号> <日期> <原因>',
  summary: '申请延期，办公室批准后生效',
  example: '延期 4.1.1 7月31日 施工季节受限',
  roles: ['contact'],
  parse(arg, ctx) {
    const parts = arg.split(' ').filter(Boolean);
    if (parts.length < 2) return fail('缺少日期和原因。');
    const [code, dateTok, ...reason] = parts as [string, string, ...string[]];
    const d = parseDate(dateTok, ctx.today);
    if (!d.ok) return fail(d.error);
    if (reason.length === 0) return fail('请写明延期原因。');
    return ok({ code, unit: null, date: d.value, reason: reason.join(' ') });
  },
  async run(ctx, a) {
    const t = await findTask(ctx.deps.db, a.code);
    if (!t.ok) return { text: t.error };
    const v = await pickAssignment(ctx, t.value, a.unit);
    if (!v.ok) return { text: v.error };
    const r = await requestExtension(ctx, v.value, a.date, a.reason);
    return { text: r.ok ? r.text : r.error };
  },
};

async function decideExtension(ctx: CommandContext, id: number, approve: boolean, note: string) {
  const { db } = ctx.deps;
  const req = (await db.select().from(extensionRequests).where(eq(extensionRequests.id, id)))[0];
  if (!req) return { text: `没有编号为 #${id} 的延期申请。` };
  if (req.status !== 'pending') return { text: `延期申请 #${id} 已${req.status === 'approved' ? '批准' : '驳回'}，不能重复处理。` };
  const view = await assignmentView(db, req.assignmentId, ctx.today);
  if (!view) return { text: `延期申请 #${id} 对应的任务已不存在。` };
  const y = Number(ctx.today.slice(0, 4));
  const requester = req.requestedBy
    ? (await db.select({ openId: people.openId }).from(people).where(eq(people.id, req.requestedBy)))[0]?.openId
    : null;
  const tellText = approve
    ? `你的延期申请 #${id} 已批准：${label(view)} 截止日期调整为 ${formatDateZh(req.newDueDate, y)}。`
    : `你的延期申请 #${id} 未获批准：${label(view)}，原因：${note}。请按原期限推进。`;
  const queries: unknown[] = [
    db
      .update(extensionRequests)
      .set({ status: approve ? 'approved' : 'rejected', decidedBy: ctx.actor.personId, decidedAt: ctx.now, decisionNote: note || null })
      .where(and(eq(extensionRequests.id, id), eq(extensionRequests.status, 'pending'))),
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
  if (approve)
    queries.push(db.update(assignments).set({ extendedTo: req.newDueDate, updatedAt: ctx.now }).where(eq(assignments.id, view.asg.id)));
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

const approveExt: CommandDef<{ id: number }> = {
  names: ['批准', 'approve'],
  usage: '批准 <申请号>',
  summary: '批准延期申请',
  example: '批准 3',
  roles: ['office'],
  parse(arg) {
    const id = parseRequestNo(splitFirst(arg)[0]);
    return id ? ok({ id }) : fail('缺少或看不懂申请号（延期申请通知里的 #数字）。');
  },
  run: (ctx, { id }) => decideExtension(ctx, id, true, ''),
};

const rejectExt: CommandDef<{ id: number; reason: string }> = {
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
  run: (ctx, { id, reason }) => decideExtension(ctx, id, false, reason),
};

/** "<编号> [单位] <原因>" where the unit is recognised by trying it. */
async function resolveOfficeTarget(ctx: CommandContext, code: string, rest: string, preferState: string) {
  const t = await findTask(ctx.deps.db, code);
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
  if (kind === 'return' && from !== 'claimed')
    return { text: `${label(view)} 当前状态是「${view.assessment.statusWord}」，没有待核验的完成申报，无需退回。` };
  if (kind === 'close' && from === 'closed') return { text: `${label(view)} 已经销号。` };
  const note = clipNote(reason.replace(/\s*--要佐证\s*/g, ' ').trim() || '请补充佐证材料').note;
  const patch =
    kind === 'return'
      ? { state: 'in_progress', claimedAt: null, updatedAt: ctx.now }
      : { state: 'closed', closedAt: ctx.now, percent: 100, updatedAt: ctx.now };
  // 退回 can ask for evidence (`--要佐证`, or words such as 请附/佐证/照片): the notice then says how to send it, and a
  // reply to the notice with photos or files attaches them to this assignment (src/evidence/intake.ts).
  const wantsEvidence = kind === 'return' && asksForEvidence(reason);
  const tell =
    kind === 'return'
      ? `【退回】${label(view)} ${view.task.title} 的完成申报被办公室退回，原因：${note}\n` +
        (wantsEvidence ? `请补充佐证材料：直接回复本消息发送照片或文件（可多张），或在图片说明开头写「${view.task.code}」。\n` : '') +
        `请整改后再发送「完成 ${view.task.code}」。`
      : `【销号】${label(view)} ${view.task.title} 已由办公室核验销号。`;
  await runBatch(db, [
    db.update(assignments).set(patch).where(eq(assignments.id, view.asg.id)),
    reportInsert(ctx, view.asg.id, { kind, percent: kind === 'close' ? 100 : view.asg.percent, note }),
    commandAudit(ctx, {
      action: `assignment.${kind}`,
      entity: 'assignment',
      entityId: view.asg.id,
      detail: { task: view.task.code, unit: view.unit.name, from, to: patch.state, note },
    }),
    ...noticeInserts(db, await unitRecipients(db, view.unit.id), `notice:${kind}:${view.asg.id}:${sourceKey(ctx)}`, tell, ctx.now, {
      taskId: view.task.id,
      assignmentId: view.asg.id,
    }),
  ]);
  return { text: kind === 'return' ? `已退回 ${label(view)}，已通知该单位。` : `已销号 ${label(view)}。` };
}

const returnCmd: CommandDef<{ code: string; rest: string }> = {
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

const closeCmd: CommandDef<{ code: string; rest: string }> = {
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
    // Office policy (`佐证要求 开`): no 销号 without evidence from the unit.
    if (r.view.asg.state !== 'closed' && (await getEvidencePolicy(ctx.deps.db)).requireForClose && (await countAttached(ctx.deps.db, r.view.asg.id)) === 0)
      return {
        text:
          `不能销号：办公室要求销号前须有佐证材料，${label(r.view)} 尚未提交任何佐证。\n` +
          `可发送「退回 ${r.view.task.code} ${r.view.unit.name} 请附佐证材料」让该单位回复照片或文件；或发送「佐证要求 关」取消这一要求。`,
      };
    return officeTransition(ctx, r.view, 'close', r.rest);
  },
};

const CMP: Record<string, (a: number, b: number) => boolean> = {
  '<=': (a, b) => a <= b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '>': (a, b) => a > b,
  '=': (a, b) => a === b,
};

const metric: CommandDef<{ indicator: string; value: number; note: string }> = {
  names: ['指标', 'metric'],
  usage: '指标 <指标名> <数值> [说明]',
  summary: '报送指标数值，对照目标',
  example: '指标 PM2.5 23.6',
  roles: ['contact'],
  parse(arg) {
    const parts = arg.split(' ').filter(Boolean);
    const idx = parts.findIndex((p, i) => i > 0 && /^-?\d+(?:\.\d+)?%?$/.test(p));
    if (parts.length < 2 || idx < 0) return fail('缺少指标名或数值。');
    return ok({ indicator: parts.slice(0, idx).join(' '), value: Number(parts[idx]!.replace('%', '')), note: parts.slice(idx + 1).join(' ') });
  },
  async run(ctx, a) {
    const { db } = ctx.deps;
    const all = await db.select().from(targets);
    const fold = (x: string) => x.normalize('NFKC').toLowerCase().replace(/\s+/g, '');
    const key = fold(a.indicator);
    const hits = all.filter((t) => fold(t.indicator) === key || t.aliases.some((x) => fold(x) === key));
    if (hits.length === 0) {
      const names = [...new Set(all.flatMap((t) => [t.indicator, ...t.aliases]))];
      const near = names.filter((n) => fold(n).includes(key) || key.includes(fold(n))).slice(0, 5);
      return {
        text: `没有名为“${a.indicator}”的指标。` + (near.length ? `你是不是要找：${near.join('、')}？` : names.length ? `可报送的指标：${names.slice(0, 10).join('、')}` : '尚未导入指标目标。'),
      };
    }
    const year = Number(ctx.today.slice(0, 4));
    const target = hits.filter((t) => t.year >= year).sort((x, y) => x.year - y.year)[0] ?? hits.sort((x, y) => y.year - x.year)[0]!;
    const unitId = ctx.actor.unitIds[0] ?? null;
    await runBatch(db, [
      db.insert(metricReports).values({
        targetId: target.id,
        value: a.value,
        personId: ctx.actor.personId,
        unitId,
        note: clipNote(a.note).note,
        channel: ctx.channel,
        createdAt: ctx.now,
      }),
      commandAudit(ctx, {
        action: 'metric.report',
        entity: 'target',
        entityId: target.id,
        detail: { indicator: target.indicator, value: a.value, unitId },
      }),
    ]);
    const met = CMP[target.comparator]?.(a.value, target.value) ?? false;
    return {
      text: `已记录 ${target.indicator} = ${a.value}${target.unit ?? ''}。目标（${target.year}年）${target.comparator} ${target.value}${target.unit ?? ''}：${met ? '✅ 已达标' : '⚠️ 未达标'}。`,
    };
  },
};

const pendingCmd: CommandDef<null> = {
  names: ['待办', 'pending'],
  usage: '待办',
  summary: '办公室待处理事项：延期申请、绑定申请、待核验的完成申报',
  roles: ['office'],
  parse: () => ok(null),
  async run(ctx) {
    const { db } = ctx.deps;
    const ext = await db
      .select({ r: extensionRequests, code: tasks.code, unit: units.name })
      .from(extensionRequests)
      .innerJoin(assignments, eq(assignments.id, extensionRequests.assignmentId))
      .innerJoin(tasks, eq(tasks.id, assignments.taskId))
      .innerJoin(units, eq(units.id, assignments.unitId))
      .where(eq(extensionRequests.status, 'pending'));
    const binds = await db
      .select({ r: bindRequests, who: people.name, openId: people.openId, unit: units.name })
      .from(bindRequests)
      .innerJoin(people, eq(people.id, bindRequests.personId))
      .innerJoin(units, eq(units.id, bindRequests.unitId))
      .where(eq(bindRequests.status, 'pending'));
    const claims = await db
      .select({ code: tasks.code, unit: units.name, title: tasks.title })
      .from(assignments)
      .innerJoin(tasks, eq(tasks.id, assignments.taskId))
      .innerJoin(units, eq(units.id, assignments.unitId))
      .where(eq(assignments.state, 'claimed'));
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
        ...binds.slice(0, 20).map((b) => `  #${b.r.id} ${b.who ?? b.openId} → ${b.unit}`),
      );
    if (claims.length)
      out.push(
        `待核验完成申报 ${claims.length} 项（销号/退回 <编号> <单位>）：`,
        ...claims.slice(0, 30).map((c) => `  ${c.code}（${c.unit}）${c.title.slice(0, 20)}`),
      );
    return { text: out.join('\n') };
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const taskCommands: CommandDef<any>[] = [mine, task, progress, done, same, extend, approveExt, rejectExt, returnCmd, closeCmd, pendingCmd, metric];
