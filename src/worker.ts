// Workers entry: config from env bindings, D1 through drizzle, inbound work in ctx.waitUntil, Cron Triggers in
// scheduled(). Only runtime-neutral modules are imported here (no better-sqlite3, node-cron, node:fs).
import { drizzle } from 'drizzle-orm/d1';
import { createApp } from './app.js';
import { parseConfig, type Config } from './config.js';
import type { Db } from './db/client.js';
import * as schema from './db/schema.js';
import type { AppDeps } from './deps.js';
import { createLogger, type Logger } from './logger.js';
import { jobsForCron } from './worker-schedule.js';

export interface WorkerEnv {
  DB: D1Database;
  [key: string]: unknown;
}

/** What is built once per isolate and env: parsed config, the drizzle handle, the logger. */
interface IsolateDeps {
  db: Db;
  config: Config;
  logger: Logger;
}

// Workers reuse an isolate across requests with the same env object; parsing config once per env is enough.
const isolateCache = new WeakMap<object, IsolateDeps>();

function isolateDeps(env: WorkerEnv): IsolateDeps {
  const cached = isolateCache.get(env);
  if (cached) return cached;
  if (!env.DB) {
    throw new Error('缺少 D1 绑定 DB：请在 wrangler.toml 的 [[d1_databases]] 中设置 binding = "DB" / missing D1 binding DB');
  }
  const config = parseConfig(env);
  const logger = createLogger(config.LOG_LEVEL);
  const db = drizzle(env.DB, { schema }) as unknown as Db;
  const built = { db, config, logger };
  isolateCache.set(env, built);
  return built;
}

/** AppDeps for one invocation: deferred work is bound to this invocation's ctx.waitUntil. */
export function createWorkerDeps(env: WorkerEnv, ctx: ExecutionContext, clock: () => number = Date.now): AppDeps {
  const base = isolateDeps(env);
  const defer = (work: Promise<unknown>) => {
    ctx.waitUntil(
      work.catch((err) => base.logger.error('background work failed', { error: (err as Error).message })),
    );
  };
  return { ...base, clock, defer };
}

/** Run the jobs a cron trigger stands for at its scheduled instant. */
export async function runScheduled(deps: AppDeps, cron: string, scheduledTime: number): Promise<void> {
  const jobs = jobsForCron(cron);
  deps.logger.debug('scheduled', { cron, at: new Date(scheduledTime).toISOString(), jobs });
  // Jobs are stubs until the scheduler and the sender land (see worker-schedule.ts).
  void jobs;
}

const worker = {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    let deps: AppDeps;
    try {
      deps = createWorkerDeps(env, ctx);
    } catch (err) {
      console.error((err as Error).message);
      return Response.json({ error: 'config', message: '服务配置有误，请检查 Worker 的变量与绑定 / misconfigured' }, { status: 500 });
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
      runScheduled(deps, controller.cron, controller.scheduledTime).catch((err) =>
        deps.logger.error('scheduled run failed', { cron: controller.cron, error: (err as Error).message }),
      ),
    );
  },
} satisfies ExportedHandler<WorkerEnv>;

export default worker;
