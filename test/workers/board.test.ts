// The office board on Workers: the same routes over D1, the signing key generated once and kept in D1 (no
// BOARD_SECRET binding), the link flow to an HttpOnly session, a contact's scope, and the assets.
import { exports } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { issueBoardLink } from '../../src/board/session.js';
import { parseConfig } from '../../src/config.js';
import { people } from '../../src/db/schema.js';
import { eq } from 'drizzle-orm';
import { clearPlanTables, db, seedReminderCase } from './fixture.js';

const ORIGIN = 'https://duban.workers.test';

beforeEach(clearPlanTables);

describe('board on Workers', () => {
  it('without a session /board says how to get in; assets are served by the worker', async () => {
    const res = await exports.default.fetch(`${ORIGIN}/board`);
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('看板');
    const css = await exports.default.fetch(`${ORIGIN}/board/assets/board.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect((await exports.default.fetch(`${ORIGIN}/board/data`)).status).toBe(401);
  });

  it('a 看板 link signed beside the worker starts a session there; the contact sees their own unit only', async () => {
    const { openId } = await seedReminderCase();
    const [person] = await db().select().from(people).where(eq(people.openId, openId));
    // The key comes from D1 (settings 'board.secret'), so a link signed here verifies in the worker.
    const config = parseConfig({ PUBLIC_BASE_URL: ORIGIN });
    const link = await issueBoardLink({ db: db(), config }, person!.id, Date.now());
    const landing = await exports.default.fetch(link.url);
    expect(landing.status).toBe(200);
    const t = new URL(link.url).searchParams.get('t')!;
    const posted = await exports.default.fetch(`${ORIGIN}/board/login`, { method: 'POST', body: new URLSearchParams({ t }), redirect: 'manual' });
    expect(posted.status).toBe(303);
    const setCookie = posted.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/Secure/i);
    const cookie = setCookie.split(';')[0]!;
    const board = await exports.default.fetch(`${ORIGIN}/board`, { headers: { cookie } });
    expect(board.status).toBe(200);
    const html = await board.text();
    expect(html).toContain('完成县级城市建成区黑臭水体排查');
    const data = (await (await exports.default.fetch(`${ORIGIN}/board/data`, { headers: { cookie } })).json()) as { scope: { all: boolean }; stats: { assignments: { total: number } } };
    expect(data.scope.all).toBe(false);
    expect(data.stats.assignments.total).toBe(1);
    const task = await exports.default.fetch(`${ORIGIN}/board/task/4.1.6`, { headers: { cookie } });
    expect(task.status).toBe(200);
    // Single use on Workers too.
    const again = await exports.default.fetch(`${ORIGIN}/board/login`, { method: 'POST', body: new URLSearchParams({ t }), redirect: 'manual' });
    expect(again.status).toBe(403);
  });
});
