// Build AppDeps for tests: in-memory database, silent logger, a settable clock, tracked deferred work.
import { parseConfig, type Config } from '../../src/config.js';
import type { AppDeps } from '../../src/deps.js';
import { silentLogger } from '../../src/logger.js';
import { createTestDatabase } from './db.js';
import type { Messenger, OutboxRow, DeliverResult } from '../../src/lark/messenger.js';

/** A Messenger that records every delivery and answers ok with om_fake_<n> (or what `respond` says). */
export interface RecordingMessenger extends Messenger {
  delivered: OutboxRow[];
  respond?: (row: OutboxRow) => DeliverResult | Promise<DeliverResult>;
}

export function createRecordingMessenger(): RecordingMessenger {
  const m: RecordingMessenger = {
    delivered: [],
    async deliver(row) {
      m.delivered.push(row);
      if (m.respond) return m.respond(row);
      return { ok: true, messageId: `om_fake_${m.delivered.length}` };
    },
  };
  return m;
}

export interface TestDeps extends AppDeps {
  messenger: Messenger;
  setNow(ms: number): void;
  /** Wait for all deferred (after-ack) work to finish. */
  settle(): Promise<void>;
  close(): void;
}

export function createTestDeps(
  env: Record<string, string> = {},
  now = Date.parse('2022-06-16T01:00:00Z'),
  messenger: Messenger = createRecordingMessenger(),
): TestDeps {
  const database = createTestDatabase();
  const config: Config = parseConfig({ PLAN_AUTOLOAD: 'false', SCHEDULER_ENABLED: 'false', ...env });
  let t = now;
  const pending = new Set<Promise<unknown>>();
  return {
    db: database.db,
    config,
    logger: silentLogger,
    messenger,
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
