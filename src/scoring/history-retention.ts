/**
 * Bounded score history: with a retention set (`QUALIFY_SCORE_HISTORY_RETENTION`), every instance
 * deletes the points older than it on an interval (a quarter of the retention, at most hourly),
 * 5,000 at a time, keeping each lead's last point before the cutoff: it still says what the score
 * was at every instant inside the retention, so `scoreAt` stays right there; before that point
 * it answers null. Points are never changed, only deleted; writes never wait on this.
 */
import type { ServiceContext } from "../context";
import type { Logger } from "../logger";
import { errorFields } from "../logger";

/** Points deleted per statement. */
export const PRUNE_BATCH = 5000;

const PRUNE_SQL = `
  DELETE FROM score_point p USING (
    SELECT old.lead_id, old.seq FROM score_point old
     WHERE old.at < $1
       AND EXISTS (SELECT 1 FROM score_point newer
                    WHERE newer.lead_id = old.lead_id AND newer.at <= $1 AND (newer.at, newer.seq) > (old.at, old.seq))
     LIMIT $2) gone
  WHERE p.lead_id = gone.lead_id AND p.seq = gone.seq`;

export class HistoryRetention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  /**
   * @param retentionMs how long points are kept (null: for ever, and `start` does nothing)
   * @param context a fresh service context per run (not a request's)
   */
  constructor(
    private readonly retentionMs: number | null,
    private readonly context: () => ServiceContext,
    private readonly logger: Logger,
  ) {}

  /** Prunes on an interval until `stop`. */
  start(): void {
    if (this.retentionMs === null || this.timer) return;
    const every = Math.max(1000, Math.min(3_600_000, Math.floor(this.retentionMs / 4)));
    this.timer = setInterval(() => {
      if (this.running) return;
      this.pruneOnce().catch((err: unknown) => this.logger.error("score history pruning failed", errorFields(err)));
    }, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** Deletes the points that are past the retention as of `now` (default: the clock); how many. */
  async pruneOnce(now?: Date): Promise<number> {
    if (this.retentionMs === null) return 0;
    const run = this.prune(now);
    this.running = run;
    try {
      return await run;
    } finally {
      if (this.running === run) this.running = null;
    }
  }

  private async prune(at: Date | undefined): Promise<number> {
    const ctx = this.context();
    const cutoff = new Date((at ?? ctx.clock.now()).getTime() - (this.retentionMs as number));
    let total = 0;
    for (;;) {
      // TypeORM answers a DELETE with [rows, rowCount].
      const [, deleted]: [unknown, number] = await ctx.db.query(PRUNE_SQL, [cutoff, PRUNE_BATCH]);
      total += deleted;
      if (deleted < PRUNE_BATCH) break;
    }
    if (total > 0) this.logger.info("score history pruned", { points: total, before: cutoff.toISOString() });
    return total;
  }
}
