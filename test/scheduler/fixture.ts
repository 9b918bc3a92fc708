// Test fixture: a small plan with the black-odorous-water survey (4.1.x, due 2022-06-30) assigned to the
// seven counties, plus an ongoing duty. Switching to the bundled plan is one line in seedPlan().
import { and, eq, like } from 'drizzle-orm';
import type { Db } from '../../src/db/client.js';
import { assignments, chats, deadlines, people, plans, roles, tasks, units } from '../../src/db/schema.js';

export const COUNTIES = ['安定区', '通渭县', '陇西县', '渭源县', '临洮县', '漳县', '岷县'];
export const SURVEY_TITLE = '完成县级城市建成区黑臭水体排查';

export async function seedPlan(db: Db): Promise<void> {
  // With the bundled plan on main: `await applyPlan(db, bundledPlan, now)` instead of the fixture below.
  await insertFixturePlan(db);
}

async function insertFixturePlan(db: Db): Promise<void> {
  const [plan] = await db.insert(plans).values({ code: 'fixture-2022', title: '测试方案' }).returning();
  const unitRows = await db
    .insert(units)
    .values(COUNTIES.map((name) => ({ name, kind: 'county' })))
    .returning();
  const [survey] = await db
    .insert(tasks)
    .values({ planId: plan!.id, code: '4.1.3', chapter: 4, section: 1, seq: 3, title: SURVEY_TITLE, sourceText: SURVEY_TITLE })
    .returning();
  await db.insert(deadlines).values({ taskId: survey!.id, kind: 'month_end', dueDate: '2022-06-30', label: '2022年6月底前' });
  await db.insert(assignments).values(unitRows.map((u) => ({ taskId: survey!.id, unitId: u.id, role: 'lead' })));
  const [ongoing] = await db
    .insert(tasks)
    .values({ planId: plan!.id, code: '9.1.1', chapter: 9, section: 1, seq: 1, title: '落实河湖长制巡河', sourceText: '长期坚持' })
    .returning();
  await db.insert(deadlines).values({ taskId: ongoing!.id, kind: 'ongoing', label: '长期坚持' });
  await db.insert(assignments).values({ taskId: ongoing!.id, unitId: unitRows[0]!.id, role: 'lead' });
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

export async function surveyAssignment(db: Db, county: string): Promise<number> {
  const [row] = await db
    .select({ id: assignments.id })
    .from(assignments)
    .innerJoin(tasks, eq(tasks.id, assignments.taskId))
    .innerJoin(units, eq(units.id, assignments.unitId))
    .where(and(like(tasks.title, `%黑臭水体排查%`), eq(units.name, county)));
  return row!.id;
}
