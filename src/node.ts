// Node entry: config from process.env, SQLite via better-sqlite3, Hono on @hono/node-server, node-cron (the scheduled
// jobs of src/scheduler/run.ts every 15 minutes) and the outbox loop.
import { serve } from '@hono/node-server';
import { createApp } from './app.js';
import { parseConfig, type Config } from './config.js';
import { openNodeDatabase } from './db/node.js';
import { describeError, isDubanError } from './domain/errors.js';
import { startWalCheckpointer } from './db/checkpointer.js';
import { createLogger } from './logger.js';
import { ensureBundledPlan } from './plans/bundled.js';
import { startSchedulerCron } from './scheduler/cron.js';
import { VERSION } from './version.js';
import { createConsoleMessenger, createLarkMessenger } from './lark/messenger.js';
import { createOutboxLoop } from './lark/sender.js';
import { createLoopOutboxFlush } from './lark/outbox-flush.js';
import { nodeLarkCrypto } from './lark/crypto-node.js';
import { processInboundAfterAck, processPendingInbound, runClaimedInbound } from './lark/inbox.js';
import { claimPendingInbound, createInboundRecorder, releaseInbound } from './db/inbox-store.js';
import { composeAppDeps } from './compose.js';
import { botOpenIdFor } from './lark/bot-identity.js';
import { createDigestHook } from './reports/digest-run.js';
import { createIntakeGauge, createWorkQueue } from './lark/work-queue.js';
import { larkInboundStatus } from './lark/verify.js';
import { createFsBlobStore } from './evidence/blob-fs.js';
import { createLarkIm } from './lark/im-extras.js';
import { runUrgentStep } from './evidence/urgent.js';

export interface NodeService {
  port: number;
  close(): Promise<void>;
}

export interface NodeServiceOptions {
  /** Acknowledged events waiting in memory for processing; beyond it they wait in the database (tests lower it). */
  inboundQueueMax?: number;
}

export async function startNodeService(
  env: Record<string, string | undefined> = process.env,
  opts: NodeServiceOptions = {},
): Promise<NodeService> {
  const config: Config = parseConfig(env);
  const logger = createLogger(config.LOG_LEVEL);
  const database = openNodeDatabase(config.DATABASE_PATH);
  const { db } = database;
  const checkpointer = startWalCheckpointer(database.sqlite, config.DATABASE_PATH, logger);
  const clock = () => Date.now();

  const loaded = config.PLAN_AUTOLOAD ? await ensureBundledPlan(db, clock()) : false;
  if (loaded)
    logger.info('bundled plan loaded into an empty database; not live: nothing is sent to units until the office runs `npx duban plan live <日期>` or sends 上线 <日期>');

  const pending = new Set<Promise<unknown>>();
  const defer = (work: Promise<unknown>) => {
    const p = work
      .catch((err) => logger.error('background work failed', { error: (err as Error).message }))
      .finally(() => pending.delete(p));
    pending.add(p);
  };

  const messenger = config.larkConfigured ? createLarkMessenger(config) : createConsoleMessenger();
  // SCHEDULER_ENABLED=false: this process only queues; another process sends.
  const loop = config.SCHEDULER_ENABLED ? createOutboxLoop({ db, config, logger, clock, messenger }) : undefined;
  // Processing after the ack runs in slices between accepts; a full queue drops the task, and the pending-inbound
  // sweep below picks the stored event up instead (nothing acknowledged is lost).
  // After an overflow, the events left pending are swept in small slices through the queue as soon as it has
  // room, rather than 50 per 30 s by the timer.
  let overflowed = false;
  const intake = createIntakeGauge();
  const work = createWorkQueue(logger, {
    intake,
    ...(opts.inboundQueueMax ? { maxWaiting: opts.inboundQueueMax } : {}),
    onIdle: () => {
      if (!overflowed) return;
      overflowed = false;
      if (!work.push(sweepOverflow)) overflowed = true;
    },
  });
  // One slice of the events left pending by an overflow: claimed in one statement, each then a task of its own,
  // so the slice yields to intake like any other work. When they are done the queue is idle and sweeps again.
  const sweepOverflow = async (): Promise<void> => {
    const slice = Math.max(1, Math.min(200, work.room()));
    const rows = await claimPendingInbound(db, clock(), slice);
    let more = rows.length >= slice;
    for (const row of rows) {
      const queued = work.push(async () => {
        await runClaimedInbound(deps, row, clock());
        deps.outbox.kick();
      });
      if (!queued) {
        await releaseInbound(db, row.key);
        more = true;
      }
    }
    if (more) overflowed = true;
  };
  // An event was stored pending for the sweep (queue full): sweep now if the queue is idle, else when it drains.
  const leftPending = () => {
    if (!overflowed) logger.warn('inbound work queue full: events stay pending and are swept once it drains');
    overflowed = true;
    if (work.size() === 0) {
      overflowed = false;
      if (!work.push(sweepOverflow)) overflowed = true;
    }
  };
  const deps = composeAppDeps(
    { db, config, logger, clock, defer, messenger },
    {
      larkCrypto: nodeLarkCrypto,
      // The weekly digest: the scheduler's pass decides when it is due; the hook builds, stores and addresses it.
      buildDigest: createDigestHook({ db, logger }),
      // Evidence files beside the database (EVIDENCE_DIR); downloads through the SDK (src/lark/im-extras.ts).
      evidenceStore: createFsBlobStore(config.EVIDENCE_DIR),
      larkIm: config.larkConfigured ? createLarkIm(config, { download: 'sdk' }) : null,
      intake,
      recordInbound: createInboundRecorder(db),
      outbox: (d) => createLoopOutboxFlush(d, loop),
      // After the ack: the work queue. Filled up between hasRoom() and take(): the claim is let go for the sweep.
      afterAck: (d) => ({
        hasRoom: () => work.room() > 0,
        async take(owned) {
          if (work.push(() => processInboundAfterAck(d, owned))) return;
          await releaseInbound(db, owned.key);
          leftPending();
        },
        leftPending,
      }),
    },
  );
  const app = createApp(deps);

  // The bot's own open_id (its @mention in group messages): asked of Feishu once at start, then kept in the database.
  if (config.larkConfigured && !config.LARK_BOT_OPEN_ID) defer(botOpenIdFor(deps));
  // Events acknowledged but not processed before a crash, and failures due for a retry.
  const runPending = () => defer(processPendingInbound(deps, clock()));
  runPending();
  const pendingTimer = setInterval(runPending, 30_000);
  pendingTimer.unref();
  loop?.start();
  // Buzz (加急) sent reminders of long-overdue assignments when the office's policy says so (src/evidence/urgent.ts).
  const urgentTimer = config.SCHEDULER_ENABLED
    ? setInterval(() => defer(runUrgentStep(deps, clock()).then((r) => (r.buzzed || r.fallback) && deps.outbox.kick())), 60_000)
    : null;
  urgentTimer?.unref();

  // The reminder scheduler: a pass every 15 minutes (the scheduled jobs, src/scheduler/run.ts); what it queues wakes
  // the outbox loop, which delivers it (the cron runs no 'send' job here: the loop is Node's sender).
  const scheduler = config.SCHEDULER_ENABLED
    ? startSchedulerCron(deps)
    : null;
  if (scheduler) logger.info('scheduler enabled: a pass every 15 minutes (Asia/Shanghai working hours)');

  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const inbound = larkInboundStatus(config);
  if (!inbound.enabled) {
    logger.warn(`飞书事件入口已停用 / Feishu inbound disabled: ${inbound.reason}. 请设置 LARK_VERIFICATION_TOKEN 或 LARK_ENCRYPT_KEY / set LARK_VERIFICATION_TOKEN or LARK_ENCRYPT_KEY`);
  }
  logger.info(`duban ${VERSION} listening`, {
    port,
    database: config.DATABASE_PATH,
    lark: config.larkConfigured ? config.LARK_BASE_URL : 'offline (no LARK_APP_ID): messages are printed',
  });

  return {
    port,
    async close() {
      await scheduler?.stop();
      clearInterval(pendingTimer);
      if (urgentTimer) clearInterval(urgentTimer);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await work.idle();
      await Promise.allSettled([...pending]);
      await loop?.stop();
      await checkpointer?.stop();
      database.close();
    },
  };
}

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/src/node.ts');
if (isMain) {
  startNodeService()
    .then((svc) => {
      const stop = () => {
        svc.close().finally(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    })
    .catch((err) => {
      if (isDubanError(err)) {
        console.error(describeError(err));
      } else {
        console.error('duban 启动失败 / failed to start:', err);
      }
      process.exit(1);
    });
}
