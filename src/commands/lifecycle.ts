// Feishu lifecycle events: the bot added to a chat (a greeting that says how to register it), removed from a chat
// or the chat disbanded (the chat stops being a target; its unsent messages go to people by direct message; the
// office is told), a message recalled (a progress report it made is withdrawn), a person opening the bot chat
// (a welcome by role, at most once a day). Every write is keyed by the event so a re-push changes nothing.
import type { AppDeps } from '../deps.js';
import type { Db } from '../db/client.js';
import {
  assignmentWithNames,
  hasLaterLiveReport,
  liveReportsOfMessage,
  markReportWithdrawn,
  messageStillPending,
  personOpenId,
  previousLiveReportAt,
  reportAuditDetail,
  restoreAssignment,
} from '../db/assignment-store.js';
import { auditInsert, actorOf } from '../db/audit.js';
import { runBatch } from '../db/batch.js';
import {
  cancelStranded,
  chatById,
  deleteChat,
  leaderOpenIds,
  officeChatIds,
  rerouteToPerson,
  strandedOutbox,
  unitNameById,
  unitNamesByIds,
} from '../db/chat-store.js';
import { outboxInsert } from '../db/outbox-store.js';
import { withdrawReport } from '../domain/assignment.js';
import { shanghaiDate } from '../domain/dates.js';
import type { LifecycleEvent, OutboundMessage, RecallType } from '../domain/types.js';
import { resolveActor, officeOpenIds, unitContactOpenIds } from '../db/people-store.js';
import { removeEvidenceForMessage } from '../db/evidence-store.js';

type Deps = Pick<AppDeps, 'db' | 'config' | 'logger' | 'evidenceStore'>;
type Recipient = Pick<OutboundMessage, 'receiveIdType' | 'receiveId'>;

const PURPOSE_ZH: Record<string, string> = { office: '办公室群', leaders: '领导群', unit: '单位群' };

export async function handleLifecycle(deps: Deps, ev: LifecycleEvent, eventId: string, now: number): Promise<void> {
  switch (ev.type) {
    case 'bot_added':
      return greetChat(deps, ev, eventId, now);
    case 'bot_removed':
      return forgetChat(deps, ev, eventId, now);
    case 'recalled': {
      await withdrawReports(deps, ev.messageId, eventId, now, ev.recallType);
      // Files the message brought (photos, scans) go with it: the rows, and each stored file no other message uses.
      const removed = await removeEvidenceForMessage(deps.db, deps.evidenceStore ?? undefined, ev.messageId, now);
      if (removed.length) deps.logger.info('evidence removed: message recalled', { messageId: ev.messageId, files: removed.length });
      return;
    }
    case 'p2p_entered':
      return welcome(deps, ev.openId, now);
  }
}

const text = (dedupeKey: string, to: Recipient, body: string, extra: Partial<OutboundMessage> = {}): OutboundMessage => ({
  dedupeKey,
  op: 'send',
  ...to,
  msgType: 'text',
  content: { text: body },
  purpose: 'notice',
  ...extra,
});

async function chatLabel(db: Db, row: { purpose: string; unitId: number | null }): Promise<string> {
  if (row.purpose === 'unit' && row.unitId) {
    const name = await unitNameById(db, row.unitId);
    if (name) return `${name}群`;
  }
  return PURPOSE_ZH[row.purpose] ?? row.purpose;
}

async function greetChat(deps: Deps, ev: Extract<LifecycleEvent, { type: 'bot_added' }>, eventId: string, now: number) {
  const reg = await chatById(deps.db, ev.chatId);
  const body = reg
    ? `大家好，我是督办机器人。本群已登记为「${await chatLabel(deps.db, reg)}」，相关提醒和通知会发到本群。` +
      `\n如需更改，请办公室成员在群里 @我 发送「本群设为 办公室群」「本群设为 领导群」或「本群设为 <单位>群」。发送「帮助」查看命令。`
    : '大家好，我是督办机器人，负责提醒任务期限、收集进度。' +
      '\n请办公室成员在本群 @我 发送「本群设为 <用途>」登记本群：「本群设为 办公室群」「本群设为 领导群」或「本群设为 <单位>群」（例如「本群设为 安定区群」）。' +
      '\n登记后，该单位的提醒、办公室通知或周报会发到本群；未登记的群不会收到提醒。发送「帮助」查看命令。';
  await runBatch(deps.db, [
    outboxInsert(deps.db, text(`greet:${ev.chatId}:${eventId}`, { receiveIdType: 'chat_id', receiveId: ev.chatId }, body), now),
    auditInsert(deps.db, { at: now, actor: 'system', channel: 'lark', action: 'chat.bot_added', entity: 'chat', entityId: ev.chatId, detail: { name: ev.chatName ?? null, operator: ev.operatorOpenId ?? null } }),
  ]);
}

/** Who gets, by direct message, what a chat of this purpose would have got. */
async function fallbackPeople(deps: Deps, purpose: string, unitId: number | null): Promise<string[]> {
  const db = deps.db;
  if (purpose === 'unit' && unitId) return unitContactOpenIds(db, unitId);
  if (purpose === 'leaders') return leaderOpenIds(db);
  return [...new Set([...deps.config.OFFICE_OPEN_IDS, ...(await officeOpenIds(db))])];
}

async function forgetChat(deps: Deps, ev: Extract<LifecycleEvent, { type: 'bot_removed' }>, eventId: string, now: number) {
  const db = deps.db;
  const reg = await chatById(db, ev.chatId);
  // Messages still waiting for this chat (or failed for it) will never arrive there. One being sent right now is
  // left to its sender (it fails with 230002/232009 and shows under 未送达), so it can never go out twice.
  const stranded = await strandedOutbox(db, ev.chatId);
  const why = ev.reason === 'disbanded' ? '群已解散' : '机器人已被移出群';
  const q: unknown[] = [];
  if (reg) q.push(deleteChat(db, ev.chatId));
  let rerouted = 0;
  if (stranded.length) {
    const ids = stranded.map((r) => r.id);
    q.push(cancelStranded(db, ids, `${why}，已改为私信发送`, ev.reason === 'disbanded' ? 232009 : 230002));
    // The purpose decides who reads it instead; a chat never registered (e.g. a reply in it) has nobody to fall back to.
    const to = reg ? await fallbackPeople(deps, reg.purpose, reg.unitId) : [];
    for (const row of stranded) {
      if (row.op !== 'send') continue;
      for (const openId of to) {
        rerouted += 1;
        q.push(rerouteToPerson(db, row, openId, now));
      }
    }
  }
  q.push(
    auditInsert(db, {
      at: now,
      actor: 'system',
      channel: 'lark',
      action: ev.reason === 'disbanded' ? 'chat.disbanded' : 'chat.bot_removed',
      entity: 'chat',
      entityId: ev.chatId,
      detail: { name: ev.chatName ?? null, registered: reg ? { purpose: reg.purpose, unitId: reg.unitId } : null, rerouted, operator: ev.operatorOpenId ?? null },
    }),
  );
  if (reg || stranded.length) {
    const name = ev.chatName ? `「${ev.chatName}」` : `（${ev.chatId}）`;
    const label = reg ? `，原登记为${await chatLabel(db, reg)}` : '';
    const body =
      `【群变动】${ev.reason === 'disbanded' ? `群${name}已解散` : `机器人已被移出群${name}`}${label}。` +
      (reg ? '此后原本发到该群的提醒和通知改为私信发给相关人员。' : '') +
      (rerouted ? `尚未发出的 ${stranded.length} 条消息已改为私信（共 ${rerouted} 条）。` : stranded.length ? `有 ${stranded.length} 条消息无法再发到该群。` : '') +
      (reg ? '\n如需恢复，请把机器人拉回群（或新建群拉入机器人），在群里发送「本群设为 …」。' : '');
    // The office hears it where its notices go now: its other chats, else each office member.
    const officeChats = await officeChatIds(db, ev.chatId);
    const to: Recipient[] = officeChats.length
      ? officeChats.map((chatId) => ({ receiveIdType: 'chat_id' as const, receiveId: chatId }))
      : (await fallbackPeople(deps, 'office', null)).map((id) => ({ receiveIdType: 'open_id' as const, receiveId: id }));
    for (const r of to) q.push(outboxInsert(db, text(`notice:chat_gone:${ev.chatId}:${eventId}:${r.receiveId}`, r, body), now));
  }
  await runBatch(db, q);
}

/** Who recalled it, as the reporter and the office read it (missing type: the sender, as before Feishu sent it). */
const RECALLED_BY: Record<RecallType, string> = {
  message_owner: '申报人',
  group_owner: '群主',
  group_manager: '群管理员',
  enterprise_manager: '企业管理员',
};

async function withdrawReports(deps: Deps, messageId: string, eventId: string, now: number, recallType: RecallType = 'message_owner') {
  const by = RECALLED_BY[recallType] ?? RECALLED_BY.message_owner;
  const own = recallType === 'message_owner';
  const db = deps.db;
  const reps = await liveReportsOfMessage(db, messageId);
  if (reps.length === 0) {
    // The recall can overtake the message itself (acknowledged, still waiting to be processed): try again later
    // (the inbox retries with backoff) rather than let the report it will make stand.
    if (await messageStillPending(db, messageId)) throw new Error(`recalled message ${messageId} is not processed yet`);
    return;
  }
  for (const rep of reps) {
    const found = await assignmentWithNames(db, rep.assignmentId);
    if (!found) continue;
    const { asg, task, unit } = found;
    const label = `${task?.code ?? ''}（${unit?.name ?? ''}）`;
    // The state before the report, from its audit entry; restored only when nothing changed the assignment since.
    const detail = ((await reportAuditDetail(db, asg.id, rep.kind, rep.createdAt)) ?? {}) as {
      from?: { state?: string; percent?: number };
      to?: { state?: string; percent?: number };
    };
    const out = withdrawReport(asg, { kind: rep.kind, before: detail.from, after: detail.to, laterReport: await hasLaterLiveReport(db, asg.id, rep.id) });
    const restore = out.restore !== null;
    const previousAt = await previousLiveReportAt(db, asg.id, rep.id);
    const q: unknown[] = [markReportWithdrawn(db, rep.id, now)];
    if (out.restore) {
      q.push(
        restoreAssignment(db, asg, {
          state: out.restore.state,
          percent: out.restore.percent,
          ...(out.restore.clearClaim ? { claimedAt: null } : {}),
          lastReportAt: previousAt,
          updatedAt: now,
        }),
      );
    }
    q.push(
      auditInsert(db, {
        at: now,
        actor: actorOf(rep.personId),
        personId: rep.personId,
        channel: 'lark',
        action: 'assignment.withdrawn',
        entity: 'assignment',
        entityId: asg.id,
        detail: { task: task?.code ?? null, unit: unit?.name ?? null, reportId: rep.id, kind: rep.kind, messageId, recallType, restored: restore, from: { state: asg.state, percent: asg.percent }, to: restore ? detail.from : null },
      }),
    );
    const what = rep.kind === 'done_claim' ? '完成申报' : rep.kind === 'no_change' ? '无变化报送' : rep.kind === 'note' ? '进展说明' : `进度报送（${rep.percent ?? 0}%）`;
    const after = restore
      ? `已恢复为撤回前的状态：进度 ${detail.from!.percent}%。`
      : '之后已有新的报送或办公室处理，任务状态保持不变。';
    const openId = rep.personId ? await personOpenId(db, rep.personId) : null;
    if (openId) {
      q.push(
        outboxInsert(
          db,
          text(`withdrawn:${rep.id}:${eventId}`, { receiveIdType: 'open_id', receiveId: openId }, `${own ? `你撤回了 ${label} 的${what}` : `${by}撤回了你的消息，${label} 的${what}随之撤回`}，该报送已标记为「已撤回」。${after}如需重新报送，请再发送一次。`, {
            taskId: task?.id ?? null,
            assignmentId: asg.id,
          }),
          now,
        ),
      );
    }
    if (out.notifyOffice) {
      const officeChats = await officeChatIds(db);
      const to: Recipient[] = officeChats.length
        ? officeChats.map((chatId) => ({ receiveIdType: 'chat_id' as const, receiveId: chatId }))
        : (await fallbackPeople(deps, 'office', null)).map((id) => ({ receiveIdType: 'open_id' as const, receiveId: id }));
      for (const r of to)
        q.push(outboxInsert(db, text(`notice:withdrawn:${rep.id}:${r.receiveId}`, r, `【已撤回】${label} 的完成申报已被${by}撤回${own ? '' : '（撤回了申报消息）'}，无需核验。`, { taskId: task?.id ?? null, assignmentId: asg.id }), now));
    }
    await runBatch(db, q);
  }
}

async function welcome(deps: Deps, openId: string, now: number) {
  const actor = await resolveActor(deps, { openId }, now);
  let body: string;
  if (actor.roles.includes('office')) {
    body =
      '您好，我是督办机器人。您是办公室成员：发送「待办」查看待处理事项，「统计」「逾期」「临期」了解全局，' +
      '「未送达」查看没能送达的消息，「帮助」查看全部命令。';
  } else if (actor.roles.includes('contact')) {
    const names = (await unitNamesByIds(deps.db, actor.unitIds)).join('、');
    body =
      `您好，我是督办机器人。您是${names ? ` ${names} 的` : ''}联络员：发送「我的任务」查看本单位任务；` +
      '直接回复提醒卡片（如“60% 已完成排查”）或发送「进度 <编号> 60%」报送进度；「帮助」查看全部命令。';
  } else if (actor.roles.includes('leader')) {
    body = '您好，我是督办机器人。发送「周报」查看本周督办周报，「统计」「逾期」了解进展，「帮助」查看全部命令。';
  } else {
    body =
      '您好，我是督办机器人，负责提醒任务期限、收集进度。您还没有绑定单位：请发送「绑定 <单位名称>」（例如「绑定 安定区」），' +
      '办公室同意后即可收到本单位的提醒并报送进度。发送「帮助」查看命令。';
  }
  // One welcome per person per (Shanghai) day, however often the chat is opened.
  await runBatch(deps.db, [
    outboxInsert(deps.db, text(`welcome:${openId}:${shanghaiDate(now)}`, { receiveIdType: 'open_id', receiveId: openId }, body), now),
  ]);
}
