// Rules over an assignment's report history (progress_reports): which percent 退回 restores, which note is the
// unit's latest real progress. Pure; the history is newest first.

export interface ReportLike {
  kind: string;
  percent: number | null;
  note?: string | null;
}

/** Kinds the unit itself writes about its work; 退回/销号/延期 are the office's, 无变化 carries no news. */
export const UNIT_NOTE_KINDS: ReadonlySet<string> = new Set(['progress', 'done_claim', 'note']);

/**
 * The percent to restore when the office returns a completion claim: the percent of the newest report before the
 * newest 申报完成 that carried one (a progress report, an earlier 退回, 无变化 which repeats the percent), else 0.
 */
export function percentBeforeLatestClaim(newestFirst: readonly ReportLike[]): number {
  const claim = newestFirst.findIndex((r) => r.kind === 'done_claim');
  if (claim < 0) return 0;
  for (const r of newestFirst.slice(claim + 1)) {
    if (r.kind === 'done_claim' || r.kind === 'close') continue;
    if (r.percent != null) return r.percent;
  }
  return 0;
}

/**
 * The unit's latest real progress note: the newest report of the unit's own kinds with a note. 无变化 never hides
 * it, and the office's 退回 reason is never taken for the unit's progress.
 */
export function latestUnitNote<T extends ReportLike>(newestFirst: readonly T[]): T | null {
  return newestFirst.find((r) => UNIT_NOTE_KINDS.has(r.kind) && !!r.note && r.note.trim() !== '') ?? null;
}
