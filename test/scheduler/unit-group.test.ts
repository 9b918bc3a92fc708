// 本群设为 <单位>群: that unit's reminders go to its group, mentioning its contacts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { Db } from '../../src/db/client.js';
import type { NodeDatabase } from '../../src/db/node.js';
import { chats, outbox, people, roles } from '../../src/db/schema.js';
import { shanghaiInstant } from '../../src/domain/dates.js';
import { runSchedulerPass, type SchedulerDeps } from '../../src/scheduler/pass.js';
import { wireContent } from '../../src/cards/stored-card.js';
import { createTestDatabase } from '../helpers/db.js';
import { bindContacts, COUNTIES, seedPlan, SURVEY_TITLE, unitId } from './fixture.js';

const at = (date: string, hhmm = '09:30') => shanghaiInstant(date, hhmm);
let database: NodeDatabase;
let db: Db;
let deps: SchedulerDeps;
const cardOf = (r: { content: string }) => JSON.parse(wireContent(r.content));
const surveyReminders = async () =>
  (await db.select().from(outbox).orderBy(outbox.id)).filter((r) => r.purpose === 'reminder' && r.content.includes(SURVEY_TITLE));

beforeEach(async () => {
  database = createTestDatabase();
  db = database.db;
  deps = { db, config: parseConfig({}) };
  await seedPlan(db);
});
afterEach(() => database.close());

describe('a unit group (本群设为 <单位>群)', () => {
  it("gets the unit's reminders as one card mentioning every contact; other units still get theirs directly", async () => {
    const contacts = await bindContacts(db);
    const county = COUNTIES[0]!;
    const uid = await unitId(db, county);
    const [second] = await db.insert(people).values({ openId: 'ou_second', name: '第二联络员' }).returning();
    await db.insert(roles).values({ personId: second!.id, role: 'contact', unitId: uid });
    await db.insert(chats).values({ chatId: 'oc_unit_group', purpose: 'unit', unitId: uid });
    await runSchedulerPass(deps, at('2022-06-16'));
    const sent = await surveyReminders();
    const toGroup = sent.filter((r) => r.receiveId === 'oc_unit_group');
    expect(toGroup).toHaveLength(1);
    expect(toGroup[0]!.receiveIdType).toBe('chat_id');
    expect(toGroup[0]!.dedupeKey).toMatch(/^reminder:\d+:before:10:2022-06-30:chat$/);
    const card = JSON.stringify(cardOf(toGroup[0]!));
    expect(card).toContain(`<at id=${contacts.get(county)}></at>`);
    expect(card).toContain('<at id=ou_second></at>');
    expect(sent.filter((r) => r.receiveId === contacts.get(county) || r.receiveId === 'ou_second')).toHaveLength(0);
    expect(sent.filter((r) => r.receiveIdType === 'open_id')).toHaveLength(6);
  });
});
