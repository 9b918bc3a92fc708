// Outbound bench: N reminders to M contacts queued in the outbox, delivered by the real sender loop (the one
// the Node service runs) through the official SDK to the fake Feishu server, which enforces 50/s per app and
// 5/s per receiver. Prints the achieved rate against the 50/s ceiling, 429s received, duplicates and losses.
//   npx tsx bench/outbound.ts [--messages 10000] [--contacts 2000]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { openNodeDatabase } from '../src/db/node.js';
import { enqueueOutbox } from '../src/db/outbox-store.js';
import type { OutboundMessage } from '../src/domain/types.js';
import { createLarkMessenger } from '../src/lark/messenger.js';
import { createOutboxLoop } from '../src/lark/sender.js';
import { createRateLimiter } from '../src/lark/rate-limiter.js';
import { createLogger } from '../src/logger.js';
import { outbox } from '../src/db/schema.js';
import { startFakeLark } from '../test/fake-lark/server.js';
import { emitResult, fmt } from './lib/proc.js';

const { values: argv } = parseArgs({
  options: { messages: { type: 'string', default: '10000' }, contacts: { type: 'string', default: '2000' } },
});
const MESSAGES = Number(argv.messages);
const CONTACTS = Number(argv.contacts);
const CEILING = 50;

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-outbound-'));
  const database = openNodeDatabase(path.join(tmp, 'duban.db'));
  const fake = await startFakeLark({ limits: { appPerSecond: CEILING, perReceiverPerSecond: 5 } });
  try {
    const { db } = database;
    // A reminder wave: each contact's reminders queued together (the per-receiver limit sees them back to back).
    const msgs: OutboundMessage[] = Array.from({ length: MESSAGES }, (_, i) => {
      const contact = Math.floor((i * CONTACTS) / MESSAGES);
      return {
        dedupeKey: `bench:reminder:${i}`,
        op: 'send',
        receiveIdType: 'open_id',
        receiveId: `ou_contact${String(contact).padStart(6, '0')}`,
        msgType: 'text',
        content: { text: `【督办提醒】任务 4.1.${i % 40} 将于 6月30日 到期，请及时报送进度。(${i})` },
        purpose: 'reminder',
      };
    });
    const t0 = performance.now();
    await enqueueOutbox(db, msgs, Date.now());
    const enqueueMs = performance.now() - t0;
    console.log(`outbound: ${fmt(MESSAGES)} reminders to ${fmt(CONTACTS)} contacts queued in ${fmt(enqueueMs)} ms; fake Feishu at ${CEILING}/s per app, 5/s per user`);

    const messenger = createLarkMessenger({ LARK_APP_ID: 'cli_fake_app', LARK_APP_SECRET: 'fake_secret', LARK_BASE_URL: fake.url });
    // Feishu's minute quota (1,000/min per app, which the sender keeps) would turn this into a 10-minute wait that
    // measures only the quota: lifted to the fake's per-second ceiling here, to measure the per-second pacing.
    const limiter = createRateLimiter({ appPerMinute: CEILING * 60 });
    const loop = createOutboxLoop({ db, messenger, clock: () => Date.now(), logger: createLogger('error') }, { limiter });
    const start = performance.now();
    loop.start();
    let lastReport = start;
    const remaining = async () =>
      Number((await db.select({ n: sql<number>`count(*)` }).from(outbox).where(sql`${outbox.status} in ('pending', 'sending')`))[0]!.n);
    const deadline = start + (MESSAGES / CEILING) * 3 * 1000 + 30_000;
    for (;;) {
      const left = await remaining();
      if (left === 0 || performance.now() > deadline) break;
      if (performance.now() - lastReport > 20_000) {
        lastReport = performance.now();
        console.log(`  … ${fmt(MESSAGES - left)} sent after ${fmt((lastReport - start) / 1000, 0)} s`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    await loop.stop();
    const wallS = (performance.now() - start) / 1000;

    const rows = (await db.select({ status: outbox.status, uuid: outbox.uuid }).from(outbox)) as Array<{ status: string; uuid: string }>;
    const byStatus: Record<string, number> = {};
    for (const r of rows) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    const created = fake.messages;
    const perUuid = new Map<string, number>();
    for (const m of created) perUuid.set(m.uuid ?? `no-uuid:${m.message_id}`, (perUuid.get(m.uuid ?? `no-uuid:${m.message_id}`) ?? 0) + 1);
    const duplicates = [...perUuid.values()].reduce((s, n) => s + (n - 1), 0);
    const lost = rows.filter((r) => !perUuid.has(r.uuid)).length;
    const sendCalls = fake.requests.filter((r) => r.path === '/open-apis/im/v1/messages');
    const got429 = sendCalls.filter((r) => r.status === 429).length;
    const got230020 = sendCalls.filter((r) => r.code === 230020).length;
    const times = created.map((m) => m.at).sort((a, b) => a - b);
    const spanS = times.length > 1 ? (times[times.length - 1]! - times[0]!) / 1000 : NaN;
    // Rate over the sending span: n messages occupy n-1 intervals.
    const rate = (times.length - 1) / spanS;

    console.log(`  delivered ${fmt(created.length)} of ${fmt(MESSAGES)} in ${fmt(spanS, 1)} s (wall ${fmt(wallS, 1)} s)`);
    console.log(`  achieved ${fmt(rate, 2)} msg/s = ${fmt((rate / CEILING) * 100, 1)}% of the ${CEILING}/s ceiling (target ≥ 90%)`);
    console.log(`  429s received ${got429}, per-user limit (230020) ${got230020}, send calls ${fmt(sendCalls.length)}`);
    console.log(`  duplicates ${duplicates}, lost ${lost}, outbox ${JSON.stringify(byStatus)}`);
    emitResult({
      bench: 'outbound',
      config: { messages: MESSAGES, contacts: CONTACTS, app_limit: CEILING, user_limit: 5 },
      enqueue_ms: Math.round(enqueueMs),
      delivered: created.length,
      span_s: spanS,
      wall_s: wallS,
      rate_per_s: rate,
      ratio_of_ceiling: rate / CEILING,
      http_429: got429,
      user_limit_230020: got230020,
      send_calls: sendCalls.length,
      duplicates,
      lost,
      outbox_status: byStatus,
      targets: {
        rate_ge_90pct_of_ceiling: rate / CEILING >= 0.9,
        zero_duplicates: duplicates === 0,
        zero_lost: lost === 0 && created.length === MESSAGES,
      },
    });
  } finally {
    await fake.close();
    database.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
