// wrangler.toml and .dev.vars.example stay in step with the config schema: every var is a key parseConfig knows,
// no secret sits in plain vars, the values parse, and the D1 binding uses the Node migrations folder.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';

const SECRETS = ['LARK_APP_SECRET', 'LARK_VERIFICATION_TOKEN', 'LARK_ENCRYPT_KEY', 'ADMIN_TOKEN', 'BOARD_SECRET'];
const toml = fs.readFileSync('wrangler.toml', 'utf8');

/** The `KEY = "value"` lines of one [section] (enough TOML for this file). */
function section(name: string): Record<string, string> {
  const start = toml.indexOf(`\n[${name}]`);
  if (start < 0) return {};
  const body = toml.slice(start + name.length + 3).split(/\n\[/)[0]!;
  return Object.fromEntries([...body.matchAll(/^([A-Za-z_]\w*)\s*=\s*"([^"]*)"/gm)].map((m) => [m[1]!, m[2]!]));
}

function knownKeys(): Set<string> {
  // The keys of a parsed empty config: every setting has a default.
  return new Set(Object.keys(parseConfig({})).filter((k) => k !== 'larkConfigured'));
}

describe('wrangler.toml', () => {
  it('vars are known config keys, carry no secret, and parse', () => {
    const vars = section('vars');
    expect(Object.keys(vars).length).toBeGreaterThan(3);
    const known = knownKeys();
    expect(Object.keys(vars).filter((k) => !known.has(k))).toEqual([]);
    expect(Object.keys(vars).filter((k) => SECRETS.includes(k))).toEqual([]);
    expect(() => parseConfig(vars)).not.toThrow();
  });

  it('binds D1 as DB with the migrations folder Node uses, and enables nodejs_compat and the __dirname define', () => {
    expect(toml).toMatch(/\[\[d1_databases\]\][^[]*binding = "DB"[^[]*migrations_dir = "migrations"/);
    expect(toml).toMatch(/compatibility_flags = \["nodejs_compat"\]/);
    expect(toml).toMatch(/\[define\]\s*\n__dirname = '"\/"'/);
    // The test-only flag must never be deployed.
    expect(toml).not.toContain('increase_websocket_message_size');
  });

  it('.dev.vars.example names only known keys, and every secret', () => {
    const keys = fs
      .readFileSync('.dev.vars.example', 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => l.split('=')[0]!);
    const known = knownKeys();
    expect(keys.filter((k) => !known.has(k))).toEqual([]);
    for (const s of SECRETS) expect(keys).toContain(s);
  });
});
