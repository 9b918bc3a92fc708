// The weekly digest end to end: run, the outbox sender with the real SDK, the fake Feishu receiving the card.
import { afterEach, describe, expect, it } from 'vitest';
import { chats } from '../../src/db/schema.js';
import { createLarkMessenger } from '../../src/lark/messenger.js';
import { drainOutbox } from '../../src/lark/sender.js';
import { runDigest } from '../../src/reports/digest-run.js';
import { CARD_MAX_BYTES, chartSpecs, validateVChartSpec } from '../../src/cards/digest-card.js';
import { createTestDeps, type TestDeps } from '../helpers/deps.js';
import { startFakeLark, type FakeLark } from '../fake-lark/server.js';
import { seedScenario } from '../helpers/progress-scenario.js';

const AT = Date.parse('2022-06-27T09:00:00+08:00');
let deps: TestDeps | undefined;
let fake: FakeLark | undefined;
afterEach(async () => {
  deps?.close();
  await fake?.close();
});

describe('weekly digest to Feishu', () => {
  it('reaches the leaders and office chats once, as an interactive card with valid charts', async () => {
    fake = await startFakeLark();
    deps = createTestDeps({}, AT, createLarkMessenger({ LARK_APP_ID: 'cli_fake_app', LARK_APP_SECRET: 'fake_secret', LARK_BASE_URL: fake.url }));
    await seedScenario(deps.db);
    await deps.db.insert(chats).values([{ chatId: 'oc_leaders', purpose: 'leaders' }, { chatId: 'oc_office', purpose: 'office' }]);

    expect((await runDigest(deps, AT)).status).toBe('sent');
    expect((await drainOutbox(deps, { now: AT })).sent).toBe(2);
    // A second scheduler pass the same week, then another drain: nothing more reaches Feishu.
    expect((await runDigest(deps, AT + 3600_000)).status).toBe('already_sent');
    await drainOutbox(deps, { now: AT + 3600_000 });

    expect(fake.messages.map((m) => `${m.receive_id_type}:${m.receive_id}:${m.msg_type}`).sort()).toEqual([
      'chat_id:oc_leaders:interactive',
      'chat_id:oc_office:interactive',
    ]);
    for (const m of fake.messages) {
      expect(new TextEncoder().encode(m.content).length).toBeLessThan(CARD_MAX_BYTES);
      const card = JSON.parse(m.content);
      expect(card.schema).toBe('2.0');
      expect(card.header.title.content).toBe('督办周报｜2022年6月20日—6月26日');
      for (const spec of chartSpecs(card)) expect(validateVChartSpec(spec).ok).toBe(true);
    }
  });
});
