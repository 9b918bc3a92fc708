// Who may do what: pure checks over an actor's roles and units. The office can do everything, contacts act on
// their own units' assignments, leaders read.
import type { Actor, Role } from './actor.js';

export const ROLE_ZH: Record<Role, string> = { office: '办公室', contact: '单位联络员', leader: '领导' };

export function isOffice(a: Actor): boolean {
  return a.roles.includes('office');
}

export function isStranger(a: Actor): boolean {
  return a.roles.length === 0;
}

/** May the actor run a command limited to `allowed`? The office may run everything. */
export function mayRun(a: Actor, allowed: Role[] | 'any'): boolean {
  if (allowed === 'any' || isOffice(a)) return true;
  return a.roles.some((r) => allowed.includes(r));
}

/** May the actor change (report on) an assignment of `unitId`? */
export function mayUpdateUnit(a: Actor, unitId: number): boolean {
  return isOffice(a) || (a.roles.includes('contact') && a.unitIds.includes(unitId));
}

/** Anyone with a role may read tasks and stats. */
export function mayRead(a: Actor): boolean {
  return a.roles.length > 0;
}

export function describeRoles(a: Actor): string {
  return a.roles.length ? a.roles.map((r) => ROLE_ZH[r]).join('、') : '未绑定';
}

/** The refusal a person gets for a command outside their role, saying what they can do instead. */
export function refusalText(a: Actor, allowed: Role[] | 'any', commandName: string): string {
  if (isStranger(a)) return strangerHint();
  // The office may run every command (mayRun), so it is named too: 「进度」仅限办公室或单位联络员使用.
  const who = allowed === 'any' ? '' : (allowed.includes('office') ? allowed : (['office', ...allowed] as Role[])).map((r) => ROLE_ZH[r]).join('或');
  return `「${commandName}」仅限${who}使用，你的身份是${describeRoles(a)}。发送「帮助」查看你可用的命令。`;
}

export function strangerHint(): string {
  return '你还没有绑定单位。请发送「绑定 <单位名称> <你的姓名>」（例如：绑定 市生态环境局 张三）申请绑定，市生态环境保护委员会办公室批准后即可报送进度。';
}
