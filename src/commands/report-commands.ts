// A unit's reports as commands: 进度 <编号> 60% [说明], 完成 <编号> [说明], 无变化 <编号>. Each finds the sender's
// assignment of the task and hands the report to recordReport (record.ts), which asks the lifecycle
// (src/domain/assignment.ts) whether it is taken.
import { looksLikePercent, parsePercent, splitFirst } from './parse.js';
import { pickAssignment, recordReport } from './record.js';
import type { CommandContext, CommandDef, ParseResult } from './registry.js';
import { taskAssignments } from '../db/task-store.js';
import { findTask } from './lookup.js';
import { ok } from '../domain/result.js';

const fail = (error: string) => ({ ok: false as const, error });

/** Split "<编号> [单位] rest": the unit is there when the token after the code is not what `isValue` expects. */
function codeUnitRest(argText: string, isValue: (tok: string) => boolean): { code: string; unit: string | null; rest: string } | null {
  const [code, after] = splitFirst(argText);
  if (!code) return null;
  const [maybeUnit, rest2] = splitFirst(after);
  if (maybeUnit && !isValue(maybeUnit) && rest2 && isValue(splitFirst(rest2)[0])) return { code, unit: maybeUnit, rest: rest2 };
  return { code, unit: null, rest: after };
}

/** A percent token possibly glued to its note ("60%已完成排查"). */
function splitPercent(rest: string): { pct: string; note: string } {
  const [tok, note] = splitFirst(rest);
  const glued = /^(-?\d+(?:\.\d+)?%)(.+)$/.exec(tok);
  if (glued) return { pct: glued[1]!, note: `${glued[2]} ${note}`.trim() };
  return { pct: tok, note };
}

interface ProgressArgs {
  code: string;
  unit: string | null;
  percent: number;
  note: string;
}

export const progress: CommandDef<ProgressArgs> = {
  names: ['进度', 'progress'],
  usage: '进度 <编号> <0–100>% [说明]',
  summary: '报送进度百分比和进展说明',
  example: '进度 4.1.1 60% 已完成排查，形成整治方案',
  roles: ['contact'],
  parse(arg) {
    const p = codeUnitRest(arg, (t) => looksLikePercent(t) || /^-?\d+(?:\.\d+)?%/.test(t));
    if (!p) return fail('缺少任务编号和进度。');
    const { pct, note } = splitPercent(p.rest);
    if (!pct) return fail('缺少进度百分比。');
    const r = parsePercent(pct);
    if (!r.ok) return fail(r.error);
    return ok({ code: p.code, unit: p.unit, percent: r.value, note });
  },
  async run(ctx, a) {
    const t = await findTask(ctx.deps.db, a.code, ctx.actor);
    if (!t.ok) return { text: t.error };
    const v = await pickAssignment(ctx, t.value, a.unit);
    if (!v.ok) return { text: v.error };
    const r = await recordReport(ctx, v.value, { kind: 'progress', percent: a.percent, note: a.note });
    return { text: r.ok ? r.value.text : r.error };
  },
};

/** When the first word after the code names one of the task's units, it picks that unit (the office's way). */
export async function unitFromRest(ctx: CommandContext, taskId: number, rest: string): Promise<{ unit: string | null; rest: string }> {
  const [first, after] = splitFirst(rest);
  if (!first) return { unit: null, rest };
  const views = await taskAssignments(ctx.deps.db, taskId, ctx.today);
  const hit = views.find((v) => v.unit.name === first || v.unit.aliases.includes(first));
  return hit ? { unit: hit.unit.name, rest: after } : { unit: null, rest };
}

const codeUnitNote = (arg: string): ParseResult<{ code: string; unit: string | null; note: string }> => {
  const [code, rest] = splitFirst(arg);
  if (!code) return fail('缺少任务编号。');
  return ok({ code, unit: null, note: rest });
};

type CodeNoteArgs = { code: string; unit: string | null; note: string };

/** 完成 and 无变化: a report of one kind on the sender's assignment of a task, with an optional note. */
function simpleReport(
  meta: Pick<CommandDef<CodeNoteArgs>, 'names' | 'usage' | 'summary' | 'example'>,
  kind: 'done_claim' | 'no_change',
): CommandDef<CodeNoteArgs> {
  return {
    ...meta,
    roles: ['contact'],
    parse: codeUnitNote,
    async run(ctx, a) {
      const t = await findTask(ctx.deps.db, a.code, ctx.actor);
      if (!t.ok) return { text: t.error };
      const u = await unitFromRest(ctx, t.value.id, a.note);
      const v = await pickAssignment(ctx, t.value, u.unit);
      if (!v.ok) return { text: v.error };
      const r = await recordReport(ctx, v.value, { kind, note: u.rest });
      return { text: r.ok ? r.value.text : r.error };
    },
  };
}

export const done = simpleReport(
  { names: ['完成', 'done'], usage: '完成 <编号> [说明]', summary: '申报任务完成（办公室核验后销号）', example: '完成 4.1.1 整治方案已印发' },
  'done_claim',
);

export const same = simpleReport(
  { names: ['无变化', 'same'], usage: '无变化 <编号>', summary: '一键报送：自上次报送以来没有变化', example: '无变化 4.1.1' },
  'no_change',
);
