/**
 * Scoring on write: the pipeline *interaction → scorer → ledger → stage → event*. Every method runs
 * inside the transaction that changed the lead, with the lead row locked (`lead-rows.ts`), so the
 * ledger, the lead's totals and its stage change atomically with the interaction or profile change
 * that caused them, and writes to one lead serialise.
 *
 * One change costs two statements here, whatever the model:
 *   1. one query loads the active model version, the lead's interactions and its ledger rows (for
 *      a new interaction, the same statement inserts it), unless this process holds the lead's
 *      state as of its locked row (`warm-ledgers.ts`);
 *   2. one statement writes the outcome (`ledger-writer.ts`), sent with the COMMIT.
 * In between, `LeadLedger.apply` lets the compiled model decide, so the stored score always equals
 * the canonical replay. Stage moves and score changes are announced after the commit.
 *
 * The rest of the room: `record-batch.ts` (a batch, set-based), `rescore.ts` (every lead to a newly
 * published model), `preview.ts` (a model's what-if), `expiry-sweeper.ts` (expired points leave
 * scores), `background-rescore.ts` (rescores that must be finished).
 */
import { performance } from "node:perf_hooks";
import type { ServiceContext } from "../context";
import { hotStatement } from "../database/transaction";
import { InteractionEntity } from "../entities/interaction.entity";
import type { LeadEntity } from "../entities/lead.entity";
import { saturate } from "../dsl/runtime/totals";
import { LeadLedger } from "./lead-ledger";
import { lockByIdAndInsert } from "./lead-rows";
import { historyColumns, type HistoryRow } from "./ledger-rows";
import { type BatchItem, recordBatch } from "./record-batch";
import { factsOf, type NewInteraction, type RecordResult, type ScoringDeps, type ScoringEffect } from "./recording";

/** The active model version, and the history of the lead `$1` unless `$2` (the process has it). */
const LOAD_SQL = hotStatement(`SELECT ${historyColumns("$1", "$2::boolean")}`);

/**
 * A new interaction inserted and the lead's history loaded (unless `$9`: the process has it), in
 * one statement. The history's snapshot is taken after the lead was locked, so it holds every
 * earlier write to the lead; it does not see the row this statement inserts (that one comes back
 * from the INSERT).
 */
const INSERT_AND_LOAD_SQL = hotStatement(`
  WITH ins AS (
    INSERT INTO interaction (lead_id, type, target, source, external_id, properties, occurred_at, received_at)
    VALUES ($1::uuid, $2, $3, $4, $5, $6::jsonb, $7::timestamptz, $8::timestamptz)
    ON CONFLICT DO NOTHING
    RETURNING id, seq)
  SELECT (SELECT id FROM ins) AS inserted_id, (SELECT seq FROM ins) AS inserted_seq, ${historyColumns("$1", "$9::boolean")}`);

/** What `recordById` found: no such lead, a copy of a recorded interaction, a lost race, or the recording. */
export type RecordedById =
  | { kind: "no-lead" }
  | { kind: "duplicate"; duplicateOf: string }
  | { kind: "raced" }
  | { kind: "recorded"; lead: LeadEntity; interaction: InteractionEntity; effect: ScoringEffect };

/** `$2`…`$8` of the statements that insert an interaction: its columns in order. */
const insertValues = (values: Omit<NewInteraction, "leadId">): unknown[] => [
  values.type,
  values.target,
  values.source,
  values.externalId,
  JSON.stringify(values.properties ?? {}),
  values.occurredAt,
  values.receivedAt,
];

export class Scorer {
  constructor(private readonly deps: ScoringDeps) {}

  /**
   * Records an interaction of a locked lead and scores it (inside the caller's transaction): the
   * insert travels with the load of the lead's history; then its ledger rows are written (for an
   * out-of-order arrival, later ones change too), the lead's totals and `updatedAt` updated, and
   * the stage rules evaluated once. `fieldsChanged`: the same change merged profile fields into
   * the lead first (fit and, if needed, engagement follow). Null when a concurrent copy with the
   * same `(source, externalId)` was recorded first (the caller retries, and finds it).
   */
  async recordInteraction(
    tx: ServiceContext,
    lead: LeadEntity,
    values: NewInteraction,
    options: { fieldsChanged?: boolean } = {},
  ): Promise<{ interaction: InteractionEntity; effect: ScoringEffect } | null> {
    const warm = this.deps.warmLedgers.takeLocked(lead);
    const [row]: Array<HistoryRow & { inserted_id: string | null; inserted_seq: string | null }> = await tx.db.query(INSERT_AND_LOAD_SQL, [
      lead.id,
      ...insertValues(values),
      warm !== undefined,
    ]);
    if (row.inserted_id === null) return null;
    const interaction = Object.assign(new InteractionEntity(), values, { id: row.inserted_id, seq: String(row.inserted_seq) });
    const ledger = await LeadLedger.load(this.deps.models, tx, lead, row, tx.clock.now(), { warm });
    return { interaction, effect: await this.finish(tx, ledger, interaction, options.fieldsChanged ?? false) };
  }

  /**
   * Records an interaction of the lead `leadId` and scores it, starting the transaction with one
   * statement that locks the lead, checks the key and inserts (`lockByIdAndInsert`).
   */
  async recordById(tx: ServiceContext, leadId: string, values: Omit<NewInteraction, "leadId">): Promise<RecordedById> {
    const { warmLedgers, models } = this.deps;
    const found = await lockByIdAndInsert(tx, leadId, insertValues(values), warmLedgers.versionOf(leadId));
    if (found.kind !== "inserted") return found;
    const { lead, history } = found;
    const interaction = Object.assign(new InteractionEntity(), values, { leadId, id: found.insertedId, seq: found.insertedSeq });
    // Not read: the row is the version this process wrote, whose state it keeps (unless a
    // concurrent request of this process took that state meanwhile).
    const warm = history.interactions === null ? warmLedgers.take(leadId, found.rowVersion) : undefined;
    let row = history;
    // Not read (and not warm after all), or the lead changed between the snapshot and the lock: read again, after the lock.
    if (!warm && (history.interactions === null || !found.current)) [row] = await tx.db.query(LOAD_SQL, [leadId, false]);
    const ledger = await LeadLedger.load(models, tx, lead, row, tx.clock.now(), { warm, exclude: new Set([found.insertedId]) });
    return { kind: "recorded", lead, interaction, effect: await this.finish(tx, ledger, interaction, false) };
  }

  /** Re-evaluates fit (engagement too when it reads lead fields) and stages of a locked lead whose profile changed. */
  async scoreProfileChange(tx: ServiceContext, lead: LeadEntity): Promise<ScoringEffect> {
    const warm = this.deps.warmLedgers.takeLocked(lead);
    const [row]: HistoryRow[] = await tx.db.query(LOAD_SQL, [lead.id, warm !== undefined]);
    const ledger = await LeadLedger.load(this.deps.models, tx, lead, row, tx.clock.now(), { warm });
    return this.finish(tx, ledger, null, true);
  }

  /**
   * Resets the engagement of a locked lead as of now (recycling, `engagement_since`): its
   * engagement replayed in full from now (earlier interactions earn nothing), a RESET point of its
   * score history, no stage rule run. Written with the transaction's COMMIT, with the lead's stage
   * as the caller left it.
   */
  async resetEngagement(tx: ServiceContext, lead: LeadEntity): Promise<void> {
    const warm = this.deps.warmLedgers.takeLocked(lead);
    const [row]: HistoryRow[] = await tx.db.query(LOAD_SQL, [lead.id, warm !== undefined]);
    const ledger = await LeadLedger.load(this.deps.models, tx, lead, row, tx.clock.now(), { warm });
    const before = lead.score;
    ledger.reset();
    await LeadLedger.write(tx, [ledger], this.deps.warmLedgers);
    this.deps.announce.scored(tx, { leadId: lead.id, interactionId: null, pointsAwarded: saturate(lead.score - before), score: lead.score });
  }

  /**
   * Records a batch in array order, each item as its own change, in one transaction of a few
   * set-based statements (`record-batch.ts`); the outcome of each item, by index.
   */
  recordBatch(ctx: ServiceContext, items: BatchItem[]): Promise<Map<number, RecordResult | Error>> {
    return recordBatch(this.deps, ctx, items);
  }

  /** Applies one change, writes it, and announces the score and any stage move for after the commit. */
  private async finish(tx: ServiceContext, ledger: LeadLedger, interaction: InteractionEntity | null, fieldsChanged: boolean): Promise<ScoringEffect> {
    const started = performance.now();
    const effect = ledger.apply({ interaction: interaction && factsOf(interaction), fieldsChanged });
    this.deps.metrics.scored("change", started);
    await LeadLedger.write(tx, [ledger], this.deps.warmLedgers);
    const { lead } = ledger;
    this.deps.announce.scored(tx, { leadId: lead.id, interactionId: interaction?.id ?? null, pointsAwarded: effect.pointsAwarded, score: lead.score });
    if (effect.stageChange) this.deps.announce.stageChanged(tx, lead.id, effect.stageChange);
    return effect;
  }
}
