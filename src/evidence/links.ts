// Personal evidence links: `${PUBLIC_BASE_URL}/evidence/<id>?t=<token>`, the token HMAC-signed with the board's key
// (src/board/tokens.ts, kind 'evidence') for the person who asked, expiring after EVIDENCE_LINK_HOURS. The route
// re-checks that person's roles and units on every open, so a forwarded link opens nothing for anyone else's
// rights and stops working once the person loses them.
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { feishuApplink } from '../board/session.js';
import { boardSecret, signToken } from '../board/tokens.js';

export async function evidenceLink(
  deps: { db: Db; config: Config },
  evidenceId: number,
  personId: number | null,
  now: number,
): Promise<string | null> {
  const base = deps.config.PUBLIC_BASE_URL;
  if (!base || !personId) return null;
  const secret = await boardSecret(deps.db, deps.config.BOARD_SECRET);
  const token = await signToken(secret, { k: 'evidence', p: personId, e: now + deps.config.EVIDENCE_LINK_HOURS * 3600_000, i: evidenceId });
  return `${base}/evidence/${evidenceId}?t=${encodeURIComponent(token)}`;
}

/** The link wrapped to open in Feishu's in-app browser. */
export const inFeishu = (url: string) => feishuApplink(url);
