// Build AppDeps for tests: in-memory database, silent logger, a settable clock, tracked deferred work.
import { parseConfig, type Config } from '../../src/config.js';
import type { AppDeps } from '../../src/deps.js';
import { silentLogger } from '../../src/logger.js';
import { createTestDatabase } from './db.js';

export interface TestDeps extends AppDeps {
  setNow(ms: number): void;
  /** Wait for all deferred (after-ack) work to finish. */
  settle(): Promise<void>;
  close(): void;
}

export function createTestDeps(env: Record<string, string> = {}, now = Date.parse('2022-06-16T01:00:00Z')): TestDeps {
  const database = createTestDatabase();
  const config: Config = parseConfig({ PLAN_AUTOLOAD: 'false', SCHEDULER_ENABLED: 'false', ...env });
  let t = now;
  const pending = new Set<Promise<unknown>>();
  return {
    db: database.db,
    config,
    logger: silentLogger,
    clock: () => t,
    setNow: (ms) => {
      t = ms;
    },
    defer: (work) => {
      const p = work.catch(() => undefined).finally(() => pending.delete(p));
      pending.add(p);
    },
    async settle() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
    close: () => database.close(),
  };
}
