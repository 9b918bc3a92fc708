// The plan loader: upsert a PlanFile into the database (plan, units, tasks, deadlines, assignments, targets) and
// report what changed. Re-applying a revised plan updates in place; progress is never dropped. Four steps, each its
// own module: read the stored state (readPlanState, src/db/plan-store.ts), the pure diff (diffPlan,
// src/domain/plan-diff.ts: the rules of what changes), write the change set in one batch (writePlanChanges,
// src/db/plan-store.ts), and the report (src/plans/report.ts).
import type { Db } from '../db/client.js';
import { readPlanState, writePlanChanges } from '../db/plan-store.js';
import { diffPlan, type PlanChangeReport } from '../domain/plan-diff.js';
import { planFile, type PlanFile } from '../domain/plan-file.js';
import { summarizeReport } from './report.js';

export type { AssignmentChange, PlanChangeReport } from '../domain/plan-diff.js';
export { formatPlanReport, summarizeReport } from './report.js';
import { DubanError } from '../domain/errors.js';

export interface ApplyPlanOptions {
  now: number;
  /** Audit actor: 'cli' | 'system' | 'person:<id>' … */
  actor: string;
  channel: string;
  personId?: number | null;
  /** Compute the report but write nothing. */
  dryRun?: boolean;
  /**
   * Withdraw stored tasks the file does not list (default true: a plan file is the whole plan). A table import
   * passes false unless the office asked for `--withdraw-missing`: a table may hold only some tasks.
   */
  withdrawMissing?: boolean;
}

export class PlanValidationError extends DubanError {
  constructor(readonly issues: string[]) {
    super('plan_invalid', `计划文件有误，未写入任何数据：\n${issues.map((i) => `  - ${i}`).join('\n')}`, {
      hint: '请逐条改正计划文件后重新载入；改正前数据库保持原样。',
    });
  }
}

/**
 * Upsert `input` (a PlanFile or raw JSON) into the database. Matches plan by code, units by name or alias,
 * tasks by code within the plan, targets by code. A task missing from the file is withdrawn (kept with its
 * history); an assignment missing from the file is deleted only when nothing was reported on it.
 * All writes go in one atomic batch: on any error nothing is written.
 */
export async function applyPlan(db: Db, input: PlanFile | unknown, opts: ApplyPlanOptions): Promise<PlanChangeReport> {
  const parsed = planFile.safeParse(input);
  if (!parsed.success) {
    throw new PlanValidationError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(根)'}：${i.message}`),
    );
  }
  const plan = parsed.data;
  const state = await readPlanState(db, plan.code);
  const { report, changes, issues } = diffPlan(state, plan, { dryRun: opts.dryRun, withdrawMissing: opts.withdrawMissing });
  if (issues.length) throw new PlanValidationError(issues);
  if (opts.dryRun || !report.changed) return report;
  changes.audit.push({
    action: state.plan ? 'plan.reimport' : 'plan.load',
    entity: 'plan',
    entityId: changes.planId,
    detail: summarizeReport(report),
  });
  await writePlanChanges(db, changes, opts);
  return report;
}
