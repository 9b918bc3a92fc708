// The buzz step (加急, LARK.md §5): after a reminder or 催办 about an assignment is sent, and the assignment is overdue
// by at least the office's `加急 <天数>` (settings 'evidence_policy'.urgentAfterOverdueDays), the bot buzzes the
// receivers in-app (PATCH …/messages/:id/urgent_app). Where Feishu does not allow it (no im:message.urgent scope,
// quota, the chat's setting: 230027, 230024, 230023, 99991672, …) a plain text message says the same instead.
// Keyed on the outbox row (purpose 'reminder', sent): urgent_log's primary key claims each row once, so overlapping
// runs and restarts never buzz a message twice. Runs every minute beside the outbox sender (node.ts, worker.ts).
import { and, eq, gte, isNotNull, isNull } from 'drizzle-orm';
import type { AppDeps } from '../deps.js';
import { outboxInsert } from '../db/outbox-store.js';
import { runBatch } from '../db/batch.js';
import { outbox, urgentLog } from '../db/schema.js';
import { shanghaiDate } from '../domain/dates.js';
import { label } from '../commands/record.js';
import { unitContactOpenIds } from '../db/people-store.js';
import { assignmentView } from '../db/task-store.js';
import { getEvidencePolicy } from './store.js';

/** Only reminders sent this recently are buzzed (an old one is not worth interrupting for). */
const BUZZ_WITHIN_MS = 24 * 3600_000;

export interface UrgentRun {
  buzzed: number;
  fallback: number;
  skipped: number;
}

export async function runUrgentStep(deps: Pick<AppDeps, 'db' | 'larkIm' | 'logger' | 'config'>, now: number, limit = 50): Promise<UrgentRun> {
  const out: UrgentRun = { buzzed: 0, fallback: 0, skipped: 0 };
  const policy = await getEvidencePolicy(deps.db);
  if (policy.urgentAfterOverdueDays === null || !deps.larkIm) return out;
  const rows = await deps.db
    .select({ o: outbox })
    .from(outbox)
    .leftJoin(urgentLog, eq(urgentLog.outboxId, outbox.id))
    .where(
      and(
        eq(outbox.purpose, 'reminder'),
        eq(outbox.status, 'sent'),
        eq(outbox.op, 'send'),
        isNotNull(outbox.messageId),
        isNotNull(outbox.assignmentId),
        gte(outbox.sentAt, now - BUZZ_WITHIN_MS),
        isNull(urgentLog.outboxId),
      ),
    )
    .limit(limit);
  const today = shanghaiDate(now);
  for (const { o } of rows) {
    const v = await assignmentView(deps.db, o.assignmentId!, today);
    const due = !!v && v.assessment.open && v.assessment.overdueDays > 0 && v.assessment.overdueDays >= policy.urgentAfterOverdueDays;
    const claimed = await deps.db
      .insert(urgentLog)
      .values({ outboxId: o.id, messageId: o.messageId!, result: due ? 'pending' : 'skipped', createdAt: now })
      .onConflictDoNothing({ target: urgentLog.outboxId })
      .returning({ id: urgentLog.outboxId });
    if (claimed.length === 0) continue;
    if (!due || !v) {
      out.skipped++;
      continue;
    }
    const ids = o.receiveIdType === 'open_id' && o.receiveId ? [o.receiveId] : await unitContactOpenIds(deps.db, v.unit.id);
    if (ids.length === 0) {
      await deps.db.update(urgentLog).set({ result: 'skipped', detail: 'no contacts' }).where(eq(urgentLog.outboxId, o.id));
      out.skipped++;
      continue;
    }
    const r = await deps.larkIm.urgentApp(o.messageId!, ids);
    if (r.ok) {
      await deps.db
        .update(urgentLog)
        .set({ result: 'buzzed', detail: r.value.invalid.length ? `invalid: ${r.value.invalid.join(',')}` : null })
        .where(eq(urgentLog.outboxId, o.id));
      out.buzzed++;
      continue;
    }
    if (!r.permanent) {
      // Try again on the next run.
      await deps.db.delete(urgentLog).where(eq(urgentLog.outboxId, o.id));
      deps.logger.warn('urgent_app failed, will retry', { outboxId: o.id, code: r.code });
      continue;
    }
    const text = `【加急】${label(v)} ${v.task.title} 已逾期 ${v.assessment.overdueDays} 天，请立即报送进度（回复上一条提醒即可）。`;
    await runBatch(deps.db, [
      ...ids.map((id) =>
        outboxInsert(
          deps.db,
          {
            dedupeKey: `urgent-fallback:${o.id}:${id}`,
            op: 'send',
            receiveIdType: 'open_id',
            receiveId: id,
            msgType: 'text',
            content: { text },
            purpose: 'notice',
            taskId: v.task.id,
            assignmentId: v.asg.id,
          },
          now,
        ),
      ),
      deps.db.update(urgentLog).set({ result: 'fallback', detail: r.reason }).where(eq(urgentLog.outboxId, o.id)),
    ]);
    deps.logger.warn('urgent_app not allowed: sent a plain message instead', { outboxId: o.id, code: r.code });
    out.fallback++;
  }
  return out;
}
