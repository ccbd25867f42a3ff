/**
 * Brings every lead to the active model version in the background: at start (a rescore an earlier
 * process did not finish, or data from before scoring) and after a publish whose rescore stopped
 * midway. A failed run is tried again after 1 s, then 2 s, 4 s… up to a minute, until no lead is
 * left behind; meanwhile every write to a lead still behind replays it to the active version.
 */
import type { ServiceContext } from "../context";
import { errorFields, type Logger } from "../logger";
import type { Rescorer } from "./rescore";

const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 60_000;

export class BackgroundRescore {
  /** Runs only once enabled (by the serving process); a CLI process leaves rescores to the service. */
  private enabled = false;
  private running: Promise<void> | null = null;
  /** Asked for again while running: one more run after this one. */
  private again = false;
  private stopping = false;
  private wake: (() => void) | null = null;

  /**
   * @param context a fresh service context per run (not a request's)
   * @param workers batches rescored at once (`QUALIFY_RESCORE_WORKERS`)
   */
  constructor(
    private readonly rescorer: Rescorer,
    private readonly context: () => ServiceContext,
    private readonly workers: number,
    private readonly logger: Logger,
  ) {}

  /** From now on runs are made; starts the first (leads an earlier process left behind). */
  enable(): void {
    this.enabled = true;
    this.start();
  }

  /** Starts a run unless one is under way (then another follows it); false when runs are not made here. */
  start(): boolean {
    if (!this.enabled || this.stopping) return false;
    if (this.running) this.again = true;
    else this.running = this.run().finally(() => (this.running = null));
    return true;
  }

  /** Stops after the batch in progress, and waits for it. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
  }

  private async run(): Promise<void> {
    let delay = FIRST_RETRY_MS;
    do {
      this.again = false;
      try {
        const totals = await this.rescorer.rescoreStale(this.context(), { workers: this.workers, shouldStop: () => this.stopping });
        if (totals.leadsRescored > 0) this.logger.info("rescored leads to the active model", { ...totals });
        delay = FIRST_RETRY_MS;
      } catch (err) {
        this.logger.error("rescoring to the active model failed; trying again", { retryInMs: delay, ...errorFields(err) });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
        delay = Math.min(delay * 2, LAST_RETRY_MS);
        this.again = true;
      }
    } while (this.again && !this.stopping);
  }
}
