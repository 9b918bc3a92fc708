// Feishu lifecycle events: the bot added to a chat (a greeting that says how to register it), removed from a chat
// or the chat disbanded (the chat stops being a target; its unsent messages go to people by direct message; the
// office is told), a message recalled (a progress report it made is withdrawn), a person opening the bot chat
// (a welcome by role, at most once a day). Every write is keyed by the event so a re-push changes nothing.
import { and, desc, eq, gt, inArray, isNull, ne } from 'drizzle-orm';
import type { AppDeps } from '../deps.js';
import type { Db } from '../db/client.js';
import { auditInsert, actorOf } from '../db/audit.js';
import { runBatch } from '../db/batch.js';
import { outboxInsert, outboxUuid } from '../db/outbox-store.js';
import { assignments, auditLog, chats, inboundEvents, outbox, people, progressReports, roles, tasks, units } from '../db/schema.js';
import { shanghaiDate } from '../domain/dates.js';
import type { LifecycleEvent, OutboundMessage, RecallType } from '../domain/types.js';
import { resolveActor } from './actor.js';
import { officeOpenIds, unitContactOpenIds } from './store.js';
import { removeEvidenceForMessage } from '../evidence/store.js';

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
    const u = (await db.select({ name: units.name }).from(units).where(eq(units.id, row.unitId)))[0];
    if (u) return `${u.name}群`;
  }
  return PURPOSE_ZH[row.purpose] ?? row.purpose;
}

async function greetChat(deps: Deps, ev: Extract<LifecycleEvent, { type: 'bot_added' }>, eventId: string, now: number) {
  const reg = (await deps.db.select().from(chats).where(eq(chats.chatId, ev.chatId)))[0];
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
  if (purpose === 'leaders') {
    const rows = await db
      .select({ openId: people.openId })
      .from(roles)
      .innerJoin(people, eq(people.id, roles.personId))
      .where(eq(roles.role, 'leader'));
    return [...new Set(rows.map((r) => r.openId).filter((x): x is string => !!x))];
  }
  return [...new Set([...deps.config.OFFICE_OPEN_IDS, ...(await officeOpenIds(db))])];
}

async function forgetChat(deps: Deps, ev: Extract<LifecycleEvent, { type: 'bot_removed' }>, eventId: string, now: number) {
  const db = deps.db;
  const reg = (await db.select().from(chats).where(eq(chats.chatId, ev.chatId)))[0];
  // Messages still waiting for this chat (or failed for it) will never arrive there. One being sent right now is
  // left to its sender (it fails with 230002/232009 and shows under 未送达), so it can never go out twice.
  const stranded = await db
    .select()
    .from(outbox)
    .where(and(eq(outbox.receiveIdType, 'chat_id'), eq(outbox.receiveId, ev.chatId), inArray(outbox.status, ['pending', 'failed'])));
  const why = ev.reason === 'disbanded' ? '群已解散' : '机器人已被移出群';
  const q: unknown[] = [];
  if (reg) q.push(db.delete(chats).where(eq(chats.chatId, ev.chatId)));
  let rerouted = 0;
  if (stranded.length) {
    const ids = stranded.map((r) => r.id);
    q.push(
      db
        .update(outbox)
        .set({ status: 'cancelled', claimedUntil: null, lastError: `${why}，已改为私信发送`, errorCode: ev.reason === 'disbanded' ? 232009 : 230002 })
        .where(and(inArray(outbox.id, ids), inArray(outbox.status, ['pending', 'failed']))),
    );
    // The purpose decides who reads it instead; a chat never registered (e.g. a reply in it) has nobody to fall back to.
    const to = reg ? await fallbackPeople(deps, reg.purpose, reg.unitId) : [];
    for (const row of stranded) {
      if (row.op !== 'send') continue;
      for (const openId of to) {
        const key = `${row.dedupeKey}:dm:${openId}`;
        rerouted += 1;
        q.push(
          db
            .insert(outbox)
            .values({
              dedupeKey: key,
              uuid: outboxUuid(key),
              op: 'send',
              receiveIdType: 'open_id',
              receiveId: openId,
              msgType: row.msgType,
              content: row.content,
              purpose: row.purpose,
              taskId: row.taskId,
              assignmentId: row.assignmentId,
              status: 'pending',
              nextAttemptAt: now,
              // Kept from the original: it goes out in its place in the queue, and says so if it is late.
              createdAt: row.createdAt,
              dueAt: row.dueAt ?? row.createdAt,
            })
            .onConflictDoNothing({ target: outbox.dedupeKey }),
        );
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
    const officeChats = await db.select({ chatId: chats.chatId }).from(chats).where(and(eq(chats.purpose, 'office'), ne(chats.chatId, ev.chatId)));
    const to: Recipient[] = officeChats.length
      ? officeChats.map((c) => ({ receiveIdType: 'chat_id' as const, receiveId: c.chatId }))
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
  const reps = await db
    .select()
    .from(progressReports)
    .where(and(eq(progressReports.sourceMessageId, messageId), isNull(progressReports.withdrawnAt)));
  if (reps.length === 0) {
    // The recall can overtake the message itself (acknowledged, still waiting to be processed): try again later
    // (the inbox retries with backoff) rather than let the report it will make stand.
    const seen = (await db.select({ owner: inboundEvents.payload }).from(inboundEvents).where(eq(inboundEvents.key, `message:${messageId}`)))[0];
    const owner = seen?.owner ? (await db.select({ status: inboundEvents.status }).from(inboundEvents).where(eq(inboundEvents.key, seen.owner)))[0] : undefined;
    if (owner?.status === 'pending') throw new Error(`recalled message ${messageId} is not processed yet`);
    return;
  }
  for (const rep of reps) {
    const asg = (await db.select().from(assignments).where(eq(assignments.id, rep.assignmentId)))[0];
    if (!asg) continue;
    const task = (await db.select({ id: tasks.id, code: tasks.code }).from(tasks).where(eq(tasks.id, asg.taskId)))[0];
    const unit = (await db.select({ name: units.name }).from(units).where(eq(units.id, asg.unitId)))[0];
    const label = `${task?.code ?? ''}（${unit?.name ?? ''}）`;
    // The state before the report, from its audit entry; restored only when nothing changed the assignment since.
    const audit = (
      await db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.entity, 'assignment'), eq(auditLog.entityId, String(asg.id)), eq(auditLog.action, `assignment.${rep.kind}`), eq(auditLog.at, rep.createdAt)))
        .orderBy(desc(auditLog.id))
        .limit(1)
    )[0];
    const detail = (audit?.detail ?? {}) as { from?: { state?: string; percent?: number }; to?: { state?: string; percent?: number } };
    const later = await db
      .select({ id: progressReports.id })
      .from(progressReports)
      .where(and(eq(progressReports.assignmentId, asg.id), gt(progressReports.id, rep.id), isNull(progressReports.withdrawnAt)))
      .limit(1);
    const unchanged = detail.to && asg.state === detail.to.state && asg.percent === detail.to.percent;
    const restore = !!detail.from?.state && typeof detail.from.percent === 'number' && later.length === 0 && unchanged;
    const previous = await db
      .select({ createdAt: progressReports.createdAt })
      .from(progressReports)
      .where(and(eq(progressReports.assignmentId, asg.id), ne(progressReports.id, rep.id), isNull(progressReports.withdrawnAt)))
      .orderBy(desc(progressReports.createdAt))
      .limit(1);
    const q: unknown[] = [db.update(progressReports).set({ withdrawnAt: now }).where(and(eq(progressReports.id, rep.id), isNull(progressReports.withdrawnAt)))];
    if (restore) {
      q.push(
        db
          .update(assignments)
          .set({
            state: detail.from!.state!,
            percent: detail.from!.percent!,
            ...(detail.from!.state !== 'claimed' ? { claimedAt: null } : {}),
            lastReportAt: previous[0]?.createdAt ?? null,
            updatedAt: now,
          })
          .where(and(eq(assignments.id, asg.id), eq(assignments.state, asg.state), eq(assignments.percent, asg.percent))),
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
    const person = rep.personId ? (await db.select({ openId: people.openId }).from(people).where(eq(people.id, rep.personId)))[0] : undefined;
    if (person?.openId) {
      q.push(
        outboxInsert(
          db,
          text(`withdrawn:${rep.id}:${eventId}`, { receiveIdType: 'open_id', receiveId: person.openId }, `${own ? `你撤回了 ${label} 的${what}` : `${by}撤回了你的消息，${label} 的${what}随之撤回`}，该报送已标记为「已撤回」。${after}如需重新报送，请再发送一次。`, {
            taskId: task?.id ?? null,
            assignmentId: asg.id,
          }),
          now,
        ),
      );
    }
    if (rep.kind === 'done_claim') {
      const officeChats = await db.select({ chatId: chats.chatId }).from(chats).where(eq(chats.purpose, 'office'));
      const to: Recipient[] = officeChats.length
        ? officeChats.map((c) => ({ receiveIdType: 'chat_id' as const, receiveId: c.chatId }))
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
    const names = actor.unitIds.length
      ? (await deps.db.select({ name: units.name }).from(units).where(inArray(units.id, actor.unitIds))).map((u) => u.name).join('、')
      : '';
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
