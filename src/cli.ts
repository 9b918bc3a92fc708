// The operator's command line: `npx duban <command>`. Output is Chinese first.
import { loadCalendarOverrides } from './db/calendar-store.js';
import { commands } from './cli/index.js';
import type { CliCommand, CliContext } from './cli/types.js';
import { parseConfig } from './config.js';
import { openNodeDatabase, type NodeDatabase } from './db/node.js';
import { describeError, isDubanError } from './domain/errors.js';
import { ensureBundledPlan } from './plans/bundled.js';
import { VERSION } from './version.js';

export function helpText(list: CliCommand[] = commands): string {
  return [
    `duban ${VERSION} — 督办机器人运维命令 / operator commands`,
    '',
    '用法 / usage: npx duban <命令> [参数]',
    '',
    ...list.flatMap((c) => [`  ${c.usage}`, `      ${c.summary}`]),
    '  help',
    '      显示本帮助 / show this help',
    '',
    '数据库位置由 DATABASE_PATH 决定（默认 ./data/duban.db）。',
  ].join('\n');
}

export async function runCli(
  argv: string[],
  io: {
    out?: (l: string) => void;
    err?: (l: string) => void;
    env?: Record<string, string | undefined>;
    /** The command list (tests); default the operator commands of cli/index.ts. */
    commands?: CliCommand[];
  } = {},
): Promise<number> {
  const out = io.out ?? ((l: string) => console.log(l));
  const err = io.err ?? ((l: string) => console.error(l));
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h' || name === '帮助') {
    out(helpText());
    return 0;
  }
  if (name === '--version' || name === 'version') {
    out(VERSION);
    return 0;
  }
  const cmd = (io.commands ?? commands).find((c) => c.name === name);
  if (!cmd) {
    err(`未知命令：${name}。运行 \`npx duban help\` 查看可用命令。`);
    return 2;
  }
  let database: NodeDatabase | undefined;
  try {
    const config = parseConfig(io.env ?? process.env);
    const ctx: CliContext = {
      config,
      database: () => (database ??= openNodeDatabase(config.DATABASE_PATH)),
      out,
      err,
      now: () => Date.now(),
    };
    if (cmd.needsPlan && config.PLAN_AUTOLOAD && (await ensureBundledPlan(ctx.database().db, ctx.now()))) {
      out('数据库为空，已载入内置方案（定西市 2022）。');
    }
    // The office's holiday entries decide working days for commands that read the plan (digest, export, chat …).
    if (cmd.needsPlan) await loadCalendarOverrides(ctx.database().db);
    return await cmd.run(rest, ctx);
  } catch (e) {
    // A DubanError is written for the operator (what went wrong, what to do): say it as it is. Anything else is a
    // fault, said as one.
    if (!isDubanError(e)) {
      err(`命令失败 / failed: ${(e as Error).message}`);
      return 1;
    }
    if (e.code === 'cli_usage') {
      err(`${e.message}\n用法：npx duban ${cmd.usage}`);
      return 2;
    }
    err(describeError(e));
    return 1;
  } finally {
    database?.close();
  }
}

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/src/cli.ts');
if (isMain) {
  runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
