// The buzz step (加急, LARK.md §5): after a reminder or 催办 about an assignment is sent, and the assignment is overdue
// by at least the office's `加急 <天数>` (settings 'evidence_policy'.urgentAfterOverdueDays), the bot buzzes the
// receivers in-app (PATCH …/messages/:id/urgent_app). Where Feishu does not allow it (no im:message.urgent scope,
// quota, the chat's setting: 230027, 230024, 230023, 99991672, …) a plain text message says the same instead.
// Keyed on the outbox row (purpose 'reminder', sent): urgent_log's primary key claims each row once, so overlapping
// runs and restarts never buzz a message twice (src/db/urgent-store.ts). Runs every minute beside the outbox sender
// (node.ts, worker.ts).
import type { AppDeps } from '../deps.js';
import { outboxInsert } from '../db/outbox-store.js';
import { runBatch } from '../db/batch.js';
import { claimUrgent, releaseUrgent, unbuzzedReminders, urgentResult } from '../db/urgent-store.js';
import { assignmentLabel } from '../domain/assignment-view.js';
import { shanghaiDate } from '../domain/dates.js';
import { unitContactOpenIds } from '../db/people-store.js';
import { assignmentView } from '../db/task-store.js';
import { getEvidencePolicy } from '../db/evidence-store.js';

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
  const rows = await unbuzzedReminders(deps.db, now - BUZZ_WITHIN_MS, limit);
  const today = shanghaiDate(now);
  for (const o of rows) {
    const v = await assignmentView(deps.db, o.assignmentId!, today);
    const due = !!v && v.assessment.open && v.assessment.overdueDays > 0 && v.assessment.overdueDays >= policy.urgentAfterOverdueDays;
    if (!(await claimUrgent(deps.db, o.id, o.messageId!, due ? 'pending' : 'skipped', now))) continue;
    if (!due || !v) {
      out.skipped++;
      continue;
    }
    const ids = o.receiveIdType === 'open_id' && o.receiveId ? [o.receiveId] : await unitContactOpenIds(deps.db, v.unit.id);
    if (ids.length === 0) {
      await urgentResult(deps.db, o.id, 'skipped', 'no contacts');
      out.skipped++;
      continue;
    }
    const r = await deps.larkIm.urgentApp(o.messageId!, ids);
    if (r.ok) {
      await urgentResult(deps.db, o.id, 'buzzed', r.value.invalid.length ? `invalid: ${r.value.invalid.join(',')}` : null);
      out.buzzed++;
      continue;
    }
    if (!r.error.permanent) {
      // Try again on the next run.
      await releaseUrgent(deps.db, o.id);
      deps.logger.warn('urgent_app failed, will retry', { outboxId: o.id, code: r.error.code });
      continue;
    }
    const text = `【加急】${assignmentLabel(v)} ${v.task.title} 已逾期 ${v.assessment.overdueDays} 天，请立即报送进度（回复上一条提醒即可）。`;
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
      urgentResult(deps.db, o.id, 'fallback', r.error.reason),
    ]);
    deps.logger.warn('urgent_app not allowed: sent a plain message instead', { outboxId: o.id, code: r.error.code });
    out.fallback++;
  }
  return out;
}
