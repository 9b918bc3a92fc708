// The command registry: every chat command in one list. 帮助 and the README table are generated from it.
import { ROLE_ZH, isStranger, mayRun, strangerHint } from '../domain/permissions.js';
import { calendarCommands } from './calendar-commands.js';
import { officeViewCommands } from './office-views.js';
import { peopleCommands } from './people-commands.js';
import type { CommandDef, ParseResult } from './registry.js';
import type { Actor } from '../domain/actor.js';
import { taskCommands } from './task-commands.js';
import { boardCommand } from './board-command.js';
import { unmatchedCommands } from './unmatched-commands.js';
import { undeliveredCommand } from './undelivered.js';
import { evidenceCommands } from './evidence-commands.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = CommandDef<any>;

const help: AnyCommand = {
  names: ['帮助', 'help', '?', '？'],
  usage: '帮助',
  summary: '列出你可以使用的命令',
  roles: 'any',
  parse: (): ParseResult<null> => ({ ok: true, value: null }),
  async run(ctx) {
    return { text: helpText(buildRegistry(), ctx.actor) };
  },
};

/** The registry: help first, then the task, office-view and people commands. */
export function buildRegistry(): AnyCommand[] {
  return [
    help, ...taskCommands, ...officeViewCommands, ...peopleCommands, ...calendarCommands, ...unmatchedCommands, undeliveredCommand,
    boardCommand, ...evidenceCommands,
  ];
}

export function allNames(registry: AnyCommand[]): string[] {
  return registry.flatMap((c) => c.names);
}

export function findCommand(registry: AnyCommand[], name: string): AnyCommand | undefined {
  const n = name.toLowerCase();
  return registry.find((c) => c.names.some((x) => x.toLowerCase() === n));
}

/** 帮助: the commands the actor may use, with one example each; strangers also learn how to get bound. */
export function helpText(registry: AnyCommand[], actor: Actor): string {
  const usable = registry.filter((c) => mayRun(actor, c.roles));
  const who = actor.roles.length ? actor.roles.map((r) => ROLE_ZH[r]).join('、') : '未绑定';
  const alias = (c: AnyCommand) => c.names.slice(1).filter((n) => /^[a-z]/i.test(n));
  const lines = usable.map(
    (c) => `• ${c.usage}${alias(c).length ? `（${alias(c).join('/')}）` : ''}\n  ${c.summary}${c.example ? `，例：${c.example}` : ''}`,
  );
  const head = `督办机器人命令（你的身份：${who}）`;
  const tail = '编号可用全角数字或“。”；日期可写 2022-07-31、7月31日、7月底；命令前可加 /，括号内为英文别名。';
  return [head, ...lines, tail, ...(isStranger(actor) ? [strangerHint()] : [])].join('\n');
}

/** The README's command table, generated so the README cannot drift from the registry. */
export function commandTableMarkdown(registry: AnyCommand[] = buildRegistry()): string {
  const rolesZh = (c: AnyCommand) => (c.roles === 'any' ? '所有人' : ['office', ...c.roles.filter((r) => r !== 'office')].map((r) => ROLE_ZH[r as keyof typeof ROLE_ZH]).join('、'));
  return [
    '| 命令 | 英文别名 | 用法 | 说明 | 谁可用 |',
    '|---|---|---|---|---|',
    ...registry.map(
      (c) =>
        `| ${c.names[0]} | ${c.names.slice(1).filter((n) => /^[a-z]/i.test(n)).join(', ')} | \`${c.usage.replace(/\|/g, '\\|')}\` | ${c.summary} | ${rolesZh(c)} |`,
    ),
  ].join('\n');
}
