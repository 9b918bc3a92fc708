// The command layer on the real bundled Dingxi plan, with a reminder made by the real scheduler pass.
import { and, eq, like } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { grantRole, upsertPerson } from '../../src/db/people-store.js';
import { createInboundHandlers } from '../../src/commands/handlers.js';
import { assignments, outbox, progressReports, units } from '../../src/db/schema.js';
import type { InboundHandlers, IncomingMessage } from '../../src/domain/types.js';
import { shanghaiInstant } from '../../src/domain/dates.js';
import { bundledPlan, ensureBundledPlan } from '../../src/plans/bundled.js';
import { setPlanLive } from '../../src/db/plan-live-store.js';
import { runSchedulerPass } from '../../src/scheduler/pass.js';
import { message } from '../helpers/command-fixture.js';
import { createTestDeps, type TestDeps } from '../helpers/deps.js';

let deps: TestDeps;
let h: InboundHandlers;
let envUnit: number;

beforeEach(async () => {
  deps = createTestDeps({ OFFICE_OPEN_IDS: 'ou_office' }, shanghaiInstant('2022-06-20', '09:30'));
  expect(await ensureBundledPlan(deps.db, deps.clock())).toBe(true);
  // The 2022 plan as rehearsed: live from 2022-06-01.
  await setPlanLive(deps.db, bundledPlan(), '2022-06-01', { now: deps.clock(), actor: 'cli', channel: 'cli' });
  envUnit = (await deps.db.select().from(units).where(eq(units.name, '市生态环境局')))[0]!.id;
  const pid = await upsertPerson(deps.db, { openId: 'ou_env', name: '张环' }, deps.clock());
  await grantRole(deps.db, pid, 'contact', envUnit, { at: deps.clock(), actor: 'cli', personId: null, channel: 'cli' });
  h = createInboundHandlers(deps);
});
afterEach(() => deps.close());

async function say(text: string, extra: Partial<IncomingMessage> = {}, who = 'ou_env') {
  const m = message(who, text, extra);
  await h.onMessage(m, deps.clock());
  const rows = await deps.db.select().from(outbox).where(like(outbox.dedupeKey, `reply:${m.messageId}%`));
  return rows.map((r) => r.content).join('\n');
}

describe('on the bundled plan', () => {
  it('我的任务, 任务 and 指标 work on real data; units by alias', async () => {
    const mine = await say('我的任务');
    expect(mine).toMatch(/本单位未完成任务 \d+ 项/);
    expect(await say('任务 2.1.1')).toContain('"schema":"2.0"');
    expect(await say('指标 PM2.5 30')).toContain('未达标');
    expect(await say('绑定 环保局 新人', {}, 'ou_new')).toContain('已提交绑定申请');
  });

  it('a reply to a reminder the scheduler queued updates that assignment', async () => {
    await runSchedulerPass({ db: deps.db, config: deps.config, logger: deps.logger }, deps.clock());
    const reminders = await deps.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.receiveId, 'ou_env'), eq(outbox.purpose, 'reminder')));
    const rem = reminders.find((r) => r.assignmentId != null);
    expect(rem, 'the scheduler queued an assignment reminder for the contact').toBeDefined();
    await deps.db.update(outbox).set({ status: 'sent', messageId: 'om_rem_real' }).where(eq(outbox.id, rem!.id));
    const r = await say('已完成排查，70%', { parentId: 'om_rem_real' });
    expect(r).toContain('进度 70%');
    expect((await deps.db.select().from(assignments).where(eq(assignments.id, rem!.assignmentId!)))[0]!.percent).toBe(70);
    expect((await deps.db.select().from(progressReports))[0]).toMatchObject({ channel: 'reply', percent: 70 });
  });
});
