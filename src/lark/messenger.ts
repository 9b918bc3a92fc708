// Two implementations of the Messenger port (src/ports.ts), which delivers one plain envelope: the official Lark SDK
// (online) and a console printer (offline).
import * as lark from '@larksuiteoapi/node-sdk';
import { renderContentText } from './card-text.js';
import type { BotInfo, DeliverResult, Messenger, OutboundEnvelope, SendFailure } from '../ports.js';
import { err, ok, type Err } from '../domain/result.js';
import { TOKEN_ERRORS, SEND_ERRORS } from '../domain/send-errors.js';
import { DubanError } from '../domain/errors.js';

export function describeSendError(code: number, msg?: string): { reason: string; permanent: boolean } {
  const known = SEND_ERRORS[code];
  // 230099's msg carries the sub-code that says what is wrong with the card (200550 chart, 200621 JSON, …).
  if (known) return { reason: `${known.reason}${code === 230099 && msg ? `：${msg.slice(0, 120)}` : ''} (${code})`, permanent: known.permanent };
  // Outside the tables: retried (with capped backoff, never given up); 未送达 shows rows retrying for long.
  return { reason: `飞书接口返回错误${msg ? '：' + msg.slice(0, 120) : ''} (${code})`, permanent: false };
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const h = headers as Record<string, unknown> & { get?: (n: string) => unknown };
  const v = typeof h.get === 'function' ? h.get(name) : (h[name] ?? h[name.toLowerCase()]);
  return v == null ? undefined : String(v);
}

/** Map a Feishu {code,msg} (HTTP status optional) to a DeliverResult failure. */
export function classifyFailure(status: number | undefined, data: unknown, headers: unknown): Err<SendFailure> {
  const body = (data && typeof data === 'object' ? data : {}) as { code?: unknown; msg?: unknown };
  const code = typeof body.code === 'number' ? body.code : status ?? -1;
  const msg = typeof body.msg === 'string' ? body.msg : undefined;
  const reset = Number(headerValue(headers, 'x-ogw-ratelimit-reset'));
  const retryAfterMs = Number.isFinite(reset) && reset > 0 ? Math.ceil(reset * 1000) : undefined;
  if (status === 429 || code === 99991400) {
    return err({ permanent: false, rateLimited: 'app', retryAfterMs: retryAfterMs ?? 1000, code, reason: describeSendError(99991400).reason });
  }
  if (code === 230020) {
    return err({ permanent: false, rateLimited: 'receiver', retryAfterMs: retryAfterMs ?? 1000, code, reason: describeSendError(230020).reason });
  }
  if (status !== undefined && status >= 500) {
    return err({ permanent: false, outage: true, code: status, reason: `飞书服务暂时不可用 (HTTP ${status}${typeof body.code === 'number' ? `, ${body.code}` : ''})，稍后重试` });
  }
  if (typeof body.code === 'number' && body.code !== 0) {
    const d = describeSendError(body.code, msg);
    return err({ permanent: d.permanent, code: body.code, reason: d.reason, ...(body.code === 1500 || body.code === 2200 ? { outage: true } : {}) });
  }
  if (status !== undefined && status >= 400) {
    return err({ permanent: false, code: status, reason: `飞书拒绝了请求 (HTTP ${status})，稍后重试` });
  }
  return err({ permanent: false, code: -1, reason: '飞书返回了无法识别的响应，稍后重试' });
}

/** Feishu answered with an HTTP error or a body that is not JSON; `response` is shaped like axios's for the SDK. */
export class HttpError extends DubanError {
  constructor(
    message: string,
    public response?: { status: number; data: unknown; headers: Record<string, string> },
  ) {
    super('lark_http', message);
  }
}

/**
 * A fetch-based HttpInstance for the SDK: a per-request timeout (a hanging server must not stall the sender),
 * and the same behaviour on Node and Workers. Errors carry `response.{status,data,headers}` like axios's.
 */
export function createFetchHttpInstance(timeoutMs: number): lark.HttpInstance {
  const request = async (opts: lark.HttpRequestOptions<unknown>): Promise<unknown> => {
    const url = new URL(String(opts.url));
    for (const [k, v] of Object.entries(opts.params ?? {})) {
      if (v === undefined || v === null) continue;
      if (Array.isArray(v)) for (const x of v) url.searchParams.append(k, String(x));
      else url.searchParams.set(k, String(v));
    }
    const method = (opts.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined && v !== null) headers[k] = String(v);
    let body: string | undefined;
    if (opts.data !== undefined && method !== 'GET' && method !== 'HEAD') {
      body = typeof opts.data === 'string' ? opts.data : JSON.stringify(opts.data);
      if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json; charset=utf-8';
    }
    const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(opts.timeout ?? timeoutMs) });
    const text = await res.text();
    let data: unknown = text;
    try {
      data = text ? JSON.parse(text) : {};
    } catch {
      /* not JSON: keep the text so the caller sees what came back */
    }
    const resHeaders: Record<string, string> = {};
    res.headers.forEach((v, k) => (resHeaders[k] = v));
    if (!res.ok) {
      throw new HttpError(`HTTP ${res.status} from ${url.pathname}`, { status: res.status, data, headers: resHeaders });
    }
    if (typeof data === 'string') {
      throw new HttpError(`non-JSON response from ${url.pathname}`, { status: res.status, data, headers: resHeaders });
    }
    return opts.$return_headers ? { data, headers: resHeaders } : data;
  };
  const withMethod = (method: string) => (url: string, opts?: lark.HttpRequestOptions<unknown>) =>
    request({ ...(opts ?? {}), url, method });
  const withBody = (method: string) => (url: string, data?: unknown, opts?: lark.HttpRequestOptions<unknown>) =>
    request({ ...(opts ?? {}), url, method, data });
  return {
    request,
    get: withMethod('GET'),
    delete: withMethod('DELETE'),
    head: withMethod('HEAD'),
    options: withMethod('OPTIONS'),
    post: withBody('POST'),
    put: withBody('PUT'),
    patch: withBody('PATCH'),
  } as lark.HttpInstance;
}

/** A token cache private to one client (the SDK's default is process-global). */
function createTokenCache() {
  const store = new Map<string | symbol, { value: unknown; expiresAt: number }>();
  const keyOf = (key: string | symbol, ns?: string) => (typeof key === 'symbol' ? key : `${ns ?? ''}:${key}`);
  return {
    clear: () => store.clear(),
    cache: {
      async set(key: string | symbol, value: unknown, expire?: number, options?: { namespace?: string }) {
        store.set(keyOf(key, options?.namespace), { value, expiresAt: expire ?? Infinity });
        return true;
      },
      async get(key: string | symbol, options?: { namespace?: string }) {
        const e = store.get(keyOf(key, options?.namespace));
        if (!e || e.expiresAt <= Date.now()) return undefined;
        return e.value;
      },
    } as unknown as lark.Cache,
  };
}

/** The SDK logs every failed call with request details: we classify failures ourselves, so keep it quiet. */
const quietSdkLogger = { error() {}, warn() {}, info() {}, debug() {}, trace() {} };


export interface LarkMessengerSettings {
  LARK_APP_ID: string;
  LARK_APP_SECRET: string;
  LARK_BASE_URL: string;
}

/** The online Messenger: official SDK Client, built lazily on first delivery. */
export function createLarkMessenger(config: LarkMessengerSettings, opts: { timeoutMs?: number } = {}): Messenger {
  let client: lark.Client | undefined;
  const tokens = createTokenCache();
  const getClient = () =>
    (client ??= new lark.Client({
      appId: config.LARK_APP_ID,
      appSecret: config.LARK_APP_SECRET,
      domain: config.LARK_BASE_URL.replace(/\/+$/, ''),
      appType: lark.AppType.SelfBuild,
      cache: tokens.cache,
      httpInstance: createFetchHttpInstance(opts.timeoutMs ?? 10_000),
      logger: quietSdkLogger,
      loggerLevel: lark.LoggerLevel.error,
    }));

  type Res = { code?: number; msg?: string; data?: { message_id?: string } };
  const call = async (c: lark.Client, row: OutboundEnvelope, op: string): Promise<Res | DeliverResult> => {
    if (op === 'send') {
      if (!row.receiveId || !row.receiveIdType) {
        return err({ permanent: true, code: -2, reason: '消息缺少接收人 (receive_id)' });
      }
      return c.im.v1.message.create({
        params: { receive_id_type: row.receiveIdType as 'open_id' },
        data: { receive_id: row.receiveId, msg_type: row.msgType, content: row.content, uuid: row.uuid },
      });
    }
    if (op === 'reply') {
      if (!row.targetMessageId) return err({ permanent: true, code: -2, reason: '回复消息缺少被回复的消息 ID' });
      return c.im.v1.message.reply({
        path: { message_id: row.targetMessageId },
        data: { msg_type: row.msgType, content: row.content, uuid: row.uuid },
      });
    }
    if (op === 'patch') {
      if (!row.targetMessageId) return err({ permanent: true, code: -2, reason: '更新卡片缺少消息 ID' });
      const res: Res = await c.im.v1.message.patch({ path: { message_id: row.targetMessageId }, data: { content: row.content } });
      if (res?.code === 0) return ok(row.targetMessageId);
      return res;
    }
    return err({ permanent: true, code: -2, reason: `未知的发送方式 ${op}` });
  };

  /** One API call turned into a DeliverResult; `retriedToken`: a token error was already retried. */
  const attempt = async (row: OutboundEnvelope, op: string, retriedToken = false): Promise<DeliverResult> => {
    const c = getClient();
    let failure: Err<SendFailure>;
    let code: number | undefined;
    try {
      const res = await call(c, row, op);
      if ('ok' in res) return res;
      if (res?.code === 0 && res.data?.message_id) return ok(res.data.message_id);
      code = typeof res?.code === 'number' ? res.code : undefined;
      failure = classifyFailure(200, res, undefined);
    } catch (thrown) {
      const e = thrown as HttpError & { name?: string };
      if (e.response) {
        const d = e.response.data as { code?: number } | undefined;
        code = d && typeof d.code === 'number' ? d.code : undefined;
        failure = classifyFailure(e.response.status, e.response.data, e.response.headers);
      } else {
        // Includes a failed token request (wrong app id/secret): retry, but say what to check.
        const timeout = e.name === 'TimeoutError' || e.name === 'AbortError';
        const msg = String(e.message ?? e).slice(0, 200);
        const tokenProblem = /tenant_access_token|token/i.test(msg) && !timeout;
        return err({
          permanent: false,
          outage: true,
          code: -1,
          reason: timeout
            ? '连接飞书超时，稍后重试'
            : tokenProblem
              ? '获取飞书访问凭证失败，请检查 LARK_APP_ID / LARK_APP_SECRET'
              : `连接飞书失败：${msg}`,
        });
      }
    }
    // A stale or revoked tenant token: drop it, and retry once with a fresh one.
    if (code !== undefined && TOKEN_ERRORS.has(code)) {
      tokens.clear();
      if (!retriedToken) return attempt(row, op, true);
    }
    // The message replied to was recalled: say it in the chat instead (receiveId names the chat or person).
    if (op === 'reply' && code === 230011 && row.receiveId && row.receiveIdType) return attempt(row, 'send', retriedToken);
    return failure;
  };

  return {
    deliver: (row) => attempt(row, row.op),
    async botInfo() {
      const r = (await getClient().request({ method: 'GET', url: '/open-apis/bot/v3/info' })) as {
        code?: number;
        msg?: string;
        bot?: { open_id?: string; app_name?: string; activate_status?: number };
      };
      if (r?.code !== 0 || !r.bot?.open_id) throw new Error(`bot/v3/info: ${r?.msg ?? 'no open_id'} (${r?.code})`);
      return { openId: r.bot.open_id, appName: r.bot.app_name, activateStatus: r.bot.activate_status };
    },
    async updateCardByToken(token, card) {
      try {
        const r = (await getClient().request({ method: 'POST', url: '/open-apis/interactive/v1/card/update', data: { token, card } })) as {
          code?: number;
          msg?: string;
        };
        if (r?.code === 0) return ok('');
        // 300020/300030/300040 (token bad, expired, used up), 200000 (card recalled): nothing a retry fixes.
        const permanent = [300020, 300030, 300040, 200000, 200310, 100030, 10002, 11311].includes(r?.code ?? -1);
        return err({ permanent, code: r?.code ?? -1, reason: `延时更新卡片失败：${r?.msg ?? ''} (${r?.code})` });
      } catch (thrown) {
        const e = thrown as HttpError;
        if (e.response) return classifyFailure(e.response.status, e.response.data, e.response.headers);
        return err({ permanent: false, code: -1, reason: `连接飞书失败：${String(e.message).slice(0, 200)}` });
      }
    },
  };
}

/** The offline Messenger: prints each message (cards as readable text) and invents a message id. */
export function createConsoleMessenger(print: (text: string) => void = (t) => console.log(t)): Messenger {
  let n = 0;
  return {
    async deliver(row) {
      const to =
        row.op === 'send'
          ? `${row.receiveIdType}:${row.receiveId}`
          : row.op === 'reply'
            ? `回复 ${row.targetMessageId}`
            : `更新卡片 ${row.targetMessageId}`;
      const body = renderContentText(row.msgType, row.content);
      print(`\n——— 机器人消息（离线模式，未发往飞书）→ ${to} ———\n${body}\n———`);
      if (row.op === 'patch' && row.targetMessageId) return ok(row.targetMessageId);
      n += 1;
      return ok(`om_local_${Date.now().toString(36)}_${n}`);
    },
  };
}
