// The work after the ack for a mix of typical messages, per kind, on the bundled plan (SQLite file, in-process):
// a progress command from a bound contact, an unknown command from a stranger, a reply to a reminder card.
//   npx tsx bench/after-ack-mix.ts [--messages 2000]       (add node --cpu-prof via NODE_OPTIONS to profile)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { and, eq } from 'drizzle-orm';
import { grantRole, upsertPerson } from '../src/db/people-store.js';
import { createInboundHandlers } from '../src/commands/handlers.js';
import { parseConfig } from '../src/config.js';
import { openNodeDatabase } from '../src/db/node.js';
import { assignments, outbox, tasks, units } from '../src/db/schema.js';
import type { AppDeps } from '../src/deps.js';
import { composeAppDeps } from '../src/compose.js';
import type { IncomingMessage } from '../src/domain/types.js';
import { createConsoleMessenger } from '../src/lark/messenger.js';
import { silentLogger } from '../src/logger.js';
import { ensureBundledPlan } from '../src/plans/bundled.js';
import { emitResult, fmt } from './lib/proc.js';

const { values: argv } = parseArgs({ options: { messages: { type: 'string', default: '2000' } } });
const N = Number(argv.messages);
let seq = 0;
const message = (openId: string, text: string, extra: Partial<IncomingMessage> = {}): IncomingMessage => ({
  eventId: `ev_${++seq}`,
  messageId: `om_in_${seq}`,
  chatId: 'oc_p2p',
  chatType: 'p2p',
  sender: { openId },
  messageType: 'text',
  text,
  mentions: [],
  createTime: 0,
  ...extra,
});

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-mix-'));
  const database = openNodeDatabase(path.join(tmp, 'duban.db'));
  try {
    const { db } = database;
    const now = Date.parse('2022-06-20T01:30:00Z');
    const config = parseConfig({ SCHEDULER_ENABLED: 'false', PLAN_AUTOLOAD: 'false' });
    await ensureBundledPlan(db, now);
    const deps: AppDeps = composeAppDeps({ db, config, logger: silentLogger, clock: () => now, defer: () => undefined, messenger: createConsoleMessenger(() => undefined) });
    const env = (await db.select().from(units).where(eq(units.name, '市生态环境局')))[0]!.id;
    const pid = await upsertPerson(db, { openId: 'ou_env', name: '张环' }, now);
    await grantRole(db, pid, 'contact', env, { at: now, actor: 'cli', personId: null, channel: 'cli' });
    const mine = await db
      .select({ asg: assignments.id, code: tasks.code })
      .from(assignments)
      .innerJoin(tasks, eq(tasks.id, assignments.taskId))
      .where(and(eq(assignments.unitId, env)));
    const sentId = 'om_rem_bench';
    await db.insert(outbox).values({
      dedupeKey: 'reminder:bench', uuid: 'db-bench', op: 'send', receiveIdType: 'open_id', receiveId: 'ou_env', msgType: 'text',
      content: '{}', purpose: 'reminder', assignmentId: mine[0]!.asg, status: 'sent', messageId: sentId, nextAttemptAt: now, createdAt: now,
    });
    const h = createInboundHandlers(deps);
    const kinds: Array<[string, (i: number) => IncomingMessage]> = [
      ['progress command, bound contact', (i) => message('ou_env', `进度 ${mine[i % mine.length]!.code} ${i % 100}% 推进中`)],
      ['unknown command, stranger', (i) => message(`ou_s${i % 200}`, '你好呀')],
      ['reply to a reminder card', (i) => message('ou_env', `已完成排查，${i % 100}%`, { parentId: sentId })],
    ];
    const result: Record<string, number> = {};
    console.log(`work after the ack, ${fmt(N)} messages per kind (bundled plan, SQLite file):`);
    for (const [name, make] of kinds) {
      const msgs = Array.from({ length: N }, (_, i) => make(i));
      const t = performance.now();
      const cpu0 = process.cpuUsage();
      for (const m of msgs) await h.onMessage(m, now);
      const us = ((performance.now() - t) / N) * 1000;
      const cpu = process.cpuUsage(cpu0);
      // CPU time is the steadier figure on a shared machine: it leaves out time spent waiting for the core.
      const cpuUs = (cpu.user + cpu.system) / N;
      result[name] = us;
      result[`${name} (cpu)`] = cpuUs;
      console.log(`  ${name.padEnd(34)} ${fmt(us).padStart(6)} µs  (cpu ${fmt(cpuUs)} µs)`);
    }
    emitResult({ bench: 'after-ack-mix', messages: N, per_kind_us: result });
  } finally {
    database.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
