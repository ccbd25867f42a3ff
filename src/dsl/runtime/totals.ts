/**
 * A lead's totals saturate: fit, engagement and score are each held to ±2,147,483,647 (the range of
 * GraphQL's `Int` and of the columns that store them), the score from the exact sum of the other
 * two. Awards and their sums are exact below that (whole numbers in a double), so a saturated
 * total is the same whichever path computed it: the replay, an incremental step, the sweeper's SQL.
 */
import type { Totals } from "../model";

/** The largest total (and the smallest is its negative). */
export const MAX_TOTAL = 2_147_483_647;

/** `n` held to ±`MAX_TOTAL`. */
export const saturate = (n: number): number => (n > MAX_TOTAL ? MAX_TOTAL : n < -MAX_TOTAL ? -MAX_TOTAL : n);

/** The totals of exact `fit` and `engagement` sums, each saturated. */
export const totalsOf = (fit: number, engagement: number): Totals => ({
  fit: saturate(fit),
  engagement: saturate(engagement),
  score: saturate(fit + engagement),
});
