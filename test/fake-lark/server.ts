// A fake Feishu Open API on 127.0.0.1 for tests and benchmarks: the real @larksuiteoapi/node-sdk talks to it.
//
// API (keep in sync; others reuse it):
//   const fake = await startFakeLark({ appId?, appSecret?, clock?, limits?, directory? });
//   fake.url            base URL to use as LARK_BASE_URL (http://127.0.0.1:<port>)
//   fake.requests       every request received: { method, path, query, headers, body, bytes, at, status, code }
//   fake.messages       every message created by send/reply (uuid re-sends within 1 h add nothing):
//                       { op, message_id, chat_id, receive_id, receive_id_type, msg_type, content, uuid,
//                         parent_id, root_id, at }
//   fake.patches        every card update: { message_id, content, at }
//   fake.failNext(kind, n = 1)  the next n message calls (send/reply/patch) fail with:
//                       'rate_limit' → HTTP 429 {code:99991400} + x-ogw-ratelimit-reset: 1
//                       'receiver_limit' → HTTP 400 {code:230020}
//                       'server_error' → HTTP 500 {code:1} ; 'hang' → never answers ; 'malformed' → 200 non-JSON
//                       <number> → HTTP 400 {code:<number>} (e.g. 230002 bot not in chat, 230099 bad card)
//   fake.setLimits({ appPerSecond?, perReceiverPerSecond? })   defaults 50 and 5 (sliding 1 s window, fake clock)
//   fake.setDirectory({ emails?: {email: open_id}, mobiles?: {mobile: open_id} })  for batch_get_id
//   fake.onMessage(cb)  called after a message is created (e.g. to simulate a crash right after the API call)
//   fake.setAuthorizeUser(user | null)  who is "signed in to Feishu" when GET /open-apis/authen/v1/authorize is
//                       opened (null: the user declines → redirect with ?error=access_denied)
//   fake.issueAuthCode(user, redirectUri, { clientId?, ttlMs? })  an authorization code as the authorize page
//                       would give it (5 min, single use), for tests that skip the redirect
//   fake.setOutage(kind | undefined)  every message call fails with `kind` (as failNext) until cleared: an outage of
//                       any length ('unavailable' → HTTP 503 {code:2200}; 'hang' → never answers; any FaultKind)
//   fake.botOpenId      the bot's open_id, served by GET /open-apis/bot/v3/info (option botOpenId, default ou_fake_bot)
//   fake.cardUpdates    every POST /open-apis/interactive/v1/card/update: { token, card, at } (a token: 2 uses)
//   fake.addResource(messageId, fileKey, { bytes, contentType?, type? })  a file in a user's message, served by
//                       GET /open-apis/im/v1/messages/:id/resources/:key?type=image|file (raw bytes + Content-Type;
//                       unknown key → HTTP 400 {code:234003}; wrong/missing type → 234001)
//   fake.setReadUsers(messageId, openIds)   who read a message the bot sent (GET …/read_users, paged by page_size)
//   fake.setChatMembers(chatId, openIds)    members of a group chat (urgent_app: others are invalid_user_id_list);
//                       a p2p send's chat holds its receiver only; other group chats accept any ou_ id
//   fake.failIm('resource' | 'read_users' | 'urgent', code | null)  every such call fails with HTTP 400 {code}
//                       (e.g. 99991672 missing scope, 230027 no buzz permission, 234019) until set to null
//   fake.urgents        every accepted buzz: { message_id, user_id_list, invalid_user_id_list, at }
//   fake.close()
// Endpoints: POST /open-apis/auth/v3/tenant_access_token/internal, POST /open-apis/im/v1/messages?receive_id_type=,
// POST /open-apis/im/v1/messages/:id/reply, PATCH /open-apis/im/v1/messages/:id,
// POST /open-apis/contact/v3/users/batch_get_id?user_id_type=open_id, GET /open-apis/bot/v3/info (body NOT under
// data: {code,msg,bot:{open_id,…}}), POST /open-apis/interactive/v1/card/update {token, card},
// web-app login (LARK.md §8): GET /open-apis/authen/v1/authorize?client_id&redirect_uri&state (302 back with
// ?code&state), POST /open-apis/authen/v2/oauth/token (reply NOT under `data`; errors {code, error,
// error_description}: 20002 bad secret, 20003 unknown code, 20065 used code, 20004 expired, 20024 another app's
// code, 20071 redirect_uri mismatch), GET /open-apis/authen/v1/user_info (Bearer user token; 99991668 invalid
// token). Anything else: 404 {code:99991401}.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultKind = 'rate_limit' | 'receiver_limit' | 'server_error' | 'unavailable' | 'hang' | 'malformed' | number;

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** Size of the raw request body in bytes (what Feishu's size limits measure). */
  bytes: number;
  at: number;
  status: number;
  code?: number;
}

export interface FakeMessage {
  op: 'send' | 'reply';
  message_id: string;
  chat_id: string;
  receive_id?: string;
  receive_id_type?: string;
  msg_type: string;
  content: string;
  uuid?: string;
  parent_id?: string;
  root_id?: string;
  at: number;
}

export interface FakeLarkOptions {
  appId?: string;
  appSecret?: string;
  clock?: () => number;
  limits?: { appPerSecond?: number; perReceiverPerSecond?: number };
  directory?: { emails?: Record<string, string>; mobiles?: Record<string, string>; names?: Record<string, string> };
  botOpenId?: string;
}

/** A Feishu user as user_info returns them. */
export interface FakeUser {
  open_id: string;
  union_id?: string;
  user_id?: string;
  name: string;
  en_name?: string;
  email?: string;
  mobile?: string;
  tenant_key?: string;
  employee_no?: string;
}

export interface FakeLark {
  url: string;
  port: number;
  requests: RecordedRequest[];
  messages: FakeMessage[];
  patches: Array<{ message_id: string; content: string; at: number }>;
  failNext(kind: FaultKind, n?: number): void;
  setLimits(l: { appPerSecond?: number; perReceiverPerSecond?: number }): void;
  setDirectory(d: { emails?: Record<string, string>; mobiles?: Record<string, string>; names?: Record<string, string> }): void;
  onMessage(cb: ((m: FakeMessage) => void) | undefined): void;
  setAuthorizeUser(user: FakeUser | null): void;
  issueAuthCode(user: FakeUser, redirectUri: string, opts?: { clientId?: string; ttlMs?: number }): string;
  setOutage(kind: FaultKind | undefined): void;
  botOpenId: string;
  cardUpdates: Array<{ token: string; card: Record<string, unknown>; at: number }>;
  /** Message calls rejected by the rate limits so far. */
  rateLimitRejections(): number;
  addResource(messageId: string, fileKey: string, r: { bytes: Uint8Array; contentType?: string; type?: 'image' | 'file' }): void;
  setReadUsers(messageId: string, openIds: string[]): void;
  setChatMembers(chatId: string, openIds: string[]): void;
  failIm(api: 'resource' | 'read_users' | 'urgent', code: number | null): void;
  urgents: Array<{ message_id: string; user_id_list: string[]; invalid_user_id_list: string[]; at: number }>;
  close(): Promise<void>;
}

const MSG_TYPES = new Set(['text', 'post', 'image', 'file', 'audio', 'media', 'sticker', 'interactive', 'share_chat', 'share_user']);
const UUID_WINDOW_MS = 3600_000;

export async function startFakeLark(opts: FakeLarkOptions = {}): Promise<FakeLark> {
  const appId = opts.appId ?? 'cli_fake_app';
  const appSecret = opts.appSecret ?? 'fake_secret';
  const clock = opts.clock ?? (() => Date.now());
  const limits = { appPerSecond: 50, perReceiverPerSecond: 5, ...opts.limits };
  const directory = { emails: {} as Record<string, string>, mobiles: {} as Record<string, string>, names: {} as Record<string, string>, ...opts.directory };
  const tokens = new Set<string>();
  const requests: RecordedRequest[] = [];
  const messages: FakeMessage[] = [];
  const patches: FakeLark['patches'] = [];
  const byId = new Map<string, FakeMessage>();
  const byUuid = new Map<string, FakeMessage>();
  const faults: FaultKind[] = [];
  const appLog: number[] = [];
  const keyLogs = new Map<string, number[]>();
  let seq = 0;
  let rejected = 0;
  let onMessage: ((m: FakeMessage) => void) | undefined;
  const hanging = new Set<http.ServerResponse>();
  // Web-app login: codes (5 min, single use) and user access tokens.
  const authCodes = new Map<string, { user: FakeUser; clientId: string; redirectUri: string; expiresAt: number; used: boolean }>();
  const userTokens = new Map<string, { user: FakeUser; expiresAt: number }>();
  let authorizeUser: FakeUser | null = null;
  // Message resources, read receipts and buzz (LARK.md §3–§5).
  const resources = new Map<string, { bytes: Uint8Array; contentType: string; type: 'image' | 'file' }>();
  const readUsers = new Map<string, string[]>();
  const chatMembers = new Map<string, string[]>();
  const imFaults: Record<'resource' | 'read_users' | 'urgent', number | null> = { resource: null, read_users: null, urgent: null };
  const urgents: FakeLark['urgents'] = [];
  const issueAuthCode = (user: FakeUser, redirectUri: string, o: { clientId?: string; ttlMs?: number } = {}) => {
    const code = `code-fake-${++seq}-${Math.random().toString(36).slice(2, 10)}`;
    authCodes.set(code, { user, clientId: o.clientId ?? appId, redirectUri, expiresAt: clock() + (o.ttlMs ?? 5 * 60_000), used: false });
    return code;
  };
  const botOpenId = opts.botOpenId ?? 'ou_fake_bot';
  const cardUpdates: FakeLark['cardUpdates'] = [];
  const tokenUses = new Map<string, number>();
  let outage: FaultKind | undefined;

  const underLimit = (log: number[], limit: number, t: number) => {
    while (log.length && log[0]! <= t - 1000) log.shift();
    return log.length < limit;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : {};
      } catch {
        /* keep raw */
      }
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
        bytes: Buffer.concat(chunks).length,
        at: clock(),
        status: 0,
      };
      requests.push(rec);
      const send = (status: number, payload: Record<string, unknown>, headers: Record<string, string> = {}) => {
        rec.status = status;
        rec.code = typeof payload.code === 'number' ? payload.code : undefined;
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(JSON.stringify(payload));
      };
      try {
        route(req.method ?? 'GET', url, body, req.headers, send, rec, res);
      } catch (err) {
        send(500, { code: 1, msg: `fake server error: ${(err as Error).message}` });
      }
    });
  });

  function route(
    method: string,
    url: URL,
    body: unknown,
    headers: http.IncomingHttpHeaders,
    send: (status: number, payload: Record<string, unknown>, headers?: Record<string, string>) => void,
    rec: RecordedRequest,
    res: http.ServerResponse,
  ): void {
    const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const path = url.pathname;
    if (method === 'POST' && path === '/open-apis/auth/v3/tenant_access_token/internal') {
      if (b.app_id !== appId || b.app_secret !== appSecret) {
        send(200, { code: 10014, msg: 'app secret invalid' });
        return;
      }
      const token = `t-fake-${++seq}`;
      tokens.add(token);
      send(200, { code: 0, msg: 'ok', tenant_access_token: token, expire: 7200 });
      return;
    }

    if (method === 'GET' && path === '/open-apis/authen/v1/authorize') {
      const redirect = url.searchParams.get('redirect_uri') ?? '';
      const state = url.searchParams.get('state') ?? '';
      const clientId = url.searchParams.get('client_id') ?? url.searchParams.get('app_id') ?? '';
      if (clientId !== appId || !/^https?:\/\//.test(redirect)) {
        send(400, { code: 20029, error: 'invalid_request', error_description: 'redirect_uri or client_id invalid' });
        return;
      }
      const back = new URL(redirect);
      if (authorizeUser) back.searchParams.set('code', issueAuthCode(authorizeUser, redirect));
      else back.searchParams.set('error', 'access_denied');
      back.searchParams.set('state', state);
      rec.status = 302;
      res.writeHead(302, { location: back.toString() });
      res.end();
      return;
    }
    if (method === 'POST' && path === '/open-apis/authen/v2/oauth/token') {
      const fail = (status: number, code: number, error: string, description: string) =>
        send(status, { code, error, error_description: description });
      if (b.grant_type !== 'authorization_code') return fail(400, 20001, 'unsupported_grant_type', 'grant_type must be authorization_code');
      if (b.client_id !== appId || b.client_secret !== appSecret) return fail(400, 20002, 'invalid_client', 'client_secret is invalid');
      const entry = typeof b.code === 'string' ? authCodes.get(b.code) : undefined;
      if (!entry) return fail(400, 20003, 'invalid_grant', 'authorization code not found');
      if (entry.used) return fail(400, 20065, 'invalid_grant', 'authorization code has been used');
      if (entry.expiresAt <= clock()) return fail(400, 20004, 'invalid_grant', 'authorization code has expired');
      if (entry.clientId !== appId) return fail(400, 20024, 'invalid_grant', 'authorization code belongs to another app');
      if (b.redirect_uri !== entry.redirectUri) return fail(400, 20071, 'invalid_grant', 'redirect_uri mismatch');
      entry.used = true;
      const token = `u-fake-${++seq}-${'x'.repeat(64)}`;
      userTokens.set(token, { user: entry.user, expiresAt: clock() + 7200_000 });
      send(200, { code: 0, access_token: token, expires_in: 7200, token_type: 'Bearer', scope: '' });
      return;
    }
    if (method === 'GET' && path === '/open-apis/authen/v1/user_info') {
      const auth = String(headers.authorization ?? '');
      const t = auth.startsWith('Bearer ') ? userTokens.get(auth.slice(7)) : undefined;
      if (!t || t.expiresAt <= clock()) {
        send(401, { code: 99991668, msg: 'Invalid access token for authorization. Please make a request with token attached.' });
        return;
      }
      const u = t.user;
      send(200, {
        code: 0,
        msg: 'success',
        data: {
          name: u.name,
          en_name: u.en_name ?? '',
          avatar_url: 'https://example.invalid/avatar.png',
          open_id: u.open_id,
          union_id: u.union_id ?? `on_${u.open_id}`,
          ...(u.user_id ? { user_id: u.user_id } : {}),
          ...(u.email ? { email: u.email } : {}),
          ...(u.mobile ? { mobile: u.mobile } : {}),
          tenant_key: u.tenant_key ?? 'fake_tenant',
          employee_no: u.employee_no ?? '',
        },
      });
      return;
    }

    const isMessageApi = path.startsWith('/open-apis/im/v1/messages');
    const isContact = path === '/open-apis/contact/v3/users/batch_get_id';
    // GET /open-apis/contact/v3/users/:user_id?user_id_type=open_id -> data.user.name (directory.names).
    const userGet = method === 'GET' ? /^\/open-apis\/contact\/v3\/users\/([^/]+)$/.exec(path) : null;
    const isBotInfo = path === '/open-apis/bot/v3/info';
    const isCardUpdate = path === '/open-apis/interactive/v1/card/update';
    if (!isMessageApi && !isContact && !userGet && !isBotInfo && !isCardUpdate) {
      send(404, { code: 99991401, msg: 'not found' });
      return;
    }
    const auth = String(headers.authorization ?? '');
    if (!auth.startsWith('Bearer ') || !tokens.has(auth.slice(7))) {
      send(400, { code: 99991663, msg: 'Invalid access token for authorization. Please make a request with token attached.' });
      return;
    }

    if (userGet) {
      const id = decodeURIComponent(userGet[1]!);
      const name = directory.names[id];
      if (name) send(200, { code: 0, msg: 'success', data: { user: { open_id: id, name } } });
      else send(400, { code: 41050, msg: 'no user authority error' });
      return;
    }
    if (isBotInfo && method === 'GET') {
      if (outage !== undefined) {
        send(503, { code: 2200, msg: 'service unavailable' });
        return;
      }
      send(200, {
        code: 0,
        msg: 'ok',
        bot: { activate_status: 2, app_name: '督办', avatar_url: '', ip_white_list: [], open_id: botOpenId },
      });
      return;
    }

    if (isCardUpdate && method === 'POST') {
      const token = typeof b.token === 'string' ? b.token : '';
      if (!token.startsWith('c-')) {
        send(200, { code: 300020, msg: 'invalid token' });
        return;
      }
      const used = tokenUses.get(token) ?? 0;
      if (used >= 2) {
        send(200, { code: 300040, msg: 'token used up' });
        return;
      }
      if (!b.card || typeof b.card !== 'object' || Array.isArray(b.card)) {
        send(200, { code: 100030, msg: 'card is not JSON' });
        return;
      }
      tokenUses.set(token, used + 1);
      cardUpdates.push({ token, card: b.card as Record<string, unknown>, at: clock() });
      send(200, { code: 0, msg: 'success' });
      return;
    }

    if (isContact && method === 'POST') {
      const emails = Array.isArray(b.emails) ? (b.emails as string[]) : [];
      const mobiles = Array.isArray(b.mobiles) ? (b.mobiles as string[]) : [];
      if (emails.length > 50 || mobiles.length > 50) {
        send(400, { code: 99992402, msg: 'field validation failed' });
        return;
      }
      const user_list = [
        ...emails.map((e) => (directory.emails[e] ? { user_id: directory.emails[e], email: e } : { email: e })),
        ...mobiles.map((m) => (directory.mobiles[m] ? { user_id: directory.mobiles[m], mobile: m } : { mobile: m })),
      ];
      send(200, { code: 0, msg: 'success', data: { user_list } });
      return;
    }

    const resourceMatch = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/resources\/([^/]+)$/.exec(path);
    if (method === 'GET' && resourceMatch) {
      if (imFaults.resource !== null) return send(400, { code: imFaults.resource, msg: `injected error ${imFaults.resource}` });
      const type = url.searchParams.get('type');
      if (type !== 'image' && type !== 'file') return send(400, { code: 234001, msg: 'Invalid request param: type' });
      const r = resources.get(`${decodeURIComponent(resourceMatch[1]!)}\u0000${decodeURIComponent(resourceMatch[2]!)}`);
      if (!r) return send(400, { code: 234003, msg: 'File not in msg.' });
      if (r.type !== type) return send(400, { code: 234001, msg: 'Invalid request param: type mismatch' });
      rec.status = 200;
      res.writeHead(200, { 'content-type': r.contentType, 'content-length': String(r.bytes.length) });
      res.end(Buffer.from(r.bytes));
      return;
    }
    const readMatch = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/read_users$/.exec(path);
    if (method === 'GET' && readMatch) {
      if (imFaults.read_users !== null) return send(400, { code: imFaults.read_users, msg: `injected error ${imFaults.read_users}` });
      const id = decodeURIComponent(readMatch[1]!);
      const m = byId.get(id);
      if (url.searchParams.get('user_id_type') !== 'open_id') return send(400, { code: 230001, msg: 'invalid parameter: user_id_type' });
      if (!m) return send(400, { code: 230012, msg: 'Bot is not the sender of the message.' });
      if (clock() - m.at > 7 * 86_400_000) return send(400, { code: 230033, msg: 'The message is older than 7 days.' });
      const size = Number(url.searchParams.get('page_size') ?? 20);
      if (!Number.isInteger(size) || size < 1 || size > 100) return send(400, { code: 230001, msg: 'invalid parameter: page_size' });
      const start = Number(url.searchParams.get('page_token') ?? 0) || 0;
      const all = readUsers.get(id) ?? [];
      const items = all.slice(start, start + size).map((u, i) => ({ user_id_type: 'open_id', user_id: u, timestamp: String(m.at + 1000 * (i + 1)), tenant_key: 'fake_tenant' }));
      const more = start + size < all.length;
      return send(200, { code: 0, msg: 'success', data: { items, has_more: more, ...(more ? { page_token: String(start + size) } : {}) } });
    }
    const urgentMatch = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/urgent_app$/.exec(path);
    if (method === 'PATCH' && urgentMatch) {
      if (imFaults.urgent !== null) return send(400, { code: imFaults.urgent, msg: `injected error ${imFaults.urgent}` });
      const id = decodeURIComponent(urgentMatch[1]!);
      const m = byId.get(id);
      const list = Array.isArray(b.user_id_list) ? (b.user_id_list as unknown[]).filter((x): x is string => typeof x === 'string') : [];
      if (url.searchParams.get('user_id_type') !== 'open_id' || list.length === 0) return send(400, { code: 230001, msg: 'invalid parameter: user_id_list' });
      if (!m) return send(400, { code: 230012, msg: 'Bot is not the sender of the message.' });
      const members = m.receive_id_type === 'open_id' ? [m.receive_id!] : chatMembers.get(m.chat_id);
      const invalid = list.filter((u) => (members ? !members.includes(u) : !u.startsWith('ou_')));
      if (invalid.length === list.length) return send(400, { code: 230001, msg: 'invalid parameter: no valid user in user_id_list' });
      urgents.push({ message_id: id, user_id_list: list, invalid_user_id_list: invalid, at: clock() });
      return send(200, { code: 0, msg: 'success', data: { invalid_user_id_list: invalid } });
    }

    const fault = outage ?? faults.shift();
    if (fault !== undefined) {
      if (fault === 'hang') {
        rec.status = -1;
        hanging.add(res);
        return;
      }
      if (fault === 'malformed') {
        rec.status = 200;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"code":0,"msg":"succ');
        return;
      }
      if (fault === 'rate_limit') {
        send(429, { code: 99991400, msg: 'request trigger frequency limit' }, { 'x-ogw-ratelimit-limit': '50', 'x-ogw-ratelimit-reset': '1' });
        return;
      }
      if (fault === 'receiver_limit') {
        send(400, { code: 230020, msg: 'This operation triggers the frequency limit.' });
        return;
      }
      if (fault === 'server_error') {
        send(500, { code: 1, msg: 'internal error' });
        return;
      }
      if (fault === 'unavailable') {
        send(503, { code: 2200, msg: 'service unavailable' });
        return;
      }
      send(400, { code: fault, msg: `injected error ${fault}` });
      return;
    }

    const replyMatch = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/reply$/.exec(path);
    const patchMatch = /^\/open-apis\/im\/v1\/messages\/([^/]+)$/.exec(path);
    const invalid = (msg: string) => send(400, { code: 230001, msg: `invalid parameter: ${msg}` });

    if (method === 'PATCH' && patchMatch) {
      const id = decodeURIComponent(patchMatch[1]!);
      const target = byId.get(id);
      if (!target) return invalid('message_id not found');
      if (target.msg_type !== 'interactive') return invalid('only cards can be updated');
      if (typeof b.content !== 'string' || !isJsonObject(b.content)) return invalid('content must be a JSON string');
      patches.push({ message_id: id, content: b.content, at: clock() });
      send(200, { code: 0, msg: 'success', data: {} });
      return;
    }

    if (method !== 'POST' || !(path === '/open-apis/im/v1/messages' || replyMatch)) {
      send(404, { code: 99991401, msg: 'not found' });
      return;
    }
    const isReply = !!replyMatch;
    const receiveIdType = url.searchParams.get('receive_id_type') ?? '';
    if (!isReply && !['open_id', 'user_id', 'union_id', 'email', 'chat_id'].includes(receiveIdType)) return invalid('receive_id_type');
    if (!isReply && (typeof b.receive_id !== 'string' || !b.receive_id)) return invalid('receive_id');
    if (typeof b.msg_type !== 'string' || !MSG_TYPES.has(b.msg_type)) return invalid('msg_type');
    if (typeof b.content !== 'string' || !isJsonObject(b.content)) return invalid('content must be a JSON string');
    if (b.msg_type === 'text' && typeof (JSON.parse(b.content) as { text?: unknown }).text !== 'string') return invalid('text content');
    if (b.uuid !== undefined && (typeof b.uuid !== 'string' || b.uuid.length > 50)) return invalid('uuid');

    const now = clock();
    const uuid = typeof b.uuid === 'string' ? b.uuid : undefined;
    const previous = uuid ? byUuid.get(uuid) : undefined;
    if (previous && now - previous.at < UUID_WINDOW_MS) {
      send(200, { code: 0, msg: 'success', data: messageData(previous) });
      return;
    }

    const parent = isReply ? byId.get(decodeURIComponent(replyMatch![1]!)) : undefined;
    const parentId = isReply ? decodeURIComponent(replyMatch![1]!) : undefined;
    const chatId = isReply
      ? (parent?.chat_id ?? 'oc_fake_chat')
      : receiveIdType === 'chat_id'
        ? String(b.receive_id)
        : `oc_p2p_${String(b.receive_id)}`;
    // Feishu's 5/s is per chat (a group, or a person's p2p chat with the bot): sends and replies to it count together.
    const rateKey = isReply && !parent ? `reply:${parentId}` : `chat:${chatId}`;
    let keyLog = keyLogs.get(rateKey);
    if (!keyLog) keyLogs.set(rateKey, (keyLog = []));
    if (!underLimit(appLog, limits.appPerSecond, now)) {
      rejected += 1;
      send(429, { code: 99991400, msg: 'request trigger frequency limit' }, { 'x-ogw-ratelimit-limit': String(limits.appPerSecond), 'x-ogw-ratelimit-reset': '1' });
      return;
    }
    if (!underLimit(keyLog, limits.perReceiverPerSecond, now)) {
      rejected += 1;
      send(400, { code: 230020, msg: 'This operation triggers the frequency limit.' });
      return;
    }
    appLog.push(now);
    keyLog.push(now);

    const m: FakeMessage = {
      op: isReply ? 'reply' : 'send',
      message_id: `om_${(++seq).toString(16).padStart(8, '0')}${Math.random().toString(16).slice(2, 10)}`,
      chat_id: chatId,
      ...(isReply ? {} : { receive_id: String(b.receive_id), receive_id_type: receiveIdType }),
      msg_type: b.msg_type,
      content: b.content,
      ...(uuid ? { uuid } : {}),
      ...(parentId ? { parent_id: parentId, root_id: parent?.root_id ?? parentId } : {}),
      at: now,
    };
    messages.push(m);
    byId.set(m.message_id, m);
    if (uuid) byUuid.set(uuid, m);
    send(200, { code: 0, msg: 'success', data: messageData(m) });
    onMessage?.(m);
  }

  function messageData(m: FakeMessage) {
    return {
      message_id: m.message_id,
      ...(m.root_id ? { root_id: m.root_id } : {}),
      ...(m.parent_id ? { parent_id: m.parent_id } : {}),
      msg_type: m.msg_type,
      create_time: String(m.at),
      update_time: String(m.at),
      deleted: false,
      updated: false,
      chat_id: m.chat_id,
      sender: { id: appId, id_type: 'app_id', sender_type: 'app', tenant_key: 'fake_tenant' },
      body: { content: m.content },
    };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    messages,
    patches,
    failNext(kind, n = 1) {
      for (let i = 0; i < n; i++) faults.push(kind);
    },
    setLimits(l) {
      Object.assign(limits, l);
    },
    setDirectory(d) {
      Object.assign(directory.emails, d.emails ?? {});
      Object.assign(directory.mobiles, d.mobiles ?? {});
      Object.assign(directory.names, d.names ?? {});
    },
    onMessage(cb) {
      onMessage = cb;
    },
    rateLimitRejections: () => rejected,
    addResource(messageId, fileKey, r) {
      resources.set(`${messageId}\u0000${fileKey}`, { bytes: r.bytes, contentType: r.contentType ?? 'application/octet-stream', type: r.type ?? 'file' });
    },
    setReadUsers(messageId, openIds) {
      readUsers.set(messageId, [...openIds]);
    },
    setChatMembers(chatId, openIds) {
      chatMembers.set(chatId, [...openIds]);
    },
    failIm(api, code) {
      imFaults[api] = code;
    },
    urgents,
    setAuthorizeUser(user) {
      authorizeUser = user;
    },
    issueAuthCode,
    setOutage(kind) {
      outage = kind;
    },
    botOpenId,
    cardUpdates,
    async close() {
      for (const r of hanging) r.destroy();
      hanging.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function isJsonObject(s: string): boolean {
  try {
    const v: unknown = JSON.parse(s);
    return !!v && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}
