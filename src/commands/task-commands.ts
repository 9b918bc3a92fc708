// Commands on tasks and assignments: 我的任务, 任务, 进度, 完成, 无变化, 延期, 批准, 驳回, 退回, 销号, 指标.
import { and, desc, eq } from 'drizzle-orm';
import { percentBeforeLatestClaim } from '../domain/progress-history.js';
import { runBatch } from '../db/batch.js';
import {
  assignments,
  bindRequests,
  extensionRequests,
  metricReports,
  people,
  progressReports,
  settings,
  targets,
  tasks,
  units,
} from '../db/schema.js';
import { formatDateZh, shanghaiDate } from '../domain/dates.js';
import { workdaysBetween } from '../domain/calendar.js';
import { isOffice } from '../domain/permissions.js';
import { LIGHT_EMOJI, taskStatusWord } from '../domain/status.js';
import { assignmentLine, renderTaskCard } from '../cards/task-card.js';
import { clipNote, isSectionCode, isTaskCode, looksLikePercent, normaliseCode, parseDate, parsePercent, parseRequestNo, splitFirst } from './parse.js';
import { metricCommand } from './metric-commands.js';
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
import { taskTargets, recentReports, unitAssignments, taskAssignments, assignmentView, activeTasks, type AssignmentView, type TaskRow } from '../db/task-store.js';
import { findTask } from './lookup.js';
import { asksForEvidence } from '../domain/evidence.js';
import { evidenceGroupsFor } from './evidence-card.js';
import { countAttached, getEvidencePolicy } from '../db/evidence-store.js';

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

/** Lines per page of 我的任务 and of task lists (a phone screen's worth; Feishu also caps message size). */
export const PAGE_SIZE = 20;

const PAGING_KEY = (personId: number | null) => `paging:${personId ?? 0}`;

/** Remember what the person is paging through, so 下一页 knows what comes next. */
async function rememberPage(ctx: CommandContext, command: string, arg: string, page: number) {
  if (!ctx.actor.personId) return;
  const value = { command, arg, page };
  await ctx.deps.db
    .insert(settings)
    .values({ key: PAGING_KEY(ctx.actor.personId), value, updatedAt: ctx.now })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: ctx.now } });
}

/** "第1/3页，发送 我的任务 2 查看下一页" (or nothing when everything fits on one page). */
function pageFooter(page: number, pages: number, nextCommand: string): string {
  if (pages <= 1) return '';
  return page < pages
    ? `第${page}/${pages}页，发送「${nextCommand}」或「下一页」查看下一页`
    : `第${page}/${pages}页（最后一页）`;
}

/** A trailing page number ("我的任务 2", "第2页", "p2"). */
function splitPage(arg: string): { rest: string; page: number | null } {
  const m = /(?:^|\s)(?:第\s*)?(\d{1,3})\s*页?$|(?:^|\s)p(\d{1,3})$/i.exec(arg.normalize('NFKC').trim());
  if (!m) return { rest: arg.trim(), page: null };
  const page = Number(m[1] ?? m[2]);
  return { rest: arg.normalize('NFKC').trim().slice(0, m.index).trim(), page: page >= 1 ? page : 1 };
}

const mine: CommandDef<{ all: boolean; page: number }> = {
  names: ['我的任务', 'mine', '我的'],
  usage: '我的任务 [全部] [页码]',
  summary: '本单位未完成的任务，最近截止的在前，带红黄绿灯；每页 20 项',
  example: '我的任务 2',
  roles: ['contact'],
  parse(arg) {
    const { rest, page } = splitPage(arg);
    const all = /全部|all/i.test(rest);
    if (rest && !all) return fail(`看不懂“${rest}”。可写「我的任务」「我的任务 全部」或加页码「我的任务 2」。`);
    return ok({ all, page: page ?? 1 });
  },
  async run(ctx, { all, page }) {
    if (ctx.actor.unitIds.length === 0)
      return { text: isOffice(ctx.actor) ? '你是办公室成员，没有绑定单位。发送「逾期」「临期」「统计」查看全局情况。' : '你还没有绑定单位。' };
    const views = (await unitAssignments(ctx.deps.db, ctx.actor.unitIds, ctx.today)).filter((v) => all || v.assessment.open);
    if (views.length === 0) return { text: all ? '本单位目前没有任务。' : '本单位目前没有未完成的任务。👍' };
    const rank = { red: 0, yellow: 1, green: 2 } as const;
    views.sort(
      (a, b) =>
        rank[a.assessment.light] - rank[b.assessment.light] ||
        (a.assessment.due?.date ?? '9999').localeCompare(b.assessment.due?.date ?? '9999') ||
        a.task.code.localeCompare(b.task.code, undefined, { numeric: true }),
    );
    const counts = { red: 0, yellow: 0, green: 0 };
    for (const v of views) counts[v.assessment.light]++;
    const pages = Math.ceil(views.length / PAGE_SIZE);
    if (page > pages) return { text: `本单位${all ? '全部' : '未完成'}任务共 ${views.length} 项，只有 ${pages} 页。发送「我的任务${all ? ' 全部' : ''}」从第1页看起。` };
    const shown = views.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
    const lines = shown.map((v) => `${v.task.code} ${v.task.title.slice(0, 24)}${ctx.actor.unitIds.length > 1 ? `（${v.unit.name}）` : ''}\n   ${assignmentLine(v, ctx.today)}`);
    await rememberPage(ctx, '我的任务', all ? '全部' : '', page);
    const footer = pageFooter(page, pages, `我的任务${all ? ' 全部' : ''} ${page + 1}`);
    return {
      text:
        `本单位${all ? '全部' : '未完成'}任务 ${views.length} 项：${LIGHT_EMOJI.red}${counts.red} ${LIGHT_EMOJI.yellow}${counts.yellow} ${LIGHT_EMOJI.green}${counts.green}\n` +
        lines.join('\n') +
        (footer ? `\n${footer}` : '') +
        `\n报送：进度 <编号> 60% 说明｜完成 <编号>｜无变化 <编号>`,
    };
  },
};

type TaskQuery = { kind: 'code'; code: string } | { kind: 'section'; prefix: string } | { kind: 'keyword'; word: string };

/** One line per task of a list: code, title, units (lead first), due date and status. */
async function taskListLines(ctx: CommandContext, rows: TaskRow[]): Promise<string[]> {
  const out: string[] = [];
  for (const t of rows) {
    const views = await taskAssignments(ctx.deps.db, t.id, ctx.today);
    const units = views.map((v) => (v.asg.role === 'lead' ? `${v.unit.name}(牵头)` : v.unit.name));
    const due = views[0]?.assessment.due?.date;
    const mine = views.find((v) => ctx.actor.unitIds.includes(v.unit.id));
    const status = mine ? `本单位：${mine.assessment.statusWord} ${mine.asg.percent}%` : taskStatusWord(views.map((v) => v.assessment.statusWord));
    out.push(`${t.code} ${t.title.slice(0, 30)}\n   ${units.slice(0, 4).join('、')}${units.length > 4 ? ` 等${units.length}个单位` : ''}${due ? `｜截止 ${formatDateZh(due, Number(ctx.today.slice(0, 4)))}` : ''}｜${status}`);
  }
  return out;
}

const task: CommandDef<{ q: TaskQuery; page: number; raw: string }> = {
  names: ['任务', 'task'],
  usage: '任务 <编号>｜任务 <章.节>｜任务 <关键词>',
  summary: '查看任务原文、责任单位、期限、目标和报送记录；写章节号列出该节任务，写关键词查找任务',
  example: '任务 4.1.1',
  roles: ['office', 'contact', 'leader'],
  parse(arg) {
    if (!arg.trim()) return fail('缺少任务编号、章节号或关键词。');
    const first = normaliseCode(splitFirst(arg)[0]);
    if (isTaskCode(first)) return ok({ q: { kind: 'code', code: first }, page: 1, raw: first });
    // 任务 4 / 任务 第4章 is a chapter (a lone number is not read as a page number here).
    const chapter = /^(?:第\s*)?(\d{1,2})\s*章?$/.exec(arg.normalize('NFKC').trim());
    if (chapter) return ok({ q: { kind: 'section', prefix: `${Number(chapter[1])}.` }, page: 1, raw: String(Number(chapter[1])) });
    const { rest, page } = splitPage(arg);
    const head = normaliseCode(rest);
    if (isSectionCode(head) || /^\d{1,2}$/.test(head)) return ok({ q: { kind: 'section', prefix: `${head}.` }, page: page ?? 1, raw: head });
    const word = rest.replace(/\s+/g, '');
    if (!word) return fail('缺少关键词。');
    if ([...word].length > 30) return fail('关键词太长，请写 2–10 个字，例如：任务 黑臭');
    return ok({ q: { kind: 'keyword', word }, page: page ?? 1, raw: rest });
  },
  async run(ctx, { q, page, raw }) {
    const db = ctx.deps.db;
    if (q.kind === 'code') {
      const t = await findTask(db, q.code, ctx.actor);
      if (!t.ok) return { text: t.error };
      const views = await taskAssignments(db, t.value.id, ctx.today);
      if (views.length === 0) return { text: `${t.value.code} ${t.value.title}\n${t.value.sourceText}\n（尚无责任单位）`, taskId: t.value.id };
      const own = views.filter((v) => ctx.actor.unitIds.includes(v.unit.id));
      return {
        card: await taskCardFor(ctx, views, own.length === 1 ? own[0]!.asg.id : undefined),
        taskId: t.value.id,
        ...(own.length === 1 ? { assignmentId: own[0]!.asg.id } : {}),
      };
    }
    const all = await activeTasks(db);
    const fold = (x: string) => x.normalize('NFKC').toLowerCase().replace(/\s+/g, '');
    const hits =
      q.kind === 'section'
        ? all.filter((t) => t.code.startsWith(q.prefix))
        : all.filter((t) => fold(t.title).includes(fold(q.word)) || fold(t.sourceText).includes(fold(q.word)));
    if (hits.length === 0)
      return {
        text:
          q.kind === 'section'
            ? `没有第 ${raw} ${raw.includes('.') ? '节' : '章'}的任务。发送「任务 4.1」这样的章.节号，或「任务 <关键词>」查找。`
            : `没有找到含“${raw}”的任务。换个词试试，例如「任务 黑臭」；或发送「任务 4.1」列出一节的任务。`,
      };
    if (q.kind === 'keyword' && hits.length === 1) {
      const views = await taskAssignments(db, hits[0]!.id, ctx.today);
      if (views.length) {
        const own = views.filter((v) => ctx.actor.unitIds.includes(v.unit.id));
        return { card: await taskCardFor(ctx, views, own.length === 1 ? own[0]!.asg.id : undefined), taskId: hits[0]!.id };
      }
    }
    const pages = Math.ceil(hits.length / PAGE_SIZE);
    if (page > pages) return { text: `共 ${hits.length} 项，只有 ${pages} 页。` };
    const shown = hits.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
    const head = q.kind === 'section' ? `第 ${raw} ${raw.includes('.') ? '节' : '章'}任务 ${hits.length} 项：` : `含“${raw}”的任务 ${hits.length} 项：`;
    await rememberPage(ctx, '任务', raw, page);
    const footer = pageFooter(page, pages, `任务 ${raw} ${page + 1}`);
    return { text: [head, ...(await taskListLines(ctx, shown)), ...(footer ? [footer] : []), '查看详情：任务 <编号>'].join('\n') };
  },
};

const nextPage: CommandDef<null> = {
  names: ['下一页', 'next'],
  usage: '下一页',
  summary: '翻到「我的任务」或任务列表的下一页',
  roles: ['office', 'contact', 'leader'],
  parse: () => ok(null),
  async run(ctx) {
    const row = ctx.actor.personId
      ? (await ctx.deps.db.select().from(settings).where(eq(settings.key, PAGING_KEY(ctx.actor.personId))))[0]
      : undefined;
    const v = row?.value as { command?: string; arg?: string; page?: number } | undefined;
    if (!v?.command) return { text: '没有可翻页的列表。先发送「我的任务」或「任务 <关键词>」。' };
    const cmd = v.command === '我的任务' ? mine : task;
    const parsed = await cmd.parse(`${v.arg ?? ''} ${(v.page ?? 1) + 1}`.trim(), ctx);
    if (!parsed.ok) return { text: parsed.error };
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return (cmd as CommandDef<any>).run(ctx, parsed.args);
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
    const t = await findTask(ctx.deps.db, a.code, ctx.actor);
    if (!t.ok) return { text: t.error };
    const v = await pickAssignment(ctx, t.value, a.unit);
    if (!v.ok) return { text: v.error };
    const r = await recordReport(ctx, v.value, { kind: 'progress', percent: a.percent, note: a.note });
    return { text: r.ok ? r.text : r.error };
  },
};

/** When the first word after the code names one of the task's units, it picks that unit (the office's way). */
export async function unitFromRest(ctx: CommandContext, taskId: number, rest: string): Promise<{ unit: string | null; rest: string }> {
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
      const t = await findTask(ctx.deps.db, a.code, ctx.actor);
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

const extend: CommandDef<{ code: string; unit: string | null; date: string; dateText: string; reason: string }> = {
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
    return { text: r.ok ? r.text : r.error, assignmentId: v.value.asg.id, taskId: t.value.id };
  },
};

/** 撤回 <申请号>: the requester withdraws their own pending extension (or bind) request; the office is told. */
const withdrawRequest: CommandDef<{ id: number }> = {
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
    const ext = (await db.select().from(extensionRequests).where(eq(extensionRequests.id, id)))[0];
    const bind = (await db.select().from(bindRequests).where(eq(bindRequests.id, id)))[0];
    const mineExt = ext && me !== null && ext.requestedBy === me ? ext : undefined;
    const mineBind = bind && me !== null && bind.personId === me ? bind : undefined;
    if (mineExt && (mineExt.status === 'pending' || !mineBind || mineBind.status !== 'pending')) {
      if (mineExt.status !== 'pending')
        return { text: `延期申请 #${id} 已${mineExt.status === 'approved' ? '批准' : mineExt.status === 'withdrawn' ? '撤回' : '驳回'}，不能再撤回。` };
      const view = await assignmentView(db, mineExt.assignmentId, ctx.today);
      const what = view ? label(view) : `申请 #${id}`;
      await runBatch(db, [
        db
          .update(extensionRequests)
          .set({ status: 'withdrawn', decidedBy: me, decidedAt: ctx.now, decisionNote: '申请人撤回' })
          .where(and(eq(extensionRequests.id, id), eq(extensionRequests.status, 'pending'))),
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
        db
          .update(bindRequests)
          .set({ status: 'withdrawn', decidedBy: me, decidedAt: ctx.now })
          .where(and(eq(bindRequests.id, id), eq(bindRequests.status, 'pending'))),
        commandAudit(ctx, { action: 'bind.withdraw', entity: 'bind_request', entityId: id }),
        ...noticeInserts(db, await officeRecipients(ctx), `notice:bind-withdrawn:${id}`, `【绑定申请 #${id} 已撤回】申请人已撤回，无需处理。`, ctx.now),
      ]);
      return { text: `已撤回绑定申请 #${id}。` };
    }
    if (ext || bind) return { text: `申请 #${id} 不是你提交的，只能撤回自己的申请。` };
    return { text: `没有编号为 #${id} 的申请。发送「待办」（办公室）或查看提交申请时的回复核对申请号。` };
  },
};

async function decideExtension(ctx: CommandContext, id: number, approve: boolean, note: string) {
  const { db } = ctx.deps;
  const req = (await db.select().from(extensionRequests).where(eq(extensionRequests.id, id)))[0];
  if (!req) return { text: `没有编号为 #${id} 的延期申请。` };
  if (req.status !== 'pending') return { text: `延期申请 #${id} 已${req.status === 'approved' ? '批准' : req.status === 'withdrawn' ? '由申请人撤回' : '驳回'}，不能重复处理。` };
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
  if (kind === 'return' && from !== 'claimed')
    return { text: `${label(view)} 当前状态是「${view.assessment.statusWord}」，没有待核验的完成申报，无需退回。` };
  if (kind === 'close' && from === 'closed') return { text: `${label(view)} 已经销号。` };
  const note = clipNote(reason.replace(/\s*--要佐证\s*/g, ' ').trim() || '请补充佐证材料').note;
  // 退回 goes back to the percent the unit had reported before its completion claim (the claim set 100%).
  const restored = kind === 'return' ? await percentBeforeClaim(db, view.asg.id) : view.asg.percent;
  const patch =
    kind === 'return'
      ? { state: 'in_progress', claimedAt: null, percent: restored, updatedAt: ctx.now }
      : { state: 'closed', closedAt: ctx.now, percent: 100, updatedAt: ctx.now };
  // 退回 can ask for evidence (`--要佐证`, or words such as 请附/佐证/照片): the notice then says how to send it, and a
  // reply to the notice with photos or files attaches them to this assignment (src/commands/evidence-intake.ts).
  const wantsEvidence = kind === 'return' && asksForEvidence(reason);
  const tell =
    kind === 'return'
      ? `【退回】${label(view)} ${view.task.title} 的完成申报被办公室退回，原因：${note}\n` +
        (wantsEvidence ? `请补充佐证材料：直接回复本消息发送照片或文件（可多张），或在图片说明开头写「${view.task.code}」。\n` : '') +
        `请整改后再发送「完成 ${view.task.code}」。`
      : `【销号】${label(view)} ${view.task.title} 已由办公室核验销号。`;
  await runBatch(db, [
    db.update(assignments).set(patch).where(eq(assignments.id, view.asg.id)),
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

/** The percent of the unit's last report before its latest completion claim (0 when it never reported one). */
async function percentBeforeClaim(db: CommandContext['deps']['db'], assignmentId: number): Promise<number> {
  const history = await db
    .select({ kind: progressReports.kind, percent: progressReports.percent })
    .from(progressReports)
    .where(eq(progressReports.assignmentId, assignmentId))
    .orderBy(desc(progressReports.createdAt), desc(progressReports.id));
  return percentBeforeLatestClaim(history);
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
      .select({ code: tasks.code, unit: units.name, title: tasks.title, claimedAt: assignments.claimedAt })
      .from(assignments)
      .innerJoin(tasks, eq(tasks.id, assignments.taskId))
      .innerJoin(units, eq(units.id, assignments.unitId))
      .where(eq(assignments.state, 'claimed'));
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

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const taskCommands: CommandDef<any>[] = [mine, task, nextPage, progress, done, same, extend, withdrawRequest, approveExt, rejectExt, returnCmd, closeCmd, pendingCmd, metricCommand];
