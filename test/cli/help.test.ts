import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { runCli } from '../../src/cli.js';
import { commands } from '../../src/cli/index.js';

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: { DATABASE_PATH: ':memory:' } });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('npx duban help', () => {
  it('lists every registered command with its usage, and exits 0', async () => {
    const r = await cli('help');
    expect(r.code).toBe(0);
    for (const c of commands) expect(r.out).toContain(c.usage);
    expect(r.out).toContain('DATABASE_PATH');
  });

  it('an unknown command says how to find the right one', async () => {
    const r = await cli('improt', 'x.xlsx');
    expect(r.code).toBe(2);
    expect(r.err).toContain('未知命令：improt');
    expect(r.err).toContain('npx duban help');
  });

  it('the README names every operator command', () => {
    const readme = fs.readFileSync('README.md', 'utf8');
    for (const c of commands) expect(readme).toContain(`npx duban ${c.name}`);
  });
});
