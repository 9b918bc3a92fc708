// Test fixture: the bundled Dingxi 2022 plan (src/plans/dingxi-2022.json), contacts for the counties and an
// office chat. The survey task 4.1.6 (due 2022-06-30) is what most scheduler tests look at.
import { and, eq } from 'drizzle-orm';
import { bundledPlan } from '../../src/plans/bundled.js';
import { applyPlan } from '../../src/plans/load.js';
import { setPlanLive } from '../../src/db/plan-live-store.js';
import type { Db } from '../../src/db/client.js';
import { assignments, chats, people, roles, tasks, units } from '../../src/db/schema.js';

export const COUNTIES = ['安定区', '通渭县', '陇西县', '渭源县', '临洮县', '漳县', '岷县'];
/** Task 4.1.6 of the bundled plan: due 2022-06-30, assigned to two departments and the seven counties. */
export const SURVEY_TITLE = '完成县级城市建成区黑臭水体排查';

/** The day the 2022 plan rehearsed in tests and the sandbox goes live (`plan live 2022-06-01`). */
export const LIVE_FROM = '2022-06-01';

/** Load the bundled Dingxi 2022 plan (196 tasks, 39 units) through the real loader, live from LIVE_FROM unless told. */
export async function seedPlan(db: Db, opts: { liveFrom?: string | null } = {}): Promise<void> {
  const plan = bundledPlan();
  await applyPlan(db, plan, { now: 0, actor: 'system', channel: 'system' });
  const liveFrom = opts.liveFrom === undefined ? LIVE_FROM : opts.liveFrom;
  if (liveFrom) await setPlanLive(db, plan, liveFrom, { now: 0, actor: 'system', channel: 'system' });
}

/** Bind one contact per county (open id ou_<county index>), optionally leaving some out. */
export async function bindContacts(db: Db, except: string[] = []): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [i, name] of COUNTIES.entries()) {
    if (except.includes(name)) continue;
    const unit = await unitId(db, name);
    const openId = `ou_contact_${i}`;
    const [p] = await db.insert(people).values({ openId, name: `${name}联络员` }).returning();
    await db.insert(roles).values({ personId: p!.id, role: 'contact', unitId: unit });
    out.set(name, openId);
  }
  return out;
}

export async function registerOfficeChat(db: Db, chatId = 'oc_office'): Promise<void> {
  await db.insert(chats).values({ chatId, purpose: 'office' });
}

export async function unitId(db: Db, name: string): Promise<number> {
  const [u] = await db.select().from(units).where(eq(units.name, name));
  return u!.id;
}

export async function surveyAssignment(db: Db, unit: string): Promise<number> {
  const [row] = await db
    .select({ id: assignments.id })
    .from(assignments)
    .innerJoin(tasks, eq(tasks.id, assignments.taskId))
    .innerJoin(units, eq(units.id, assignments.unitId))
    .where(and(eq(tasks.title, SURVEY_TITLE), eq(units.name, unit)));
  return row!.id;
}
