/**
 * Bringing every lead to the active model version after a publish (and at start, to finish a
 * rescore an earlier process did not; `background-rescore.ts`).
 *
 * A rescore works in batches of leads, each batch one transaction of a fixed number of
 * statements whatever its size:
 *   1. lock the next leads still below the active version, in id order, skipping leads a
 *      concurrent write holds (`lockStaleLeads`, `FOR UPDATE SKIP LOCKED`);
 *   2. load all their interactions in one query, in canonical order;
 *   3. replay each lead in process (the compiled model is the definition of the score);
 *   4. one statement writes everything (`ledger-writer.ts`): the batch's old ledger deleted, the
 *      new one inserted, the stage moves (stage rules, forward only), every lead's totals.
 * A lead skipped because a write held it is taken up again by a later pass, until no lead is
 * left below the active version. The write that held it has already scored it in full (its
 * version was behind, so the write path replayed it), so no interaction is missed or scored twice
 * across the switch.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { ServiceContext } from "../context";
import { inTransaction } from "../database/transaction";
import type { CompiledModel, InteractionFacts } from "../dsl/model";
import { LeadEntity } from "../entities/lead.entity";
import type { Announcements } from "../events/announce";
import type { Metrics } from "../metrics";
import { lockStaleLeads } from "./lead-rows";
import { interactionsOf, leadFieldsOfRow, resetOfRow } from "./ledger-rows";
import { type LeadOutcome, type RuleMove, writeOutcomes } from "./ledger-writer";
import type { ModelVersions } from "./model-versions";
import { leadsLeftBehind } from "./rescore-progress";

/** Leads per rescore transaction. */
export const RESCORE_BATCH = 1000;

/** What a rescore works with. */
export interface RescoreDeps {
  models: ModelVersions;
  announce: Announcements;
  /** The statement giving a batch's transaction the bounds of bulk work (`bulkWorkBounds`). */
  bulkBounds: string;
  metrics: Metrics;
}

export interface RescoreTotals {
  leadsRescored: number;
  stageChanges: number;
}

export interface RescoreOptions {
  batchSize?: number;
  /**
   * Batches in flight at once, each on its own connection, over disjoint slices of the id space
   * (the database writes one batch while the process replays another). 1 on a one-connection pool.
   */
  workers?: number;
  /** Checked between batches: a stopping process leaves the rest to the next start. */
  shouldStop?: () => boolean;
}

/** The id space cut into `n` slices `[from, to)` (`to` null: to the end); ids are random uuids. */
function slices(n: number): Array<{ from: string; to: string | null }> {
  const bound = (i: number) => `${Math.floor((i * 256) / n).toString(16).padStart(2, "0")}000000-0000-0000-0000-000000000000`;
  return Array.from({ length: n }, (_, i) => ({ from: bound(i), to: i + 1 < n ? bound(i + 1) : null }));
}

export class Rescorer {
  constructor(private readonly deps: RescoreDeps) {}

  /**
   * Rescores every lead below the active version to it, in batches, until none is left. Safe to
   * run from several places at once (publishes, starting instances): they share the work.
   */
  rescoreStale(ctx: ServiceContext, options: RescoreOptions = {}): Promise<RescoreTotals> {
    return rescoreStale(this.deps, ctx, options);
  }
}

async function rescoreStale(deps: RescoreDeps, ctx: ServiceContext, options: RescoreOptions): Promise<RescoreTotals> {
  const batchSize = options.batchSize ?? RESCORE_BATCH;
  const workers = Math.max(1, Math.min(16, options.workers ?? 1));
  const totals: RescoreTotals = { leadsRescored: 0, stageChanges: 0 };
  let waitForLocks = false;
  for (;;) {
    let passRescored = 0;
    // One pass: each worker walks its slice in id order, a batch at a time.
    await Promise.all(
      slices(workers).map(async (slice) => {
        let after: string | null = null;
        for (;;) {
          if (options.shouldStop?.()) return;
          const batch = await inTransaction(ctx, (tx) => rescoreBatch(deps, tx, slice, after, batchSize, waitForLocks), { bounds: deps.bulkBounds });
          totals.leadsRescored += batch.rescored;
          totals.stageChanges += batch.moves;
          passRescored += batch.rescored;
          if (batch.lastId === null || batch.rescored < batchSize) return;
          after = batch.lastId;
        }
      }),
    );
    if (options.shouldStop?.()) return totals;
    // The end of a pass: anything left is a lead a concurrent write held (or wrote behind).
    // (With none left, the version's finish is recorded for `rescoreStatus`.)
    if (!(await leadsLeftBehind(ctx))) return totals;
    // A pass that found every remaining lead held waits for the locks the next time (writes are short).
    waitForLocks = passRescored === 0;
  }
}

/** The leads of one rescore batch, replayed: what to write, and how many moved stage. */
interface ReplayedBatch {
  outcomes: LeadOutcome[];
  moves: number;
}

/** Replays each locked lead (a row of `lockStaleLeads`) with `model` and decides what to write. */
function replayBatch(leads: ReadonlyArray<Record<string, unknown>>, interactions: Map<string, InteractionFacts[]>, model: CompiledModel, now: Date): ReplayedBatch {
  const outcomes: LeadOutcome[] = [];
  let moves = 0;
  for (const row of leads) {
    const id = row.id as string;
    const fields = leadFieldsOfRow(row);
    const history = interactions.get(id) ?? [];
    const evaluation = model.replay(fields, history, now, resetOfRow(row));
    const stage = row.stage as string;
    const move = model.nextStage(stage, { ...evaluation, lead: fields, interactions: history });
    const ruleMoves: RuleMove[] = move ? [{ id: randomUUID(), leadId: id, fromStage: stage, toStage: move.to, rule: move.rule }] : [];
    moves += ruleMoves.length;
    const lead = Object.assign(new LeadEntity(), {
      id,
      fit: evaluation.fit,
      engagement: evaluation.engagement,
      score: evaluation.score,
      stage: move ? move.to : stage,
      nextExpiryAt: model.nextChange(evaluation.awards, now),
    });
    const { fit, engagement, score } = evaluation;
    const changed = score !== row.score || fit !== row.stored_fit || engagement !== row.stored_engagement;
    outcomes.push({
      lead,
      wipe: true,
      removedRowIds: [],
      added: [...evaluation.awards, ...evaluation.fitAwards].map((award) => ({ award })),
      moves: ruleMoves,
      points: changed ? [{ at: now, score, fit, engagement, cause: "MODEL", interactionId: null }] : [],
      touched: evaluation.score !== (row.score as number) || move !== null,
      profile: false,
      // Every row of the lead's groups is rewritten where it differs (those of other models go).
      groups: evaluation.groups,
    });
  }
  return { outcomes, moves };
}

/** One batch: lock the next stale leads of the slice, replay them, write them (one statement), announce their moves. */
async function rescoreBatch(
  deps: RescoreDeps,
  tx: ServiceContext,
  slice: { from: string; to: string | null },
  after: string | null,
  limit: number,
  waitForLocks: boolean,
): Promise<{ rescored: number; moves: number; lastId: string | null }> {
  const leads = await lockStaleLeads(tx, slice, after, limit, waitForLocks);
  if (leads.length === 0) return { rescored: 0, moves: 0, lastId: null };
  const version = leads[0].active_version as number;
  const model = await deps.models.version(tx, version);
  const ids = leads.map((l) => l.id as string);
  const now = tx.clock.now();
  const interactions = await interactionsOf(tx.db, ids);
  const replaying = performance.now();
  const { outcomes, moves } = replayBatch(leads, interactions, model, now);
  deps.metrics.scored("rescore", replaying);
  // The batch's id range bounds every statement to the batch, whatever the size of the tables.
  await writeOutcomes(tx, { model, version, now, outcomes, idRange: [ids[0], ids[ids.length - 1]] });
  for (const outcome of outcomes) for (const move of outcome.moves) deps.announce.stageChanged(tx, move.leadId, { ...move, at: now, cause: "RULE", actor: null, reason: null });
  return { rescored: leads.length, moves, lastId: ids[ids.length - 1] };
}
