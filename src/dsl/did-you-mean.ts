/**
 * Suggestions for misspelt names, after graphql-js `jsutils/suggestionList.ts` and
 * `jsutils/didYouMean.ts`: the optimal-string-alignment (Damerau-Levenshtein) distance, case
 * differences count as one edit, and a candidate is close enough when its distance is at most
 * 40% of the input's length (plus one).
 */

/** The edit distance between two names (case-insensitive; a case-only difference is 1). */
export function lexicalDistance(a: string, b: string): number {
  if (a === b) return 0;
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y) return 1;
  return optimalStringAlignment(x, y, Number.POSITIVE_INFINITY);
}

function optimalStringAlignment(a: string, b: string, threshold: number): number {
  if (Math.abs(a.length - b.length) > threshold) return threshold + 1;
  let previousPrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, previousPrevious[j - 2] + 1);
      }
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > threshold) return threshold + 1;
    previousPrevious = previous;
    previous = current;
  }
  return previous[b.length];
}

/**
 * The candidates close enough to `input`, closest first (ties in alphabetical order).
 *
 * @example suggestionList("vist", ["visit", "view", "download"]) // ["visit"]
 */
export function suggestionList(input: string, candidates: readonly string[]): string[] {
  const threshold = Math.floor(input.length * 0.4) + 1;
  const lowered = input.toLowerCase();
  const scored: { candidate: string; distance: number }[] = [];
  for (const candidate of candidates) {
    const distance =
      candidate === input
        ? 0
        : candidate.toLowerCase() === lowered
          ? 1
          : optimalStringAlignment(lowered, candidate.toLowerCase(), threshold);
    if (distance <= threshold) scored.push({ candidate, distance });
  }
  scored.sort((p, q) => p.distance - q.distance || (p.candidate < q.candidate ? -1 : p.candidate > q.candidate ? 1 : 0));
  return scored.map((s) => s.candidate);
}

/**
 * The single closest candidate to `input`, or `undefined` when none is close enough. Used by every
 * "Did you mean …?" of the checker.
 *
 * @example didYouMean("rol", LEAD_FIELDS) // "role"
 */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  return suggestionList(input, candidates).find((c) => c !== input);
}
