/**
 * Whole-population scoring: bringing every lead to the active model version after a publish (and
 * at start, to finish a rescore an earlier process did not), and the what-if of a model that is
 * not published (`previewModel`).
 *
 * A rescore works in batches of leads, each batch one transaction of a fixed number of
 * statements whatever its size:
 *   1. lock the next leads still below the active version, in id order, skipping leads a
 *      concurrent write holds (`FOR UPDATE SKIP LOCKED`);
 *   2. load all their interactions in one query, in canonical order;
 *   3. replay each lead in process (the compiled model is the definition of the score);
 *   4. one statement writes everything: delete the batch's old ledger, insert the new one,
 *      insert the stage moves (stage rules, forward only) and update every lead's totals, each
 *      from arrays (`unnest`).
 * A lead skipped because a write held it is taken up again by a later pass, until no lead is
 * left below the active version. The write that held it has already scored it in full (its
 * version was behind, so the write path replayed it), so no interaction is missed or scored twice
 * across the switch.
 */
import { randomUUID } from "node:crypto";
import type { EntityManager } from "typeorm";
import type { ServiceContext } from "../context";
import type { CompiledModel, InteractionFacts } from "../dsl/model";
import { LEAD_STAGE_CHANGED, type LeadStageChangedEvent } from "./event-bus";
import {
  AwardColumns,
  factsOfRow,
  INTERACTION_COLUMNS,
  LEAD_FIELD_COLUMNS,
  leadFieldsOfRow,
  nextExpiry,
  parameters,
} from "./ledger";
import type { DiagnosticView } from "./model.service";
import { inTransaction } from "./transaction";

/** Leads per rescore transaction. */
export const RESCORE_BATCH = 1000;
/** Leads per preview read. */
const PREVIEW_BATCH = 2000;
/** The most top movers a preview keeps (`topMovers(first)` takes at most this many). */
export const MAX_MOVERS = 100;

const FIRST_ID = "00000000-0000-0000-0000-000000000000";

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

/**
 * Rescores every lead below the active version to it, in batches, until none is left. Safe to
 * run from several places at once (publishes, starting instances): they share the work.
 */
export async function rescoreStale(ctx: ServiceContext, options: RescoreOptions = {}): Promise<RescoreTotals> {
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
          const batch = await inTransaction(ctx, (tx) => rescoreBatch(tx, slice, after, batchSize, waitForLocks));
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
    const [{ left }]: Array<{ left: boolean }> = await ctx.db.query(
      `SELECT EXISTS (SELECT 1 FROM lead WHERE model_version < (SELECT version FROM scoring_model WHERE active)) AS left`,
    );
    if (!left) return totals;
    // A pass that found every remaining lead held waits for the locks the next time (writes are short).
    waitForLocks = passRescored === 0;
  }
}

/**
 * All interactions of `leadIds` (sorted), in canonical order per lead, in one query. The id range
 * keeps every plan a range scan of the batch, however large the tables grow.
 */
async function interactionsOf(db: EntityManager, leadIds: string[]): Promise<Map<string, InteractionFacts[]>> {
  const rows: Array<Record<string, unknown>> = await db.query(
    `SELECT ${INTERACTION_COLUMNS} FROM interaction i
      WHERE i.lead_id = ANY($1::uuid[]) AND i.lead_id BETWEEN $2::uuid AND $3::uuid
      ORDER BY i.lead_id, i.occurred_at, i.seq`,
    [leadIds, leadIds[0], leadIds[leadIds.length - 1]],
  );
  const byLead = new Map<string, InteractionFacts[]>();
  let current: InteractionFacts[] = [];
  let currentLead: unknown = null;
  for (const row of rows) {
    if (row.lead_id !== currentLead) {
      currentLead = row.lead_id;
      current = [];
      byLead.set(row.lead_id as string, current);
    }
    current.push(factsOfRow(row));
  }
  return byLead;
}

async function rescoreBatch(
  tx: ServiceContext,
  slice: { from: string; to: string | null },
  after: string | null,
  limit: number,
  waitForLocks: boolean,
): Promise<{ rescored: number; moves: number; lastId: string | null }> {
  const leads: Array<Record<string, unknown>> = await tx.db.query(
    `SELECT l.id, l.stage, a.version AS active_version, ${LEAD_FIELD_COLUMNS}
       FROM lead l, (SELECT version FROM scoring_model WHERE active) a
      WHERE l.model_version < a.version
        AND l.id >= $1::uuid AND ($2::uuid IS NULL OR l.id < $2::uuid) AND ($3::uuid IS NULL OR l.id > $3::uuid)
      ORDER BY l.id LIMIT $4
      FOR UPDATE OF l${waitForLocks ? "" : " SKIP LOCKED"}`,
    [slice.from, slice.to, after, limit],
  );
  if (leads.length === 0) return { rescored: 0, moves: 0, lastId: null };
  const version = leads[0].active_version as number;
  const model = await tx.services.models.version(tx, version);
  const ids = leads.map((l) => l.id as string);
  const interactions = await interactionsOf(tx.db, ids);
  const now = tx.clock.now();
  const nowMs = now.getTime();

  const awards = new AwardColumns();
  const totals = { fit: [] as number[], engagement: [] as number[], score: [] as number[], stage: [] as string[], next: [] as Array<number | null> };
  const moves = { id: [] as string[], leadId: [] as string[], from: [] as string[], to: [] as string[], rule: [] as string[] };
  for (const lead of leads) {
    const id = lead.id as string;
    const fields = leadFieldsOfRow(lead);
    const history = interactions.get(id) ?? [];
    const evaluation = model.replay(fields, history, now);
    for (const a of evaluation.awards) awards.push(id, a);
    for (const a of evaluation.fitAwards) awards.push(id, a);
    const move = model.nextStage(lead.stage as string, { ...evaluation, lead: fields, interactions: history });
    if (move) {
      moves.id.push(randomUUID());
      moves.leadId.push(id);
      moves.from.push(lead.stage as string);
      moves.to.push(move.to);
      moves.rule.push(move.rule);
    }
    totals.fit.push(evaluation.fit);
    totals.engagement.push(evaluation.engagement);
    totals.score.push(evaluation.score);
    totals.stage.push(move ? move.to : (lead.stage as string));
    totals.next.push(nextExpiry(evaluation.awards, nowMs)?.getTime() ?? null);
  }

  // The batch's id range bounds every statement to the batch, whatever the size of the tables.
  const { values, p } = parameters();
  const idList = p(ids);
  const inRange = (column: string) => `${column} BETWEEN ${p(ids[0])}::uuid AND ${p(ids[ids.length - 1])}::uuid`;
  const parts = [`old AS (DELETE FROM score_award WHERE lead_id = ANY(${idList}::uuid[]) AND ${inRange("lead_id")})`];
  if (awards.length > 0) parts.push(`new AS (${awards.insertSql(model, version, p)})`);
  const at = p(now);
  if (moves.id.length > 0) {
    parts.push(`moves AS (
      INSERT INTO stage_transition (id, lead_id, from_stage, to_stage, at, cause, rule)
      SELECT u.id, u.lead_id, u.from_stage, u.to_stage, ${at}::timestamptz, 'RULE', u.rule
        FROM unnest(${p(moves.id)}::uuid[], ${p(moves.leadId)}::uuid[], ${p(moves.from)}::text[], ${p(moves.to)}::text[], ${p(moves.rule)}::text[])
             AS u (id, lead_id, from_stage, to_stage, rule))`);
  }
  await tx.db.query(
    `WITH ${parts.join(",\n")}
     UPDATE lead l
        SET fit = u.fit, engagement = u.engagement, score = u.score, stage = u.stage, model_version = ${p(version)}::int,
            next_expiry_at = to_timestamp(u.next_ms / 1000.0),
            updated_at = CASE WHEN l.score <> u.score OR l.stage <> u.stage THEN ${at}::timestamptz ELSE l.updated_at END
       FROM unnest(${idList}::uuid[], ${p(totals.fit)}::int[], ${p(totals.engagement)}::int[], ${p(totals.score)}::int[],
                   ${p(totals.stage)}::text[], ${p(totals.next)}::float8[]) AS u (id, fit, engagement, score, stage, next_ms)
      WHERE l.id = u.id AND ${inRange("l.id")}`,
    values,
  );

  for (let i = 0; i < moves.id.length; i++) {
    const event: LeadStageChangedEvent = {
      leadId: moves.leadId[i],
      transition: {
        id: moves.id[i],
        fromStage: moves.from[i],
        toStage: moves.to[i],
        at: now.toISOString(),
        cause: "RULE",
        rule: moves.rule[i],
        actor: null,
        reason: null,
      },
    };
    tx.afterCommit?.(() => void tx.services.events.publish(LEAD_STAGE_CHANGED, event));
  }
  return { rescored: leads.length, moves: moves.id.length, lastId: ids[ids.length - 1] };
}

/** One lead's score now and with the previewed model. */
export interface ScoreChange {
  leadId: string;
  scoreNow: number;
  scoreWithModel: number;
  change: number;
}

export interface StagePreviewCount {
  stage: string;
  now: number;
  withModel: number;
}

export interface PreviewResult {
  diagnostics: DiagnosticView[];
  /** Leads whose score or stage would differ. */
  leadsChanged: number;
  stages: StagePreviewCount[];
  /** Up to `MAX_MOVERS` leads by |change|, largest first (ties: lead id). */
  topMovers: ScoreChange[];
}

const byMovement = (a: ScoreChange, b: ScoreChange) =>
  Math.abs(b.change) - Math.abs(a.change) || (a.leadId < b.leadId ? -1 : a.leadId > b.leadId ? 1 : 0);

/**
 * Replays every lead with `model` and compares with what is stored, inside one read-only
 * snapshot (`REPEATABLE READ READ ONLY`): nothing can be written, and the counts are consistent.
 * A lead's stage with the model is its current stage moved forward by the model's stage rules.
 */
export async function previewModel(ctx: ServiceContext, model: CompiledModel): Promise<Omit<PreviewResult, "diagnostics">> {
  return ctx.db.transaction("REPEATABLE READ", async (db) => {
    await db.query(`SET TRANSACTION READ ONLY`);
    const now = ctx.clock.now();
    const stagesNow = new Map<string, number>();
    const stagesWith = new Map<string, number>();
    const bump = (counts: Map<string, number>, stage: string) => counts.set(stage, (counts.get(stage) ?? 0) + 1);
    let movers: ScoreChange[] = [];
    let leadsChanged = 0;
    let after = FIRST_ID;
    for (;;) {
      const leads: Array<Record<string, unknown>> = await db.query(
        `SELECT l.id, l.stage, l.score, ${LEAD_FIELD_COLUMNS} FROM lead l WHERE l.id > $1 ORDER BY l.id LIMIT $2`,
        [after, PREVIEW_BATCH],
      );
      if (leads.length === 0) break;
      const interactions = await interactionsOf(db, leads.map((l) => l.id as string));
      for (const lead of leads) {
        const id = lead.id as string;
        const stage = lead.stage as string;
        const scoreNow = lead.score as number;
        const fields = leadFieldsOfRow(lead);
        const history = interactions.get(id) ?? [];
        const evaluation = model.replay(fields, history, now);
        const stageWith = model.nextStage(stage, { ...evaluation, lead: fields, interactions: history })?.to ?? stage;
        bump(stagesNow, stage);
        bump(stagesWith, stageWith);
        if (evaluation.score !== scoreNow || stageWith !== stage) leadsChanged++;
        if (evaluation.score !== scoreNow) {
          movers.push({ leadId: id, scoreNow, scoreWithModel: evaluation.score, change: evaluation.score - scoreNow });
          if (movers.length >= 4 * MAX_MOVERS) movers = movers.sort(byMovement).slice(0, MAX_MOVERS);
        }
      }
      after = leads[leads.length - 1].id as string;
      if (leads.length < PREVIEW_BATCH) break;
    }
    const known = [...model.funnel.stages, ...model.funnel.offPath];
    const others = [...new Set([...stagesNow.keys(), ...stagesWith.keys()])].filter((s) => !known.includes(s)).sort();
    const stages = [...known, ...others].map((stage) => ({
      stage,
      now: stagesNow.get(stage) ?? 0,
      withModel: stagesWith.get(stage) ?? 0,
    }));
    return { leadsChanged, stages, topMovers: movers.sort(byMovement).slice(0, MAX_MOVERS) };
  });
}
