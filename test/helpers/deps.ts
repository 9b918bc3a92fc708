// Build AppDeps for tests: in-memory database, silent logger, a settable clock, tracked deferred work; every other
// port is the one src/compose.ts gives a runtime without background machinery (as on Workers).
import { parseConfig, type Config } from '../../src/config.js';
import type { AppDeps } from '../../src/deps.js';
import { composeAppDeps } from '../../src/compose.js';
import { silentLogger } from '../../src/logger.js';
import { createTestDatabase } from './db.js';
import type { DeliverResult, Messenger, OutboundEnvelope } from '../../src/ports.js';

/** A Messenger that records every delivery and answers ok with om_fake_<n> (or what `respond` says). */
export interface RecordingMessenger extends Messenger {
  delivered: OutboundEnvelope[];
  respond?: (envelope: OutboundEnvelope) => DeliverResult | Promise<DeliverResult>;
}

export function createRecordingMessenger(): RecordingMessenger {
  const m: RecordingMessenger = {
    delivered: [],
    async deliver(envelope) {
      m.delivered.push(envelope);
      if (m.respond) return m.respond(envelope);
      return { ok: true, value: `om_fake_${m.delivered.length}` };
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
  const deps = composeAppDeps({
    db: database.db,
    config,
    logger: silentLogger,
    messenger,
    clock: () => t,
    defer: (work) => {
      const p = work.catch(() => undefined).finally(() => pending.delete(p));
      pending.add(p);
    },
  });
  // The same object: the ports composed above see what a test changes on it (clock, messenger, defer, …).
  return Object.assign(deps, {
    setNow: (ms: number) => {
      t = ms;
    },
    async settle() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
    close: () => database.close(),
  });
}
