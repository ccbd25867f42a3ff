/**
 * The bookkeeping behind `max N`, `once` and `at least K times within D`, shared by the replay
 * and by the incremental re-evaluation of an out-of-order arrival.
 *
 * Both walk one rule's matching interactions in `(occurredAt, seq)` order, so the times pushed
 * here never decrease: a window or a set of live awards is a queue popped from the front.
 */
import type { Award, InteractionFacts } from "../model";

/** `(occurredAt, seq, id)`: the canonical order of a lead's interactions. */
export function compareInteractions(a: InteractionFacts, b: InteractionFacts): number {
  return byTimeSeqId(a.occurredAt.getTime(), a, b.occurredAt.getTime(), b);
}

function byTimeSeqId(ta: number, a: InteractionFacts, tb: number, b: InteractionFacts): number {
  return ta - tb || a.seq - b.seq || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The interactions in canonical order (the same array when it already is). */
export function inCanonicalOrder(interactions: readonly InteractionFacts[]): readonly InteractionFacts[] {
  let previous = -Infinity;
  for (let i = 0; i < interactions.length; i++) {
    const t = interactions[i].occurredAt.getTime();
    if (t < previous || (t === previous && byTimeSeqId(t, interactions[i - 1], t, interactions[i]) > 0)) {
      // Sort once with each time read once.
      const keyed = interactions.map((ix) => ({ ix, t: ix.occurredAt.getTime() }));
      keyed.sort((a, b) => byTimeSeqId(a.t, a.ix, b.t, b.ix));
      return keyed.map((k) => k.ix);
    }
    previous = t;
  }
  return interactions;
}

/** True when an award still counts at `atMs`: `expiresAt === null || at < expiresAt`. */
export function counts(award: Award, atMs: number): boolean {
  return award.expiresAt === null || atMs < award.expiresAt.getTime();
}

/** The limits of one rule that make its awards depend on its other matches. */
export interface RuleLimits {
  frequency: { count: number; withinMs: number } | null;
  max: number | null;
}

/** A queue of non-decreasing times, popped from the front. */
class TimeQueue {
  private readonly times: number[] = [];
  private head = 0;

  push(time: number): void {
    this.times.push(time);
  }

  /** Drops the times `<= limit` and returns how many remain. */
  sizeAbove(limit: number): number {
    while (this.head < this.times.length && this.times[this.head] <= limit) this.head++;
    return this.times.length - this.head;
  }
}

/** One rule's state while its matching interactions are walked in canonical order. */
export class RuleLimiter {
  private readonly window: TimeQueue | null;
  /** Expiry times (`Infinity`: never) of the rule's awards so far. */
  private readonly live: TimeQueue | null;

  constructor(private readonly limits: RuleLimits) {
    this.window = limits.frequency === null ? null : new TimeQueue();
    this.live = limits.max === null ? null : new TimeQueue();
  }

  /** Notes a matching interaction that comes before the walk starts (for the window only). */
  noteEarlierMatch(atMs: number): void {
    this.window?.push(atMs);
  }

  /** Notes an award of the rule made before the walk starts. */
  noteEarlierAward(expiresAtMs: number): void {
    this.live?.push(expiresAtMs);
  }

  /**
   * Decides whether a matching interaction at `atMs` awards, and records it: the window
   * `(at − D, at]` must hold at least K matches (this one included), and fewer than N earlier
   * awards may still count at `at`.
   */
  admit(atMs: number, expiresAtMs: number): boolean {
    const { frequency, max } = this.limits;
    if (this.window !== null && frequency !== null) {
      this.window.push(atMs);
      if (this.window.sizeAbove(atMs - frequency.withinMs) < frequency.count) return false;
    }
    if (this.live !== null && max !== null) {
      if (this.live.sizeAbove(atMs) >= max) return false;
      this.live.push(expiresAtMs);
    }
    return true;
  }
}
