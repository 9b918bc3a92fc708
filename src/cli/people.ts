// `npx duban people add|list`: the operator binds the first office members, contacts and leaders.
import { eq } from 'drizzle-orm';
import { grantRole, upsertPerson } from '../commands/bind.js';
import type { Role } from '../commands/registry.js';
import { findUnit } from '../commands/store.js';
import { people, roles, units } from '../db/schema.js';
import { ROLE_ZH } from '../domain/permissions.js';
import { createLarkContactDirectory, isEmail, isMobile, type ContactDirectory } from '../lark/contact.js';
import { CliUsageError, parseArgs, type CliCommand, type CliContext } from './types.js';

const ROLES: Role[] = ['office', 'contact', 'leader'];

export async function runPeople(args: string[], ctx: CliContext, contacts?: ContactDirectory): Promise<number> {
  const [sub, ...rest] = args;
  const { db } = ctx.database();
  if (sub === 'list') {
    const rows = await db.select({ p: people, r: roles }).from(people).leftJoin(roles, eq(roles.personId, people.id));
    const unitNames = new Map((await db.select().from(units)).map((u) => [u.id, u.name]));
    const byPerson = new Map<number, { p: typeof people.$inferSelect; roles: string[] }>();
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
  if (sub !== 'add') throw new CliUsageError('用法：people add … 或 people list');
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

export const peopleCommand: CliCommand = {
  name: 'people',
  needsPlan: true,
  usage: 'people add --open-id <id>|--email <邮箱>|--mobile <手机号> --role office|contact|leader [--unit 单位] [--name 姓名] ｜ people list',
  summary: '添加或列出办公室成员、单位联络员和领导',
  run: (args, ctx) => runPeople(args, ctx),
};
