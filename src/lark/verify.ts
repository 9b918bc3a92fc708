// Verify an inbound Feishu request from its raw body bytes: signature, freshness, decryption, verification token,
// and whether it is a genuine URL check (the only kind of request that is answered without being an event).
import { DecryptError, timingSafeEqualString, webLarkCrypto } from './crypto.js';
import type { LarkCrypto } from '../ports.js';
import { err, ok, type Result } from '../domain/result.js';
import { DEFAULT_TIMESTAMP_TOLERANCE_SECONDS, MAX_TIMESTAMP_TOLERANCE_SECONDS } from '../config.js';

export interface VerifySettings {
  LARK_ENCRYPT_KEY: string;
  LARK_VERIFICATION_TOKEN: string;
  LARK_TIMESTAMP_TOLERANCE_SECONDS: number;
}

// The freshness window's default and cap are configuration (src/config.ts); re-exported for the edge's callers.
export { DEFAULT_TIMESTAMP_TOLERANCE_SECONDS, MAX_TIMESTAMP_TOLERANCE_SECONDS };
/** Feishu's whole re-push schedule (15 s + 5 min + 1 h + 6 h, rounded up). */
export const LARK_REPUSH_SPAN_MS = 7.5 * 3600_000;

/**
 * How long an inbound de-dup row must be kept after it was received, for a window of `toleranceSeconds`. A signed
 * request carrying timestamp T is accepted from T - window to T + window, so a replay of it can come up to
 * 2 x window after its first receipt; one hour of margin on top, and never less than Feishu's re-push schedule.
 */
export function minInboundRetentionMs(toleranceSeconds: number): number {
  return Math.max(2 * toleranceSeconds * 1000, LARK_REPUSH_SPAN_MS) + 3600_000;
}

/** Minimum retention of inbound de-dup rows for any window the configuration accepts (49 h). Prune no earlier. */
export const MIN_INBOUND_RETENTION_MS = minInboundRetentionMs(MAX_TIMESTAMP_TOLERANCE_SECONDS);

/** An unsigned request may only be the encrypted URL check, which is tiny; anything bigger is refused unread. */
const UNSIGNED_URL_CHECK_MAX_BYTES = 4096;

/** A request that passed: a genuine URL check, or an event body (signed, or checked by its token). */
export type VerifiedRequest =
  | { kind: 'url_check'; challenge: string }
  | { kind: 'event'; body: Record<string, unknown>; signed: boolean };

/** Why a request is refused: the HTTP status to answer, the reason for the log, the setting to check if any. */
export interface VerifyRefusal {
  status: 400 | 401 | 503;
  reason: string;
  settingToCheck?: string;
}

export type VerifyResult = Result<VerifiedRequest, VerifyRefusal>;

/** Whether /lark/* can accept anything at all under this configuration, and why not. */
export function larkInboundStatus(settings: Pick<VerifySettings, 'LARK_ENCRYPT_KEY' | 'LARK_VERIFICATION_TOKEN'>):
  | { enabled: true; verifiedBy: 'signature' | 'token' }
  | { enabled: false; reason: string } {
  if (settings.LARK_ENCRYPT_KEY) return { enabled: true, verifiedBy: 'signature' };
  if (settings.LARK_VERIFICATION_TOKEN) return { enabled: true, verifiedBy: 'token' };
  return {
    enabled: false,
    reason: 'neither LARK_VERIFICATION_TOKEN nor LARK_ENCRYPT_KEY is set: Feishu events cannot be verified and are refused',
  };
}

/** What a refused request is told when inbound is disabled (Chinese first). */
export const INBOUND_DISABLED_MESSAGE =
  '未配置飞书事件校验，已拒绝：请设置 LARK_VERIFICATION_TOKEN（以及建议设置 LARK_ENCRYPT_KEY，即飞书开发者后台“事件与回调”中的 Verification Token / Encrypt Key）后重启服务 / ' +
  'inbound Feishu events are disabled: set LARK_VERIFICATION_TOKEN (and preferably LARK_ENCRYPT_KEY) and restart';

// Stateless between calls (no streaming), so one instance serves every request.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

type HeaderGetter = (name: string) => string | undefined | null;

const reject = (status: 400 | 401 | 503, reason: string, settingToCheck?: string): VerifyResult =>
  err({ status, reason, ...(settingToCheck ? { settingToCheck } : {}) });

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function decodeObject(raw: Uint8Array): Record<string, unknown> | null {
  try {
    return parseObject(strictUtf8.decode(raw));
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
 * A genuine URL check is exactly `{"challenge": "...", "token": "...", "type": "url_verification"}` (token optional):
 * no header, event, schema or anything else. A body that merely says `"type":"url_verification"` is not one.
 */
export function genuineUrlCheck(body: Record<string, unknown>): string | null {
  const keys = Object.keys(body);
  if (!keys.every((k) => k === 'challenge' || k === 'token' || k === 'type')) return null;
  if (body.type !== 'url_verification') return null;
  if (typeof body.challenge !== 'string' || body.challenge.length === 0 || body.challenge.length > 512) return null;
  if ('token' in body && typeof body.token !== 'string') return null;
  return body.challenge;
}

/**
 * The timestamp must be exactly 10 digits (Unix seconds, 2001-2286). The signature is SHA-256 over the plain
 * concatenation timestamp + nonce + key + body, so without a fixed length digits could be moved between the
 * timestamp and the nonce and keep the signature valid; with it the boundary is unambiguous.
 */
const TIMESTAMP_RE = /^\d{10}$/;

function checkFreshness(ts: string, now: number, settings: VerifySettings): VerifyResult | null {
  const window = Math.min(settings.LARK_TIMESTAMP_TOLERANCE_SECONDS, MAX_TIMESTAMP_TOLERANCE_SECONDS);
  const skew = Math.abs(now / 1000 - Number(ts));
  if (skew > window) {
    return reject(401, `stale X-Lark-Request-Timestamp (${Math.round(skew)} s off, window ${window} s)`, 'LARK_TIMESTAMP_TOLERANCE_SECONDS (and the server clock)');
  }
  return null;
}

function checkToken(body: Record<string, unknown>, expected: string): VerifyResult | null {
  if (!expected) return null;
  const got = tokenOf(body);
  if (got === undefined || !timingSafeEqualString(got, expected)) {
    return reject(401, 'verification token does not match', 'LARK_VERIFICATION_TOKEN');
  }
  return null;
}

/**
 * Policy:
 * - With neither LARK_VERIFICATION_TOKEN nor LARK_ENCRYPT_KEY, nothing can be trusted: everything is refused (503).
 * - With LARK_ENCRYPT_KEY set, a request that carries X-Lark-Signature is checked before its body is even decoded:
 *   X-Lark-Request-Timestamp required (10 digits, within the window), the signature compared in constant time over
 *   the raw bytes. Only then is the body parsed and decrypted.
 * - With LARK_ENCRYPT_KEY set, an unsigned request can only be the URL check: Feishu sends that one encrypted and
 *   (the official SDKs answer it before any signature check) possibly unsigned. It is answered only when the raw
 *   body is a small `{"encrypt": "..."}` that decrypts to a genuine URL check with the right token; every other
 *   unsigned request is refused with the same 401, whatever failed (no decryption oracle), and nothing of it is kept.
 * - With only LARK_VERIFICATION_TOKEN set, the token inside the body must match; encrypted bodies are refused.
 * - The verification token, when set, must match in every case (events and URL checks).
 */
export async function verifyLarkRequest(
  raw: Uint8Array,
  header: HeaderGetter,
  settings: VerifySettings,
  now: number,
  crypto: LarkCrypto = webLarkCrypto,
): Promise<VerifyResult> {
  const key = settings.LARK_ENCRYPT_KEY;
  const expectedToken = settings.LARK_VERIFICATION_TOKEN;
  if (!key && !expectedToken) {
    return reject(503, 'inbound disabled: neither setting is configured', 'LARK_VERIFICATION_TOKEN or LARK_ENCRYPT_KEY');
  }

  if (key) {
    const sig = header('x-lark-signature');
    if (!sig) return verifyUnsignedUrlCheck(raw, settings, crypto);
    const ts = header('x-lark-request-timestamp');
    if (!ts) return reject(401, 'signed request without X-Lark-Request-Timestamp', 'LARK_ENCRYPT_KEY');
    if (!TIMESTAMP_RE.test(ts)) return reject(401, 'X-Lark-Request-Timestamp is not 10 digits of Unix seconds', 'LARK_ENCRYPT_KEY');
    const stale = checkFreshness(ts, now, settings);
    if (stale) return stale;
    const nonce = header('x-lark-request-nonce') ?? '';
    const expected = await crypto.signature(ts, nonce, key, raw);
    if (!timingSafeEqualString(sig.trim().toLowerCase(), expected)) {
      return reject(401, 'X-Lark-Signature does not match', 'LARK_ENCRYPT_KEY');
    }
    // Authentic from here on (only Feishu and we know the key).
    const outer = decodeObject(raw);
    if (!outer) return reject(400, 'body is not a UTF-8 JSON object');
    let body = outer;
    if (typeof outer.encrypt === 'string') {
      try {
        const inner = parseObject(await crypto.decrypt(key, outer.encrypt));
        if (!inner) return reject(400, 'decrypted body is not a JSON object');
        body = inner;
      } catch (thrown) {
        if (thrown instanceof DecryptError) return reject(400, `cannot decrypt body: ${thrown.message}`, 'LARK_ENCRYPT_KEY');
        throw thrown;
      }
    } else if ('encrypt' in outer) {
      return reject(400, 'encrypt is not a string');
    }
    const badToken = checkToken(body, expectedToken);
    if (badToken) return badToken;
    const challenge = genuineUrlCheck(body);
    if (challenge !== null) return ok({ kind: 'url_check', challenge });
    return ok({ kind: 'event', body, signed: true });
  }

  // Verification token only: no signature exists; the token inside the plaintext body is the whole check.
  const ts = header('x-lark-request-timestamp');
  if (ts && TIMESTAMP_RE.test(ts)) {
    const stale = checkFreshness(ts, now, settings);
    if (stale) return stale;
  }
  const body = decodeObject(raw);
  if (!body) return reject(400, 'body is not a UTF-8 JSON object');
  if ('encrypt' in body) return reject(401, 'the body is encrypted but no Encrypt Key is configured', 'LARK_ENCRYPT_KEY');
  const badToken = checkToken(body, expectedToken);
  if (badToken) return badToken;
  const challenge = genuineUrlCheck(body);
  if (challenge !== null) return ok({ kind: 'url_check', challenge });
  return ok({ kind: 'event', body, signed: false });
}

async function verifyUnsignedUrlCheck(raw: Uint8Array, settings: VerifySettings, crypto: LarkCrypto): Promise<VerifyResult> {
  const refused = reject(401, 'request is not signed (missing X-Lark-Signature) and is not an encrypted URL check', 'LARK_ENCRYPT_KEY');
  if (raw.length > UNSIGNED_URL_CHECK_MAX_BYTES) return refused;
  const outer = decodeObject(raw);
  if (!outer || Object.keys(outer).length !== 1 || typeof outer.encrypt !== 'string') return refused;
  let inner: Record<string, unknown> | null;
  try {
    inner = parseObject(await crypto.decrypt(settings.LARK_ENCRYPT_KEY, outer.encrypt));
  } catch {
    return refused;
  }
  if (!inner) return refused;
  const challenge = genuineUrlCheck(inner);
  if (challenge === null) return refused;
  const badToken = checkToken(inner, settings.LARK_VERIFICATION_TOKEN);
  if (badToken) return badToken;
  return ok({ kind: 'url_check', challenge });
}
