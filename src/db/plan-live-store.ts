// Go-live per plan, kept in `settings` under 'plan_live:<plan code>': nothing reaches units until the office says a
// plan is live and from which day (`npx duban plan live <日期>`, `上线 <日期>` in chat).
import { and, asc, eq, inArray, like, sql } from 'drizzle-orm';
import { shanghaiDate } from '../domain/dates.js';
import { z } from 'zod';
import type { Db } from './client.js';
import { auditInsert } from './audit.js';
import { runBatch } from './batch.js';
import { plans, reminderLog, settings } from './schema.js';
import { DubanError } from '../domain/errors.js';

export const PLAN_LIVE_PREFIX = 'plan_live:';

const liveValue = z.object({ from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), setAt: z.number(), by: z.string().optional() });
export type PlanLive = z.output<typeof liveValue>;

export interface PlanLiveRow {
  id: number;
  code: string;
  title: string;
  /** 'YYYY-MM-DD' or null when the office has not said the plan is live. */
  liveFrom: string | null;
}

export class PlanLiveError extends DubanError {
  constructor(message: string) {
    super('plan_live', message);
  }
}

/** Every plan with its live day (null = not live). */
export async function listPlanLive(db: Db): Promise<PlanLiveRow[]> {
  const [planRows, rows] = await Promise.all([
    db.select({ id: plans.id, code: plans.code, title: plans.title }).from(plans).orderBy(asc(plans.id)),
    db.select({ key: settings.key, value: settings.value }).from(settings).where(like(settings.key, `${PLAN_LIVE_PREFIX}%`)),
  ]);
  const byCode = new Map<string, string>();
  for (const r of rows) {
    const v = liveValue.safeParse(r.value);
    if (v.success) byCode.set(r.key.slice(PLAN_LIVE_PREFIX.length), v.data.from);
  }
  return planRows.map((p) => ({ ...p, liveFrom: byCode.get(p.code) ?? null }));
}

/** plan id -> live day (null = not live), as the scheduler's planner takes it. */
export async function planLiveMap(db: Db): Promise<Map<number, string | null>> {
  return new Map((await listPlanLive(db)).map((p) => [p.id, p.liveFrom]));
}

/**
 * Pick the plan a go-live command means: the given code, else the only plan. Throws PlanLiveError (Chinese) when
 * the code is unknown or several plans exist and none was named.
 */
export async function resolveLivePlan(db: Db, code: string | undefined, hint: string): Promise<PlanLiveRow> {
  const all = await listPlanLive(db);
  if (all.length === 0) throw new PlanLiveError('数据库中还没有计划，请先载入计划（npx duban plan load）。');
  if (code) {
    const p = all.find((x) => x.code === code || x.code.toLowerCase() === code.toLowerCase());
    if (!p) throw new PlanLiveError(`没有编号为 ${code} 的计划。现有计划：${all.map((x) => `${x.code}（${x.title}）`).join('、')}`);
    return p;
  }
  if (all.length > 1)
    throw new PlanLiveError(`有 ${all.length} 个计划，请指明是哪一个：${hint}。现有计划：${all.map((x) => `${x.code}（${x.title}）`).join('、')}`);
  return all[0]!;
}

/** Set (or move) a plan's live day; audited. */
export async function setPlanLive(
  db: Db,
  plan: { code: string },
  from: string,
  opts: { now: number; actor: string; personId?: number | null; channel: string },
): Promise<void> {
  const key = `${PLAN_LIVE_PREFIX}${plan.code}`;
  const value: PlanLive = { from, setAt: opts.now, by: opts.actor };
  await runBatch(db, [
    db
      .insert(settings)
      .values({ key, value, updatedAt: opts.now })
      .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: opts.now } }),
    auditInsert(db, {
      at: opts.now, actor: opts.actor, personId: opts.personId ?? null, channel: opts.channel, action: 'plan.live',
      entity: 'plan', entityId: plan.code, detail: { from },
    }),
  ]);
}

/**
 * Deployments from before go-live existed have plans that were already reminding units but no live day. Such a plan
 * (one whose assignments already have reminder steps) is taken as live from the day of its first step, once, with an
 * audit entry, so upgrading does not silence it. A plan never reminded stays waiting for the office.
 */
export async function backfillPlanLive(db: Db, live: Map<number, string | null>, now: number): Promise<void> {
  for (const [planId, from] of live) {
    if (from !== null) continue;
    const rows = await db
      .select({ first: sql<number | null>`min(${reminderLog.plannedAt})` })
      .from(reminderLog)
      .where(
        and(
          inArray(reminderLog.kind, ['reminder', 'suppressed', 'no_contact']),
          sql`${reminderLog.assignmentId} in (select a.id from assignments a join tasks t on t.id = a.task_id where t.plan_id = ${planId})`,
        ),
      );
    const first = rows[0]?.first;
    if (first == null) continue;
    const [plan] = await db.select({ code: plans.code }).from(plans).where(eq(plans.id, planId));
    if (!plan) continue;
    const day = shanghaiDate(first);
    await setPlanLive(db, plan, day, { now, actor: 'system', channel: 'system' });
    live.set(planId, day);
  }
}
