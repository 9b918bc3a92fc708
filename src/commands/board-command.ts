// `看板` / `board`: a personal, signed, single-use link to the office board, sent only in a one-to-one chat (in a
// group anyone could open it first). The link opens inside Feishu (applink); the raw https link works anywhere.
import type { CommandDef, ParseResult } from './registry.js';
import { issueBoardLink } from '../board/session.js';

export const boardCommand: CommandDef<null> = {
  names: ['看板', 'board'],
  usage: '看板',
  summary: '获取督办看板的个人登录链接（仅限本人、几分钟内有效、只能用一次）',
  roles: ['office', 'leader', 'contact'],
  parse(text): ParseResult<null> {
    if (text.trim()) return { ok: false, error: `看板不带参数，收到「${text.trim()}」。进入看板后可按篇章、单位、状态筛选。` };
    return { ok: true, value: null };
  },
  async run(ctx) {
    const { config } = ctx.deps;
    if (!config.PUBLIC_BASE_URL) {
      return { text: '看板尚未开通：管理员需要设置 PUBLIC_BASE_URL（本服务的 https 公网地址，见 README“督办看板”）。' };
    }
    if (ctx.msg && ctx.msg.chatType !== 'p2p') {
      return { text: '看板链接只属于你本人，不在群里发送。请单独给机器人发送「看板」。' };
    }
    if (ctx.actor.personId === null) return { text: '无法识别你的身份，请在飞书中单独给机器人发送「看板」。' };
    const link = await issueBoardLink(ctx.deps, ctx.actor.personId, ctx.now);
    const minutes = config.BOARD_LINK_MINUTES;
    return {
      text: [
        `督办看板登录链接（仅限你本人，${minutes} 分钟内有效，只能打开一次，请勿转发）：`,
        `飞书内打开：${link.applink}`,
        `浏览器打开：${link.url}`,
        '过期或用过后，重新发送「看板」即可获取新链接。',
      ].join('\n'),
    };
  },
};
