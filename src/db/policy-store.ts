// The office-changeable reminder policy, kept in `settings` under 'reminder_policy'; defaults live in code.
import { eq } from 'drizzle-orm';
import type { Db } from './client.js';
import { auditInsert } from './audit.js';
import { runBatch } from './batch.js';
import { settings } from './schema.js';
import { DEFAULT_POLICY, reminderPolicySchema, type ReminderPolicy } from '../domain/reminder-plan.js';
import { DubanError } from '../domain/errors.js';

export const POLICY_KEY = 'reminder_policy';

export class PolicyError extends DubanError {
  constructor(message: string) {
    super('policy_invalid', message);
  }
}

/** The stored policy merged over the defaults. A stored value that no longer validates falls back to defaults. */
export async function getPolicy(db: Db): Promise<{ policy: ReminderPolicy; stored: boolean; invalid?: string }> {
  const rows = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, POLICY_KEY));
  if (rows.length === 0) return { policy: DEFAULT_POLICY, stored: false };
  const res = reminderPolicySchema.safeParse(rows[0]!.value);
  if (!res.success) return { policy: DEFAULT_POLICY, stored: true, invalid: formatIssues(res.error.issues) };
  return { policy: res.data, stored: true };
}

/** Validate and store a (partial) policy: missing fields keep their defaults. Throws PolicyError in Chinese. */
export async function setPolicy(
  db: Db,
  input: unknown,
  opts: { now: number; actor?: string; personId?: number | null; channel?: string },
): Promise<ReminderPolicy> {
  const res = reminderPolicySchema.safeParse(input);
  if (!res.success) {
    throw new PolicyError(
      `提醒策略无效：${formatIssues(res.error.issues)}。可设置的字段：beforeWorkdays（如 [10,3,1]）、onDueDay（true/false）、` +
        'afterEveryWorkdays（如 3）、afterThinning（如 [{"fromWorkdays":15,"everyWorkdays":5}]）、finalWarningsWithinWorkdays（如 3）、' +
          'recheckClaimAfterWorkdays（如 5）、escalateToOfficeAfter（如 2）、escalateToLeadersAfter（如 4）、periodicEvery（monthly|quarterly|off）。',
    );
  }
  const policy = res.data;
  if (policy.escalateToLeadersAfter > 0 && policy.escalateToOfficeAfter > policy.escalateToLeadersAfter) {
    throw new PolicyError('提醒策略无效：escalateToLeadersAfter 不能小于 escalateToOfficeAfter（先报办公室，再报领导）。');
  }
  await runBatch(db, [
    db
      .insert(settings)
      .values({ key: POLICY_KEY, value: policy, updatedAt: opts.now })
      .onConflictDoUpdate({ target: settings.key, set: { value: policy, updatedAt: opts.now } }),
    auditInsert(db, {
      at: opts.now,
      actor: opts.actor ?? 'cli',
      personId: opts.personId ?? null,
      channel: opts.channel ?? 'cli',
      action: 'policy.set',
      entity: 'settings',
      entityId: POLICY_KEY,
      detail: { policy },
    }),
  ]);
  return policy;
}

function formatIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues.map((i) => `${i.path.map(String).join('.') || '(整体)'}：${i.message}`).join('；');
}
