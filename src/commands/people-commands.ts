// Commands about people and chats: 绑定, 解绑, 交接, 同意, 拒绝, 批量绑定, 本群设为.
import { actorOf } from '../db/audit.js';
import { runBatch } from '../db/batch.js';
import { isOffice } from '../domain/permissions.js';
import { isMobile, isEmail } from '../domain/contact-keys.js';
import { ContactDirectoryUnavailable } from '../ports.js';
import {
  bindRequestDecision,
  bindRequestInsert,
  bindRequestWithParties,
  chatRegistration,
  contactsOf,
  endRoleQueries,
  grantRole,
  pendingBindRequests,
  personByOpenId,
  rolesOf,
  setPersonName,
  upsertPerson,
  type RoleRow,
} from '../db/people-store.js';
import { unitNameList } from '../db/task-store.js';
import { parseRequestNo, splitFirst } from './parse.js';
import { commandAudit, noticeInserts, officeRecipients } from './record.js';
import type { CommandContext, CommandDef, ParseResult } from './registry.js';
import type { Role } from '../domain/actor.js';
import { findUnit } from './lookup.js';
import { ok } from '../domain/result.js';

const fail = (error: string) => ({ ok: false as const, error });

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

/** Text after `@` that Feishu did not turn into a mention (typed by hand, or a person the bot cannot see). */
const AT_TEXT = /(^|\s)@\S+/;

/** The message's mentions of people other than the bot, with open_ids; `unresolved` when text has a bare @. */
function mentionedPeople(ctx: CommandContext, atText: boolean) {
  const resolved = (ctx.msg?.mentions ?? []).filter((m) => m.openId);
  const unresolved = resolved.length === 0 && (atText || (ctx.msg?.mentions.length ?? 0) > 0);
  return { resolved, unresolved };
}

const UNRESOLVED_MENTION =
  '没能识别你 @ 的人：请在飞书输入框里输入 @ 后从列表中选中此人（名字变蓝），再发送；' +
  '或用「批量绑定 <单位> <邮箱或手机号>」。这条命令没有执行，也没有提交任何申请。';

const bind: CommandDef<{ target: string; atText: boolean }> = {
  names: ['绑定', 'bind'],
  usage: '绑定 <单位> [姓名]  ｜  绑定 @某人 <单位|办公室|领导>（办公室）',
  summary: '申请绑定到本单位（写上姓名便于办公室核对）；办公室可直接绑定他人',
  example: '绑定 市生态环境局 张三',
  roles: 'any',
  parse(arg) {
    const t = arg.replace(/(^|\s)@\S+/g, ' ').trim();
    return t ? ok({ target: t, atText: AT_TEXT.test(arg) }) : fail('缺少单位名称。');
  },
  async run(ctx, { target, atText }) {
    const { db } = ctx.deps;
    const { resolved, unresolved } = mentionedPeople(ctx, atText);
    const mention = resolved[0];
    if (!mention && unresolved) {
      if (!isOffice(ctx.actor)) return { text: '只有办公室可以绑定他人。要绑定自己，请发送「绑定 <单位名称> <你的姓名>」。' };
      return { text: UNRESOLVED_MENTION };
    }
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
        ...noticeInserts(db, [{ receiveIdType: 'open_id', receiveId: mention.openId! }], `notice:bound:${personId}:${finalRole}:${unitId ?? 0}:${ctx.now}`, tell, ctx.now),
      ]);
      return { text: added ? `已将 ${mention.name} 绑定为「${where}」${finalRole === 'contact' ? '联络员' : ''}。` : `${mention.name} 已经绑定在「${where}」。` };
    }
    // 绑定 <单位> [姓名]: the unit first; what follows is the person's name.
    const [head, rest] = splitFirst(target);
    let unit = rest ? await findUnit(db, head) : await findUnit(db, target);
    let givenName = '';
    if (rest && unit.ok) givenName = rest.replace(/^(我是|姓名[:：]?)/, '').trim();
    else if (rest) unit = await findUnit(db, target);
    if (!unit.ok) return { text: unit.error };
    if (ctx.actor.unitIds.includes(unit.value.id)) return { text: `你已经绑定在 ${unit.value.name}。` };
    if (!ctx.actor.personId) return { text: '无法识别你的身份，请稍后重试。' };
    if (givenName && [...givenName].length > 20) return { text: '姓名太长了，请只写姓名，例如：绑定 安定区 张三' };
    // The office must see who asks: a name from the message, the database or the Feishu directory, never an open_id.
    const name = givenName || ctx.actor.name || (await ctx.contacts?.nameOf?.(ctx.actor.openId)) || null;
    if (!name) return { text: `请写上你的姓名，便于办公室核对，例如：绑定 ${unit.value.name} 张三` };
    if (name !== ctx.actor.name) await setPersonName(db, ctx.actor.personId, name);
    const pending = await pendingBindRequests(db, ctx.actor.personId, unit.value.id);
    if (pending.length) return { text: `你绑定 ${unit.value.name} 的申请 #${pending[0]!.id} 正在等待办公室批准。` };
    const [rows] = (await runBatch(db, [
      bindRequestInsert(db, ctx.actor.personId, unit.value.id, ctx.now),
      commandAudit(ctx, {
        action: 'bind.request',
        entity: 'unit',
        entityId: unit.value.id,
        detail: { unit: unit.value.name, name },
      }),
    ])) as Array<Array<{ id: number }>>;
    const id = rows![0]!.id;
    const current = (await contactsOf(db, unit.value.id)).map((c) => c.name ?? '（未留姓名）');
    await runBatch(
      db,
      noticeInserts(
        db,
        await officeRecipients(ctx),
        `notice:bind:${id}`,
        `【绑定申请 #${id}】${name} 申请绑定为 ${unit.value.name} 联络员${current.length ? `（现有联络员：${current.join('、')}）` : ''}。同意请发送「同意 ${id}」，不同意请发送「拒绝 ${id} <原因>」。`,
        ctx.now,
      ),
    );
    return { text: `已提交绑定申请 #${id}（${name} → ${unit.value.name}），办公室批准后会通知你。如需撤回，发送「撤回 ${id}」。` };
  },
};

/** 解绑: a contact leaves a unit (or the office ends someone's role); the role's history is kept. */
const unbind: CommandDef<{ target: string; atText: boolean }> = {
  names: ['解绑', 'unbind'],
  usage: '解绑 [单位]  ｜  解绑 @某人 [单位|办公室|领导]（办公室）',
  summary: '解除自己（或办公室解除他人）的联络员等身份，历史记录保留',
  example: '解绑 安定区',
  roles: ['office', 'contact', 'leader'],
  parse(arg) {
    return ok({ target: arg.replace(/(^|\s)@\S+/g, ' ').trim(), atText: AT_TEXT.test(arg) });
  },
  async run(ctx, { target, atText }) {
    const { db } = ctx.deps;
    const { resolved, unresolved } = mentionedPeople(ctx, atText);
    const other = resolved[0];
    if ((other || unresolved) && !isOffice(ctx.actor)) return { text: '只有办公室可以解绑他人。要解绑自己，请发送「解绑」或「解绑 <单位>」。' };
    if (!other && unresolved) return { text: UNRESOLVED_MENTION };
    const personId = other ? (await personByOpenId(db, other.openId!))?.id : ctx.actor.personId;
    const who = other ? other.name : '你';
    if (!personId) return { text: `${who} 没有任何身份，无需解绑。` };
    const current = await rolesOf(db, personId);
    let ending = current;
    const role = target ? roleWord(target) : null;
    if (role) ending = current.filter((r) => r.role === role);
    else if (target) {
      const u = await findUnit(db, target);
      if (!u.ok) return { text: u.error };
      ending = current.filter((r) => r.role === 'contact' && r.unitId === u.value.id);
      if (!ending.length) return { text: `${who}不是 ${u.value.name} 的联络员。` };
    } else if (!other) {
      // Oneself without a unit: the contact roles, only when there is exactly one.
      ending = current.filter((r) => r.role === 'contact');
      if (ending.length > 1) {
        const names = await unitNames(ctx, ending.map((r) => r.unitId));
        return { text: `你是 ${names.join('、')} 的联络员，请写明要解绑哪个单位，例如：解绑 ${names[0]}` };
      }
      if (!ending.length) return { text: '你没有绑定任何单位。办公室或领导身份请由办公室解除。' };
    }
    if (!ending.length) return { text: `${who}没有可解绑的身份。` };
    const describe = async (r: RoleRow) => (r.role === 'contact' ? `${(await unitNames(ctx, [r.unitId]))[0]}联络员` : r.role === 'office' ? '办公室成员' : '领导');
    const what = (await Promise.all(ending.map(describe))).join('、');
    const extra: unknown[] = [];
    if (other?.openId)
      extra.push(...noticeInserts(db, [{ receiveIdType: 'open_id', receiveId: other.openId }], `notice:unbound:${personId}:${ctx.now}`, `办公室已解除你的身份：${what}。如有疑问请联系办公室。`, ctx.now));
    if (!other)
      extra.push(...noticeInserts(db, await officeRecipients(ctx), `notice:unbound:${personId}:${ctx.now}`, `【解绑】${ctx.actor.name ?? '一位联络员'} 已解除身份：${what}。${await vacancyNote(ctx, ending, true)}`, ctx.now));
    await runBatch(db, [...endRoleQueries(db, ending, { ...grantAudit(ctx), reason: 'unbind' }), ...extra]);
    return { text: `已解除${other ? ` ${other.name} 的` : '你的'}身份：${what}。历史报送记录保留。${await vacancyNote(ctx, ending, isOffice(ctx.actor))}` };
  },
};

async function unitNames(ctx: CommandContext, ids: number[]): Promise<string[]> {
  const all = await unitNameList(ctx.deps.db);
  return ids.map((id) => all.find((u) => u.id === id)?.name ?? `#${id}`);
}

/**
 * "安定区 已没有联络员…" when a unit is left without a contact: the office is told how to appoint the successor (with
 * the unit filled in); a contact who left is told the office has been asked (they can no longer do it themselves).
 */
async function vacancyNote(ctx: CommandContext, ended: RoleRow[], forOffice: boolean): Promise<string> {
  const out: string[] = [];
  for (const r of ended.filter((x) => x.role === 'contact')) {
    const left = (await contactsOf(ctx.deps.db, r.unitId)).filter((c) => c.personId !== r.personId);
    const name = (await unitNames(ctx, [r.unitId]))[0];
    if (!left.length)
      out.push(
        forOffice
          ? `${name} 已没有联络员，请尽快安排接任（「交接 ${name} @新联络员」或「绑定 @某人 ${name}」）。`
          : `${name} 已没有联络员，已告知办公室安排接任。`,
      );
  }
  return out.join('');
}

/** 交接: hand a unit over to a new contact. The office ends every current contact; a contact ends only their own. */
const handover: CommandDef<{ unit: string; atText: boolean }> = {
  names: ['交接', 'handover'],
  usage: '交接 [单位] @新联络员',
  summary: '把单位的联络员工作交接给新联络员（原联络员解绑，历史保留；联络员交接会通知办公室）',
  example: '交接 安定区 @张三',
  roles: ['office', 'contact'],
  parse(arg) {
    return ok({ unit: arg.replace(/(^|\s)@\S+/g, ' ').trim(), atText: AT_TEXT.test(arg) });
  },
  async run(ctx, { unit: unitText, atText }) {
    const { db } = ctx.deps;
    const { resolved, unresolved } = mentionedPeople(ctx, atText);
    const next = resolved[0];
    if (!next) return { text: unresolved ? UNRESOLVED_MENTION : `请 @ 新联络员，例如：${handover.example}` };
    let unitId: number;
    let unitName: string;
    if (unitText) {
      const u = await findUnit(db, unitText);
      if (!u.ok) return { text: u.error };
      [unitId, unitName] = [u.value.id, u.value.name];
    } else if (!isOffice(ctx.actor) && ctx.actor.unitIds.length === 1) {
      unitId = ctx.actor.unitIds[0]!;
      unitName = (await unitNames(ctx, [unitId]))[0]!;
    } else return { text: `请写明交接哪个单位，例如：${handover.example}` };
    if (!isOffice(ctx.actor) && !ctx.actor.unitIds.includes(unitId)) return { text: `你不是 ${unitName} 的联络员，不能交接它的工作。` };
    const successorId = await upsertPerson(db, { openId: next.openId!, name: next.name }, ctx.now);
    if (successorId === ctx.actor.personId) return { text: '不能交接给自己。' };
    const current = await contactsOf(db, unitId);
    const leaving = current.filter((c) => c.personId !== successorId && (isOffice(ctx.actor) || c.personId === ctx.actor.personId));
    const tellNew = `你已接任 ${unitName} 联络员${leaving.length ? `（原联络员：${leaving.map((c) => c.name ?? '未留姓名').join('、')}）` : ''}。发送「我的任务」查看本单位任务。`;
    const notices: unknown[] = [
      ...noticeInserts(db, [{ receiveIdType: 'open_id', receiveId: next.openId! }], `notice:handover:${unitId}:${successorId}:${ctx.now}`, tellNew, ctx.now),
      ...leaving
        .filter((c) => c.openId && c.personId !== ctx.actor.personId)
        .flatMap((c) => noticeInserts(db, [{ receiveIdType: 'open_id', receiveId: c.openId! }], `notice:handover-out:${unitId}:${c.personId}:${ctx.now}`, `${unitName} 的联络员工作已由办公室交接给 ${next.name}，你不再收到该单位的提醒。`, ctx.now)),
    ];
    if (!isOffice(ctx.actor))
      notices.push(...noticeInserts(db, await officeRecipients(ctx), `notice:handover-office:${unitId}:${ctx.now}`, `【交接】${ctx.actor.name ?? '联络员'} 已把 ${unitName} 的联络员工作交接给 ${next.name}。如有异议请「解绑 @${next.name} ${unitName}」。`, ctx.now));
    const added = await grantRole(db, successorId, 'contact', unitId, grantAudit(ctx, { by: 'handover' }), [
      ...endRoleQueries(db, leaving, { ...grantAudit(ctx), reason: 'handover', successorId }),
      ...notices,
    ]);
    if (!added && leaving.length) await runBatch(db, endRoleQueries(db, leaving, { ...grantAudit(ctx), reason: 'handover', successorId }));
    return {
      text: `已将 ${unitName} 的联络员工作交接给 ${next.name}${leaving.length ? `，${leaving.map((c) => c.name ?? '原联络员').join('、')} 已解绑（历史记录保留）` : ''}。已通知相关人员。`,
    };
  },
};

async function decideBind(ctx: CommandContext, id: number, approve: boolean, reason: string) {
  const { db } = ctx.deps;
  const row = await bindRequestWithParties(db, id);
  if (!row) return { text: `没有编号为 #${id} 的绑定申请。` };
  if (row.r.status !== 'pending') return { text: `绑定申请 #${id} 已处理过（${row.r.status === 'approved' ? '已同意' : row.r.status === 'withdrawn' ? '申请人已撤回' : '已拒绝'}）。` };
  const who = row.p.name ?? `申请人 #${id}`;
  const decide = bindRequestDecision(db, id, approve, ctx.actor.personId, ctx.now);
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
      chatRegistration(db, { chatId, purpose: kind, unitId, registeredBy: ctx.actor.personId }, ctx.now),
      commandAudit(ctx, {
        action: 'chat.register',
        entity: 'chat',
        entityId: chatId,
        detail: { purpose: kind, unitId },
      }),
    ]);
    if (kind === 'unit') {
      const cs = (await contactsOf(db, unitId!)).map((c) => c.name ?? '未留姓名');
      return {
        text:
          `已将本群登记为「${name}」（${PURPOSE_ZH[kind]}）。${name.replace(/群$/, '')}的提醒和通知今后发到本群，并 @ 该单位联络员` +
          (cs.length ? `（当前：${cs.join('、')}）。` : '。该单位还没有绑定联络员：绑定后提醒才会发出（在此之前逾期情况报办公室）。'),
      };
    }
    return { text: `已将本群登记为「${name}」（${PURPOSE_ZH[kind]}）。相关提醒和周报将发到本群。` };
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const peopleCommands: CommandDef<any>[] = [bind, unbind, handover, approveBind, rejectBind, bulkBind, setChat];
