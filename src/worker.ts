// Workers entry: config from env bindings, D1 through drizzle, inbound work in ctx.waitUntil, Cron Triggers in
// scheduled() (each trigger one run of the scheduled jobs, src/scheduler/run.ts; the jobs per cron in
// worker-schedule.ts). Only runtime-neutral modules are imported here (no better-sqlite3, node-cron, node:fs).
import type { D1Database, ExecutionContext, ScheduledController } from '@cloudflare/workers-types';
import { larkInboundStatus } from './lark/verify.js';
import { createApp } from './app.js';
import { parseConfig, type Config } from './config.js';
import type { Db } from './db/client.js';
import { openD1Database } from './db/d1.js';
import type { AppDeps } from './deps.js';
import { processPendingInbound } from './lark/inbox.js';
import { createConsoleMessenger, createLarkMessenger } from './lark/messenger.js';
import type { BlobStore, BuildDigest, ContactDirectory, LarkIm, Messenger, SentMessageLookup } from './ports.js';
import { composeAppDeps } from './compose.js';
import { createSentMessageLookup } from './db/sent-messages.js';
import { createLazyLarkContactDirectory } from './lark/contact.js';
import { createOutboxFlush } from './lark/outbox-flush.js';
import { createLogger, type Logger } from './logger.js';
import { ensureBundledPlan } from './plans/bundled.js';
import { createDigestHook } from './reports/digest-run.js';
import type { PassResult } from './scheduler/pass.js';
import { runScheduledJobs } from './scheduler/run.js';
import { jobsForCron } from './worker-schedule.js';
import { createR2BlobStore, type R2Like } from './evidence/blob-store.js';
import { createLarkIm } from './lark/im-extras.js';
import { runUrgentStep } from './evidence/urgent.js';

export interface WorkerEnv {
  DB: D1Database;
  [key: string]: unknown;
}

/** What is built once per isolate and env: parsed config, the drizzle handle, the logger, the messenger, the ports. */
interface IsolateDeps {
  db: Db;
  config: Config;
  logger: Logger;
  /** Holds the SDK client and its token cache: one tenant token per isolate, not one per request. */
  messenger: Messenger;
  buildDigest: BuildDigest;
  /** The R2 bucket bound as EVIDENCE (null: evidence files are refused with a message). */
  evidenceStore: BlobStore | null;
  larkIm: LarkIm | null;
  sentMessages: SentMessageLookup;
  contacts: ContactDirectory;
}

/** Workers Logs rank console.error lines as errors: only warnings and errors go there. */
const workersLogSink = (line: string) => (/^\S+ (ERROR|WARN) /.test(line) ? console.error(line) : console.log(line));

// Workers reuse an isolate across requests with the same env object; parsing config once per env is enough.
const isolateCache = new WeakMap<object, IsolateDeps>();

function isolateDeps(env: WorkerEnv): IsolateDeps {
  const cached = isolateCache.get(env);
  if (cached) return cached;
  if (!env.DB) {
    throw new Error('缺少 D1 绑定 DB：请在 wrangler.toml 的 [[d1_databases]] 中设置 binding = "DB" / missing D1 binding DB');
  }
  const config = parseConfig(env);
  const logger = createLogger(config.LOG_LEVEL, workersLogSink);
  // Once per isolate (Workers have no start-up): say that /lark/* refuses everything until a secret is set.
  const inbound = larkInboundStatus(config);
  if (!inbound.enabled) logger.warn(`Feishu inbound disabled: ${inbound.reason}; set LARK_VERIFICATION_TOKEN or LARK_ENCRYPT_KEY (wrangler secret put)`);
  const db = openD1Database(env.DB);
  const messenger = config.larkConfigured ? createLarkMessenger(config) : createConsoleMessenger();
  // As on Node: the pass decides when the weekly digest is due; the hook builds, stores and addresses it.
  const built: IsolateDeps = {
    db, config, logger, messenger, buildDigest: createDigestHook({ db, logger }),
    evidenceStore: env.EVIDENCE ? createR2BlobStore(env.EVIDENCE as R2Like) : null,
    // The SDK's messageResource.get needs Node streams: downloads use fetch with the tenant token here (LARK.md §3).
    larkIm: config.larkConfigured ? createLarkIm(config, { download: 'fetch' }) : null,
    sentMessages: createSentMessageLookup(db),
    contacts: createLazyLarkContactDirectory(config),
  };
  isolateCache.set(env, built);
  return built;
}

/**
 * AppDeps for one invocation: deferred work is bound to this invocation's ctx.waitUntil, and so is the work after an
 * ack (compose.ts deferredAfterAck). There is no sender loop on Workers: the outbox port drains inline, so inbound
 * work sends its replies itself inside waitUntil, and the every-minute trigger sends the rest.
 */
export function createWorkerDeps(env: WorkerEnv, ctx: ExecutionContext, clock: () => number = Date.now): AppDeps {
  const { db, config, logger, messenger, ...ports } = isolateDeps(env);
  const defer = (work: Promise<unknown>) => {
    ctx.waitUntil(
      work.catch((err) => logger.error('background work failed', { error: (err as Error).message })),
    );
  };
  return composeAppDeps({ db, config, logger, clock, defer, messenger }, ports);
}

export interface ScheduledRun {
  /** The pass's result; null when the trigger runs no pass or another isolate holds the pass lease. */
  pass: PassResult | null;
  sent: number;
}

/**
 * Run the jobs a cron trigger stands for at its scheduled instant (the one composition, src/scheduler/run.ts): the
 * scheduler pass (under the same lease as Node, so overlapping triggers do the work once; correctness never depends
 * on it: steps and outbox rows are claimed by single conditional statements), then the outbox flush, with the
 * chores Node runs on timers of its own around them.
 */
export async function runScheduled(deps: AppDeps, cron: string, scheduledTime: number): Promise<ScheduledRun> {
  const run = await runScheduledJobs(
    {
      ...deps,
      leaseHolder: `worker:${crypto.randomUUID()}`,
      outbox: createOutboxFlush(deps, { maxMs: SEND_BUDGET_MS, maxMessages: SEND_MAX_MESSAGES, asOf: 'clock' }),
      chores: {
        // Requests never load the plan (they must answer within 3 s); the first pass into an empty D1 does, at the
        // cost of one count query on every later pass. PLAN_AUTOLOAD=false leaves loading to the operator.
        beforePass: async (at) => {
          if (deps.config.PLAN_AUTOLOAD && (await ensureBundledPlan(deps.db, at))) {
            deps.logger.info('bundled plan loaded into an empty D1 database');
          }
        },
        // Events acknowledged but not processed (an isolate evicted mid-waitUntil, a failure due for retry): Node
        // sweeps these on a timer; here the every-minute trigger does.
        beforeSend: () => processPendingInbound(deps, deps.clock()),
        // Buzz what was just sent, where the office's policy says so; a fallback message goes out with the next drain.
        afterSend: () => runUrgentStep(deps, deps.clock()),
      },
    },
    jobsForCron(cron),
    scheduledTime,
  );
  const out: ScheduledRun = { pass: run.pass, sent: run.delivered?.sent ?? 0 };
  deps.logger.info('scheduled run', {
    cron,
    at: new Date(scheduledTime).toISOString(),
    queued: out.pass?.outboxIds.length ?? null,
    sent: out.sent,
  });
  return out;
}

/**
 * Stay well inside the wall time a frequent Cron Trigger gets (30 s when it fires more often than hourly), with
 * room for the pass that precedes the drain on quarter hours.
 */
const SEND_BUDGET_MS = 20_000;
/**
 * Each message costs one Feishu subrequest and about 1.1 D1 queries; Workers Paid allows 1000 D1 queries per
 * invocation, shared with the pass on quarter hours. The rest waits for the next minute (Feishu's own limit
 * is 1000 messages a minute per app).
 */
const SEND_MAX_MESSAGES = 300;

const worker = {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    let deps: AppDeps;
    try {
      deps = createWorkerDeps(env, ctx);
    } catch (err) {
      console.error((err as Error).message);
      // A ConfigError names the bad keys and what they should look like, never their values.
      const detail = (err as Error).message;
      return Response.json(
        { error: 'config', message: `服务配置有误，请检查 Worker 的变量、密钥与绑定（wrangler.toml）。${detail}` },
        { status: 500 },
      );
    }
    // The app is cheap to build; building it per request keeps deps.defer bound to this request's ctx.
    return createApp(deps).fetch(request, env, ctx);
  },

  async scheduled(controller: ScheduledController, env: WorkerEnv, ctx: ExecutionContext): Promise<void> {
    // Anchor the clock at the trigger's scheduled instant: a pass for 09:15 is the 09:15 pass even if it starts late.
    const startedAt = Date.now();
    const clock = () => controller.scheduledTime + (Date.now() - startedAt);
    const deps = createWorkerDeps(env, ctx, clock);
    ctx.waitUntil(
      runScheduled(deps, controller.cron, controller.scheduledTime).catch((err: unknown) => {
        deps.logger.error('scheduled run failed', { cron: controller.cron, error: (err as Error).message });
        // Rethrown so the Cron Trigger's run shows as failed in Cloudflare's dashboard; the next trigger retries
        // (the pass catches up on missed steps, the outbox keeps unsent rows).
        throw err;
      }),
    );
  },
};

export default worker;
