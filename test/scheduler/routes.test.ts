import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { outbox } from '../../src/db/schema.js';
import { setPolicy } from '../../src/db/policy-store.js';
import { createTestDeps, type RecordingMessenger, type TestDeps } from '../helpers/deps.js';
import { bindContacts, seedPlan } from './fixture.js';

let deps: TestDeps;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (r: Response): Promise<any> => r.json();
afterEach(() => deps?.close());

async function setup(env: Record<string, string> = { ADMIN_TOKEN: 's3cret-token' }) {
  deps = createTestDeps(env);
  await seedPlan(deps.db);
  await bindContacts(deps.db);
  return createApp(deps);
}
const post = (app: ReturnType<typeof createApp>, body: unknown, token?: string) =>
  app.request('/api/scheduler/run', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('POST /api/scheduler/run', () => {
  it('refuses without the admin token or with a wrong one', async () => {
    const app = await setup();
    expect((await post(app, { at: '2022-06-16T09:30:00+08:00' })).status).toBe(401);
    const wrong = await post(app, { at: '2022-06-16T09:30:00+08:00' }, 's3cret-tokem');
    expect(wrong.status).toBe(401);
    expect((await json(wrong)).message).toContain('ADMIN_TOKEN');
    expect(await deps.db.select().from(outbox)).toHaveLength(0);
  });

  it('is disabled with a clear message when ADMIN_TOKEN is unset', async () => {
    const app = await setup({});
    const res = await post(app, {}, 'anything');
    expect(res.status).toBe(403);
    expect((await json(res)).message).toContain('ADMIN_TOKEN');
  });

  it('rejects a bad body with 400', async () => {
    const app = await setup();
    expect((await post(app, { at: 'yesterday' }, 's3cret-token')).status).toBe(400);
    expect((await post(app, '{not json', 's3cret-token')).status).toBe(400);
    expect((await post(app, { at: '2022-06-16T09:30:00+08:00', extra: 1 }, 's3cret-token')).status).toBe(400);
  });

  it('runs a pass for the given instant and returns what it queued; a repeat queues nothing', async () => {
    const app = await setup();
    const res = await post(app, { at: '2022-06-16T09:30:00+08:00' }, 's3cret-token');
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.date).toBe('2022-06-16');
    expect(body.queued.filter((q: { stepKey: string }) => q.stepKey === 'before:10:2022-06-30')).toHaveLength(7);
    expect(body.outboxIds.length).toBe((await deps.db.select().from(outbox)).length);
    const again = await json(await post(app, { at: '2022-06-16T09:30:00+08:00' }, 's3cret-token'));
    expect(again.queued).toHaveLength(0);
    const holiday = await json(await post(app, { at: '2022-10-03T10:00:00+08:00' }, 's3cret-token'));
    expect(holiday.skippedReason).toBe('not_workday');
  });

  it('uses the clock when no instant is given and delivers what it queued through the messenger', async () => {
    const app = await setup();
    await setPolicy(deps.db, { periodicEvery: 'off' }, { now: 0 });
    deps.setNow(Date.parse('2022-06-16T01:30:00Z'));
    const body = await json(await post(app, '', 's3cret-token'));
    expect(body.date).toBe('2022-06-16');
    const messenger = deps.messenger as RecordingMessenger;
    expect(messenger.delivered.map((r) => r.id).sort()).toEqual([...body.outboxIds].sort());
    expect(body.delivered).toMatchObject({ sent: body.outboxIds.length, failed: 0 });
    const sent = await deps.db.select().from(outbox);
    expect(sent.every((r) => r.status === 'sent')).toBe(true);
  });
});
