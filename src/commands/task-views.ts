// Reading tasks: 我的任务 (the unit's open assignments, traffic lights first), 任务 (one task's card, a section's or a
// keyword's list), 下一页 (paging through either), and the task card shared with card actions and the CLI.
import { loadPaging, savePaging } from '../db/assignment-store.js';
import { formatDateZh } from '../domain/dates.js';
import { isOffice } from '../domain/permissions.js';
import { LIGHT_EMOJI, taskStatusWord } from '../domain/status.js';
import { assignmentLine, renderTaskCard } from '../cards/task-card.js';
import { evidenceGroupsFor } from './evidence-card.js';
import { isSectionCode, isTaskCode, normaliseTaskCode, splitFirst } from './parse.js';
import type { CommandContext, CommandDef, ParseResult } from './registry.js';
import { activeTasks, assignmentView, recentReports, taskAssignments, taskTargets, unitAssignments, type AssignmentView, type TaskRow } from '../db/task-store.js';
import { findTask } from './lookup.js';
import { ok } from '../domain/result.js';

const fail = (error: string) => ({ ok: false as const, error });

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

/** Remember what the person is paging through, so 下一页 knows what comes next. */
async function rememberPage(ctx: CommandContext, command: string, arg: string, page: number) {
  if (!ctx.actor.personId) return;
  await savePaging(ctx.deps.db, ctx.actor.personId, { command, arg, page }, ctx.now);
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

export const mine: CommandDef<{ all: boolean; page: number }> = {
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

export const task: CommandDef<{ q: TaskQuery; page: number; raw: string }> = {
  names: ['任务', 'task'],
  usage: '任务 <编号>｜任务 <章.节>｜任务 <关键词>',
  summary: '查看任务原文、责任单位、期限、目标和报送记录；写章节号列出该节任务，写关键词查找任务',
  example: '任务 4.1.1',
  roles: ['office', 'contact', 'leader'],
  parse(arg) {
    if (!arg.trim()) return fail('缺少任务编号、章节号或关键词。');
    const first = normaliseTaskCode(splitFirst(arg)[0]);
    if (isTaskCode(first)) return ok({ q: { kind: 'code', code: first }, page: 1, raw: first });
    // 任务 4 / 任务 第4章 is a chapter (a lone number is not read as a page number here).
    const chapter = /^(?:第\s*)?(\d{1,2})\s*章?$/.exec(arg.normalize('NFKC').trim());
    if (chapter) return ok({ q: { kind: 'section', prefix: `${Number(chapter[1])}.` }, page: 1, raw: String(Number(chapter[1])) });
    const { rest, page } = splitPage(arg);
    const head = normaliseTaskCode(rest);
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

export const nextPage: CommandDef<null> = {
  names: ['下一页', 'next'],
  usage: '下一页',
  summary: '翻到「我的任务」或任务列表的下一页',
  roles: ['office', 'contact', 'leader'],
  parse: () => ok(null),
  async run(ctx) {
    const v = ctx.actor.personId ? await loadPaging(ctx.deps.db, ctx.actor.personId) : undefined;
    if (!v?.command) return { text: '没有可翻页的列表。先发送「我的任务」或「任务 <关键词>」。' };
    const cmd = v.command === '我的任务' ? mine : task;
    const parsed = await cmd.parse(`${v.arg ?? ''} ${(v.page ?? 1) + 1}`.trim(), ctx);
    if (!parsed.ok) return { text: parsed.error };
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return (cmd as CommandDef<any>).run(ctx, parsed.value);
  },
};
