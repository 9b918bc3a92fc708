// The command layer's lookups by what people type: a task by its code and a unit by name or alias, each with a
// Chinese "did you mean" when nothing matches. The reads underneath are src/db/task-store.ts.
import type { Result } from '../domain/result.js';
import type { Db } from '../db/client.js';
import { activeTaskByCode, activeTaskCodes, allUnits, type TaskRow, type UnitRow } from '../db/task-store.js';
import type { Actor } from '../domain/actor.js';
import { didYouMean, isTaskCode, normaliseTaskCode } from './parse.js';

export type Found<T> = Result<T>;

/** The newest plan's active task with this code; a near-miss gets "did you mean". */
export async function findTask(db: Db, rawCode: string, who?: Pick<Actor, 'roles'>): Promise<Found<TaskRow>> {
  const code = normaliseTaskCode(rawCode);
  if (!isTaskCode(code)) {
    const hint = await suggestCodes(db, code, who);
    return { ok: false, error: `“${rawCode}”不是任务编号，编号形如 4.1.2（章.节.序号）。${hint}` };
  }
  const task = await activeTaskByCode(db, code);
  if (task) return { ok: true, value: task };
  return { ok: false, error: `没有编号为 ${code} 的任务。${await suggestCodes(db, code, who)}` };
}

/**
 * What to say after an unknown code: close codes (one edit away, or the code's own section), then where to look,
 * by role: 「我的任务」 is a contact's list; the office and leaders search (「任务 <关键词>」) or see everything (「统计」).
 */
async function suggestCodes(db: Db, code: string, who?: Pick<Actor, 'roles'>): Promise<string> {
  const codes = await activeTaskCodes(db);
  const near = didYouMean(code, codes, 3, 1);
  const section = /^(\d+\.\d+)\./.exec(code)?.[1];
  const inSection = section ? codes.filter((c) => c.startsWith(`${section}.`)).length : 0;
  const close = near.length
    ? `你是不是要找：${near.join('、')}？`
    : inSection
      ? `第 ${section} 节共有 ${inSection} 项任务，发送「任务 ${section}」查看。`
      : '';
  const roles = who?.roles ?? [];
  const reader = roles.includes('office') || roles.includes('leader');
  const contact = roles.includes('contact');
  const where = [
    ...(contact ? ['发送「我的任务」查看本单位的任务编号'] : []),
    ...(reader || !contact ? ['发送「任务 <关键词>」按关键词查找，或「统计」查看全部任务'] : []),
  ].join('；');
  return `${close}${where}。`;
}

/** A unit by exact name, alias, or a unique name containing the input (e.g. 生态环境局 → 市生态环境局). */
export async function findUnit(db: Db, raw: string): Promise<Found<UnitRow>> {
  const name = raw.normalize('NFKC').trim();
  const all = await allUnits(db);
  const exact = all.find((u) => u.name === name) ?? all.find((u) => u.aliases.includes(name));
  if (exact) return { ok: true, value: exact };
  if (name.length >= 2) {
    const partial = all.filter((u) => u.name.includes(name) || name.includes(u.name));
    if (partial.length === 1) return { ok: true, value: partial[0]! };
    if (partial.length > 1)
      return { ok: false, error: `“${raw}”对应多个单位：${partial.slice(0, 6).map((u) => u.name).join('、')}，请写全称。` };
  }
  const names = all.flatMap((u) => [u.name, ...u.aliases]);
  const near = didYouMean(name, names, 3, Math.max(1, Math.floor([...name].length / 2)));
  const nearUnits = [...new Set(near.map((n) => all.find((u) => u.name === n || u.aliases.includes(n))!.name))];
  return {
    ok: false,
    error: `没有名为“${raw}”的单位。` + (nearUnits.length ? `你是不是要找：${nearUnits.join('、')}？` : ''),
  };
}

