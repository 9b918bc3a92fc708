// The digest hook wired into the real scheduler pass: due on the week's first working day, sent once a week.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { NodeDatabase } from '../../src/db/node.js';
import { chats } from '../../src/db/schema.js';
import { shanghaiInstant } from '../../src/domain/dates.js';
import { createDigestHook } from '../../src/reports/digest-run.js';
import { runSchedulerPass, type SchedulerDeps } from '../../src/scheduler/pass.js';
import { chartSpecs, validateVChartSpec } from '../../src/cards/digest-card.js';
import { createTestDatabase } from '../helpers/db.js';
import { seedScenario } from '../helpers/progress-scenario.js';

let database: NodeDatabase;
let deps: SchedulerDeps;
beforeEach(async () => {
  database = createTestDatabase();
  await seedScenario(database.db);
  await database.db.insert(chats).values([{ chatId: 'oc_leaders', purpose: 'leaders' }, { chatId: 'oc_office', purpose: 'office' }]);
  deps = { db: database.db, config: parseConfig({}), buildDigest: createDigestHook({ db: database.db }) };
});
afterEach(() => database.close());

const digestRows = () =>
  database.sqlite.prepare(`select dedupe_key, msg_type, content from outbox where purpose='digest' order by id`).all() as Array<{
    dedupe_key: string;
    msg_type: string;
    content: string;
  }>;

describe('scheduler pass with the digest hook', () => {
  it('skips the holiday Monday, sends on the make-up Saturday, and only once that week', async () => {
    await runSchedulerPass(deps, shanghaiInstant('2022-10-03', '09:30'));
    expect(digestRows()).toHaveLength(0);
    const pass = await runSchedulerPass(deps, shanghaiInstant('2022-10-08', '09:30'));
    expect(pass.queued.filter((q) => q.kind === 'digest')).toHaveLength(1);
    expect(digestRows().map((r) => r.dedupe_key)).toEqual(['digest:2022-W40:chat_id:oc_leaders', 'digest:2022-W40:chat_id:oc_office']);
    await runSchedulerPass(deps, shanghaiInstant('2022-10-08', '15:00'));
    await runSchedulerPass(deps, shanghaiInstant('2022-10-09', '10:00'));
    expect(digestRows()).toHaveLength(2);
    const card = JSON.parse(digestRows()[0]!.content);
    expect(card.header.title.content).toBe('督办周报｜2022年9月26日—10月2日');
    for (const spec of chartSpecs(card)) expect(validateVChartSpec(spec).ok).toBe(true);
    // The next week's digest compares against this stored one.
    await runSchedulerPass(deps, shanghaiInstant('2022-10-10', '09:30'));
    const next = JSON.parse(digestRows()[2]!.content);
    expect(JSON.stringify(next)).toContain('较上期 10月8日');
  });
});
