/**
 * Decay (`decays r% every D`): what an award is worth at a time, and when that next changes.
 *
 * An award of P points is worth `v₀ = P` from its interaction's `occurredAt`; at each full period
 * D after it, `vₖ₊₁ = trunc(vₖ × (100 − r) / 100)` (toward zero, one period at a time, in whole
 * points). Every step shrinks a non-zero value (|v × (100 − r) / 100| < |v|), so the sequence
 * reaches 0 after a bounded number of steps (at most about 1,400 for 1,000,000 points at 1%):
 * it is computed once per rule, at compile time, and read by index.
 */
import type { DecaySpec } from "../model";

/** A rule's decay, precomputed for its points. */
export interface DecayTable {
  percent: number;
  everyMs: number;
  /** `values[k]` is the value after k full periods; the last is 0. */
  values: readonly number[];
  /** From the award's time, how long until its value is 0: `(values.length − 1) × everyMs`. */
  zeroAfterMs: number;
}

/**
 * The values of P points decaying by `percent` per period, from P down to the first 0.
 *
 * @example decaySteps(15, 10) // [15, 13, 11, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
 */
export function decaySteps(points: number, percent: number): number[] {
  const keep = 100 - percent;
  const values = [points];
  let v = points;
  while (v !== 0) {
    // |v| ≤ 1,000,000 and keep ≤ 99: the product is an exact integer, the division exact enough
    // for trunc (the true quotient's fraction is a multiple of 1/100).
    v = Math.trunc((v * keep) / 100);
    values.push(v === 0 ? 0 : v); // never -0
  }
  return values;
}

export function decayTable(points: number, spec: DecaySpec): DecayTable {
  const values = decaySteps(points, spec.percent);
  return { percent: spec.percent, everyMs: spec.everyMs, values, zeroAfterMs: (values.length - 1) * spec.everyMs };
}

/** Full periods elapsed from `awardedAtMs` to `nowMs` (0 before the award's time). */
function periods(table: DecayTable, awardedAtMs: number, nowMs: number): number {
  return nowMs <= awardedAtMs ? 0 : Math.floor((nowMs - awardedAtMs) / table.everyMs);
}

/** The decayed value at `nowMs` of an award of `points` (usually the table's own P) made at `awardedAtMs`. */
export function decayedValue(table: DecayTable, points: number, awardedAtMs: number, nowMs: number): number {
  const k = periods(table, awardedAtMs, nowMs);
  if (points === table.values[0]) return k < table.values.length ? table.values[k] : 0;
  // An award whose points differ from the rule's (not made by this model): walk its own steps.
  let v = points;
  for (let i = 0; i < k && v !== 0; i++) v = Math.trunc((v * (100 - table.percent)) / 100) || 0;
  return v;
}

/** The next decay step after `nowMs` that changes the value, or Infinity when it is already 0. */
export function nextStepMs(table: DecayTable, awardedAtMs: number, nowMs: number): number {
  const k = periods(table, awardedAtMs, nowMs);
  if (k >= table.values.length - 1) return Infinity;
  return awardedAtMs + (k + 1) * table.everyMs;
}
