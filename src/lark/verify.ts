// Verify an inbound Feishu request from its raw body bytes: signature, freshness, decryption, verification token.
import { DecryptError, timingSafeEqualString, webLarkCrypto, type LarkCrypto } from './crypto.js';

export interface VerifySettings {
  LARK_ENCRYPT_KEY: string;
  LARK_VERIFICATION_TOKEN: string;
  LARK_TIMESTAMP_TOLERANCE_SECONDS: number;
}

export type VerifyResult =
  | { ok: true; body: Record<string, unknown>; signed: boolean }
  | { ok: false; status: 400 | 401; reason: string; settingToCheck?: string };

// Stateless between calls (no streaming), so one instance serves every request.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

type HeaderGetter = (name: string) => string | undefined | null;

const reject = (status: 400 | 401, reason: string, settingToCheck?: string): VerifyResult => ({
  ok: false,
  status,
  reason,
  ...(settingToCheck ? { settingToCheck } : {}),
});

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function tokenOf(body: Record<string, unknown>): string | undefined {
  const header = body.header as Record<string, unknown> | undefined;
  const t = header && typeof header === 'object' ? header.token : body.token;
  return typeof t === 'string' ? t : undefined;
}

/**
 * Policy:
 * - With LARK_ENCRYPT_KEY set, every request except the URL check must carry a valid X-Lark-Signature over the raw
 *   bytes (Feishu signs events and card.action.trigger; the URL check may come unsigned, and only echoes a value).
 * - The verification token inside the (decrypted) body must equal LARK_VERIFICATION_TOKEN when that is set.
 * - With neither setting, nothing can be trusted: every request but the URL check is refused.
 * - A numeric X-Lark-Request-Timestamp older or newer than the tolerance is refused (replay).
 */
export async function verifyLarkRequest(
  raw: Uint8Array,
  header: HeaderGetter,
  settings: VerifySettings,
  now: number,
  crypto: LarkCrypto = webLarkCrypto,
): Promise<VerifyResult> {
  let text: string;
  try {
    text = strictUtf8.decode(raw);
  } catch {
    return reject(400, 'body is not UTF-8');
  }
  const outer = parseObject(text);
  if (!outer) return reject(400, 'body is not a JSON object');

  const ts = header('x-lark-request-timestamp') ?? '';
  if (/^\d{1,12}$/.test(ts)) {
    const skew = Math.abs(now / 1000 - Number(ts));
    if (skew > settings.LARK_TIMESTAMP_TOLERANCE_SECONDS) {
      return reject(401, `stale X-Lark-Request-Timestamp (${Math.round(skew)} s off)`, 'LARK_TIMESTAMP_TOLERANCE_SECONDS (and the server clock)');
    }
  }

  const key = settings.LARK_ENCRYPT_KEY;
  let signed = false;
  if (key) {
    const sig = header('x-lark-signature');
    if (sig) {
      const nonce = header('x-lark-request-nonce') ?? '';
      const expected = await crypto.signature(ts, nonce, key, raw);
      if (!timingSafeEqualString(sig.toLowerCase(), expected)) {
        return reject(401, 'X-Lark-Signature does not match', 'LARK_ENCRYPT_KEY');
      }
      signed = true;
    }
  }

  let body = outer;
  if (typeof outer.encrypt === 'string') {
    if (!key) return reject(401, 'the body is encrypted but no Encrypt Key is configured', 'LARK_ENCRYPT_KEY');
    try {
      const inner = parseObject(await crypto.decrypt(key, outer.encrypt));
      if (!inner) return reject(400, 'decrypted body is not a JSON object');
      body = inner;
    } catch (err) {
      if (err instanceof DecryptError) return reject(400, `cannot decrypt body: ${err.message}`, 'LARK_ENCRYPT_KEY');
      throw err;
    }
  } else if ('encrypt' in outer) {
    return reject(400, 'encrypt is not a string');
  }

  const isUrlCheck = body.type === 'url_verification';
  const expectedToken = settings.LARK_VERIFICATION_TOKEN;
  if (expectedToken) {
    const got = tokenOf(body);
    if (got === undefined || !timingSafeEqualString(got, expectedToken)) {
      return reject(401, 'verification token does not match', 'LARK_VERIFICATION_TOKEN');
    }
  }
  if (!isUrlCheck) {
    if (key && !signed) return reject(401, 'request is not signed (missing X-Lark-Signature)', 'LARK_ENCRYPT_KEY');
    if (!key && !expectedToken) {
      return reject(401, 'no way to verify the request: neither setting is configured', 'LARK_VERIFICATION_TOKEN');
    }
  }
  return { ok: true, body, signed };
}
