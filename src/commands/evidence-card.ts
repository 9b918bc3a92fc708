// The 佐证材料 block of the task card (`任务 <编号>`): per unit, what / who / when, each file with a personal link
// for the reader when they may open it (office, leaders, the unit itself); other units' files only counted.
import type { EvidenceGroup } from '../cards/task-card.js';
import type { CommandContext } from './registry.js';
import type { AssignmentView } from '../db/task-store.js';
import { evidenceLink } from '../evidence/links.js';
import { evidenceOfAssignments } from '../db/evidence-store.js';

export async function evidenceGroupsFor(ctx: CommandContext, views: AssignmentView[]): Promise<EvidenceGroup[]> {
  const rows = await evidenceOfAssignments(ctx.deps.db, views.map((v) => v.asg.id));
  if (rows.length === 0) return [];
  const all = ctx.actor.roles.includes('office') || ctx.actor.roles.includes('leader');
  const out: EvidenceGroup[] = [];
  for (const v of views) {
    const mine = rows.filter((r) => r.assignmentId === v.asg.id);
    if (mine.length === 0) continue;
    if (!all && !ctx.actor.unitIds.includes(v.unit.id)) {
      out.push({ unitName: v.unit.name, items: [], hidden: mine.length });
      continue;
    }
    const items = [];
    for (const r of mine) items.push({ name: r.name, url: await evidenceLink(ctx.deps, r.id, ctx.actor.personId, ctx.now), by: r.by, at: r.createdAt });
    out.push({ unitName: v.unit.name, items });
  }
  return out;
}
