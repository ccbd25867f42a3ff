/**
 * How far the database's scores are behind what they should be, for the metrics (read at each
 * scrape, so it must stay cheap on any size of data):
 * - expiry lag: seconds since the oldest `next_expiry_at` that has passed, i.e. points that
 *   should have left a score and still count. It measures the outcome, whichever instance sweeps:
 *   it stays under the sweep interval (15 s) plus a sweep's length while sweepers work, and grows
 *   without bound when none does. One probe of the partial index `lead_next_expiry`.
 * - leads behind: leads below the active model version, which a rescore (after a publish, or
 *   finishing one at start) works through. A range of the index `lead_model_version`, empty
 *   outside a rescore.
 */
import type { ServiceContext } from "../context";
import type { Backlog } from "../metrics";

const BACKLOG_SQL = `
  SELECT coalesce(extract(epoch FROM $1::timestamptz - (SELECT min(next_expiry_at) FROM lead WHERE next_expiry_at <= $1)), 0)::float8 AS expiry_lag,
         (SELECT count(*) FROM lead WHERE model_version < (SELECT version FROM scoring_model WHERE active))::int AS behind`;

export async function readBacklog(ctx: ServiceContext): Promise<Backlog> {
  const [row]: Array<{ expiry_lag: number; behind: number }> = await ctx.db.query(BACKLOG_SQL, [ctx.clock.now()]);
  return { expiryLagSeconds: row.expiry_lag, leadsBehind: row.behind };
}
