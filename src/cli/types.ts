// The operator CLI's command shape: one entry per command; `help` is generated from the list.
import type { Config } from '../config.js';
import type { NodeDatabase } from '../db/node.js';
import { DubanError } from '../domain/errors.js';

export interface CliContext {
  config: Config;
  /** Opens (and migrates) the configured database on first use. */
  database(): NodeDatabase;
  out: (line: string) => void;
  err: (line: string) => void;
  now: () => number;
}

export interface CliCommand {
  name: string;
  /** Usage line, e.g. `import <文件> [--dry-run]`. */
  usage: string;
  /** One-line description, Chinese first. */
  summary: string;
  /** Load the bundled plan into an empty database first (as `npm start` does), when PLAN_AUTOLOAD is on. */
  needsPlan?: boolean;
  /** Returns the process exit code. */
  run(args: string[], ctx: CliContext): Promise<number>;
}

export class CliUsageError extends DubanError {
  constructor(message: string) {
    super('cli_usage', message);
  }
}

/** Parse `--flag value`, `--flag=value` and `--bool` options; returns positionals and options. */
export function parseArgs(
  args: string[],
  spec: Record<string, 'string' | 'boolean'>,
): { positionals: string[]; options: Record<string, string | boolean> } {
  const positionals: string[] = [];
  const options: Record<string, string | boolean> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const [rawName, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const kind = spec[rawName];
    if (!kind) throw new CliUsageError(`未知选项 --${rawName}`);
    if (kind === 'boolean') options[rawName] = true;
    else {
      const v = inline ?? args[++i];
      if (v === undefined || v.startsWith('--')) throw new CliUsageError(`选项 --${rawName} 需要一个值`);
      options[rawName] = v;
    }
  }
  return { positionals, options };
}
