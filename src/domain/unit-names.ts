// Matching the unit names people type ("市生态环境局", "生态环境局", "安定") to units, with did-you-mean.
// Pure: the caller supplies the unit list.
import { editDistance } from './text-match.js';
import { normalizeWideText } from './deadline-text.js';

export interface UnitLike {
  name: string;
  aliases: string[];
}

/** Compare form of a unit name: no whitespace, full-width letters/digits/brackets folded to ASCII. */
export function normalizeUnitName(s: string): string {
  return normalizeWideText(s).replace(/\s+/g, '');
}

/** Split a 牵头单位/配合单位 cell into names: 、，,；; / spaces and newlines separate units. */
export function splitUnitCell(cell: string): string[] {
  return cell
    .split(/[、，,；;/／\s]+/)
    .map((s) => s.trim().replace(/等$/, ''))
    .filter(Boolean);
}

export interface UnitResolver<U extends UnitLike> {
  resolve(text: string): U | undefined;
  /** Up to three unit names close to `text`, best first. */
  suggest(text: string): string[];
}

/** Exact match on name or alias (after normalisation); the first unit listed wins a shared alias. */
export function createUnitResolver<U extends UnitLike>(list: Iterable<U>): UnitResolver<U> {
  const byKey = new Map<string, U>();
  const all: U[] = [];
  for (const u of list) {
    all.push(u);
    const k = normalizeUnitName(u.name);
    byKey.set(k, u); // names beat aliases
  }
  for (const u of all) {
    for (const a of u.aliases) {
      const k = normalizeUnitName(a);
      if (!byKey.has(k)) byKey.set(k, u);
    }
  }
  return {
    resolve: (text) => byKey.get(normalizeUnitName(text)),
    suggest(text) {
      const t = normalizeUnitName(text);
      const scored: Array<{ name: string; score: number }> = [];
      for (const u of all) {
        let best = Infinity;
        for (const cand of [u.name, ...u.aliases].map(normalizeUnitName)) {
          if (!cand) continue;
          let s = editDistance(t, cand);
          if (cand.includes(t) || t.includes(cand)) s = Math.min(s, 1);
          best = Math.min(best, s);
        }
        if (best <= Math.max(1, Math.floor(t.length / 3))) scored.push({ name: u.name, score: best });
      }
      return scored
        .sort((a, b) => a.score - b.score || a.name.length - b.name.length)
        .slice(0, 3)
        .map((s) => s.name);
    },
  };
}
