import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { openNodeDatabase } from '../../src/db/node.js';
import { plans, tasks } from '../../src/db/schema.js';
import { startNodeService } from '../../src/node.js';
import { bundledPlan } from '../../src/plans/bundled.js';

describe('Node service start', () => {
  it('loads the bundled plan into an empty database once, and not when PLAN_AUTOLOAD=false', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-autoload-'));
    const env = { DATABASE_PATH: path.join(dir, 'd.db'), PORT: '0', HOST: '127.0.0.1', SCHEDULER_ENABLED: 'false', LOG_LEVEL: 'silent' };
    const off = await startNodeService({ ...env, PLAN_AUTOLOAD: 'false' });
    await off.close();
    const counts = async () => {
      const d = openNodeDatabase(env.DATABASE_PATH);
      try {
        const [p] = await d.db.select({ n: sql<number>`count(*)` }).from(plans);
        const [t] = await d.db.select({ n: sql<number>`count(*)` }).from(tasks);
        return [Number(p!.n), Number(t!.n)];
      } finally {
        d.close();
      }
    };
    expect(await counts()).toEqual([0, 0]);
    for (let i = 0; i < 2; i++) {
      const svc = await startNodeService(env);
      await svc.close();
      expect(await counts()).toEqual([1, bundledPlan().tasks.length]);
    }
  });
});
