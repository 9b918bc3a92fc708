// Commands about people and chats: 绑定, 同意, 拒绝, 批量绑定, 本群设为.
import { and, eq } from 'drizzle-orm';
import { actorOf } from '../db/audit.js';
import { runBatch } from '../db/batch.js';
import { bindRequests, chats, people, units } from '../db/schema.js';
import { isOffice } from '../domain/permissions.js';
import { ContactDirectoryUnavailable, isEmail, isMobile } from '../lark/contact.js';
import { grantRole, upsertPerson } from './bind.js';
import { parseRequestNo, splitFirst } from './parse.js';
import { commandAudit, noticeInserts, officeRecipients } from './record.js';
import type { CommandContext, CommandDef, ParseResult, Role } from './registry.js';
import { findUnit } from './store.js';

const fail = (error: string) => ({ ok: false as const, error });
const ok = <A>(args: A): ParseResult<A> => ({ ok: true, args });

/** 办公室 / 领导 name roles without a unit; anything else is a unit. */
function roleWord(s: string): Role | null {
  if (/^(办公室|市?生态环境保护委员会办公室|office)$/i.test(s)) return 'office';
  if (/^(领导|leader)$/i.test(s)) return 'leader';
  return null;
}

const grantAudit = (ctx: CommandContext, detail: Record<string, unknown> = {}) => ({
  at: ctx.now,
  actor: actorOf(ctx.actor.personId),
  personId: ctx.actor.personId,
  channel: ctx.channel,
  detail,
});

const bind: CommandDef<{ target: string }> = {
  names: ['绑定', 'bind'],
  usage: '绑定 <单位>  ｜  绑定 @某人 <单位|办公室|领导>（办公室）',
  summary: '申请绑定到本单位；办公室可直接绑定他人',
  example: '绑定 市生态环境局',
  roles: 'any',
  parse(arg) {
    const t = arg.replace(/@\S+/g, '').trim();
    return t ? ok({ target: t }) : fail('缺少单位名称。');
  },
  async run(ctx, { target }) {
    const { db } = ctx.deps;
    const mention = ctx.msg?.mentions.find((m) => m.openId);
    if (mention) {
      if (!isOffice(ctx.actor)) return { text: '只有办公室可以绑定他人。要绑定自己，请发送「绑定 <单位名称>」。' };
      const role = roleWord(target);
      const unit = role ? null : await findUnit(db, target);
      if (unit && !unit.ok) return { text: unit.error };
      const personId = await upsertPerson(db, { openId: mention.openId!, name: mention.name }, ctx.now);
      const finalRole: Role = role ?? 'contact';
      const unitId = unit?.ok ? unit.value.id : null;
      const where = unit?.ok ? unit.value.name : finalRole === 'office' ? '办公室' : '领导';
      const tell = `你已被绑定为「${where}」${finalRole === 'contact' ? '联络员' : ''}。发送「帮助」查看可用命令。`;
      const added = await grantRole(db, personId, finalRole, unitId, grantAudit(ctx, { by: 'mention' }), [
        ...noticeInserts(db, [{ receiveIdType: 'open_id', receiveId: mention.openId! }], `notice:bound:${personId}:${finalRole}:${unitId ?? 0}`, tell, ctx.now),
      ]);
      return { text: added ? `已将 ${mention.name} 绑定为「${where}」${finalRole === 'contact' ? '联络员' : ''}。` : `${mention.name} 已经绑定在「${where}」。` };
    }
    const unit = await findUnit(db, target);
    if (!unit.ok) return { text: unit.error };
    if (ctx.actor.unitIds.includes(unit.value.id)) return { text: `你已经绑定在 ${unit.value.name}。` };
    if (!ctx.actor.personId) return { text: '无法识别你的身份，请稍后重试。' };
    const pending = await db
      .select()
      .from(bindRequests)
      .where(and(eq(bindRequests.personId, ctx.actor.personId), eq(bindRequests.unitId, unit.value.id), eq(bindRequests.status, 'pending')));
    if (pending.length) return { text: `你绑定 ${unit.value.name} 的申请 #${pending[0]!.id} 正在等待办公室批准。` };
    const [rows] = (await runBatch(db, [
      db.insert(bindRequests).values({ personId: ctx.actor.personId, unitId: unit.value.id, createdAt: ctx.now }).returning({ id: bindRequests.id }),
      commandAudit(ctx, {
        action: 'bind.request',
        entity: 'unit',
        entityId: unit.value.id,
        detail: { unit: unit.value.name },
      }),
    ])) as Array<Array<{ id: number }>>;
    const id = rows![0]!.id;
    const who = ctx.actor.name ?? ctx.actor.openId;
    await runBatch(
      db,
      noticeInserts(db, await officeRecipients(ctx), `notice:bind:${id}`, `【绑定申请 #${id}】${who} 申请绑定为 ${unit.value.name} 联络员。同意请发送「同意 ${id}」，不同意请发送「拒绝 ${id} <原因>」。`, ctx.now),
    );
    return { text: `已提交绑定申请 #${id}（${unit.value.name}），办公室批准后会通知你。` };
  },
};

async function decideBind(ctx: CommandContext, id: number, approve: boolean, reason: string) {
  const { db } = ctx.deps;
  const row = (
    await db
      .select({ r: bindRequests, p: people, u: units })
      .from(bindRequests)
      .innerJoin(people, eq(people.id, bindRequests.personId))
      .innerJoin(units, eq(units.id, bindRequests.unitId))
      .where(eq(bindRequests.id, id))
  )[0];
  if (!row) return { text: `没有编号为 #${id} 的绑定申请。` };
  if (row.r.status !== 'pending') return { text: `绑定申请 #${id} 已处理过（${row.r.status === 'approved' ? '已同意' : row.r.status === 'withdrawn' ? '申请人已撤回' : '已拒绝'}）。` };
  const who = row.p.name ?? row.p.openId ?? `#${row.p.id}`;
  const decide = db
    .update(bindRequests)
    .set({ status: approve ? 'approved' : 'rejected', decidedBy: ctx.actor.personId, decidedAt: ctx.now })
    .where(and(eq(bindRequests.id, id), eq(bindRequests.status, 'pending')));
  const tell = approve
    ? `你绑定 ${row.u.name} 的申请已通过。发送「我的任务」查看本单位任务。`
    : `你绑定 ${row.u.name} 的申请未通过${reason ? `：${reason}` : ''}。如有疑问请联系办公室。`;
  const notice = row.p.openId
    ? noticeInserts(db, [{ receiveIdType: 'open_id', receiveId: row.p.openId }], `notice:bind-decision:${id}`, tell, ctx.now)
    : [];
  if (approve) {
    await grantRole(db, row.p.id, 'contact', row.u.id, grantAudit(ctx, { bindRequest: id }), [decide, ...notice]);
    return { text: `已同意绑定申请 #${id}：${who} 绑定为 ${row.u.name} 联络员。` };
  }
  await runBatch(db, [
    decide,
    commandAudit(ctx, {
      action: 'bind.reject',
      entity: 'bind_request',
      entityId: id,
      detail: { reason },
    }),
    ...notice,
  ]);
  return { text: `已拒绝绑定申请 #${id}（${who} → ${row.u.name}）。` };
}

const approveBind: CommandDef<{ id: number }> = {
  names: ['同意', 'accept'],
  usage: '同意 <申请号>',
  summary: '同意绑定申请',
  example: '同意 5',
  roles: ['office'],
  parse(arg) {
    const id = parseRequestNo(splitFirst(arg)[0]);
    return id ? ok({ id }) : fail('缺少或看不懂申请号（绑定申请通知里的 #数字）。');
  },
  run: (ctx, { id }) => decideBind(ctx, id, true, ''),
};

const rejectBind: CommandDef<{ id: number; reason: string }> = {
  names: ['拒绝', 'deny'],
  usage: '拒绝 <申请号> [原因]',
  summary: '拒绝绑定申请',
  example: '拒绝 5 非本单位人员',
  roles: ['office'],
  parse(arg) {
    const [no, reason] = splitFirst(arg);
    const id = parseRequestNo(no);
    return id ? ok({ id, reason }) : fail('缺少或看不懂申请号（绑定申请通知里的 #数字）。');
  },
  run: (ctx, { id, reason }) => decideBind(ctx, id, false, reason),
};

const bulkBind: CommandDef<{ unit: string; keys: string[] }> = {
  names: ['批量绑定', 'bulkbind'],
  usage: '批量绑定 <单位> <邮箱或手机号…>',
  summary: '按邮箱/手机号批量绑定联络员',
  example: '批量绑定 安定区 zhang@example.gov.cn 13800000000',
  roles: ['office'],
  parse(arg) {
    const [unit, rest] = splitFirst(arg);
    const keys = rest.split(/[\s,，;；、]+/).filter(Boolean);
    if (!unit || keys.length === 0) return fail('缺少单位或邮箱/手机号。');
    const bad = keys.filter((k) => !isEmail(k) && !isMobile(k));
    if (bad.length) return fail(`看不懂这些邮箱/手机号：${bad.slice(0, 5).join('、')}`);
    if (keys.length > 200) return fail('一次最多 200 个。');
    return ok({ unit, keys });
  },
  async run(ctx, { unit, keys }) {
    const { db } = ctx.deps;
    const u = await findUnit(db, unit);
    if (!u.ok) return { text: u.error };
    if (!ctx.contacts) return { text: '未配置飞书凭据，无法按邮箱或手机号查找用户。' };
    let resolved;
    try {
      resolved = await ctx.contacts.resolve(keys);
    } catch (e) {
      return { text: e instanceof ContactDirectoryUnavailable ? e.message : `查找用户失败：${(e as Error).message}` };
    }
    const bound: string[] = [];
    const already: string[] = [];
    const missing: string[] = [];
    for (const r of resolved) {
      if (!r.openId) {
        missing.push(r.key);
        continue;
      }
      const personId = await upsertPerson(db, { openId: r.openId, email: isEmail(r.key) ? r.key : null, mobile: isEmail(r.key) ? null : r.key }, ctx.now);
      const added = await grantRole(db, personId, 'contact', u.value.id, grantAudit(ctx, { by: 'bulk', key: r.key }));
      (added ? bound : already).push(r.key);
    }
    return {
      text:
        `批量绑定 ${u.value.name}：新绑定 ${bound.length} 人` +
        (already.length ? `，已绑定 ${already.length} 人` : '') +
        (missing.length ? `，未找到 ${missing.length} 人：${missing.join('、')}（请核对邮箱/手机号，或确认其在应用可用范围内）` : '') +
        '。',
    };
  },
};

const PURPOSE_ZH: Record<string, string> = { office: '办公室群', leaders: '领导群', unit: '单位群' };

const setChat: CommandDef<{ purpose: string }> = {
  names: ['本群设为', 'setchat'],
  usage: '本群设为 办公室群|领导群|<单位>群',
  summary: '登记本群用途，决定群提醒和周报发往哪里',
  example: '本群设为 安定区群',
  roles: ['office'],
  parse(arg) {
    const t = arg.trim().replace(/^[:：]/, '').trim();
    return t ? ok({ purpose: t }) : fail('缺少群用途。');
  },
  async run(ctx, { purpose }) {
    const { db } = ctx.deps;
    if (!ctx.msg || ctx.msg.chatType !== 'group') return { text: '请在要登记的群里发送这条命令（并 @机器人）。' };
    let kind: string;
    let unitId: number | null = null;
    let name: string;
    if (/^办公室群?$/.test(purpose)) [kind, name] = ['office', '办公室群'];
    else if (/^领导群?$/.test(purpose)) [kind, name] = ['leaders', '领导群'];
    else {
      const u = await findUnit(db, purpose.replace(/群$/, ''));
      if (!u.ok) return { text: u.error };
      [kind, unitId, name] = ['unit', u.value.id, `${u.value.name}群`];
    }
    const chatId = ctx.msg.chatId;
    await runBatch(db, [
      db
        .insert(chats)
        .values({ chatId, purpose: kind, unitId, registeredBy: ctx.actor.personId, createdAt: ctx.now })
        .onConflictDoUpdate({ target: chats.chatId, set: { purpose: kind, unitId, registeredBy: ctx.actor.personId } }),
      commandAudit(ctx, {
        action: 'chat.register',
        entity: 'chat',
        entityId: chatId,
        detail: { purpose: kind, unitId },
      }),
    ]);
    return { text: `已将本群登记为「${name}」（${PURPOSE_ZH[kind]}）。相关提醒和周报将发到本群。` };
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const peopleCommands: CommandDef<any>[] = [bind, approveBind, rejectBind, bulkBind, setChat];
