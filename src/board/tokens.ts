// Signed tokens for the board: the personal link `看板` sends, the session cookie and the Feishu login state.
// HMAC-SHA-256 on WebCrypto (Node and Workers alike). A token is base64url(JSON payload) "." base64url(MAC); the
// payload names its kind, so a link can never be replayed as a cookie or the other way round.
//
// The key: BOARD_SECRET when set, else a random 32-byte key generated once and kept in `settings` under
// 'board.secret' (the first writer wins; everyone reads the stored one), so both runtimes sign alike without setup.
import type { Db } from '../db/client.js';
import { err, ok, type Result } from '../domain/result.js';
import { settingOrInsert } from '../db/board-store.js';

export type TokenKind = 'link' | 'session' | 'state' | 'evidence';

export interface LinkPayload {
  k: 'link';
  /** Person id. */
  p: number;
  /** Expiry, epoch ms. */
  e: number;
  /** Random nonce: the board_links row that makes the link single-use. */
  n: string;
}

export interface SessionPayload {
  k: 'session';
  p: number;
  e: number;
  /** How the session started: 'link' | 'lark'. */
  via: 'link' | 'lark';
}

export interface StatePayload {
  k: 'state';
  e: number;
  n: string;
}

/** A personal link to one evidence file (src/evidence/links.ts): person, expiry, evidence id. */
export interface EvidencePayload {
  k: 'evidence';
  p: number;
  e: number;
  i: number;
}

export type TokenPayload = LinkPayload | SessionPayload | StatePayload | EvidencePayload;

export const SECRET_SETTING = 'board.secret';
const encoder = new TextEncoder();

function b64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromB64url(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return null;
  try {
    const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** A random url-safe string of `bytes` random bytes. */
export function randomToken(bytes = 16): string {
  return b64url(globalThis.crypto.getRandomValues(new Uint8Array(bytes)));
}

type HmacKey = Awaited<ReturnType<typeof globalThis.crypto.subtle.importKey>>;
const keys = new Map<string, Promise<HmacKey>>();

function hmacKey(secret: string): Promise<HmacKey> {
  let k = keys.get(secret);
  if (!k) {
    if (keys.size > 8) keys.clear();
    k = globalThis.crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    keys.set(secret, k);
  }
  return k;
}

export async function signToken(secret: string, payload: TokenPayload): Promise<string> {
  const body = b64url(encoder.encode(JSON.stringify(payload)));
  const mac = new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', await hmacKey(secret), encoder.encode(body)));
  return `${body}.${b64url(mac)}`;
}

export type TokenRefusal = 'malformed' | 'bad_signature' | 'wrong_kind' | 'expired';

/** Check the MAC (constant time, by WebCrypto's verify), the kind and the expiry against `now`. */
export async function verifyToken<K extends TokenKind>(
  secret: string,
  token: string,
  kind: K,
  now: number,
): Promise<Result<Extract<TokenPayload, { k: K }>, TokenRefusal>> {
  const parts = token.split('.');
  if (parts.length !== 2 || token.length > 2048) return err('malformed');
  const body = parts[0]!;
  const mac = fromB64url(parts[1]!);
  if (!mac || !body) return err('malformed');
  const good = await globalThis.crypto.subtle.verify('HMAC', await hmacKey(secret), mac, encoder.encode(body));
  if (!good) return err('bad_signature');
  let payload: TokenPayload;
  try {
    payload = JSON.parse(new TextDecoder().decode(fromB64url(body) ?? new Uint8Array())) as TokenPayload;
  } catch {
    return err('malformed');
  }
  if (!payload || typeof payload !== 'object' || payload.k !== kind) return err('wrong_kind');
  if (typeof payload.e !== 'number' || payload.e <= now) return err('expired');
  if ('p' in payload && !(Number.isInteger(payload.p) && payload.p > 0)) return err('malformed');
  return ok(payload as Extract<TokenPayload, { k: K }>);
}

// The stored key is read once per database handle (it never changes once written).
const storedSecrets = new WeakMap<object, Promise<string>>();

/** The board's HMAC key: BOARD_SECRET, else the one stored in the database (created on first use). */
export function boardSecret(db: Db, configured: string): Promise<string> {
  if (configured) return Promise.resolve(configured);
  let s = storedSecrets.get(db);
  if (!s) {
    s = (async () => {
      // Insert-if-absent, then read: two isolates racing both end up with the first writer's key.
      const v = await settingOrInsert(db, SECRET_SETTING, randomToken(32), Date.now());
      if (typeof v !== 'string' || v.length < 32) throw new Error('board secret missing from settings');
      return v;
    })();
    s.catch(() => storedSecrets.delete(db));
    storedSecrets.set(db, s);
  }
  return s;
}
