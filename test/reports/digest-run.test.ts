import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';
import type { NodeDatabase } from '../../src/db/node.js';
import { chats, people, roles } from '../../src/db/schema.js';
import { createDigestHook, digestRecipients, isDigestDue, runDigest } from '../../src/reports/digest-run.js';
import { enqueueOutbox } from '../../src/db/outbox-store.js';
import { firstWorkdayOfWeek, formatDelta } from '../../src/domain/digest.js';
import { chartSpecs, validateVChartSpec } from '../../src/cards/digest-card.js';
import { seedScenario } from '../helpers/progress-scenario.js';
import { recordProgress, type SeededPlan } from '../helpers/plan-fixture.js';

/** An Asia/Shanghai wall-clock instant. */
const sh = (s: string) => Date.parse(`${s}+08:00`);

describe('isDigestDue', () => {
  it('is due from 09:00 on the first working day of the week', () => {
    expect(isDigestDue(sh('2022-06-27T08:59:00'))).toBe(false);
    expect(isDigestDue(sh('2022-06-27T09:00:00'))).toBe(true);
    // Later in the week it stays due (a missed Monday catches up); runDigest's weekly claim keeps it to one.
    expect(isDigestDue(sh('2022-06-29T07:00:00'))).toBe(true);
    // Sunday belongs to the same ISO week as the Monday before it.
    expect(isDigestDue(sh('2022-06-26T12:00:00'))).toBe(true);
    expect(isDigestDue(sh('2022-06-20T08:00:00'))).toBe(false);
  });
  it('moves off a holiday Monday (checked against the statutory calendar)', () => {
    // 2022-10-03 is 国庆节; the week's first working day is Saturday 2022-10-08 (a make-up workday).
    expect(firstWorkdayOfWeek('2022-10-03')).toBe('2022-10-08');
    expect(isDigestDue(sh('2022-10-03T10:00:00'))).toBe(false);
    expect(isDigestDue(sh('2022-10-07T23:59:00'))).toBe(false);
    expect(isDigestDue(sh('2022-10-08T08:59:00'))).toBe(false);
    expect(isDigestDue(sh('2022-10-08T09:00:00'))).toBe(true);
    // 2023-01-02 (元旦 observed) → Tuesday 2023-01-03; 2024-04-01 is an ordinary Monday.
    expect(firstWorkdayOfWeek('2023-01-02')).toBe('2023-01-03');
    expect(isDigestDue(sh('2023-01-02T09:30:00'))).toBe(false);
    expect(isDigestDue(sh('2023-01-03T09:30:00'))).toBe(true);
    expect(firstWorkdayOfWeek('2024-04-01')).toBe('2024-04-01');
  });
  it('sends nothing in a week with no working day (Spring Festival 2022)', () => {
    expect(firstWorkdayOfWeek('2022-02-01')).toBeNull();
    expect(isDigestDue(sh('2022-02-06T12:00:00'))).toBe(false);
  });
});

describe('runDigest', () => {
  let database: NodeDatabase;
  let plan: SeededPlan;
  const outboxRows = () =>
    database.sqlite.prepare(`select dedupe_key, receive_id_type, receive_id, msg_type, content, purpose from outbox order by id`).all() as Array<{
      dedupe_key: string;
      receive_id_type: string;
      receive_id: string;
      msg_type: string;
      content: string;
      purpose: string;
    }>;
  const digestCount = () => (database.sqlite.prepare('select count(*) n from digests').get() as { n: number }).n;

  beforeEach(async () => {
    database = createTestDatabase();
    plan = await seedScenario(database.db);
    await database.db.insert(chats).values([
      { chatId: 'oc_leaders', purpose: 'leaders' },
      { chatId: 'oc_office', purpose: 'office' },
      { chatId: 'oc_unit', purpose: 'unit', unitId: 1 },
    ]);
  });
  afterEach(() => database.close());

  it('sends once to the leaders and office chats, stores the digest, and a second pass sends nothing', async () => {
    const r = await runDigest({ db: database.db }, sh('2022-06-27T09:00:00'));
    expect(r.status).toBe('sent');
    expect(r.weekKey).toBe('2022-W26');
    const rows = outboxRows();
    expect(rows.map((x) => x.dedupe_key)).toEqual(['digest:2022-W26:chat_id:oc_leaders', 'digest:2022-W26:chat_id:oc_office']);
    expect(rows.every((x) => x.msg_type === 'interactive' && x.purpose === 'digest')).toBe(true);
    const card = JSON.parse(rows[0]!.content);
    expect(card.schema).toBe('2.0');
    for (const spec of chartSpecs(card)) expect(validateVChartSpec(spec).ok).toBe(true);
    const stored = database.sqlite.prepare('select week_key, stats, card from digests').get() as { week_key: string; stats: string; card: string };
    expect(stored.week_key).toBe('2022-W26');
    expect(JSON.parse(stored.stats).lights).toEqual({ red: 2, yellow: 5, green: 10 });
    expect(JSON.parse(stored.card)).toEqual(card);

    const again = await runDigest({ db: database.db }, sh('2022-06-27T09:15:00'));
    expect(again.status).toBe('already_sent');
    const forced = await runDigest({ db: database.db }, sh('2022-07-01T16:00:00'), { force: true });
    expect(forced.status).toBe('already_sent');
    expect(outboxRows()).toHaveLength(2);
    expect(digestCount()).toBe(1);
  });

  it('a holiday Monday moves the send to the week\'s first working day', async () => {
    expect((await runDigest({ db: database.db }, sh('2022-10-03T09:00:00'))).status).toBe('not_due');
    expect((await runDigest({ db: database.db }, sh('2022-10-05T09:00:00'))).status).toBe('not_due');
    expect(outboxRows()).toHaveLength(0);
    const r = await runDigest({ db: database.db }, sh('2022-10-08T09:01:00'));
    expect(r.status).toBe('sent');
    expect(r.weekKey).toBe('2022-W40');
    expect(outboxRows()).toHaveLength(2);
  });

  it('dry run stores and sends nothing', async () => {
    const r = await runDigest({ db: database.db }, sh('2022-06-27T09:00:00'), { dryRun: true });
    expect(r.status).toBe('dry_run');
    expect(r.card).toBeDefined();
    expect(r.recipients).toHaveLength(2);
    expect(outboxRows()).toHaveLength(0);
    expect(digestCount()).toBe(0);
  });

  it('computes the change since last week from the digest actually stored', async () => {
    await runDigest({ db: database.db }, sh('2022-06-20T09:00:00'));
    const lastWeek = JSON.parse((database.sqlite.prepare(`select stats from digests where week_key='2022-W25'`).get() as { stats: string }).stats);
    // Progress during the week, recorded as the commands layer records it.
    await recordProgress(database.db, plan.assignmentId('4.1.1', '市生态环境局'), { state: 'closed', percent: 100 }, sh('2022-06-24T10:00:00'));
    const r = await runDigest({ db: database.db }, sh('2022-06-27T09:00:00'));
    expect(r.previous?.weekKey).toBe('2022-W25');
    const md = JSON.stringify(r.card);
    const closedNow = r.stats!.assignments.byStatus['已销号'];
    const closedDelta = closedNow - lastWeek.assignments.byStatus['已销号'];
    expect(closedDelta).toBe(1);
    expect(md).toContain(`已销号 ${closedNow}（+1）`);
    expect(md).toContain(`红灯 ${r.stats!.lights.red}（${formatDelta(r.stats!.lights.red - lastWeek.lights.red)}）`);

    // The baseline is the stored row, not a recomputation: rewrite it and the delta follows.
    database.sqlite
      .prepare(`update digests set stats = json_set(stats, '$.assignments.byStatus.已销号', 0) where week_key='2022-W25'`)
      .run();
    const dry = await runDigest({ db: database.db }, sh('2022-06-27T10:00:00'), { dryRun: true });
    expect(JSON.stringify(dry.card)).toContain(`已销号 ${closedNow}（+${closedNow}）`);
  });

  it('without registered chats, sends to leaders and office people by direct message', async () => {
    database.sqlite.prepare('delete from chats').run();
    const [a, b, c] = await database.db
      .insert(people)
      .values([{ openId: 'ou_leader' }, { openId: 'ou_office' }, { openId: 'ou_contact' }])
      .returning({ id: people.id });
    await database.db.insert(roles).values([
      { personId: a!.id, role: 'leader' },
      { personId: b!.id, role: 'office' },
      { personId: b!.id, role: 'leader' },
      { personId: c!.id, role: 'contact', unitId: 1 },
    ]);
    const rec = await digestRecipients(database.db);
    expect(rec.map((r) => r.receiveId).sort()).toEqual(['ou_leader', 'ou_office']);
    await runDigest({ db: database.db }, sh('2022-06-27T09:00:00'));
    expect(outboxRows().map((r) => `${r.receive_id_type}:${r.receive_id}`).sort()).toEqual(['open_id:ou_leader', 'open_id:ou_office']);
  });

  it('releases the week when queueing fails, so the next pass retries', async () => {
    database.sqlite.exec(`create trigger fail_outbox before insert on outbox begin select raise(abort, 'disk full'); end;`);
    await expect(runDigest({ db: database.db }, sh('2022-06-27T09:00:00'))).rejects.toThrow();
    expect(digestCount()).toBe(0);
    database.sqlite.exec('drop trigger fail_outbox');
    expect((await runDigest({ db: database.db }, sh('2022-06-27T09:05:00'))).status).toBe('sent');
  });
});

describe('createDigestHook (for the scheduler pass)', () => {
  let database: NodeDatabase;
  beforeEach(async () => {
    database = createTestDatabase();
    await seedScenario(database.db);
    await database.db.insert(chats).values([{ chatId: 'oc_leaders', purpose: 'leaders' }]);
  });
  afterEach(() => database.close());

  it('stores the week once and returns per-recipient messages whose keys make a repeat harmless', async () => {
    const hook = createDigestHook({ db: database.db });
    const at = sh('2022-06-27T09:00:00');
    const first = await hook({ weekKey: '2022-W26', date: '2022-06-27', now: at });
    expect(first.map((m) => m.dedupeKey)).toEqual(['digest:2022-W26:chat_id:oc_leaders']);
    expect(first[0]).toMatchObject({ msgType: 'interactive', purpose: 'digest', receiveIdType: 'chat_id' });
    await enqueueOutbox(database.db, first, at);
    // Progress after the send does not change this week's card: the stored one is reused.
    database.sqlite.prepare(`update assignments set state='closed'`).run();
    const again = await hook({ weekKey: '2022-W26', date: '2022-06-27', now: at + 3600_000 });
    expect(again[0]!.content).toEqual(first[0]!.content);
    expect(await enqueueOutbox(database.db, again, at + 3600_000)).toEqual([]);
    expect((database.sqlite.prepare('select count(*) n from digests').get() as { n: number }).n).toBe(1);
  });

  it('after a CLI send the same week, queues nothing new', async () => {
    await runDigest({ db: database.db }, sh('2022-06-27T08:00:00'), { force: true });
    const msgs = await createDigestHook({ db: database.db })({ weekKey: '2022-W26', date: '2022-06-27', now: sh('2022-06-27T09:00:00') });
    expect(await enqueueOutbox(database.db, msgs, sh('2022-06-27T09:00:00'))).toEqual([]);
  });
});
