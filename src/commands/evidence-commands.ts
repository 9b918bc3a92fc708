// Chat commands of evidence and chasing (issue 18): 佐证 (attach pending files), 催办 (chase a unit now), 已读 (read
// receipts of overdue assignments' last reminders), 佐证要求 and 加急 (the office's policy for 销号 and buzz).
import { runBatch } from '../db/batch.js';
import { auditInsert, actorOf } from '../db/audit.js';
import { outboxInsert } from '../db/outbox-store.js';
import { lastSentReminder, lastUrgeSince } from '../db/urgent-store.js';
import { formatDateZh, shanghaiDate } from '../domain/dates.js';
import { readVerdict, READ_VERDICT_ZH, type ReadVerdict } from '../domain/evidence.js';
import { dueLine, label, unitRecipients } from './record.js';
import { splitFirst } from './parse.js';
import type { CommandContext, CommandDef, ParseResult } from './registry.js';
import { unitContactOpenIds } from '../db/people-store.js';
import { taskAssignments, unitAssignments, unitNameList, type AssignmentView } from '../db/task-store.js';
import { findUnit, findTask } from './lookup.js';
import { attachPendingTo } from './evidence-intake.js';
import { setEvidencePolicy, getEvidencePolicy } from '../db/evidence-store.js';
import { type Result, err, ok } from '../domain/result.js';

const fail = (error: string) => ({ ok: false as const, error });

/** A second 催办 of the same assignment within this window sends nothing (README "催办"). */
export const URGE_WINDOW_MS = 30 * 60_000;
/** 已读 asks Feishu about at most this many assignments per command (one API call each). */
const MAX_READ_CHECKS = 20;

const codeAndUnit = (arg: string): ParseResult<{ code: string; unit: string | null }> => {
  const [code, rest] = splitFirst(arg);
  if (!code) return fail('缺少任务编号。');
  const [unit] = splitFirst(rest);
  return ok({ code, unit: unit || null });
};

const attachCmd: CommandDef<{ code: string; unit: string | null }> = {
  names: ['佐证', 'evidence'],
  usage: '佐证 <编号> [单位]',
  summary: '把你暂存（未能归入任务）的图片和文件归入该任务的佐证材料',
  example: '佐证 4.1.1',
  roles: ['contact'],
  parse: codeAndUnit,
  async run(ctx, a) {
    return { text: await attachPendingTo(ctx, a.code, a.unit) };
  },
};

async function targets(ctx: CommandContext, code: string, unit: string | null): Promise<Result<AssignmentView[]>> {
  const t = await findTask(ctx.deps.db, code, ctx.actor);
  if (!t.ok) return t;
  const all = await taskAssignments(ctx.deps.db, t.value.id, ctx.today);
  if (all.length === 0) return err(`任务 ${t.value.code} 还没有责任单位。`);
  if (unit) {
    const u = await findUnit(ctx.deps.db, unit);
    if (!u.ok) return u;
    const hit = all.filter((v) => v.unit.id === u.value.id);
    if (hit.length === 0) return err(`${u.value.name} 不是任务 ${t.value.code} 的责任单位。责任单位：${all.map((v) => v.unit.name).join('、')}。` );
    return ok(hit);
  }
  return ok(all);
}

const urgeCmd: CommandDef<{ code: string; unit: string | null }> = {
  names: ['催办', 'urge'],
  usage: '催办 <编号> [单位]',
  summary: '立即提醒责任单位联络员报送（不写单位则催办所有未完成的单位；30 分钟内不重复发送）',
  example: '催办 4.1.1 安定区',
  roles: ['office'],
  parse: codeAndUnit,
  async run(ctx, a) {
    const { db } = ctx.deps;
    const r = await targets(ctx, a.code, a.unit);
    if (!r.ok) return { text: r.error };
    const open = r.value.filter((v) => v.assessment.open);
    if (open.length === 0) return { text: `${r.value.map(label).join('、')} 已申报完成或已销号，无需催办。` };
    const policy = await getEvidencePolicy(db);
    const bucket = Math.floor(ctx.now / URGE_WINDOW_MS);
    const lines: string[] = [];
    const writes: unknown[] = [];
    for (const v of open) {
      const recent = await lastUrgeSince(db, v.asg.id, ctx.now - URGE_WINDOW_MS);
      if (recent !== null) {
        const t = shanghaiTime(recent);
        lines.push(`${label(v)}：${t} 已催办过，30 分钟内不重复发送。`);
        continue;
      }
      const to = await unitRecipients(db, v.unit.id);
      if (to.length === 0) {
        lines.push(`${label(v)}：该单位还没有联络员或单位群，无法催办。请先让联络员发送「绑定 ${v.unit.name}」。`);
        continue;
      }
      const text =
        `【催办】办公室催办：${label(v)} ${v.task.title}\n${dueLine(v.assessment, ctx.today)}，当前进度 ${v.asg.percent}%。\n` +
        `请尽快报送：直接回复本消息写进度（如“60% 已完成排查”），也可回复照片或文件作为佐证。`;
      for (const rcp of to)
        writes.push(
          outboxInsert(
            db,
            {
              dedupeKey: `urge:${v.asg.id}:${bucket}:${rcp.receiveId}`,
              op: 'send',
              receiveIdType: rcp.receiveIdType,
              receiveId: rcp.receiveId,
              msgType: 'text',
              content: { text },
              purpose: 'reminder',
              taskId: v.task.id,
              assignmentId: v.asg.id,
            },
            ctx.now,
          ),
        );
      writes.push(
        auditInsert(db, {
          at: ctx.now,
          actor: actorOf(ctx.actor.personId),
          personId: ctx.actor.personId,
          channel: ctx.channel,
          action: 'assignment.urge',
          entity: 'assignment',
          entityId: v.asg.id,
          detail: { task: v.task.code, unit: v.unit.name, recipients: to.length },
        }),
      );
      const buzz =
        policy.urgentAfterOverdueDays !== null && v.assessment.overdueDays > 0 && v.assessment.overdueDays >= policy.urgentAfterOverdueDays
          ? '，发出后加急'
          : '';
      lines.push(`${label(v)}：已催办（${to.length} 个接收方${buzz}）。`);
    }
    if (writes.length) await runBatch(db, writes);
    return { text: lines.join('\n') };
  },
};

const shanghaiTime = (ms: number) => {
  const d = new Date(ms + 8 * 3600_000);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
};

/** The read-receipt verdict of one assignment (README "Read receipts"). */
export async function readStatus(ctx: CommandContext, v: AssignmentView): Promise<{ verdict: ReadVerdict; sentAt: number | null; detail?: string }> {
  const row = await lastSentReminder(ctx.deps.db, v.asg.id);
  const base = { sentAt: row?.sentAt ?? null, now: ctx.now, contacts: await unitContactOpenIds(ctx.deps.db, v.unit.id), lastReportAt: v.asg.lastReportAt };
  if (!row || row.sentAt == null || !row.messageId) return { verdict: readVerdict({ ...base, readers: null }), sentAt: null };
  const pre = readVerdict({ ...base, readers: [] });
  if (pre === 'reported' || pre === 'too_old') return { verdict: pre, sentAt: row.sentAt };
  if (!ctx.deps.larkIm) return { verdict: 'unknown', sentAt: row.sentAt, detail: '未配置飞书应用' };
  const r = await ctx.deps.larkIm.readUsers(row.messageId);
  if (!r.ok) {
    const { code, reason } = r.error;
    const error = code === 99991672 || code === 230027 ? 'no_scope' : code === 230033 ? 'too_old' : 'other';
    return { verdict: readVerdict({ ...base, readers: null, error }), sentAt: row.sentAt, detail: error === 'other' ? reason : undefined };
  }
  const contacts = row.receiveIdType === 'open_id' && row.receiveId ? [row.receiveId] : base.contacts;
  return { verdict: readVerdict({ ...base, contacts, readers: r.value }), sentAt: row.sentAt };
}

const readCmd: CommandDef<{ code: string | null; unit: string | null }> = {
  names: ['已读情况', 'read'],
  usage: '已读情况 [编号] [单位]',
  summary: '逾期任务的最近一次提醒是否已读：区分“未读”和“已读未报”',
  example: '已读 4.1.1',
  roles: ['office'],
  parse(arg) {
    if (!arg) return ok({ code: null, unit: null });
    const p = codeAndUnit(arg);
    return p.ok ? ok({ code: p.value.code, unit: p.value.unit }) : p;
  },
  async run(ctx, a) {
    const { db } = ctx.deps;
    let views: AssignmentView[];
    if (a.code) {
      const r = await targets(ctx, a.code, a.unit);
      if (!r.ok) return { text: r.error };
      views = r.value.filter((v) => v.assessment.open);
      if (views.length === 0) return { text: `${r.value.map(label).join('、')} 已申报完成或已销号。` };
    } else {
      const allUnits = await unitNameList(db);
      views = (await unitAssignments(db, allUnits.map((u) => u.id), ctx.today)).filter((v) => v.assessment.open && v.assessment.overdueDays > 0);
      if (views.length === 0) return { text: '目前没有逾期任务。' };
      views.sort((x, y) => y.assessment.overdueDays - x.assessment.overdueDays || x.task.code.localeCompare(y.task.code, undefined, { numeric: true }));
    }
    const shown = views.slice(0, MAX_READ_CHECKS);
    const y = Number(ctx.today.slice(0, 4));
    const groups = new Map<ReadVerdict, string[]>();
    for (const v of shown) {
      const s = await readStatus(ctx, v);
      const when = s.sentAt ? `，${formatDateZh(shanghaiDate(s.sentAt), y)}提醒` : '';
      const od = v.assessment.overdueDays > 0 ? `逾期${v.assessment.overdueDays}天` : `进度${v.asg.percent}%`;
      const list = groups.get(s.verdict) ?? [];
      list.push(`  • ${label(v)} ${od}${when}${s.detail ? `（${s.detail}）` : ''}`);
      groups.set(s.verdict, list);
    }
    const order: ReadVerdict[] = ['unread', 'read_no_report', 'no_card', 'reported', 'too_old', 'no_scope', 'unknown'];
    const out = [`${a.code ? '' : '逾期任务'}最近一次提醒的阅读情况（${shown.length} 项）：`];
    for (const k of order) {
      const g = groups.get(k);
      if (g?.length) out.push(`${READ_VERDICT_ZH[k]} ${g.length} 项：`, ...g);
    }
    if (groups.get('unread')?.length) out.push('未读：联络员可能没看到，可「催办 <编号> <单位>」再提醒或电话联系。');
    if (groups.get('read_no_report')?.length) out.push('已读未报：已看到但没报送，建议「催办」或直接联系单位负责人。');
    if (groups.get('no_scope')?.length) out.push('请在飞书开发者后台为应用开通 im:message:readonly（获取消息已读信息）权限并发布新版本。');
    if (views.length > shown.length) out.push(`……还有 ${views.length - shown.length} 项未查询，可加编号逐项查看：已读情况 <编号>。`);
    return { text: out.join('\n') };
  },
};

const ON = /^(开|开启|打开|是|on|yes|true|要求)$/i;
const OFF = /^(关|关闭|否|off|no|false|不要求)$/i;

const evidencePolicyCmd: CommandDef<{ on: boolean | null }> = {
  names: ['佐证要求', 'proof'],
  usage: '佐证要求 [开|关]',
  summary: '销号前是否要求责任单位已提交佐证材料（不带参数：查看当前设置）',
  example: '佐证要求 开',
  roles: ['office'],
  parse(arg) {
    if (!arg) return ok({ on: null });
    if (ON.test(arg)) return ok({ on: true });
    if (OFF.test(arg)) return ok({ on: false });
    return fail('请写「开」或「关」。');
  },
  async run(ctx, a) {
    const p = a.on === null ? await getEvidencePolicy(ctx.deps.db) : await setEvidencePolicy(ctx.deps.db, { requireForClose: a.on }, ctx.now, { personId: ctx.actor.personId, channel: ctx.channel });
    return { text: p.requireForClose ? '销号前须有佐证材料：单位未提交任何佐证时，「销号」会被拒绝。' : '销号不要求佐证材料。发送「佐证要求 开」可开启。' };
  },
};

const urgentPolicyCmd: CommandDef<{ days: number | null | 'show' }> = {
  names: ['加急', 'buzz'],
  usage: '加急 [逾期天数|关]',
  summary: '逾期达到天数后，提醒和催办发出时同时加急（飞书应用内加急）；不带参数：查看当前设置',
  example: '加急 3',
  roles: ['office'],
  parse(arg) {
    if (!arg) return ok({ days: 'show' });
    if (OFF.test(arg)) return ok({ days: null });
    const m = /^(\d{1,3})\s*天?$/.exec(arg.trim());
    if (!m) return fail('请写逾期天数（0–365，0 表示一逾期就加急），或「关」。');
    const n = Number(m[1]);
    return n <= 365 ? ok({ days: n }) : fail('天数应在 0–365 之间。');
  },
  async run(ctx, a) {
    const p =
      a.days === 'show'
        ? await getEvidencePolicy(ctx.deps.db)
        : await setEvidencePolicy(ctx.deps.db, { urgentAfterOverdueDays: a.days }, ctx.now, { personId: ctx.actor.personId, channel: ctx.channel });
    return {
      text:
        p.urgentAfterOverdueDays === null
          ? '不加急。发送「加急 3」可设置：逾期 3 天及以上的提醒和催办发出后加急。'
          : `逾期 ${p.urgentAfterOverdueDays} 天及以上的提醒和催办，发出后对接收人加急（需应用开通 im:message.urgent 权限；不能加急时改发一条文字提醒）。`,
    };
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const evidenceCommands: CommandDef<any>[] = [attachCmd, urgeCmd, readCmd, evidencePolicyCmd, urgentPolicyCmd];

