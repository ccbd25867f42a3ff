/**
 * Points that expire leave the score without anyone writing to the lead: every instance runs this
 * sweeper on an interval (15 s by default, `QUALIFY_EXPIRY_SWEEP_SECONDS`). Each sweep takes the
 * leads whose `next_expiry_at` has passed, 500 at a time (`FOR UPDATE SKIP LOCKED`: instances
 * and writes never wait on each other), and recomputes their engagement, score and next expiry
 * from the ledger in one statement per batch, writing a point of each lead's score history at
 * each expiry instant that changed its totals (stamped at that instant, not at the sweep). Stages
 * do not move: expiry is not a change of the lead, and rules never move a lead backwards.
 */
import type { ServiceContext } from "../context";
import { inTransaction } from "../database/transaction";
import type { Announcements } from "../events/announce";
import type { Logger } from "../logger";
import { errorFields } from "../logger";
import { saturate } from "../dsl/runtime/totals";
import { DUE_LEADS_CTE } from "./lead-rows";
import { saturatedSql as saturated } from "./ledger-rows";

/** Leads per sweep transaction. */
export const SWEEP_BATCH = 500;

const SWEEP_SQL = `
  WITH ${DUE_LEADS_CTE}, steps AS (
    SELECT DISTINCT a.lead_id, a.expires_at AS at
      FROM score_award a JOIN due ON a.lead_id = due.id
     WHERE a.category = 'ENGAGEMENT' AND a.expires_at >= due.due_at AND a.expires_at <= $1
  ), step_totals AS (
    SELECT s.lead_id, s.at,
           ${saturated("coalesce(sum(a.points) FILTER (WHERE a.category = 'ENGAGEMENT' AND (a.expires_at IS NULL OR a.expires_at > s.at)), 0)")} AS engagement
      FROM steps s JOIN score_award a ON a.lead_id = s.lead_id
     GROUP BY s.lead_id, s.at
  ), ordered AS (
    SELECT t.*, lag(t.engagement) OVER (PARTITION BY t.lead_id ORDER BY t.at) AS previous FROM step_totals t
  ), points AS (
    INSERT INTO score_point (lead_id, at, score, fit, engagement, cause)
    SELECT o.lead_id, greatest(o.at, (SELECT max(q.at) FROM score_point q WHERE q.lead_id = o.lead_id)), ${saturated("due.old_fit::bigint + o.engagement")}, due.old_fit, o.engagement, 'EXPIRY'
      FROM ordered o JOIN due ON due.id = o.lead_id
     WHERE o.engagement <> coalesce(o.previous, due.old_engagement)
     ORDER BY o.lead_id, o.at
  ), sums AS (
    SELECT a.lead_id,
           ${saturated("coalesce(sum(a.points) FILTER (WHERE a.category = 'ENGAGEMENT' AND (a.expires_at IS NULL OR a.expires_at > $1)), 0)")} AS engagement,
           min(a.expires_at) FILTER (WHERE a.expires_at > $1) AS next_expiry
      FROM score_award a JOIN due ON a.lead_id = due.id
     GROUP BY a.lead_id
  )
  UPDATE lead l
     SET engagement = coalesce(s.engagement, 0),
         score = ${saturated("l.fit::bigint + coalesce(s.engagement, 0)")},
         next_expiry_at = s.next_expiry,
         updated_at = CASE WHEN l.score <> ${saturated("l.fit::bigint + coalesce(s.engagement, 0)")} THEN $1 ELSE l.updated_at END
    FROM due LEFT JOIN sums s ON s.lead_id = due.id
   WHERE l.id = due.id
  RETURNING l.id, l.score, due.old_score`;

export class ExpirySweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  /** When the last sweep of this process finished without error (for the metrics). */
  lastSweptAt: Date | null = null;

  /**
   * @param context a fresh service context per sweep (not a request's)
   * @param intervalMs how often `start` sweeps; 0 never
   */
  constructor(
    private readonly announce: Announcements,
    private readonly context: () => ServiceContext,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  /** Sweeps every `intervalMs` until `stop`. */
  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.sweepOnce().catch((err: unknown) => this.logger.error("expiry sweep failed", errorFields(err)));
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops the interval and waits for a sweep in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /**
   * Takes every lead with points expired by `now` (default: the clock) out of the score; returns
   * how many leads it updated.
   */
  async sweepOnce(now?: Date): Promise<number> {
    const run = this.sweep(now);
    this.running = run;
    try {
      return await run;
    } finally {
      if (this.running === run) this.running = null;
    }
  }

  private async sweep(at: Date | undefined): Promise<number> {
    const ctx = this.context();
    const now = at ?? ctx.clock.now();
    let total = 0;
    for (;;) {
      const swept = await inTransaction(ctx, async (tx) => {
        // TypeORM answers an UPDATE with [rows, rowCount].
        const [rows]: [Array<{ id: string; score: number; old_score: number }>, number] = await tx.db.query(SWEEP_SQL, [now, SWEEP_BATCH]);
        for (const row of rows) {
          this.announce.scored(tx, { leadId: row.id, interactionId: null, pointsAwarded: saturate(row.score - row.old_score), score: row.score });
        }
        return rows.length;
      });
      total += swept;
      if (swept < SWEEP_BATCH) {
        this.lastSweptAt = new Date();
        return total;
      }
    }
  }
}
