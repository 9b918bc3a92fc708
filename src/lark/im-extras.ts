// The Feishu calls behind evidence, read receipts and buzz (LARK.md §3–§5), as one port with two ways to download:
//   fetchResource  GET /open-apis/im/v1/messages/:message_id/resources/:file_key?type=image|file
//                  Node: the SDK's messageResource.get on its default (axios) HTTP client; Workers: fetch with the
//                  tenant token, because the SDK's get() needs Node streams (LARK.md §3).
//   readUsers      GET /open-apis/im/v1/messages/:message_id/read_users (paged), SDK message.readUsers
//   urgentApp      PATCH /open-apis/im/v1/messages/:message_id/urgent_app, SDK message.urgentApp
import * as lark from '@larksuiteoapi/node-sdk';
import { createFetchHttpInstance, type HttpError } from './messenger.js';
import type { ImFailure, ImResult, LarkIm, Resource } from '../ports.js';
import { err, type Err } from '../domain/result.js';

/** Error codes of these APIs with a reason for the office (LARK.md §3–§5). */
const IM_CODES: Record<number, { reason: string; permanent: boolean }> = {
  234001: { reason: '请求参数无效', permanent: true },
  234002: { reason: '没有权限下载该资源', permanent: true },
  234003: { reason: '文件与消息不匹配', permanent: true },
  234004: { reason: '应用不在该会话中', permanent: true },
  234009: { reason: '外部群的文件无法下载', permanent: true },
  234019: { reason: '飞书暂时无法提供该文件，稍后重试', permanent: false },
  234037: { reason: '文件超过 100 MB，飞书不提供下载', permanent: true },
  234038: { reason: '密聊中的文件无法下载', permanent: true },
  234040: { reason: '该消息对机器人不可见（隐藏了历史消息）', permanent: true },
  234043: { reason: '合并转发或卡片中的文件无法下载，请直接发送文件', permanent: true },
  230110: { reason: '消息已被删除', permanent: true },
  230001: { reason: '参数无效（接收人不在会话中或消息不支持）', permanent: true },
  230002: { reason: '机器人不在该会话中', permanent: true },
  230006: { reason: '机器人能力未启用', permanent: true },
  230012: { reason: '不是机器人发出的消息', permanent: true },
  230013: { reason: '用户不在应用的可用范围内', permanent: true },
  230023: { reason: '对方未读的加急消息过多', permanent: true },
  230024: { reason: '加急额度已用完', permanent: true },
  230027: { reason: '没有加急权限（im:message.urgent）或该会话不允许加急', permanent: true },
  230033: { reason: '消息发出已超过 7 天，无法查询已读', permanent: true },
  99991672: { reason: '应用缺少所需权限，请在开发者后台开通后发布新版本', permanent: true },
  99991400: { reason: '调用过于频繁，稍后重试', permanent: false },
};

export function describeImError(code: number, msg?: string): { reason: string; permanent: boolean } {
  const k = IM_CODES[code];
  if (k) return { reason: `${k.reason} (${code})`, permanent: k.permanent };
  return { reason: `飞书接口返回错误${msg ? '：' + msg.slice(0, 80) : ''} (${code})`, permanent: false };
}

const TOKEN_INVALID = new Set([99991663, 99991661, 99991668]);

function failure(status: number | undefined, data: unknown): Err<ImFailure> {
  const body = (data && typeof data === 'object' ? data : {}) as { code?: unknown; msg?: unknown };
  if (typeof body.code === 'number' && body.code !== 0) return err({ code: body.code, ...describeImError(body.code, typeof body.msg === 'string' ? body.msg : undefined) });
  if (status && status >= 500) return err({ code: status, reason: `飞书服务暂时不可用 (HTTP ${status})`, permanent: false });
  return err({ code: status ?? -1, reason: `飞书返回了无法识别的响应${status ? ` (HTTP ${status})` : ''}`, permanent: false });
}

function thrown(e0: unknown): Err<ImFailure> {
  const e = e0 as HttpError & { name?: string };
  if (e.response) return failure(e.response.status, e.response.data);
  const timeout = e.name === 'TimeoutError' || e.name === 'AbortError';
  return err({ code: -1, reason: timeout ? '连接飞书超时' : `连接飞书失败：${String(e.message ?? e).slice(0, 120)}`, permanent: false });
}

/** Read a Node stream or a web stream up to `limit` bytes (one byte more tells "too large"). */
async function readCapped(stream: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>, limit: number): Promise<{ bytes: Uint8Array; counted: number; cut: boolean }> {
  const chunks: Uint8Array[] = [];
  let counted = 0;
  let cut = false;
  if (typeof (stream as ReadableStream<Uint8Array>).getReader === 'function') {
    const reader = (stream as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      counted += value.length;
      if (counted > limit) {
        cut = true;
        await reader.cancel().catch(() => undefined);
        break;
      }
      chunks.push(value);
    }
  } else {
    const s = stream as AsyncIterable<Uint8Array> & { destroy?: () => void };
    for await (const value of s) {
      counted += value.length;
      if (counted > limit) {
        cut = true;
        s.destroy?.();
        break;
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.length;
  }
  return { bytes, counted, cut };
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const h = headers as Record<string, unknown> & { get?: (n: string) => unknown };
  const v = typeof h.get === 'function' ? h.get(name) : (h[name] ?? h[name.toLowerCase()]);
  return v == null ? undefined : String(v);
}

export interface LarkImSettings {
  LARK_APP_ID: string;
  LARK_APP_SECRET: string;
  LARK_BASE_URL: string;
}

const quiet = { error() {}, warn() {}, info() {}, debug() {}, trace() {} };

/**
 * The online LarkIm. `download`: 'sdk' (Node: the SDK's messageResource.get) or 'fetch' (Workers).
 * Its own SDK clients and token cache (built on first use).
 */
export function createLarkIm(config: LarkImSettings, opts: { download: 'sdk' | 'fetch'; timeoutMs?: number }): LarkIm {
  const domain = config.LARK_BASE_URL.replace(/\/+$/, '');
  // A token cache private to these clients (the SDK's default is process-global, shared across apps and servers).
  const store = new Map<string, { value: unknown; expiresAt: number }>();
  const cache = {
    async set(key: string | symbol, value: unknown, expire?: number, o?: { namespace?: string }) {
      store.set(`${o?.namespace ?? ''}:${String(key)}`, { value, expiresAt: expire ?? Infinity });
      return true;
    },
    async get(key: string | symbol, o?: { namespace?: string }) {
      const e = store.get(`${o?.namespace ?? ''}:${String(key)}`);
      return e && e.expiresAt > Date.now() ? e.value : undefined;
    },
  } as unknown as lark.Cache;
  const base = { appId: config.LARK_APP_ID, appSecret: config.LARK_APP_SECRET, domain, appType: lark.AppType.SelfBuild, logger: quiet, loggerLevel: lark.LoggerLevel.error, cache };
  let apiClient: lark.Client | undefined;
  let streamClient: lark.Client | undefined;
  const api = () => (apiClient ??= new lark.Client({ ...base, httpInstance: createFetchHttpInstance(opts.timeoutMs ?? 10_000) }));
  // The default HTTP client (axios): messageResource.get needs its Node stream.
  const streamer = () => (streamClient ??= new lark.Client(base));

  let token: { value: string; until: number } | undefined;
  async function tenantToken(): Promise<string> {
    if (token && token.until > Date.now()) return token.value;
    const res = await fetch(`${domain}/open-apis/auth/v3/tenant_access_token/internal`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ app_id: config.LARK_APP_ID, app_secret: config.LARK_APP_SECRET }),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
    const j = (await res.json().catch(() => ({}))) as { code?: number; tenant_access_token?: string; expire?: number };
    if (j.code !== 0 || !j.tenant_access_token) throw new Error('获取飞书访问凭证失败，请检查 LARK_APP_ID / LARK_APP_SECRET');
    token = { value: j.tenant_access_token, until: Date.now() + Math.max(60, (j.expire ?? 7200) - 300) * 1000 };
    return token.value;
  }

  async function fetchWithFetch(messageId: string, fileKey: string, type: 'image' | 'file', maxBytes: number): Promise<ImResult<Resource>> {
    try {
      const url = `${domain}/open-apis/im/v1/messages/${encodeURIComponent(messageId)}/resources/${encodeURIComponent(fileKey)}?type=${type}`;
      const res = await fetch(url, { headers: { authorization: `Bearer ${await tenantToken()}` }, signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000) });
      const ct = res.headers.get('content-type') ?? 'application/octet-stream';
      if (!res.ok || ct.startsWith('application/json')) {
        const data = await res.json().catch(() => ({}));
        if ((data as { code?: number }).code === 99991663) token = undefined;
        return failure(res.status, data);
      }
      const len = Number(res.headers.get('content-length'));
      if (Number.isFinite(len) && len > maxBytes) {
        await res.body?.cancel().catch(() => undefined);
        return { ok: true, value: { bytes: new Uint8Array(), contentType: ct, size: len } };
      }
      const r = await readCapped(res.body!, maxBytes);
      return { ok: true, value: { bytes: r.bytes, contentType: ct, size: Number.isFinite(len) && len > 0 ? len : r.counted } };
    } catch (err) {
      return thrown(err);
    }
  }

  async function fetchWithSdk(messageId: string, fileKey: string, type: 'image' | 'file', maxBytes: number): Promise<ImResult<Resource>> {
    try {
      const res = await streamer().im.v1.messageResource.get({ path: { message_id: messageId, file_key: fileKey }, params: { type } });
      const ct = header(res.headers, 'content-type') ?? 'application/octet-stream';
      const len = Number(header(res.headers, 'content-length'));
      const stream = res.getReadableStream() as unknown as AsyncIterable<Uint8Array>;
      if (ct.startsWith('application/json')) {
        const r = await readCapped(stream, 65_536);
        return failure(200, JSON.parse(new TextDecoder().decode(r.bytes)) as unknown);
      }
      const r = await readCapped(stream, maxBytes);
      return { ok: true, value: { bytes: r.bytes, contentType: ct, size: Number.isFinite(len) && len > 0 ? len : r.counted } };
    } catch (err) {
      // On HTTP 4xx/5xx the axios error's response.data is a stream, not JSON (LARK.md §3).
      const e = err as { response?: { status: number; data: unknown } };
      if (e.response && e.response.data && typeof (e.response.data as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
        let parsed: unknown = {};
        try {
          const r = await readCapped(e.response.data as AsyncIterable<Uint8Array>, 65_536);
          parsed = JSON.parse(new TextDecoder().decode(r.bytes));
        } catch {
          /* not JSON */
        }
        return failure(e.response.status, parsed);
      }
      return thrown(err);
    }
  }

  // A refused token is dropped, so the next call fetches a new one.
  const forget = <T>(r: ImResult<T>): ImResult<T> => {
    if (!r.ok && TOKEN_INVALID.has(r.error.code)) {
      store.clear();
      token = undefined;
    }
    return r;
  };
  return {
    fetchResource: async (...a) => forget(await (opts.download === 'sdk' ? fetchWithSdk : fetchWithFetch)(...a)),
    readUsers: async (messageId) => forget(await readUsers(messageId)),
    urgentApp: async (messageId, openIds) => forget(await urgentApp(messageId, openIds)),
  };

  async function readUsers(messageId: string): Promise<ImResult<string[]>> {
    const readers: string[] = [];
    let pageToken: string | undefined;
    try {
      for (let page = 0; page < 20; page++) {
        const res = await api().im.v1.message.readUsers({
          path: { message_id: messageId },
          params: { user_id_type: 'open_id', page_size: 100, ...(pageToken ? { page_token: pageToken } : {}) },
        });
        if (res.code !== 0) return failure(200, res);
        for (const it of res.data?.items ?? []) if (it.user_id) readers.push(it.user_id);
        if (!res.data?.has_more || !res.data.page_token) break;
        pageToken = res.data.page_token;
      }
      return { ok: true, value: readers };
    } catch (err) {
      return thrown(err);
    }
  }

  async function urgentApp(messageId: string, openIds: string[]): Promise<ImResult<{ invalid: string[] }>> {
    try {
      const res = await api().im.v1.message.urgentApp({
        path: { message_id: messageId },
        params: { user_id_type: 'open_id' },
        data: { user_id_list: openIds },
      });
      if (res.code !== 0) return failure(200, res);
      return { ok: true, value: { invalid: res.data?.invalid_user_id_list ?? [] } };
    } catch (err) {
      return thrown(err);
    }
  }
}
