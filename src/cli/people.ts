// `npx duban people add|list`: the operator binds the first office members, contacts and leaders.
import { endRoleQueries, grantRole, rolesOf, upsertPerson } from '../db/people-store.js';
import { runBatch } from '../db/batch.js';
import type { Role } from '../domain/actor.js';
import { findUnit } from '../commands/lookup.js';
import { unitNamesById } from '../db/plan-store.js';
import { findPeopleBy, listPeopleWithRoles, listRoleHistory, type PersonRow } from '../db/roster-store.js';
import { ROLE_ZH } from '../domain/permissions.js';
import { createLarkContactDirectory } from '../lark/contact.js';
import { isMobile, isEmail } from '../domain/contact-keys.js';
import { type ContactDirectory } from '../ports.js';
import { CliUsageError, parseArgs, type CliCommand, type CliContext } from './types.js';

const ROLES: Role[] = ['office', 'contact', 'leader'];

export async function runPeople(args: string[], ctx: CliContext, contacts?: ContactDirectory): Promise<number> {
  const [sub, ...rest] = args;
  const { db } = ctx.database();
  if (sub === 'list') {
    if (rest.includes('--history')) return listHistory(ctx);
    const rows = await listPeopleWithRoles(db);
    const unitNames = await unitNamesById(db);
    const byPerson = new Map<number, { p: PersonRow; roles: string[] }>();
    for (const { p, r } of rows) {
      const e = byPerson.get(p.id) ?? { p, roles: [] };
      if (r) e.roles.push(r.role === 'contact' ? `联络员(${unitNames.get(r.unitId) ?? r.unitId})` : ROLE_ZH[r.role as Role] ?? r.role);
      byPerson.set(p.id, e);
    }
    const officeIds = new Set(ctx.config.OFFICE_OPEN_IDS);
    if (byPerson.size === 0 && officeIds.size === 0) ctx.out('还没有人员。用 npx duban people add 添加。');
    for (const { p, roles: rs } of byPerson.values()) {
      if (p.openId && officeIds.has(p.openId) && !rs.includes('办公室')) rs.push('办公室(配置)');
      ctx.out(`${p.name ?? '(未知姓名)'}\t${p.openId ?? '-'}\t${rs.length ? rs.join('、') : '未绑定'}`);
    }
    return 0;
  }
  if (sub === 'remove') return removePerson(rest, ctx);
  if (sub !== 'add') throw new CliUsageError('用法：people add … ｜ people remove … ｜ people list [--history]');
  const { options } = parseArgs(rest, { 'open-id': 'string', email: 'string', mobile: 'string', role: 'string', unit: 'string', name: 'string' });
  const role = options.role as Role;
  if (!ROLES.includes(role)) throw new CliUsageError('--role 应为 office、contact 或 leader');
  if (role === 'contact' && typeof options.unit !== 'string') throw new CliUsageError('联络员需要 --unit <单位名称>');
  const keys = [options['open-id'], options.email, options.mobile].filter((x) => typeof x === 'string');
  if (keys.length !== 1) throw new CliUsageError('请给出且只给出 --open-id、--email、--mobile 中的一个');
  let unitId: number | null = null;
  let unitName = '';
  if (typeof options.unit === 'string') {
    const u = await findUnit(db, options.unit);
    if (!u.ok) {
      ctx.err(u.error);
      return 1;
    }
    unitId = u.value.id;
    unitName = u.value.name;
  }
  let openId = typeof options['open-id'] === 'string' ? options['open-id'] : null;
  const email = typeof options.email === 'string' ? options.email : null;
  const mobile = typeof options.mobile === 'string' ? options.mobile : null;
  if (email && !isEmail(email)) throw new CliUsageError(`邮箱格式不对：${email}`);
  if (mobile && !isMobile(mobile)) throw new CliUsageError(`手机号格式不对：${mobile}`);
  if (!openId) {
    const dir = contacts ?? createLarkContactDirectory(ctx.config);
    const [r] = await dir.resolve([(email ?? mobile)!]);
    if (!r?.openId) {
      ctx.err(`飞书通讯录中找不到 ${email ?? mobile}（请核对，或确认此人在应用的可用范围内）。`);
      return 1;
    }
    openId = r.openId;
  }
  const now = ctx.now();
  const personId = await upsertPerson(db, { openId, name: typeof options.name === 'string' ? options.name : null, email, mobile }, now);
  const added = await grantRole(db, personId, role, unitId, { at: now, actor: 'cli', personId: null, channel: 'cli' });
  const what = role === 'contact' ? `${unitName} 联络员` : ROLE_ZH[role];
  ctx.out(added ? `已添加：${options.name ?? openId}（${openId}）为${what}。` : `${options.name ?? openId} 已经是${what}。`);
  return 0;
}

/** `people remove`: end a person's roles (all, one role, or one unit's contact role), keeping the history. */
async function removePerson(args: string[], ctx: CliContext): Promise<number> {
  const { db } = ctx.database();
  const { options, positionals } = parseArgs(args, { 'open-id': 'string', email: 'string', mobile: 'string', name: 'string', role: 'string', unit: 'string', reason: 'string' });
  if (positionals.length) throw new CliUsageError(`多余的参数：${positionals.join(' ')}`);
  const keys = (['open-id', 'email', 'mobile', 'name'] as const).filter((k) => typeof options[k] === 'string');
  if (keys.length !== 1) throw new CliUsageError('请给出且只给出 --open-id、--email、--mobile、--name 中的一个');
  const k = keys[0]!;
  const v = options[k] as string;
  const found = await findPeopleBy(db, k === 'open-id' ? 'openId' : k, v);
  if (found.length === 0) {
    ctx.err(`没有找到 ${v}。用 npx duban people list 查看。`);
    return 1;
  }
  if (found.length > 1) {
    ctx.err(`有 ${found.length} 人叫 ${v}，请改用 --open-id：${found.map((p) => p.openId).join('、')}`);
    return 1;
  }
  const person = found[0]!;
  const role = options.role as Role | undefined;
  if (role !== undefined && !ROLES.includes(role)) throw new CliUsageError('--role 应为 office、contact 或 leader');
  let unitId: number | undefined;
  if (typeof options.unit === 'string') {
    const u = await findUnit(db, options.unit);
    if (!u.ok) {
      ctx.err(u.error);
      return 1;
    }
    unitId = u.value.id;
  }
  const ending = await rolesOf(db, person.id, unitId !== undefined ? 'contact' : role, unitId);
  const label = person.name ?? person.openId ?? `#${person.id}`;
  if (ending.length === 0) {
    ctx.out(`${label} 没有${unitId !== undefined ? '该单位的联络员身份' : role ? ROLE_ZH[role] + '身份' : '任何身份'}，无需移除。`);
    return 0;
  }
  const unitNames = await unitNamesById(db);
  const what = ending.map((r) => (r.role === 'contact' ? `${unitNames.get(r.unitId) ?? r.unitId}联络员` : ROLE_ZH[r.role as Role] ?? r.role)).join('、');
  await runBatch(
    db,
    endRoleQueries(db, ending, { at: ctx.now(), actor: 'cli', personId: null, channel: 'cli', reason: 'removed', note: typeof options.reason === 'string' ? options.reason : null }),
  );
  ctx.out(`已移除 ${label} 的身份：${what}。历史记录保留（npx duban people list --history 查看）。`);
  if (person.openId && ctx.config.OFFICE_OPEN_IDS.includes(person.openId))
    ctx.out(`注意：${label} 仍在配置项 OFFICE_OPEN_IDS 中，请同时从配置中删除，否则仍按办公室身份对待。`);
  return 0;
}

async function listHistory(ctx: CliContext): Promise<number> {
  const { db } = ctx.database();
  const rows = await listRoleHistory(db);
  if (rows.length === 0) {
    ctx.out('没有已结束的身份。');
    return 0;
  }
  const unitNames = await unitNamesById(db);
  const REASON: Record<string, string> = { unbind: '解绑', handover: '交接', removed: '移除' };
  const day = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
  for (const { h, name, openId } of rows) {
    const what = h.role === 'contact' ? `联络员(${unitNames.get(h.unitId) ?? h.unitId})` : ROLE_ZH[h.role as Role] ?? h.role;
    ctx.out(`${name ?? '(未知姓名)'}\t${openId ?? '-'}\t${what}\t${day(h.startedAt)} 至 ${day(Math.max(h.endedAt, h.startedAt))}\t${REASON[h.reason] ?? h.reason}${h.note ? `：${h.note}` : ''}`);
  }
  return 0;
}

export const peopleCommand: CliCommand = {
  name: 'people',
  needsPlan: true,
  usage:
    'people add --open-id <id>|--email <邮箱>|--mobile <手机号> --role office|contact|leader [--unit 单位] [--name 姓名] ｜ ' +
    'people remove --open-id <id>|--name <姓名>|--email <邮箱>|--mobile <手机号> [--role 身份] [--unit 单位] [--reason 说明] ｜ people list [--history]',
  summary: '添加、移除（保留历史）或列出办公室成员、单位联络员和领导',
  run: (args, ctx) => runPeople(args, ctx),
};
