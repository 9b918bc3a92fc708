import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allNames, buildRegistry, commandTableMarkdown, helpText } from '../../src/commands/index.js';
import { replaceCommandTable } from '../../src/commands/readme.js';

describe('command registry', () => {
  const reg = buildRegistry();
  it('has unique names, each with a Chinese name first, an English alias, usage and summary', () => {
    const names = allNames(reg).map((n) => n.toLowerCase());
    expect(new Set(names).size).toBe(names.length);
    for (const c of reg) {
      expect(c.names[0], c.usage).toMatch(/^[\u4e00-\u9fff]/);
      expect(c.names.some((n) => /^[a-z]+$/.test(n)), c.usage).toBe(true);
      expect(c.usage.startsWith(c.names[0]!)).toBe(true);
      expect(c.summary.length).toBeGreaterThan(3);
    }
  });
  it('help for the office lists every command', () => {
    const text = helpText(reg, { personId: 1, openId: 'x', roles: ['office'], unitIds: [] });
    for (const c of reg) expect(text).toContain(c.usage);
  });
  it('the README command table matches the registry (run `npm run docs:commands` after changing commands)', () => {
    const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(replaceCommandTable(readme)).toBe(readme);
    expect(readme).toContain(commandTableMarkdown());
  });
});
