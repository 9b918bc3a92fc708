// GET /evidence/:id — opens one evidence file for the office, leaders and the unit itself.
// Who is asking: the signed personal link (?t=…, src/evidence/links.ts: HMAC, expiring, works in Feishu's in-app
// browser without login) or, without one, the board session cookie (the 台账's plain links open after `看板`).
// Either way that person's roles and units are read from the database on every open. Refusals are a page that says
// why and what to do; a tampered link (bad signature) and an expired one are told apart.
//
// The folder src/evidence/ is the file side of evidence: intake.ts (download, check, store and record a message's
// files; fold a burst's confirmations), blob-store.ts / blob-fs.ts (the bytes, by sha256, on R2 or disk), links.ts
// (personal signed links), backup.ts, urgent.ts (the buzz step after reminders), and this route. Its rows are in
// src/db/evidence-store.ts; who sent a file and which assignment it belongs to, and the commands 佐证, 催办, 已读情况,
// 佐证要求 and 加急, are in src/commands/ (evidence-intake.ts, evidence-commands.ts, evidence-card.ts). Nothing
// here imports src/commands/; the board's tokens and session are shared with src/board/.
import type { Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AppDeps } from '../deps.js';
import { actorOf, personOfSession, SESSION_COOKIE } from '../board/session.js';
import { boardSecret, verifyToken } from '../board/tokens.js';
import { evidenceWithContext } from '../db/evidence-store.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function refusal(c: Context, status: 400 | 401 | 403 | 404 | 410, title: string, message: string) {
  c.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'");
  c.header('x-content-type-options', 'nosniff');
  c.header('referrer-policy', 'no-referrer');
  c.header('cache-control', 'private, no-store');
  return c.html(
    `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
      `<title>${esc(title)}</title><style>body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}` +
      `h1{font-size:1.3rem}p{line-height:1.6}</style></head><body><h1>${esc(title)}</h1><p>${esc(message)}</p></body></html>`,
    status,
  );
}

const AGAIN = '请在飞书中向督办机器人重新发送「任务 <编号>」获取新的链接。';

/** RFC 5987 filename for Content-Disposition (Chinese names survive). */
function disposition(name: string, inline: boolean): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export function registerEvidenceRoutes(app: Hono, deps: AppDeps) {
  app.get('/evidence/:id', async (c) => {
    const now = deps.clock();
    const id = Number(c.req.param('id'));
    if (!Number.isInteger(id) || id <= 0) return refusal(c, 404, '文件不存在', `链接中的文件编号无效。${AGAIN}`);
    const token = c.req.query('t');
    let personId: number;
    if (token !== undefined) {
      const secret = await boardSecret(deps.db, deps.config.BOARD_SECRET);
      const v = await verifyToken(secret, token, 'evidence', now);
      if (!v.ok) {
        if (v.error === 'expired') return refusal(c, 410, '链接已过期', `这个佐证材料链接已过期（有效期 ${deps.config.EVIDENCE_LINK_HOURS} 小时）。${AGAIN}`);
        return refusal(c, 403, '链接无效', `链接校验未通过（可能被改动过或不完整），无法打开。${AGAIN}`);
      }
      if (v.value.i !== id) return refusal(c, 403, '链接无效', `链接校验未通过（文件编号与链接不符），无法打开。${AGAIN}`);
      personId = v.value.p;
    } else {
      const s = await personOfSession(deps, getCookie(c, SESSION_COOKIE), now);
      if (!s) return refusal(c, 401, '需要登录', '请在飞书中给督办机器人发送「看板」登录后再打开此链接，或发送「任务 <编号>」获取个人链接。');
      personId = s.personId;
    }
    const actor = await actorOf(deps, personId);
    const found = await evidenceWithContext(deps.db, id);
    if (!found) return refusal(c, 404, '文件不存在', '该佐证材料已被撤回或删除。');
    const e = found.e;
    const office = !!actor && (actor.roles.includes('office') || actor.roles.includes('leader'));
    const ownUnit = !!actor && found.unitId != null && actor.unitIds.includes(found.unitId);
    // The sender alone may open a file still pending (not yet placed on any unit's assignment).
    const sender = !!actor && e.assignmentId == null && e.personId === actor.personId;
    if (!actor || !(office || ownUnit || sender)) {
      deps.logger.warn('evidence: refused', { evidenceId: id, personId });
      return refusal(c, 403, '无权查看', '佐证材料只对办公室、领导和责任单位本身开放。你当前的角色或单位无权查看这个文件。');
    }
    const blob = deps.evidenceStore ? await deps.evidenceStore.get(e.sha256) : null;
    if (!blob) return refusal(c, 404, '文件不存在', '文件内容已不在存储中（可能已被撤回），请联系办公室。');
    const inline = /^(image\/(jpeg|png|gif|webp|bmp)|application\/pdf|text\/plain)/.test(e.contentType);
    c.header('content-type', e.contentType);
    c.header('content-length', String(blob.bytes.length));
    c.header('content-disposition', disposition(e.name, inline));
    c.header('x-content-type-options', 'nosniff');
    // A file is never run as a page of this origin.
    c.header('content-security-policy', "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox");
    c.header('referrer-policy', 'no-referrer');
    c.header('cache-control', 'private, no-store');
    return c.body(blob.bytes as unknown as ArrayBuffer, 200);
  });
}
