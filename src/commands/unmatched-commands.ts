// Messages the bot could not use have a home: the office lists them (未识别) and attaches one to a task (归入),
// which records it as that unit's progress note, in the sender's name, with the original message id.
import { runBatch } from '../db/batch.js';
import { contactUnitIds, personByOpenId } from '../db/people-store.js';
import { attachUnmatchedQueries, countUnmatched, unmatchedById, unmatchedPage } from '../db/unmatched-store.js';
import { formatDateZh, SHANGHAI_OFFSET_MS, shanghaiDate } from '../domain/dates.js';
import { clipNote, parseRequestNo, splitFirst } from './parse.js';
import { commandAudit, label, pickAssignment } from './record.js';
import type { CommandContext, CommandDef, ParseResult } from './registry.js';
import { taskAssignments } from '../db/task-store.js';
import { findTask } from './lookup.js';
import { ok } from '../domain/result.js';

const fail = (error: string) => ({ ok: false as const, error });

const PAGE = 20;

const REASON_ZH: Record<string, string> = {
  unknown_command: '看不懂',
  reply_untied: '回复未能对应任务',
  report_failed: '报送未成功',
  stranger_report: '未绑定者报送',
  empty: '空消息',
  error: '处理出错',
};

const reasonZh = (r: string) => REASON_ZH[r] ?? (r.startsWith('bad_args:') ? `「${r.slice(9)}」格式不对` : r.startsWith('non_text:') ? '非文字消息' : r);

function clock(ms: number): string {
  const d = new Date(ms + SHANGHAI_OFFSET_MS);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

const listUnmatched: CommandDef<{ page: number; all: boolean }> = {
  names: ['未识别', 'unparsed'],
  usage: '未识别 [全部] [页码]',
  summary: '列出机器人没能处理、已保存的消息（默认只列未归入的），可用「归入」挂到任务上',
  example: '未识别',
  roles: ['office'],
  parse(arg) {
    const all = /全部|all/i.test(arg);
    const m = /(\d{1,4})/.exec(arg.normalize('NFKC'));
    return ok({ page: m ? Math.max(1, Number(m[1])) : 1, all });
  },
  async run(ctx, { page, all }) {
    const { db } = ctx.deps;
    const n = await countUnmatched(db, all);
    if (!n) return { text: all ? '没有保存的未识别消息。' : '没有待处理的未识别消息。👍（「未识别 全部」含已归入的）' };
    const pages = Math.ceil(n / PAGE);
    if (page > pages) return { text: `共 ${n} 条，只有 ${pages} 页。` };
    const rows = await unmatchedPage(db, all, PAGE, (page - 1) * PAGE);
    const y = Number(ctx.today.slice(0, 4));
    const lines = rows.map(({ m, name }) => {
      const text = [...m.text.replace(/\s+/g, ' ')].slice(0, 60).join('') + ([...m.text].length > 60 ? '…' : '');
      return `#${m.id} ${formatDateZh(shanghaiDate(m.createdAt), y)} ${clock(m.createdAt)} ${name ?? '未知发送人'}：${text || '（无文字）'}（${reasonZh(m.reason)}${m.resolvedAt ? '，已归入' : ''}）`;
    });
    const footer = pages > 1 ? [`第${page}/${pages}页，发送「未识别${all ? ' 全部' : ''} ${page + 1}」查看下一页`] : [];
    return {
      text: [`${all ? '全部' : '待处理的'}未识别消息 ${n} 条：`, ...lines, ...footer, '挂到任务上：归入 <消息号> <任务编号> [单位]，例如：归入 12 4.1.1 安定区'].join('\n'),
    };
  },
};

const attach: CommandDef<{ id: number; code: string; unit: string | null }> = {
  names: ['归入', 'attach'],
  usage: '归入 <消息号> <任务编号> [单位]',
  summary: '把一条未识别消息归入任务，记为该单位的进展说明',
  example: '归入 12 4.1.1 安定区',
  roles: ['office'],
  parse(arg) {
    const [no, rest] = splitFirst(arg);
    const id = parseRequestNo(no);
    if (!id) return fail('缺少或看不懂消息号（「未识别」列表里的 #数字）。');
    const [code, unit] = splitFirst(rest);
    if (!code) return fail('缺少任务编号。');
    return ok({ id, code, unit: unit || null });
  },
  async run(ctx, a) {
    const { db } = ctx.deps;
    const row = await unmatchedById(db, a.id);
    if (!row) return { text: `没有编号为 #${a.id} 的未识别消息。发送「未识别」查看。` };
    if (row.resolvedAt) return { text: `消息 #${a.id} 已经归入过任务，不能重复归入。` };
    const note = clipNote(row.text).note;
    if (!note) return { text: `消息 #${a.id} 没有文字内容，无法记为进展说明。` };
    const t = await findTask(db, a.code, ctx.actor);
    if (!t.ok) return { text: t.error };
    const sender = row.openId ? await personByOpenId(db, row.openId) : undefined;
    // Without a unit named: the sender's unit among the task's units, else the task's only unit.
    let unitHint = a.unit;
    if (!unitHint && sender) {
      const senderUnits = await contactUnitIds(db, sender.id);
      const views = await taskAssignments(db, t.value.id, ctx.today);
      const hit = views.filter((v) => senderUnits.includes(v.unit.id));
      if (hit.length === 1) unitHint = hit[0]!.unit.name;
    }
    const v = await pickAssignment(ctx, t.value, unitHint);
    if (!v.ok) return { text: v.error };
    const view = v.value;
    await runBatch(db, [
      ...attachUnmatchedQueries(
        db,
        { id: a.id, assignmentId: view.asg.id, personId: sender?.id ?? null, note, sourceMessageId: row.messageId, resolvedBy: ctx.actor.personId },
        ctx.now,
      ),
      commandAudit(ctx, {
        action: 'unmatched.attach',
        entity: 'unmatched_message',
        entityId: a.id,
        detail: { assignmentId: view.asg.id, task: view.task.code, unit: view.unit.name, messageId: row.messageId },
      }),
    ]);
    return { text: `已将消息 #${a.id}（${sender?.name ?? '发送人'}）归入 ${label(view)}，记为进展说明：${[...note].slice(0, 40).join('')}${[...note].length > 40 ? '…' : ''}` };
  },
};



// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const unmatchedCommands: CommandDef<any>[] = [listUnmatched, attach];
