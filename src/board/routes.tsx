/** @jsxImportSource hono/jsx */
// The board's HTTP routes (README "The office board"). Every page and every data route resolves the viewer from the
// session cookie and the database on each request, and passes the viewer's scope to src/board/data.ts.
// The folder: data.ts (what a page shows, computed as 统计 and the digest compute it), session.ts and tokens.ts
// (links, cookies, the signing key), lark-login.ts (Feishu web login), views.tsx and assets.ts (pages); its tables
// are read through src/db/board-store.ts and the shared stores. The 看板 command that sends a personal link lives
// with the other commands (src/commands/board-command.ts): src/board/ imports nothing from src/commands/ or
// src/evidence/.
//
//   GET  /board                     the board (filters ?chapter= ?unit= ?status= ?at=YYYY-MM-DD)
//   GET  /board/data                the same, as JSON
//   GET  /board/task/:code          a task: text, deadlines, every visible assignment's status, history, evidence
//   GET  /board/task/:code/data     the same, as JSON
//   GET  /board/login?t=…           the personal link from `看板`: a page that POSTs the link (previews cannot use it)
//   POST /board/login               uses the link once, starts the session (HttpOnly cookie), lands on /board
//   POST /board/logout
//   GET  /board/auth/lark           Feishu web-app login (OAuth authorization code), back at …/callback
//   GET  /board/assets/board.css|js
import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { AppDeps } from '../deps.js';
import type { Actor } from '../domain/actor.js';
import { err, ok, type Result } from '../domain/result.js';
import { BOARD_CSS, BOARD_JS } from './assets.js';
import { BoardInputError, loadBoard, loadFilterContext, loadTask, parseBoardQuery, type BoardScope } from './data.js';
import { authorizeUrl, loginWithCode } from './lark-login.js';
import { actorOf, checkLink, LINK_REFUSAL_ZH, personOfSession, redeemLink, scopeOf, SESSION_COOKIE, startSession, STATE_COOKIE } from './session.js';
import { personForOpenId } from '../db/people-store.js';
import { boardSecret, randomToken, signToken, verifyToken } from './tokens.js';
import { BoardPage, GatePage, LinkLandingPage, MessagePage, TaskPage } from './views.js';

const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'";

/** Mark cookies Secure over https: the request's own scheme, a proxy's X-Forwarded-Proto, or an https PUBLIC_BASE_URL. */
function isHttps(c: Context, publicBaseUrl: string): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https' || publicBaseUrl.startsWith('https://');
}

async function page(c: Context, el: JSX.Element, status: 200 | 400 | 401 | 403 | 404 | 502 = 200) {
  c.header('content-security-policy', CSP);
  c.header('x-content-type-options', 'nosniff');
  c.header('referrer-policy', 'no-referrer');
  c.header('cache-control', 'private, no-store');
  return c.html('<!DOCTYPE html>' + (await el.toString()), status);
}

function json(c: Context, body: unknown, status: 200 | 400 | 401 | 403 | 404 = 200) {
  c.header('cache-control', 'private, no-store');
  c.header('x-content-type-options', 'nosniff');
  return c.json(body as object, status);
}

/** Who is looking, or why they may not: 401 (no session) or 403 (signed in, but no role or unit). */
type ViewerDenied = { status: 401 } | { status: 403; actor: Actor; message: string };
type ViewerResult = Result<{ actor: Actor; scope: BoardScope }, ViewerDenied>;

const NO_ROLE = '你还没有绑定单位或角色，看板暂不对你开放。请给督办机器人发送「绑定 单位名称」申请，办公室批准后再发送「看板」。';

export function registerBoardRoutes(app: Hono, deps: AppDeps) {
  const larkLogin = () => deps.config.larkConfigured && deps.config.PUBLIC_BASE_URL !== '';

  async function viewer(c: Context): Promise<ViewerResult> {
    const s = await personOfSession(deps, getCookie(c, SESSION_COOKIE), deps.clock());
    if (!s) return err({ status: 401 });
    const actor = await actorOf(deps, s.personId);
    if (!actor) return err({ status: 401 });
    const scope = scopeOf(actor);
    if (!scope) return err({ status: 403, actor, message: NO_ROLE });
    return ok({ actor, scope });
  }

  const setSession = (c: Context, cookie: string, expiresAt: number) =>
    setCookie(c, SESSION_COOKIE, cookie, {
      httpOnly: true,
      secure: isHttps(c, deps.config.PUBLIC_BASE_URL),
      sameSite: 'Lax',
      path: '/board',
      // Max-Age, not Expires: relative to the response, so a browser whose clock differs from ours agrees.
      maxAge: Math.max(1, Math.floor((expiresAt - deps.clock()) / 1000)),
    });

  const gate = (c: Context, error?: string, status: 401 | 403 = 401) => page(c, <GatePage error={error} larkLogin={larkLogin()} />, status);

  /** The answer to a request without a session (401) or without a role (403), as a page or as JSON. */
  function denied(c: Context, v: ViewerDenied, asJson: boolean) {
    if (asJson) {
      const message = v.status === 401 ? '请先登录：在飞书中给机器人发送「看板」。' : v.message;
      return json(c, { error: v.status === 401 ? 'unauthorized' : 'forbidden', message }, v.status);
    }
    return v.status === 401 ? gate(c) : page(c, <MessagePage title="无权查看" message={v.message} viewer={v.actor} />, 403);
  }

  function inputError(c: Context, err: unknown, actor: Actor | null, asJson: boolean) {
    if (!(err instanceof BoardInputError)) throw err;
    if (asJson) return json(c, { error: err.status === 403 ? 'forbidden' : err.status === 404 ? 'not_found' : 'bad_request', message: err.message }, err.status);
    const title = err.status === 403 ? '无权查看' : err.status === 404 ? '没有找到' : '筛选条件有误';
    return page(c, <MessagePage title={title} message={err.message} viewer={actor} back="/board" />, err.status);
  }

  // ---- assets ----
  const asset = (body: string, type: string) => (c: Context) => {
    c.header('content-type', type);
    c.header('cache-control', c.req.query('v') ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
    c.header('x-content-type-options', 'nosniff');
    return c.body(body);
  };
  app.get('/board/assets/board.css', asset(BOARD_CSS, 'text/css; charset=utf-8'));
  app.get('/board/assets/board.js', asset(BOARD_JS, 'text/javascript; charset=utf-8'));

  // ---- the link flow ----
  app.get('/board/login', async (c) => {
    const t = c.req.query('t');
    if (!t) return gate(c);
    const now = deps.clock();
    const check = await checkLink(deps, t, now);
    if (!check.ok) return gate(c, `${LINK_REFUSAL_ZH[check.error]}请在飞书中给机器人重新发送「看板」获取新链接。`, 403);
    const current = await personOfSession(deps, getCookie(c, SESSION_COOKIE), now);
    if (current && current.personId !== check.value.personId) return gate(c, `${LINK_REFUSAL_ZH.other_person}请先退出，或使用自己的链接。`, 403);
    return page(c, <LinkLandingPage token={t} />);
  });

  // A form posted from another site (login CSRF: signing a victim in as someone else) is refused. Browsers send
  // Origin with every POST; the app's own origin is the request's or PUBLIC_BASE_URL (behind a proxy).
  const crossSite = (c: Context) => {
    const origin = c.req.header('origin');
    if (!origin || origin === 'null') return false;
    return origin !== new URL(c.req.url).origin && origin !== deps.config.PUBLIC_BASE_URL;
  };

  app.post('/board/login', async (c) => {
    if (crossSite(c)) return gate(c, '登录请求来自其他网站，已拒绝。请直接点开机器人发给你的链接。', 403);
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const t = typeof form.t === 'string' ? form.t : '';
    if (!t) return gate(c, '缺少登录链接参数。请在飞书中给机器人发送「看板」获取链接。', 403);
    const now = deps.clock();
    const current = await personOfSession(deps, getCookie(c, SESSION_COOKIE), now);
    const r = await redeemLink(deps, t, now, current?.personId ?? null);
    if (!r.ok) {
      deps.logger.warn('board: link refused', { reason: r.error });
      const tail = r.error === 'other_person' ? '请先退出，或使用自己的链接。' : '请在飞书中给机器人重新发送「看板」获取新链接。';
      return gate(c, `${LINK_REFUSAL_ZH[r.error]}${tail}`, 403);
    }
    setSession(c, r.value.cookie, r.value.expiresAt);
    return c.redirect('/board', 303);
  });

  app.post('/board/logout', (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: '/board', secure: isHttps(c, deps.config.PUBLIC_BASE_URL) });
    return c.redirect('/board', 303);
  });

  // ---- Feishu web-app login ----
  app.get('/board/auth/lark', async (c) => {
    if (!larkLogin()) {
      return gate(c, '本服务未配置飞书网页应用登录（需要 LARK_APP_ID、LARK_APP_SECRET 和 PUBLIC_BASE_URL）。请在机器人中发送「看板」获取登录链接。', 403);
    }
    const now = deps.clock();
    const secret = await boardSecret(deps.db, deps.config.BOARD_SECRET);
    const state = await signToken(secret, { k: 'state', e: now + 10 * 60_000, n: randomToken(12) });
    setCookie(c, STATE_COOKIE, state, { httpOnly: true, secure: isHttps(c, deps.config.PUBLIC_BASE_URL), sameSite: 'Lax', path: '/board', maxAge: 600 });
    return c.redirect(authorizeUrl(deps.config, `${deps.config.PUBLIC_BASE_URL}/board/auth/lark/callback`, state), 302);
  });

  app.get('/board/auth/lark/callback', async (c) => {
    if (!larkLogin()) return gate(c, '本服务未配置飞书网页应用登录。', 403);
    const now = deps.clock();
    const state = c.req.query('state') ?? '';
    const expected = getCookie(c, STATE_COOKIE);
    deleteCookie(c, STATE_COOKIE, { path: '/board', secure: isHttps(c, deps.config.PUBLIC_BASE_URL) });
    const secret = await boardSecret(deps.db, deps.config.BOARD_SECRET);
    const sv = state ? await verifyToken(secret, state, 'state', now) : null;
    if (!expected || state !== expected || !sv?.ok) {
      return gate(c, '登录请求已失效或不是从本页面发起的，请重新点击“使用飞书账号登录”。', 403);
    }
    if (c.req.query('error')) return gate(c, '你取消了飞书授权，未登录。', 403);
    const code = c.req.query('code');
    if (!code) return gate(c, '飞书没有返回授权码，请重新登录。', 403);
    const r = await loginWithCode(deps.config, code, `${deps.config.PUBLIC_BASE_URL}/board/auth/lark/callback`);
    if (!r.ok) {
      deps.logger.warn('board: Feishu login failed', { code: r.error.code });
      return gate(c, r.error.message, 403);
    }
    const personId = await personForOpenId(deps.db, r.value, now);
    const actor = await actorOf(deps, personId);
    if (!actor || !scopeOf(actor)) return gate(c, NO_ROLE, 403);
    const s = await startSession(deps, personId, 'lark', now);
    setSession(c, s.cookie, s.expiresAt);
    return c.redirect('/board', 303);
  });

  // ---- pages and data ----
  async function boardFor(c: Context, asJson: boolean) {
    const seen = await viewer(c);
    if (!seen.ok) return denied(c, seen.error, asJson);
    const v = seen.value;
    try {
      const ctx = await loadFilterContext(deps.db);
      const q = parseBoardQuery(c.req.query(), ctx);
      const view = await loadBoard(deps.db, v.scope, q, deps.clock());
      if (asJson) return json(c, view);
      return page(c, <BoardPage view={view} viewer={v.actor} />);
    } catch (err) {
      return inputError(c, err, v.actor, asJson);
    }
  }

  async function taskFor(c: Context, asJson: boolean) {
    const seen = await viewer(c);
    if (!seen.ok) return denied(c, seen.error, asJson);
    const v = seen.value;
    try {
      const ctx = await loadFilterContext(deps.db);
      const q = parseBoardQuery({ at: c.req.query('at') }, ctx);
      const code = c.req.param('code') ?? '';
      const view = await loadTask(deps.db, v.scope, code, q.at, deps.clock());
      if (asJson) return json(c, view);
      return page(c, <TaskPage view={view} viewer={v.actor} at={q.at} />);
    } catch (err) {
      return inputError(c, err, v.actor, asJson);
    }
  }

  app.get('/board', (c) => boardFor(c, false));
  app.get('/board/', (c) => c.redirect('/board', 301));
  app.get('/board/data', (c) => boardFor(c, true));
  app.get('/board/task/:code/data', (c) => taskFor(c, true));
  app.get('/board/task/:code', (c) => taskFor(c, false));
  // A mistyped or cut-off board address (a link copied from chat loses its end) gets a page, not the API's JSON.
  app.get('/board/*', (c) =>
    page(c, <MessagePage title="没有找到" message="看板上没有这个页面，链接可能不完整。请点“返回看板”，或在飞书中给机器人发送「看板」重新获取链接。" back="/board" />, 404),
  );
}
