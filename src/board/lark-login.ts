// Feishu web-app login for the board (LARK.md §8): authorize → ?code → POST /open-apis/authen/v2/oauth/token
// (no Authorization header; the reply is NOT under `data`) → GET /open-apis/authen/v1/user_info with the user
// token. The SDK has no typed v2 token call, so this uses fetch, as LARK.md advises. Tokens are never logged.
import { z } from 'zod';
import type { Config } from '../config.js';
import { err, ok, type Result } from '../domain/result.js';

/** Where Feishu's authorize page lives: accounts.feishu.cn / accounts.larksuite.com, else LARK_BASE_URL itself. */
export function accountsBase(larkBaseUrl: string): string {
  const u = larkBaseUrl.replace(/\/+$/, '');
  if (/^https:\/\/open\.feishu\.cn$/i.test(u)) return 'https://accounts.feishu.cn';
  if (/^https:\/\/open\.larksuite\.com$/i.test(u)) return 'https://accounts.larksuite.com';
  return u;
}

export function authorizeUrl(config: Config, redirectUri: string, state: string): string {
  const q = new URLSearchParams({ client_id: config.LARK_APP_ID, redirect_uri: redirectUri, state });
  return `${accountsBase(config.LARK_BASE_URL)}/open-apis/authen/v1/authorize?${q}`;
}

const tokenReply = z.union([
  z.object({ code: z.literal(0), access_token: z.string().min(1), expires_in: z.number().optional(), token_type: z.string().optional() }),
  z.object({ code: z.number(), error: z.string().optional(), error_description: z.string().optional(), msg: z.string().optional() }),
]);

const userReply = z.object({
  code: z.number(),
  msg: z.string().optional(),
  data: z
    .object({
      open_id: z.string().min(1),
      union_id: z.string().optional(),
      user_id: z.string().optional(),
      name: z.string().optional(),
      tenant_key: z.string().optional(),
    })
    .optional(),
});

export interface LarkUser {
  open_id: string;
  union_id?: string;
  user_id?: string;
  name?: string;
  tenant_key?: string;
}

/** Why a Feishu login failed: the sentence for the page, and Feishu's error code when it gave one. */
export interface LoginFailure {
  message: string;
  code?: number;
}

export type LoginResult = Result<LarkUser, LoginFailure>;

/** What a token error means for the person in front of the page, in Chinese. */
export function tokenErrorZh(code: number): string {
  switch (code) {
    case 20002:
      return '应用凭证有误（LARK_APP_SECRET），请管理员检查配置。';
    case 20003:
    case 20065:
      return '登录授权码无效或已使用，请重新登录。';
    case 20004:
      return '登录授权码已过期，请重新登录。';
    case 20024:
      return '登录授权码不属于本应用，请从本应用重新登录。';
    case 20071:
      return '回调地址与飞书开放平台“重定向 URL”不一致，请管理员检查 PUBLIC_BASE_URL 与应用的安全设置。';
    case 20010:
      return '你不在本应用的可用范围内，请联系管理员。';
    case 20050:
    case 20072:
      return '飞书服务暂时繁忙，请稍后重试。';
    default:
      return `飞书登录失败（错误码 ${code}），请稍后重试或在机器人中发送「看板」获取登录链接。`;
  }
}

/** Exchange an authorization code for the user and who they are. */
export async function loginWithCode(config: Config, code: string, redirectUri: string, fetchFn: typeof fetch = fetch): Promise<LoginResult> {
  const base = config.LARK_BASE_URL.replace(/\/+$/, '');
  let tokenJson: unknown;
  try {
    const res = await fetchFn(`${base}/open-apis/authen/v2/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({
        grant_type: 'authorization_code',
        client_id: config.LARK_APP_ID,
        client_secret: config.LARK_APP_SECRET,
        code,
        redirect_uri: redirectUri,
      }),
    });
    tokenJson = await res.json();
  } catch {
    return err({ message: '无法连接飞书，请稍后重试。' });
  }
  const t = tokenReply.safeParse(tokenJson);
  if (!t.success) return err({ message: '飞书返回了无法识别的应答，请稍后重试。' });
  if (t.data.code !== 0 || !('access_token' in t.data)) return err({ code: t.data.code, message: tokenErrorZh(t.data.code) });
  let userJson: unknown;
  try {
    const res = await fetchFn(`${base}/open-apis/authen/v1/user_info`, { headers: { authorization: `Bearer ${t.data.access_token}` } });
    userJson = await res.json();
  } catch {
    return err({ message: '无法连接飞书，请稍后重试。' });
  }
  const u = userReply.safeParse(userJson);
  if (!u.success || u.data.code !== 0 || !u.data.data) {
    const c = u.success ? u.data.code : undefined;
    return err({ ...(c !== undefined ? { code: c } : {}), message: `读取飞书用户信息失败${c ? `（错误码 ${c}）` : ''}，请重新登录。` });
  }
  return ok(u.data.data);
}
