// Import the office's task-assignment table into a plan: parse and check every row, merge the table into the
// stored plan (or the bundled one), and apply it through applyPlan so a re-import updates in place.
// The folder: read-file.ts (+ limits.ts, xlsx.ts, csv.ts, csv-safe.ts) turns bytes into rows or a plan, table.ts
// turns rows into tasks (codes through src/domain/task-code.ts), and this file merges and hands the plan to
// src/plans/load.ts; stored plans and units are read through src/db/plan-store.ts. import/ never imports export/
// (export/ uses import/'s CSV codec).
import type { Db } from '../db/client.js';
import { listPlanCodes, listUnits, readStoredPlan } from '../db/plan-store.js';
import { shanghaiDate } from '../domain/dates.js';
import type { PlanFile, TaskSpec } from '../domain/plan-file.js';
import { createUnitResolver } from '../domain/unit-names.js';
import { bundledPlan } from '../plans/bundled.js';
import { applyPlan, type PlanChangeReport } from '../plans/load.js';
import type { ImportSource } from './read-file.js';
import { EXPECTED_COLUMNS, findHeader, parseTaskTable } from './table.js';
import { ImportFileError, type RowError } from './types.js';

export interface ImportOptions {
  now: number;
  actor: string;
  channel: string;
  personId?: number | null;
  dryRun?: boolean;
  /** Plan to merge into; default: the file's own plan code, the only stored plan, or the bundled plan. */
  planCode?: string;
  /** Add units the table names that are not known yet (otherwise they are row errors). */
  createUnits?: boolean;
  /** Withdraw the plan's tasks the table does not list (`--withdraw-missing`); otherwise they are left as they are. */
  withdrawMissing?: boolean;
}

export interface ImportResult {
  /** False when any row had an error: then nothing was written. */
  ok: boolean;
  errors: RowError[];
  report?: PlanChangeReport;
  /** Task rows read (tables; rows with errors included, each counted once) or tasks in the file (plan JSON). */
  rowCount: number;
  headerRow?: number;
  sheet?: string;
  encoding?: string;
}

/** A short title for a task the table introduces: its first clause. */
export function deriveTitle(text: string): string {
  const first = text.split(/[。；;\n]/)[0]!.trim() || text.trim();
  return first.length > 30 ? `${first.slice(0, 30)}…` : first;
}

/** A guess at a new unit's kind from its name (the office can correct it in a plan file). */
export function guessUnitKind(name: string): 'county' | 'office' | 'department' {
  if (/(县|区)(人民)?(政府|委员会)?$/.test(name) && !/^市/.test(name)) return 'county';
  if (/办公室$|办$/.test(name)) return 'office';
  return 'department';
}

async function choosePlanCode(db: Db, source: ImportSource, opts: ImportOptions): Promise<string> {
  if (opts.planCode) return opts.planCode;
  if (source.kind === 'table' && source.planCode) return source.planCode;
  const stored = await listPlanCodes(db);
  if (stored.length === 1) return stored[0]!;
  if (stored.length > 1) {
    throw new ImportFileError(
      `数据库中有 ${stored.length} 个计划（${stored.join('、')}），请用 --plan <计划编号> 指定要导入到哪个计划。`,
    );
  }
  return bundledPlan().code;
}

/** Import a file read by readImportFile/readImportBytes. Whole-file problems throw ImportFileError. */
export async function importTaskTable(db: Db, source: ImportSource, opts: ImportOptions): Promise<ImportResult> {
  const applyOpts = {
    now: opts.now,
    actor: opts.actor,
    channel: opts.channel,
    personId: opts.personId ?? null,
    dryRun: opts.dryRun,
    withdrawMissing: opts.withdrawMissing === true,
  };
  if (source.kind === 'plan') {
    const fileCode = (source.plan as { code?: unknown }).code;
    if (opts.planCode && fileCode !== opts.planCode) {
      throw new ImportFileError(`计划文件的编号是 ${String(fileCode)}，与 --plan ${opts.planCode} 不一致。计划文件按自身编号载入，请去掉 --plan 或改正文件。`);
    }
    const report = await applyPlan(db, source.plan, applyOpts);
    return { ok: true, errors: [], report, rowCount: report.taskCount };
  }

  const header = findHeader(source.rows);
  if (!header) {
    throw new ImportFileError(
      `没有找到表头行${source.sheet ? `（工作表“${source.sheet}”）` : ''}：前 30 行中没有一行同时含有任务编号、任务和牵头单位三列。` +
        `请确认表头包含这些列：${EXPECTED_COLUMNS}。`,
    );
  }

  const code = await choosePlanCode(db, source, opts);
  let base = await readStoredPlan(db, code, { includeWithdrawn: true });
  const fromDb = !!base;
  if (!base) {
    if (code !== bundledPlan().code) {
      throw new ImportFileError(
        `计划 ${code} 不存在。请先用 \`npx duban plan load <计划文件.json>\` 载入该计划，或去掉 --plan 导入到内置计划 ${bundledPlan().code}。`,
      );
    }
    base = structuredClone(bundledPlan());
  }
  // Units the table may name: the plan's (or bundled) units plus every unit already stored.
  const stored = await listUnits(db);
  const allUnits: PlanFile['units'] = [
    ...base.units,
    ...stored
      .filter((s) => !base!.units.some((u) => u.name === s.name))
      .map((s) => ({ name: s.name, kind: s.kind as PlanFile['units'][number]['kind'], aliases: s.aliases })),
  ];
  const resolver = createUnitResolver(allUnits);
  const baseYear = Number(shanghaiDate(opts.now).slice(0, 4));
  const parsed = parseTaskTable(source.rows, header, {
    units: {
      resolve: (n) => resolver.resolve(n)?.name,
      suggest: (n) => resolver.suggest(n),
      counties: allUnits.filter((u) => u.kind === 'county').map((u) => u.name),
    },
    createUnits: !!opts.createUnits,
    baseYear,
  });
  const meta = { headerRow: header.rowNumber, sheet: source.sheet, encoding: source.encoding };
  // A row can have several errors: count rows, not errors.
  if (parsed.errors.length)
    return { ok: false, errors: parsed.errors, rowCount: parsed.tasks.length + new Set(parsed.errors.map((e) => e.row)).size, ...meta };
  if (parsed.tasks.length === 0) {
    throw new ImportFileError(`表头（第${header.rowNumber}行）下面没有任何任务行。导入空表会撤销全部任务，已停止；请检查文件。`);
  }

  const baseTasks = new Map(base.tasks.map((t) => [t.code, t]));
  const tasks: TaskSpec[] = parsed.tasks.map((row) => {
    const b = baseTasks.get(row.code);
    const lead = row.lead.map((u) => ({ unit: u.name, role: 'lead' as const, proposed: u.proposed }));
    const co = row.co
      ? row.co.map((u) => ({ unit: u.name, role: 'co' as const, proposed: u.proposed }))
      : (b?.assignments ?? []).filter((a) => a.role === 'co' && !lead.some((l) => l.unit === a.unit));
    const note = row.note !== undefined ? row.note : b?.note;
    return {
      code: row.code,
      title: row.title ?? b?.title ?? deriveTitle(row.text),
      text: row.text,
      deadlines: row.deadlines ?? b?.deadlines ?? [],
      assignments: [...lead, ...co],
      ...(note ? { note } : {}),
    };
  });

  const chapters = [...base.chapters];
  for (const row of parsed.tasks) {
    const n = Number(row.code.split('.')[0]);
    if (row.chapter && !chapters.some((c) => c.number === n)) chapters.push({ number: n, title: row.chapter, sections: [] });
  }
  chapters.sort((a, b) => a.number - b.number);

  // Stored targets point at stored tasks (withdrawn ones included). A bundled target whose task the table
  // leaves out keeps its figures but loses the link: that task is never created.
  const tableCodes = new Set(tasks.map((t) => t.code));
  const targets = base.targets.map((t) => {
    if (fromDb || !t.taskCode || tableCodes.has(t.taskCode)) return t;
    const { taskCode: _dropped, ...rest } = t;
    return rest;
  });
  const plan: PlanFile = {
    ...base,
    targets,
    chapters,
    units: [...allUnits, ...parsed.newUnits.map((name) => ({ name, kind: guessUnitKind(name), aliases: [] }))],
    tasks,
  };
  const report = await applyPlan(db, plan, applyOpts);
  return { ok: true, errors: [], report, rowCount: parsed.tasks.length, ...meta };
}
