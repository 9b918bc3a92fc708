// Feishu request crypto on WebCrypto (Node and Workers alike): AES-256-CBC decrypt, SHA-256 signature, safe compare.
// The Node service swaps in crypto-node.ts (same results, synchronous, ~15x cheaper per request) through AppDeps.

import { DubanError } from '../domain/errors.js';
import type { LarkCrypto } from '../ports.js';

const encoder = new TextEncoder();

function subtle(): typeof globalThis.crypto.subtle {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error('WebCrypto (globalThis.crypto.subtle) is not available');
  return s;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

function toHex(buf: ArrayBuffer): string {
  let out = '';
  for (const b of new Uint8Array(buf)) out += HEX[b];
  return out;
}

// The AES key is SHA-256(encrypt key): derive and import it once per encrypt key, not once per request. A
// rejected import is dropped so the next request tries again. Bounded so a changing key cannot grow it.
type AesKey = Awaited<ReturnType<typeof globalThis.crypto.subtle.importKey>>;
const aesKeys = new Map<string, Promise<AesKey>>();
const MAX_CACHED_KEYS = 4;

function aesKeyFor(encryptKey: string): Promise<AesKey> {
  let key = aesKeys.get(encryptKey);
  if (!key) {
    key = subtle()
      .digest('SHA-256', encoder.encode(encryptKey))
      .then((bytes) => subtle().importKey('raw', bytes, { name: 'AES-CBC' }, false, ['decrypt']));
    key.catch(() => aesKeys.delete(encryptKey));
    if (aesKeys.size >= MAX_CACHED_KEYS) aesKeys.clear();
    aesKeys.set(encryptKey, key);
  }
  return key;
}

// Stateless between calls (no streaming), so one instance serves every request.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function base64ToBytes(b64: string): Uint8Array {
  // atob throws on bad input; callers turn that into a 400.
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export class DecryptError extends DubanError {
  constructor(message: string) {
    super('decrypt_failed', message, {
      hint: '请检查 LARK_ENCRYPT_KEY 是否与飞书开发者后台“事件与回调 → 加密策略”中的 Encrypt Key 一致 / check that LARK_ENCRYPT_KEY matches the app\'s Encrypt Key',
    });
  }
}

/** Decrypt an `{"encrypt": …}` payload: key = SHA-256(encryptKey), IV = first 16 bytes, PKCS#7 padding. */
export async function decryptLarkPayload(encryptKey: string, encrypted: string): Promise<string> {
  let data: Uint8Array;
  try {
    data = base64ToBytes(encrypted);
  } catch {
    throw new DecryptError('encrypt is not valid base64');
  }
  checkCiphertextLength(data);
  const key = await aesKeyFor(encryptKey);
  let plain: ArrayBuffer;
  try {
    plain = await subtle().decrypt({ name: 'AES-CBC', iv: data.subarray(0, 16) }, key, data.subarray(16));
  } catch {
    throw wrongKey();
  }
  return decodePlaintext(plain);
}

/** IV (16 bytes) and at least one whole AES block. */
export function checkCiphertextLength(data: Uint8Array): void {
  if (data.length < 32 || (data.length - 16) % 16 !== 0) throw new DecryptError('ciphertext has a bad length');
}

/** Wrong key or corrupted data: the padding check fails. */
export const wrongKey = () => new DecryptError('decryption failed (wrong key or corrupted ciphertext)');

export function decodePlaintext(plain: ArrayBuffer | Uint8Array): string {
  try {
    return strictUtf8.decode(plain);
  } catch {
    throw new DecryptError('decrypted payload is not UTF-8');
  }
}

/** X-Lark-Signature: lowercase hex SHA-256 over timestamp + nonce + encryptKey + the raw body bytes. */
export async function computeLarkSignature(
  timestamp: string,
  nonce: string,
  encryptKey: string,
  rawBody: Uint8Array,
): Promise<string> {
  const prefix = encoder.encode(timestamp + nonce + encryptKey);
  const all = new Uint8Array(prefix.length + rawBody.length);
  all.set(prefix, 0);
  all.set(rawBody, prefix.length);
  return toHex(await subtle().digest('SHA-256', all));
}

export const webLarkCrypto: LarkCrypto = { signature: computeLarkSignature, decrypt: decryptLarkPayload };

/** Compare two strings without leaking where they differ (length still leaks, which is public anyway). */
export function timingSafeEqualString(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.max(x.length, y.length);
  let diff = x.length ^ y.length;
  for (let i = 0; i < n; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
