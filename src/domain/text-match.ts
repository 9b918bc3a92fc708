// Fuzzy matching for "did you mean": edit distance over code points and the nearest candidates.

/** Levenshtein distance over code points (small inputs: names, codes, command words). */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length]!;
}

/** The closest candidates within `maxDistance` (default: about a third of the input), best first. */
export function didYouMean(input: string, candidates: string[], limit = 3, maxDistance?: number): string[] {
  const max = maxDistance ?? Math.max(1, Math.floor([...input].length / 3));
  return candidates
    .map((c) => ({ c, d: editDistance(input.toLowerCase(), c.toLowerCase()) }))
    .filter((x) => x.d <= max)
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, limit)
    .map((x) => x.c);
}
