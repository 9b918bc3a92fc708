// The Workers bundle builds (wrangler deploy --dry-run, offline) and nothing Node-only is in its import graph.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

// Modules that only work on Node (or only the CLI needs): the worker must never pull them in, even behind
// nodejs_compat, where some would bundle and then fail at run time.
const NODE_ONLY = [
  /node_modules\/better-sqlite3\//,
  /node_modules\/node-cron\//,
  /node_modules\/@hono\/node-server\//,
  /node_modules\/drizzle-orm\/better-sqlite3\//,
  /node_modules\/exceljs\//,
  /node_modules\/tsx\//,
  /^src\/node\.ts$/,
  /^src\/db\/node\.ts$/,
  /^src\/cli/,
  /^src\/scheduler\/cron\.ts$/,
];

describe('worker bundle', () => {
  it('builds with wrangler and imports nothing Node-only', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-worker-'));
    const meta = path.join(out, 'meta.json');
    execFileSync(
      process.execPath,
      ['node_modules/wrangler/bin/wrangler.js', 'deploy', '--dry-run', '--outdir', out, '--metafile', meta],
      { env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' }, stdio: 'pipe' },
    );
    const inputs = Object.keys((JSON.parse(fs.readFileSync(meta, 'utf8')) as { inputs: object }).inputs);
    expect(inputs).toContain('src/worker.ts');
    const offending = inputs.filter((i) => NODE_ONLY.some((re) => re.test(i)));
    expect(offending).toEqual([]);
    // Cloudflare's upload limit is on the compressed script: 3 MiB on the Free plan (10 MiB Paid).
    const gzipped = gzipSync(fs.readFileSync(path.join(out, 'worker.js'))).length;
    expect(gzipped).toBeLessThan(3 * 1024 * 1024);
    fs.rmSync(out, { recursive: true, force: true });
  });
});
