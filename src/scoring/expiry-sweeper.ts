/**
 * The time sweeper: points that expire or decay leave the score without anyone writing to the
 * lead. Every instance runs it on an interval (15 s by default, `QUALIFY_EXPIRY_SWEEP_SECONDS`).
 * Each sweep takes the leads whose next change (`next_expiry_at`: the next instant one of their
 * awards expires or decays a step) has passed, 500 at a time, each batch one transaction
 * (`FOR UPDATE SKIP LOCKED`: instances and writes never wait on each other):
 *   1. lock the due leads (one statement) and load all their ledger rows (one statement);
 *   2. in process, the compiled model of each lead's version computes its totals at each step
 *      instant from its next change to now (`time-steps.ts`): a point of its score history at
 *      each instant that changed them, stamped at that instant (cause EXPIRY when an award
 *      expires then, else DECAY), its totals, groups and next change as of now;
 *   3. one write (`writeOutcomes`, per model version among the batch: normally one).
 * 100,000 leads due are 200 transactions. Stages do not move: time is not a change of the lead,
 * and rules never move a lead backwards.
 */
import type { ServiceContext } from "../context";
import { inTransaction } from "../database/transaction";
import type { Award, CompiledModel } from "../dsl/model";
import { saturate } from "../dsl/runtime/totals";
import { LeadEntity } from "../entities/lead.entity";
import type { Announcements } from "../events/announce";
import type { Logger } from "../logger";
import { errorFields } from "../logger";
import { AWARD_TUPLE, type AwardTuple, storedOfTuple } from "./ledger-rows";
import { type LeadOutcome, type ScorePointRow, writeOutcomes } from "./ledger-writer";
import type { ModelVersions } from "./model-versions";
import { sameGroups, timeSteps } from "./time-steps";

/** Leads per sweep transaction. */
export const SWEEP_BATCH = 500;

/** The due leads, locked, in the order they fell due. */
const DUE_LEADS_SQL = `
  SELECT l.id, l.fit, l.engagement, l.score, l.stage, l.model_version, l.next_expiry_at
    FROM lead l
   WHERE l.next_expiry_at <= $1
   ORDER BY l.next_expiry_at
   LIMIT $2
     FOR UPDATE SKIP LOCKED`;

/** Every ledger row of the leads `$1`, in one statement. */
const AWARDS_SQL = `SELECT a.lead_id, ${AWARD_TUPLE} AS award FROM score_award a WHERE a.lead_id = ANY($1::uuid[])`;

interface DueLead {
  id: string;
  fit: number;
  engagement: number;
  score: number;
  stage: string;
  model_version: number;
  next_expiry_at: Date;
}

/** One lead brought to `now`: what to write, and its score before. */
interface Swept {
  version: number;
  model: CompiledModel;
  outcome: LeadOutcome;
  scoreBefore: number;
}

/** Brings one due lead's stored totals to `now` from its ledger rows. */
function sweepLead(row: DueLead, model: CompiledModel, awards: readonly Award[], now: Date): LeadOutcome {
  const activity = awards.filter((a) => a.category === "ENGAGEMENT");
  const fit = awards.filter((a) => a.category === "FIT");
  const due = new Date(row.next_expiry_at);
  let last = { score: row.score, fit: row.fit, engagement: row.engagement };
  const points: ScorePointRow[] = [];
  for (const step of timeSteps(model, activity, fit, due, now)) {
    const { score, fit: f, engagement } = step.totals;
    if (score === last.score && f === last.fit && engagement === last.engagement) continue;
    points.push({ at: step.at, score, fit: f, engagement, cause: step.cause, interactionId: null });
    last = { score, fit: f, engagement };
  }
  const totals = model.totalsOf(activity, fit, now);
  // The stored group rows are the groups as of just before the lead fell due (its last write or sweep).
  const before = model.groups.length === 0 ? [] : model.totalsOf(activity, fit, new Date(due.getTime() - 1)).groups;
  const lead = Object.assign(new LeadEntity(), {
    id: row.id,
    fit: totals.fit,
    engagement: totals.engagement,
    score: totals.score,
    stage: row.stage,
    nextExpiryAt: model.nextChange(activity, now),
  });
  return {
    lead,
    wipe: false,
    removedRowIds: [],
    added: [],
    moves: [],
    points,
    touched: totals.score !== row.score,
    profile: false,
    groups: sameGroups(before, totals.groups) ? null : totals.groups,
  };
}

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
    private readonly models: ModelVersions,
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
   * Brings every lead whose next change has passed by `now` (default: the clock) to `now`: its
   * expired points out, its decayed points at their value; returns how many leads it updated.
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
      const swept = await inTransaction(ctx, (tx) => this.sweepBatch(tx, now));
      total += swept;
      if (swept < SWEEP_BATCH) {
        this.lastSweptAt = new Date();
        return total;
      }
    }
  }

  /** One batch: lock, load, compute, one write per model version; returns how many leads it took. */
  private async sweepBatch(tx: ServiceContext, now: Date): Promise<number> {
    const due: DueLead[] = await tx.db.query(DUE_LEADS_SQL, [now, SWEEP_BATCH]);
    if (due.length === 0) return 0;
    const rows: Array<{ lead_id: string; award: AwardTuple }> = await tx.db.query(AWARDS_SQL, [due.map((d) => d.id)]);
    const awards = new Map<string, Award[]>();
    for (const row of rows) {
      const list = awards.get(row.lead_id) ?? [];
      list.push(storedOfTuple(row.award, () => "").award);
      awards.set(row.lead_id, list);
    }
    const swept: Swept[] = [];
    for (const row of due) {
      const model = await this.models.version(tx, row.model_version);
      swept.push({ version: row.model_version, model, outcome: sweepLead(row, model, awards.get(row.id) ?? [], now), scoreBefore: row.score });
    }
    for (const version of new Set(swept.map((s) => s.version))) {
      const ofVersion = swept.filter((s) => s.version === version);
      await writeOutcomes(tx, { model: ofVersion[0].model, version, now, outcomes: ofVersion.map((s) => s.outcome) });
    }
    for (const { outcome, scoreBefore } of swept) {
      const { id, score } = outcome.lead;
      this.announce.scored(tx, { leadId: id, interactionId: null, pointsAwarded: saturate(score - scoreBefore), score });
    }
    return due.length;
  }
}
