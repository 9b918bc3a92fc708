// Where an inbound event's time goes in duban, in-process and one at a time (no HTTP, no concurrency):
// signature check + decryption (node:crypto, as the Node service), the de-dup insert, the whole route (ack), and the work after the ack.
//   npx tsx bench/intake-breakdown.ts [--events 2000]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { openNodeDatabase } from '../src/db/node.js';
import type { AppDeps } from '../src/deps.js';
import { composeAppDeps } from '../src/compose.js';
import { createLoopOutboxFlush } from '../src/lark/outbox-flush.js';
import { processInboundAfterAck } from '../src/lark/inbox.js';
import { recordInboundEvent, OWNED_CLAIM_MS, eventKey } from '../src/db/inbox-store.js';
import { createConsoleMessenger } from '../src/lark/messenger.js';
import { verifyLarkRequest } from '../src/lark/verify.js';
import { nodeLarkCrypto } from '../src/lark/crypto-node.js';
import { silentLogger } from '../src/logger.js';
import { ensureBundledPlan } from '../src/plans/bundled.js';
import { BENCH_ENCRYPT_KEY, BENCH_VERIFICATION_TOKEN, buildMessageEvent, signedRequest, type SignedRequest } from './lib/lark-wire.js';
import { emitResult, fmt } from './lib/proc.js';

const { values: argv } = parseArgs({ options: { events: { type: 'string', default: '2000' } } });
const N = Number(argv.events);

function requests(prefix: string): SignedRequest[] {
  return Array.from({ length: N }, (_, i) =>
    signedRequest(buildMessageEvent({ eventId: `${prefix}-ev-${i}`, messageId: `om_${prefix}_${i}`, openId: `ou_b${i % 200}`, text: '帮助' })),
  );
}
const headersOf = (r: SignedRequest): Record<string, string> => ({
  'content-type': 'application/json',
  'x-lark-request-timestamp': r.timestamp,
  'x-lark-request-nonce': r.nonce,
  'x-lark-signature': r.signature,
});

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-breakdown-'));
  const database = openNodeDatabase(path.join(tmp, 'duban.db'));
  try {
    const config = parseConfig({ LARK_ENCRYPT_KEY: BENCH_ENCRYPT_KEY, LARK_VERIFICATION_TOKEN: BENCH_VERIFICATION_TOKEN, SCHEDULER_ENABLED: 'false' });
    await ensureBundledPlan(database.db, Date.now());
    const deferred: Array<Promise<unknown>> = [];
    const deps: AppDeps = composeAppDeps(
      {
        db: database.db,
        config,
        logger: silentLogger,
        clock: () => Date.now(),
        defer: (p) => void deferred.push(p),
        messenger: createConsoleMessenger(() => undefined),
      },
      // As the Node service: replies wait for a sender loop (none here), crypto on node:crypto.
      { larkCrypto: nodeLarkCrypto, outbox: (d) => createLoopOutboxFlush(d, undefined) },
    );
    const per = (ms: number) => (ms / N) * 1000;

    const v = requests('v');
    const enc = new TextEncoder();
    let t = performance.now();
    const bodies: Array<Record<string, unknown>> = [];
    for (const r of v) {
      const h = headersOf(r);
      const res = await verifyLarkRequest(enc.encode(r.body), (n) => h[n], config, Date.now(), nodeLarkCrypto);
      if (!res.ok) throw new Error(res.error.reason);
      if (res.value.kind !== 'event') throw new Error('not an event');
      bodies.push(res.value.body);
    }
    const verifyUs = per(performance.now() - t);

    t = performance.now();
    const claims: number[] = [];
    for (let i = 0; i < N; i++) {
      const now = Date.now();
      await recordInboundEvent(
        database.db,
        { eventId: `v-ev-${i}`, eventType: 'im.message.receive_v1', messageId: `om_v_${i}`, payload: bodies[i]!, claimUntil: now + OWNED_CLAIM_MS },
        now,
      );
      claims.push(now + OWNED_CLAIM_MS);
    }
    const recordUs = per(performance.now() - t);

    t = performance.now();
    for (let i = 0; i < N; i++) await processInboundAfterAck(deps, { key: eventKey(`v-ev-${i}`), claimedUntil: claims[i]! });
    const processUs = per(performance.now() - t);

    const app = createApp(deps);
    const a = requests('a');
    t = performance.now();
    for (const r of a) {
      const res = await app.request('/lark/events', { method: 'POST', headers: headersOf(r), body: r.body });
      if (res.status !== 200) throw new Error(`status ${res.status}`);
    }
    const ackUs = per(performance.now() - t);
    // The route starts each event's deferred work at once, so the loop above already did most of it.
    await Promise.all(deferred);
    const endToEndUs = per(performance.now() - t);
    const raw = database.sqlite.prepare("insert into settings (key, value, updated_at) values (?, '1', 1)");
    const r0 = performance.now();
    for (let i = 0; i < N; i++) raw.run(`bench-${i}`);
    const rawInsertUs = per(performance.now() - r0);

    console.log(`intake breakdown (${fmt(N)} events, one at a time, in-process, SQLite file):`);
    console.log(`  verify + decrypt (node:crypto)    ${fmt(verifyUs).padStart(6)} µs`);
    console.log(`  de-dup insert (alone, one commit) ${fmt(recordUs).padStart(6)} µs`);
    console.log(`  work after the ack (command, reply queued)  ${fmt(processUs).padStart(6)} µs`);
    console.log(`  whole route, sequential app.request calls   ${fmt(ackUs).padStart(6)} µs (its deferred work interleaved)`);
    console.log(`  route + all deferred work, per event         ${fmt(endToEndUs).padStart(6)} µs`);
    console.log(`  for scale: one raw prepared INSERT          ${fmt(rawInsertUs).padStart(6)} µs`);
    console.log(`  → at most ~${fmt(1e6 / endToEndUs)} events/s on one core, processing included`);
    emitResult({
      bench: 'intake-breakdown',
      events: N,
      verify_us: verifyUs,
      record_us: recordUs,
      process_after_ack_us: processUs,
      ack_route_us: ackUs,
      end_to_end_us: endToEndUs,
      raw_insert_us: rawInsertUs,
      single_core_events_per_s: 1e6 / endToEndUs,
    });
  } finally {
    database.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
