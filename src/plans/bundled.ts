// The plan bundled with duban (src/plans/dingxi-2022.json), loaded into an empty database on first start.
import type { Db } from '../db/client.js';
import { hasAnyPlan } from '../db/plan-store.js';
import { planFile, type PlanFile } from '../domain/plan-file.js';
import bundledJson from './dingxi-2022.json' with { type: 'json' };
import { applyPlan, type PlanChangeReport } from './load.js';

let cached: PlanFile | undefined;

/** The bundled plan, validated (a broken bundled file is a build bug: it throws). */
export function bundledPlan(): PlanFile {
  return (cached ??= planFile.parse(bundledJson));
}

/** Load the bundled plan when the database holds no plan. Returns true if it loaded. */
export async function ensureBundledPlan(db: Db, now: number): Promise<boolean> {
  if (await hasAnyPlan(db)) return false;
  try {
    const report: PlanChangeReport = await applyPlan(db, bundledPlan(), { now, actor: 'system', channel: 'system' });
    return report.planCreated;
  } catch (err) {
    // Another process loaded it between our check and our write: the batch rolled back, nothing to do.
    if (await hasAnyPlan(db)) return false;
    throw err;
  }
}

