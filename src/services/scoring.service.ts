/**
 * Scoring on write. Both hooks run inside the transaction that changed the lead, with the lead row
 * locked (`FOR UPDATE`), so the ledger, the lead's totals and its stage change atomically with the
 * interaction or profile change that caused them, and writes to one lead serialise.
 *
 * One change costs two statements here, whatever the model:
 *   1. one query loads the active model version, the lead's interactions and its ledger rows
 *      (for a new interaction, the same statement inserts it: `recordInteraction`);
 *   2. one statement writes the outcome: ledger rows removed and added, the stage move, and the
 *      lead's fit / engagement / score / stage / model version / next expiry.
 * In between, the compiled model decides: `incremental` for a new interaction of a lead already
 * on the active version, a full `replay` when the lead's version is behind (a model was published
 * since) or when a field change reaches the engagement rules (`where lead.<field>`), and `fit`
 * after every change. The stored score therefore always equals the canonical replay.
 */
import { randomUUID } from "node:crypto";
import type { ServiceContext } from "../context";
import type { Award, CompiledModel, InteractionFacts } from "../dsl/model";
import { InteractionEntity } from "../entities/interaction.entity";
import type { LeadEntity } from "../entities/lead.entity";
import { StageTransitionEntity } from "../entities/stage-transition.entity";
import { LEAD_SCORED } from "./event-bus";
import {
  AWARD_TUPLE,
  AwardColumns,
  type AwardTuple,
  countingSum,
  factsOfTuple,
  INTERACTION_TUPLE,
  type InteractionTuple,
  leadFieldsOf,
  nextExpiry,
  parameters,
  type StoredAward,
  storedOfTuple,
} from "./ledger";

/** What scoring did for one change. */
export interface ScoringEffect {
  /** The change of the lead's score caused by this change (new score − score as of now before it). */
  pointsAwarded: number;
  /** The stage move it caused, already stored; published by the caller after the commit. */
  stageChange: StageTransitionEntity | null;
  /** For a new interaction: its awards (what `Interaction.awards` will read), null otherwise. */
  interactionAwards: Award[] | null;
}

export const NO_EFFECT: ScoringEffect = Object.freeze({ pointsAwarded: 0, stageChange: null, interactionAwards: null });

/** The active model version, the lead's (`$1`) interactions in canonical order, and its ledger. */
const LOAD_COLUMNS = `
  (SELECT version FROM scoring_model WHERE active) AS version,
  (SELECT coalesce(json_agg(${INTERACTION_TUPLE} ORDER BY i.occurred_at, i.seq), '[]'::json)
     FROM interaction i WHERE i.lead_id = $1) AS interactions,
  (SELECT coalesce(json_agg(${AWARD_TUPLE}), '[]'::json)
     FROM score_award a WHERE a.lead_id = $1) AS awards`;

/**
 * A new interaction inserted and the lead's history loaded, in one statement. The history's
 * snapshot is taken after the lead was locked, so it holds every earlier write to the lead; it
 * does not see the row this statement inserts (that one comes back from the INSERT).
 */
const INSERT_AND_LOAD_SQL = `
  WITH ins AS (
    INSERT INTO interaction (lead_id, type, target, source, external_id, properties, occurred_at, received_at)
    VALUES ($1::uuid, $2, $3, $4, $5, $6::jsonb, $7::timestamptz, $8::timestamptz)
    ON CONFLICT DO NOTHING
    RETURNING id, seq)
  SELECT (SELECT id FROM ins) AS inserted_id, (SELECT seq FROM ins) AS inserted_seq, ${LOAD_COLUMNS}`;

/** The columns of an interaction to record. */
export type NewInteraction = Pick<
  InteractionEntity,
  "leadId" | "type" | "target" | "source" | "properties" | "occurredAt" | "externalId" | "receivedAt"
>;

interface LoadedRow {
  version: number | null;
  interactions: InteractionTuple[];
  awards: AwardTuple[];
}

interface Loaded {
  version: number;
  model: CompiledModel;
  interactions: InteractionFacts[];
  /** Every ledger row of the lead (all of one version: the lead's). */
  stored: StoredAward[];
}

interface Change {
  /** The just-inserted interaction, or null for a profile change alone. */
  interaction: InteractionEntity | null;
  /** Whether profile fields changed (fit is recomputed; engagement replayed if it reads them). */
  fieldsChanged: boolean;
}

const awardKey = (a: Award): string => `${a.interactionId ?? ""}:${a.ruleIndex}`;

/** Splits `fresh` against `stored` by award key: stored rows not in `fresh` are removed, new ones added. */
function diff(stored: StoredAward[], fresh: readonly Award[], removed: StoredAward[], added: Award[]): void {
  const byKey = new Map(stored.map((s) => [awardKey(s.award), s]));
  for (const award of fresh) {
    if (!byKey.delete(awardKey(award))) added.push(award);
  }
  for (const s of byKey.values()) removed.push(s);
}

function factsOf(interaction: InteractionEntity): InteractionFacts {
  return {
    id: interaction.id,
    seq: Number(interaction.seq),
    type: interaction.type,
    target: interaction.target,
    source: interaction.source,
    properties: interaction.properties,
    occurredAt: interaction.occurredAt,
  };
}

export class ScoringService {
  /**
   * Scores a just-inserted interaction of a locked lead (inside the caller's transaction): writes
   * its ledger rows (and, for an out-of-order arrival, changes later ones), updates the lead's
   * totals and `updatedAt`, then evaluates the stage rules once. `fieldsChanged`: the same change
   * merged profile fields into the lead first (fit and, if needed, engagement follow).
   */
  async onInteraction(
    tx: ServiceContext,
    lead: LeadEntity,
    interaction: InteractionEntity,
    options: { fieldsChanged?: boolean } = {},
  ): Promise<ScoringEffect> {
    const loaded = await this.load(tx, await tx.db.query(`SELECT ${LOAD_COLUMNS}`, [lead.id]));
    return this.score(tx, lead, { interaction, fieldsChanged: options.fieldsChanged ?? false }, loaded);
  }

  /**
   * Records an interaction of a locked lead and scores it like `onInteraction`, one statement
   * fewer: the insert travels with the load of the lead's history. Null when a concurrent copy
   * with the same `(source, externalId)` was recorded first (the caller retries, and finds it).
   */
  async recordInteraction(
    tx: ServiceContext,
    lead: LeadEntity,
    values: NewInteraction,
    options: { fieldsChanged?: boolean } = {},
  ): Promise<{ interaction: InteractionEntity; effect: ScoringEffect } | null> {
    const rows: Array<LoadedRow & { inserted_id: string | null; inserted_seq: string | null }> = await tx.db.query(INSERT_AND_LOAD_SQL, [
      lead.id,
      values.type,
      values.target,
      values.source,
      values.externalId,
      JSON.stringify(values.properties ?? {}),
      values.occurredAt,
      values.receivedAt,
    ]);
    if (rows[0].inserted_id === null) return null;
    const interaction = Object.assign(new InteractionEntity(), values, { id: rows[0].inserted_id, seq: String(rows[0].inserted_seq) });
    const loaded = await this.load(tx, rows);
    const effect = await this.score(tx, lead, { interaction, fieldsChanged: options.fieldsChanged ?? false }, loaded);
    return { interaction, effect };
  }

  /** Re-evaluates fit (engagement too when it reads lead fields) and stages of a locked lead whose profile changed. */
  async onLeadChanged(tx: ServiceContext, lead: LeadEntity): Promise<ScoringEffect> {
    const loaded = await this.load(tx, await tx.db.query(`SELECT ${LOAD_COLUMNS}`, [lead.id]));
    return this.score(tx, lead, { interaction: null, fieldsChanged: true }, loaded);
  }

  /** The loaded row as model inputs, with the compiled model of its version. */
  private async load(tx: ServiceContext, [row]: LoadedRow[]): Promise<Loaded> {
    if (row.version === null) throw new Error("no scoring model is active (the service publishes the seed model when it starts)");
    const model = await tx.services.models.version(tx, row.version);
    const name = (version: number, index: number) => (version === row.version ? model.rules[index]?.name : undefined) ?? "";
    return {
      version: row.version,
      model,
      interactions: row.interactions.map(factsOfTuple),
      stored: row.awards.map((t) => storedOfTuple(t, name)),
    };
  }

  private async score(tx: ServiceContext, lead: LeadEntity, change: Change, loaded: Loaded): Promise<ScoringEffect> {
    const now = tx.clock.now();
    const nowMs = now.getTime();
    const { version, model, interactions, stored } = loaded;
    const fields = leadFieldsOf(lead);
    const fresh = change.interaction === null ? null : factsOf(change.interaction);
    if (fresh !== null && !interactions.some((i) => i.id === fresh.id)) interactions.push(fresh);

    // Behind the active version: every stored row goes, the lead is replayed in full.
    const stale = lead.modelVersion !== version;
    const before = countingSum(
      stored.map((s) => s.award),
      nowMs,
    );
    const current = stale ? [] : stored;
    const activity = current.filter((s) => s.award.category === "ENGAGEMENT");
    const removed: StoredAward[] = [];
    const added: Award[] = [];
    if (stale || (change.fieldsChanged && model.engagementReadsLead)) {
      diff(activity, model.replay(fields, interactions, now).awards, removed, added);
    } else if (fresh !== null) {
      const rowOf = new Map(activity.map((s) => [s.award, s]));
      const result = model.incremental(
        { lead: fields, interactions: interactions.filter((i) => i.id !== fresh.id), awards: activity.map((s) => s.award) },
        fresh,
        now,
      );
      for (const award of result.removed) {
        const row = rowOf.get(award);
        if (!row) throw new Error("incremental scoring removed an award that is not in the ledger");
        removed.push(row);
      }
      added.push(...result.added);
    }
    const fit = model.fit(fields, now);
    diff(
      current.filter((s) => s.award.category === "FIT"),
      fit.awards,
      removed,
      added,
    );

    const gone = new Set(removed);
    const activityNow = [...activity.filter((s) => !gone.has(s)).map((s) => s.award), ...added.filter((a) => a.category === "ENGAGEMENT")];
    const engagement = countingSum(activityNow, nowMs);
    const score = fit.fit + engagement;
    const next = nextExpiry(activityNow, nowMs);
    const move = model.nextStage(lead.stage, { fit: fit.fit, engagement, score, lead: fields, interactions });

    const ledgerChanged = removed.length > 0 || added.length > 0 || (stale && stored.length > 0);
    const leadChanged =
      stale ||
      move !== null ||
      change.interaction !== null ||
      lead.fit !== fit.fit ||
      lead.engagement !== engagement ||
      lead.score !== score ||
      (lead.nextExpiryAt?.getTime() ?? null) !== (next?.getTime() ?? null);
    let transition: StageTransitionEntity | null = null;
    if (ledgerChanged || leadChanged) {
      const { values, p } = parameters([lead.id]);
      const parts: string[] = [];
      if (stale && stored.length > 0) parts.push(`old AS (DELETE FROM score_award WHERE lead_id = $1)`);
      else if (removed.length > 0) parts.push(`old AS (DELETE FROM score_award WHERE id = ANY(${p(removed.map((r) => r.id))}::uuid[]))`);
      if (added.length > 0) {
        const columns = new AwardColumns();
        for (const award of added) columns.push(lead.id, award);
        parts.push(`new AS (${columns.insertSql(model, version, p)})`);
      }
      if (move !== null) {
        transition = tx.db.create(StageTransitionEntity, {
          id: randomUUID(),
          leadId: lead.id,
          fromStage: lead.stage,
          toStage: move.to,
          at: now,
          cause: "RULE",
          rule: move.rule,
          actor: null,
          reason: null,
        });
        parts.push(`move AS (
          INSERT INTO stage_transition (id, lead_id, from_stage, to_stage, at, cause, rule)
          VALUES (${p(transition.id)}::uuid, $1::uuid, ${p(transition.fromStage)}, ${p(transition.toStage)}, ${p(now)}::timestamptz, 'RULE', ${p(move.rule)}))`);
      }
      // A new interaction or a stage move changes the lead now (a field change was stamped by the patch).
      const touched = change.interaction !== null || move !== null;
      await tx.db.query(
        `${parts.length > 0 ? `WITH ${parts.join(",\n")}\n` : ""}UPDATE lead
            SET fit = ${p(fit.fit)}::int, engagement = ${p(engagement)}::int, score = ${p(score)}::int,
                model_version = ${p(version)}::int, next_expiry_at = ${p(next)}::timestamptz, stage = ${p(move?.to ?? lead.stage)}
                ${touched ? `, updated_at = ${p(now)}::timestamptz` : ""}
          WHERE id = $1::uuid`,
        values,
      );
      Object.assign(lead, { fit: fit.fit, engagement, score, modelVersion: version, nextExpiryAt: next, stage: move?.to ?? lead.stage });
      if (touched) lead.updatedAt = now;
    }

    const pointsAwarded = score - before;
    if (change.interaction !== null || pointsAwarded !== 0) {
      const event = { leadId: lead.id, interactionId: change.interaction?.id ?? null, pointsAwarded, score };
      // Not awaited: a slow event bus must not hold the request (publish logs its own failures).
      tx.afterCommit?.(() => void tx.services.events.publish(LEAD_SCORED, event));
    }
    return {
      pointsAwarded,
      stageChange: transition,
      interactionAwards: fresh === null ? null : added.filter((a) => a.interactionId === fresh.id),
    };
  }
}
