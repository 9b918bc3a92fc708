// Board sign-in: the personal link `看板` sends (signed, expiring, single-use), the session cookie it starts, and
// the viewer behind a cookie, re-read from the database on every request (a contact unbound later loses access).
import type { Db } from '../db/client.js';
import { runBatch } from '../db/batch.js';
import { boardLinkByNonce, boardLinkWrites, claimBoardLink } from '../db/board-store.js';
import { personWithRoles } from '../db/people-store.js';
import type { Actor } from '../domain/actor.js';
import { rolesOfRows } from '../domain/actor.js';
import { err, ok, type Result } from '../domain/result.js';
import type { Config } from '../config.js';
import { boardSecret, randomToken, signToken, verifyToken } from './tokens.js';
import type { BoardScope } from './data.js';

export const SESSION_COOKIE = 'duban_board';
export const STATE_COOKIE = 'duban_board_state';

type BoardDeps = { db: Db; config: Config };

export interface IssuedLink {
  /** The plain https link. */
  url: string;
  /** The same link wrapped to open inside Feishu (applink web_url, LARK.md §8). */
  applink: string;
  expiresAt: number;
}

/** Open the link inside the Feishu client rather than an outside browser. */
export function feishuApplink(url: string): string {
  return `https://applink.feishu.cn/client/web_url/open?mode=window&url=${encodeURIComponent(url)}`;
}

/** A personal board link for `personId`, valid for BOARD_LINK_MINUTES and once. Needs PUBLIC_BASE_URL. */
export async function issueBoardLink(deps: BoardDeps, personId: number, now: number): Promise<IssuedLink> {
  const base = deps.config.PUBLIC_BASE_URL;
  if (!base) throw new Error('PUBLIC_BASE_URL is not set');
  const secret = await boardSecret(deps.db, deps.config.BOARD_SECRET);
  const nonce = randomToken(16);
  const expiresAt = now + deps.config.BOARD_LINK_MINUTES * 60_000;
  // Old links are kept a day past expiry (so a late click is told "expired", not "unknown"), then dropped.
  await runBatch(deps.db, boardLinkWrites(deps.db, { nonce, personId, expiresAt }, now));
  const token = await signToken(secret, { k: 'link', p: personId, e: expiresAt, n: nonce });
  const url = `${base}/board/login?t=${encodeURIComponent(token)}`;
  return { url, applink: feishuApplink(url), expiresAt };
}

export type LinkRefusal = 'malformed' | 'bad_signature' | 'wrong_kind' | 'expired' | 'used' | 'unknown' | 'other_person';

export const LINK_REFUSAL_ZH: Record<LinkRefusal, string> = {
  malformed: '链接不完整或已被改动，无法使用。',
  bad_signature: '链接校验未通过（可能被改动过），无法使用。',
  wrong_kind: '这不是看板登录链接。',
  expired: '链接已过期。',
  used: '链接已经使用过（每个链接只能打开一次）。',
  unknown: '链接无效。',
  other_person: '这是别人的看板链接：当前浏览器已登录为另一个人。',
};

/** Check a link without using it (the landing page shows the button only for a link that would work). */
export async function checkLink(deps: BoardDeps, token: string, now: number): Promise<Result<{ personId: number; nonce: string }, LinkRefusal>> {
  const secret = await boardSecret(deps.db, deps.config.BOARD_SECRET);
  const v = await verifyToken(secret, token, 'link', now);
  if (!v.ok) return v;
  const row = await boardLinkByNonce(deps.db, v.value.n);
  if (!row || row.personId !== v.value.p) return err('unknown');
  if (row.usedAt !== null) return err('used');
  if (row.expiresAt <= now) return err('expired');
  return ok({ personId: v.value.p, nonce: v.value.n });
}

/**
 * Use a link: one conditional UPDATE claims the nonce, so two clicks (or two browsers) cannot both get a session.
 * Returns the session cookie's value.
 */
export async function redeemLink(
  deps: BoardDeps,
  token: string,
  now: number,
  currentPersonId: number | null,
): Promise<Result<{ personId: number; cookie: string; expiresAt: number }, LinkRefusal>> {
  const c = await checkLink(deps, token, now);
  if (!c.ok) return c;
  const { personId, nonce } = c.value;
  if (currentPersonId !== null && currentPersonId !== personId) return err('other_person');
  if (!(await claimBoardLink(deps.db, nonce, personId, now))) return err('used');
  const s = await startSession(deps, personId, 'link', now);
  return ok({ personId, ...s });
}

export async function startSession(deps: BoardDeps, personId: number, via: 'link' | 'lark', now: number) {
  const secret = await boardSecret(deps.db, deps.config.BOARD_SECRET);
  const expiresAt = now + deps.config.BOARD_SESSION_HOURS * 3600_000;
  return { cookie: await signToken(secret, { k: 'session', p: personId, e: expiresAt, via }), expiresAt };
}

export interface Viewer {
  actor: Actor;
  scope: BoardScope;
  expiresAt: number;
}

/** The person a session cookie names, with roles and units as the database has them now. */
export async function personOfSession(deps: BoardDeps, cookie: string | undefined, now: number): Promise<{ personId: number; expiresAt: number } | null> {
  if (!cookie) return null;
  const secret = await boardSecret(deps.db, deps.config.BOARD_SECRET);
  const v = await verifyToken(secret, cookie, 'session', now);
  return v.ok ? { personId: v.value.p, expiresAt: v.value.e } : null;
}

/** Roles and units of a person id now; OFFICE_OPEN_IDS count as office, as in chat. */
export async function actorOf(deps: BoardDeps, personId: number): Promise<Actor | null> {
  const found = await personWithRoles(deps.db, personId);
  if (!found) return null;
  const { person, roles: rows } = found;
  const configuredOffice = !!person.openId && deps.config.OFFICE_OPEN_IDS.includes(person.openId);
  return { personId, openId: person.openId ?? '', name: person.name, ...rolesOfRows(rows, configuredOffice) };
}

/** What a person may see on the board: office and leaders all; a contact their units; no role: nothing. */
export function scopeOf(actor: Actor): BoardScope | null {
  if (actor.roles.includes('office') || actor.roles.includes('leader')) return { all: true, unitIds: [] };
  if (actor.roles.includes('contact') && actor.unitIds.length > 0) return { all: false, unitIds: [...actor.unitIds] };
  return null;
}
