// The plan bundled with duban and loaded into an empty database on first start.
// PLACEHOLDER until the plan loader lands (issue 2): returns false, loads nothing.
import type { Db } from '../db/client.js';

export async function ensureBundledPlan(_db: Db, _now: number): Promise<boolean> {
  return false;
}
