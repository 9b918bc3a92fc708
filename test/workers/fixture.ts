// Shared by the workerd tests: a D1 handle, one task due 2022-06-30 with a bound contact, and a trigger runner.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { drizzle } from 'drizzle-orm/d1';
import type { Db } from '../../src/db/client.js';
import * as schema from '../../src/db/schema.js';
import { assignments, deadlines, people, plans, roles, settings, tasks, units } from '../../src/db/schema.js';
import worker from '../../src/worker.js';
import { buildLarkRequest } from '../helpers/lark-events.js';

/** Must match LARK_VERIFICATION_TOKEN / LARK_ENCRYPT_KEY in vitest.workers.config.ts. */
export const TOKEN = 'workers_verification_token';
export const KEY = 'workers encrypt key';

export const db = () => drizzle(env.DB as never, { schema }) as unknown as Db;
/** Thursday 2022-06-16 09:30 in Beijing: 10 working days before the survey's deadline (2022-06-30). */
export const AT = Date.parse('2022-06-16T09:30:00+08:00');

let seq = 0;

/** One task due 2022-06-30 for 安定区, whose contact is a fresh open_id (so each test's sends are its own). */
export async function seedReminderCase(opts: { live?: boolean } = {}): Promise<{ assignmentId: number; openId: string; planCode: string }> {
  const openId = `ou_workers_contact_${Date.now().toString(36)}_${++seq}`;
  const d = db();
  const [plan] = await d.insert(plans).values({ code: `workers-${seq}`, title: '测试方案' }).returning();
  // The office has said the plan is live (as `plan live 2022-06-01` would), unless a test wants it waiting.
  if (opts.live !== false) await d.insert(settings).values({ key: `plan_live:${plan!.code}`, value: { from: '2022-06-01', setAt: 0 } });
  const [unit] = await d.insert(units).values({ name: `安定区${seq}`, kind: 'county' }).returning();
  const [task] = await d
    .insert(tasks)
    .values({ planId: plan!.id, code: '4.1.6', chapter: 4, section: 1, seq: 6, title: '完成县级城市建成区黑臭水体排查', sourceText: '2022年6月底前完成排查' })
    .returning();
  await d.insert(deadlines).values({ taskId: task!.id, kind: 'month_end', dueDate: '2022-06-30', label: '2022年6月底前' });
  const [asg] = await d.insert(assignments).values({ taskId: task!.id, unitId: unit!.id, role: 'lead' }).returning();
  const [person] = await d.insert(people).values({ openId, name: '安定区联络员' }).returning();
  await d.insert(roles).values({ personId: person!.id, role: 'contact', unitId: unit!.id });
  return { assignmentId: asg!.id, openId, planCode: plan!.code };
}

export async function runTrigger(cron: string, scheduledTime: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron, scheduledTime }), env as never, ctx);
  await waitOnExecutionContext(ctx);
}

/** Each test seeds its own plan; clear the previous one (storage is isolated per file, not per test). */
export async function clearPlanTables(): Promise<void> {
  const tables = [
    'progress_reports', 'outbox', 'reminder_log', 'audit_log', 'inbound_events', 'roles', 'people', 'assignments',
    'deadlines', 'tasks', 'units', 'plans', 'leases', 'scheduler_slices',
  ];
  for (const t of tables) await env.DB.prepare(`delete from ${t}`).run();
  await env.DB.prepare(`delete from settings where key like 'plan_live:%' or key like 'calendar:%'`).run();
}

/** A Feishu request as Feishu sends it to this worker: encrypted and signed with the test Encrypt Key. */
export function larkRequest(path: string, payload: Record<string, unknown>, opts: Parameters<typeof buildLarkRequest>[1] = {}) {
  const { body, headers } = buildLarkRequest(payload, { encryptKey: KEY, ...opts });
  return new Request(`https://duban.example${path}`, { method: 'POST', body, headers });
}

/** POST through the worker's fetch() and wait for everything it deferred to ctx.waitUntil. */
export async function deliverToWorker(request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, env as never, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}
