// Feishu send/reply/update error codes (LARK.md §7): which are permanent (fix something, then re-send) and which
// are transient (retry, forever, with capped backoff), each with a Chinese reason and what the office should do.
// Pure data: the Lark messenger classifies failures with it, and the undelivered list (db/undelivered.ts) shows its hints.

export interface SendErrorInfo {
  /** What went wrong, in Chinese, for the office. */
  reason: string;
  /** What to do about it (shown by 未送达 and `npx duban outbox list`). */
  hint: string;
  permanent: boolean;
}

const P = (reason: string, hint: string): SendErrorInfo => ({ reason, hint, permanent: true });
const T = (reason: string, hint = '无需处理，系统会自动重试'): SendErrorInfo => ({ reason, hint, permanent: false });

const RESEND = '处理后用「npx duban outbox retry <编号>」重发';

/** Every code in Feishu's send/reply error tables, plus the generic ones the sender meets. */
export const SEND_ERRORS: Record<number, SendErrorInfo> = {
  230001: P('消息参数无效', `多为程序问题，请把编号和原因转给运维人员；${RESEND}`),
  230002: P('机器人不在该群', `请把机器人重新拉进该群，${RESEND}；或在群里重新发送「本群设为 …」`),
  230006: P('机器人能力未启用', `请在飞书开发者后台为应用开启“机器人”能力并发布版本，${RESEND}`),
  230011: P('被回复的消息已撤回', '原消息已撤回，回复已改为直接发送；无需处理'),
  230012: P('不是机器人发送的消息，无法操作', '无需处理'),
  230013: P('对方不在应用的可用范围内（或已离职）', `请在飞书管理后台把此人加入应用可用范围，或更换该单位联络员，${RESEND}`),
  230015: P('单聊消息不能转发分享', '无需处理'),
  230017: P('消息引用了不属于本应用的资源（如图片）', `多为程序问题，请转给运维人员；${RESEND}`),
  230018: P('群设置禁止机器人发言', `请群主在群设置中允许机器人发言，${RESEND}`),
  230019: P('话题不存在', '原话题已删除；无需处理'),
  230022: P('消息内容含敏感词，被飞书拦截', '请修改相关内容后重新发起'),
  230025: P('消息内容过长（超过飞书上限）', `请转给运维人员缩短内容；${RESEND}`),
  230027: P('没有权限发送（外部群或权限不足）', `请检查应用权限和群类型（外部群需开通对外共享），${RESEND}`),
  230028: P('消息含明文手机号或邮箱，被数据防泄漏策略拦截', '请去掉手机号、邮箱后重新发起'),
  230029: P('对方已离职', '请更换该单位联络员（绑定新的联络员）'),
  230034: P('接收人 ID 无效', `请核对人员的 open_id（npx duban people list），${RESEND}`),
  230035: P('对方已将机器人禁言、屏蔽，或租户策略禁止', `请联系对方恢复接收机器人消息，${RESEND}`),
  230036: P('租户策略禁止发送', '请联系飞书管理员检查安全策略'),
  230038: P('不能跨租户发送单聊消息', '请改为本租户的人员'),
  230053: P('对方已停用机器人', `请联系对方在飞书中重新启用机器人，${RESEND}`),
  230054: P('该会话不允许此类消息', '请转给运维人员'),
  230055: P('文件类型与消息类型不符', '请转给运维人员'),
  230071: P('该消息不能在话题中回复', '无需处理'),
  230072: P('该消息不能在话题中回复', '无需处理'),
  230075: P('密聊会话不支持机器人消息', '请改用普通会话'),
  230099: P('卡片内容无效', `请转给运维人员检查卡片（飞书子错误码见原因）；${RESEND}`),
  230110: P('消息已被删除', '无需处理'),
  230111: P('阅后即焚消息不能回复', '无需处理'),
  232009: P('群已解散', '请在新群里重新发送「本群设为 …」；通知已改为私信'),
  99991672: P('应用缺少发送消息权限', `请在开发者后台开通 im:message:send_as_bot 等权限并发布版本，${RESEND}`),
  99991679: P('用户缺少相应权限', '请联系飞书管理员'),
  99991543: P('应用凭证无效（App Secret 错误）', `请检查 LARK_APP_ID / LARK_APP_SECRET 后重启，${RESEND}`),
  99991662: P('应用已停用', `请在飞书管理后台启用应用，${RESEND}`),
  99991673: P('应用已下架或未安装', `请在飞书管理后台重新安装应用，${RESEND}`),
  99992402: P('请求参数无效', `多为程序问题，请转给运维人员；${RESEND}`),
  // Transient: retried with the same uuid until Feishu takes the message.
  99991400: T('应用发送频率超限'),
  230020: T('对该用户或群发送过于频繁'),
  230023: T('对方未读加急过多'),
  230049: T('消息正在发送中'),
  11232: T('发送频率超限'),
  11233: T('发送频率超限'),
  1500: T('飞书内部错误'),
  2200: T('飞书内部错误'),
  99991661: T('访问凭证缺失，已重新获取'),
  99991663: T('访问凭证失效，已重新获取'),
  99991668: T('访问凭证失效，已重新获取'),
  99991677: T('访问凭证过期，已重新获取'),
};

/** Token errors: the cached tenant token is dropped and the call retried once with a new one. */
export const TOKEN_ERRORS = new Set([99991661, 99991663, 99991668, 99991677]);

export function sendErrorInfo(code: number | null | undefined): SendErrorInfo | undefined {
  return code == null ? undefined : SEND_ERRORS[code];
}

/** The hint for a stored failure (by its code); a generic one for codes outside the tables. */
export function hintFor(code: number | null | undefined): string {
  if (code === -2) return `消息本身有问题（如卡片无法生成），请转给运维人员；${RESEND}`;
  return sendErrorInfo(code)?.hint ?? `请转给运维人员查看；${RESEND}`;
}
