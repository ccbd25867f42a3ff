/**
 * The instants at which a ledger's value changes with time alone: an award expires or decays a
 * step (`CompiledModel.nextChange`). Shared by the time sweeper (which brings stored scores to
 * those instants) and by a write that finds the lead's next change already passed (it records the
 * steps the sweeper has not applied yet, before its own change).
 */
import type { Award, CompiledModel, GroupTotals } from "../dsl/model";
import type { ScoreCause } from "../entities/score-point.entity";

/** One instant at which the totals may change, and the totals right after it. */
export interface TimeStep {
  at: Date;
  totals: GroupTotals;
  /** EXPIRY when some award expires at that instant (even if another decays then too), else DECAY. */
  cause: Extract<ScoreCause, "EXPIRY" | "DECAY">;
}

/**
 * The steps of `activity` (with `fit` awards, which never change with time) from `from` (itself a
 * step instant: the lead's stored next change) to `to`, both included, oldest first. Steps that
 * leave the totals as they were are listed too: the caller records a point only on a change.
 */
export function timeSteps(model: CompiledModel, activity: readonly Award[], fit: readonly Award[], from: Date, to: Date): TimeStep[] {
  const steps: TimeStep[] = [];
  const toMs = to.getTime();
  let at: Date | null = from;
  while (at !== null && at.getTime() <= toMs) {
    const ms = at.getTime();
    const expires = activity.some((a) => a.expiresAt !== null && a.expiresAt.getTime() === ms);
    steps.push({ at, totals: model.totalsOf(activity, fit, at), cause: expires ? "EXPIRY" : "DECAY" });
    at = model.nextChange(activity, at);
  }
  return steps;
}

/** Whether two lists of group points (of one model, in its order) are the same. */
export function sameGroups(a: GroupTotals["groups"] | null, b: GroupTotals["groups"]): boolean {
  if (a === null || a.length !== b.length) return false;
  return a.every((g, i) => g.name === b[i].name && g.points === b[i].points && g.uncapped === b[i].uncapped);
}
