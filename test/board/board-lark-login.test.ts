// Feishu web-app login for the board against the fake Feishu server (real wire shapes of LARK.md §8): authorize →
// callback with ?code&state → POST /open-apis/authen/v2/oauth/token → GET /open-apis/authen/v1/user_info → session.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLark, type FakeLark } from '../fake-lark/server.js';
import { loginWithCode } from '../../src/board/lark-login.js';
import { parseConfig } from '../../src/config.js';
import { ANDING, BASE, Browser, createBoardWorld, type BoardWorld } from './board-fixture.js';

const APP_ID = 'cli_board_app';
const SECRET = 'board_app_secret';
const CALLBACK = `${BASE}/board/auth/lark/callback`;

let fake: FakeLark;
let w: BoardWorld;
let now = Date.parse('2022-06-27T02:00:00Z');
beforeEach(async () => {
  now = Date.parse('2022-06-27T02:00:00Z');
  fake = await startFakeLark({ appId: APP_ID, appSecret: SECRET, clock: () => now });
  w = await createBoardWorld({ now, env: { LARK_APP_ID: APP_ID, LARK_APP_SECRET: SECRET, LARK_BASE_URL: fake.url } });
});
afterEach(async () => {
  w.close();
  await fake.close();
});

/** Start the login, let the fake Feishu authorize page answer, and return the callback path it redirects to. */
async function authorize(b: Browser): Promise<string> {
  const start = await b.fetch('/board/auth/lark');
  expect(start.status).toBe(302);
  const to = new URL(start.headers.get('location')!);
  expect(to.origin).toBe(fake.url);
  expect(to.pathname).toBe('/open-apis/authen/v1/authorize');
  expect(to.searchParams.get('client_id')).toBe(APP_ID);
  expect(to.searchParams.get('redirect_uri')).toBe(CALLBACK);
  expect(to.searchParams.get('state')).toBeTruthy();
  const page = await fetch(to, { redirect: 'manual' });
  expect(page.status).toBe(302);
  const back = new URL(page.headers.get('location')!);
  expect(back.origin + back.pathname).toBe(CALLBACK);
  return back.pathname + back.search;
}

describe('Feishu login', () => {
  it('a bound contact signs in with Feishu and sees their own board', async () => {
    fake.setAuthorizeUser({ open_id: ANDING, name: '李安定' });
    const b = new Browser(w.app);
    const cb = await b.fetch(await authorize(b));
    expect(cb.status).toBe(303);
    expect(cb.headers.get('location')).toBe('/board');
    expect(cb.headers.get('set-cookie')).toMatch(/duban_board=.*HttpOnly/i);
    const board = await b.fetch('/board');
    expect(board.status).toBe(200);
    expect(await board.text()).toContain('本单位：安定区');
    // The token exchange carried the app's credentials and the same redirect_uri, without an Authorization header.
    const tokenCall = fake.requests.find((r) => r.path === '/open-apis/authen/v2/oauth/token')!;
    expect(tokenCall.body).toMatchObject({ grant_type: 'authorization_code', client_id: APP_ID, client_secret: SECRET, redirect_uri: CALLBACK });
    expect(tokenCall.headers.authorization).toBeUndefined();
    expect(fake.requests.find((r) => r.path === '/open-apis/authen/v1/user_info')!.headers.authorization).toMatch(/^Bearer u-fake-/);
  });

  it('someone Feishu knows but duban has not bound gets no session and is told how to get bound', async () => {
    fake.setAuthorizeUser({ open_id: 'ou_new_person', name: '新同事' });
    const b = new Browser(w.app);
    const cb = await b.fetch(await authorize(b));
    expect(cb.status).toBe(403);
    expect(await cb.text()).toContain('绑定 单位名称');
    expect(b.cookies.has('duban_board')).toBe(false);
  });

  it('a declined authorization, a forged or missing state, and a replayed code are refused', async () => {
    fake.setAuthorizeUser(null);
    const b = new Browser(w.app);
    const declined = await b.fetch(await authorize(b));
    expect(declined.status).toBe(403);
    expect(await declined.text()).toContain('取消了飞书授权');

    fake.setAuthorizeUser({ open_id: ANDING, name: '李安定' });
    // A callback this browser did not start (no state cookie): login CSRF.
    const other = new Browser(w.app);
    const cbPath = await authorize(other);
    const stranger = await new Browser(w.app).fetch(cbPath);
    expect(stranger.status).toBe(403);
    expect(await stranger.text()).toContain('登录请求已失效');
    // A tampered state.
    const c = new Browser(w.app);
    const p = await authorize(c);
    const u = new URL(p, BASE);
    // One character inside the signature (not the last, whose low bits base64url does not use).
    const signed = u.searchParams.get('state')!;
    const at = signed.length - 10;
    u.searchParams.set('state', signed.slice(0, at) + (signed[at] === 'A' ? 'B' : 'A') + signed.slice(at + 1));
    expect((await c.fetch(u.pathname + u.search)).status).toBe(403);

    // The code is single use: the first callback works, a replay of the same URL does not.
    const d = new Browser(w.app);
    const dp = await authorize(d);
    const state = d.cookies.get('duban_board_state')!;
    expect((await d.fetch(dp)).status).toBe(303);
    const replay = new Browser(w.app);
    replay.cookies.set('duban_board_state', state);
    const r = await replay.fetch(dp);
    expect(r.status).toBe(403);
    expect(await r.text()).toContain('授权码无效或已使用');
  });

  it('token errors come back with their Feishu codes and Chinese advice', async () => {
    const user = { open_id: ANDING, name: '李安定' };
    const config = parseConfig({ LARK_APP_ID: APP_ID, LARK_APP_SECRET: SECRET, LARK_BASE_URL: fake.url });
    const expired = fake.issueAuthCode(user, CALLBACK);
    now += 6 * 60_000;
    expect(await loginWithCode(config, expired, CALLBACK)).toMatchObject({ ok: false, error: { code: 20004, message: expect.stringContaining('已过期') } });
    const wrongRedirect = fake.issueAuthCode(user, CALLBACK);
    expect(await loginWithCode(config, wrongRedirect, 'https://elsewhere.test/cb')).toMatchObject({ ok: false, error: { code: 20071, message: expect.stringContaining('PUBLIC_BASE_URL') } });
    const otherApp = fake.issueAuthCode(user, CALLBACK, { clientId: 'cli_other' });
    expect(await loginWithCode(config, otherApp, CALLBACK)).toMatchObject({ ok: false, error: { code: 20024 } });
    expect(await loginWithCode(config, 'no-such-code', CALLBACK)).toMatchObject({ ok: false, error: { code: 20003 } });
    const badSecret = parseConfig({ LARK_APP_ID: APP_ID, LARK_APP_SECRET: 'wrong', LARK_BASE_URL: fake.url });
    expect(await loginWithCode(badSecret, fake.issueAuthCode(user, CALLBACK), CALLBACK)).toMatchObject({ ok: false, error: { code: 20002, message: expect.stringContaining('LARK_APP_SECRET') } });
    const good = await loginWithCode(config, fake.issueAuthCode(user, CALLBACK), CALLBACK);
    expect(good).toMatchObject({ ok: true, value: { open_id: ANDING, name: '李安定', tenant_key: 'fake_tenant' } });
    // user_info refuses a token it did not issue.
    const ui = await fetch(`${fake.url}/open-apis/authen/v1/user_info`, { headers: { authorization: 'Bearer u-forged' } });
    expect(await ui.json()).toMatchObject({ code: 99991668 });
  });

  it('without Feishu credentials the login button is not offered and the route says so', async () => {
    const plain = await createBoardWorld({ env: {} });
    const gate = await plain.app.request(`${BASE}/board`);
    expect(await gate.text()).not.toContain('/board/auth/lark');
    const r = await plain.app.request(`${BASE}/board/auth/lark`);
    expect(r.status).toBe(403);
    expect(await r.text()).toContain('未配置飞书网页应用登录');
    plain.close();
    // With credentials, the page offers it.
    expect(await (await w.app.request(`${BASE}/board`)).text()).toContain('/board/auth/lark');
  });
});
