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
 * In between, `LeadLedger.apply` lets the compiled model decide (see `lead-ledger.ts`), so the
 * stored score always equals the canonical replay.
 */
import type { ServiceContext } from "../context";
import type { Award, InteractionFacts } from "../dsl/model";
import { InteractionEntity } from "../entities/interaction.entity";
import type { LeadEntity } from "../entities/lead.entity";
import type { StageTransitionEntity } from "../entities/stage-transition.entity";
import { LEAD_SCORED } from "./event-bus";
import { historyColumns, type HistoryRow, LeadLedger } from "./lead-ledger";
import { leadFromRow, lockedRowVersion } from "./lead.service";
import { hotStatement } from "./transaction";
import type { WarmLedger } from "./warm-ledgers";

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

/**
 * For a lead named by id, the whole of a recording in one statement: the lead locked, a re-sent
 * `($4, $5)` key found, the interaction inserted (unless a copy or no lead) and the lead's history
 * loaded. The history is read from the statement's snapshot, taken before the lock was granted:
 * every write to a lead's interactions or ledger also updates its row, so when the locked row
 * (the newest version) is the one the snapshot sees (`xmin`), no write came in between and the
 * history is whole; otherwise the caller loads it again (`LOAD_SQL`, after the lock). When the
 * locked row is `$9`, the version this process last wrote, the history is not read at all: the
 * process has it (`WarmLedgers`).
 */
const LOCK_INSERT_AND_LOAD_SQL = hotStatement(`
  WITH locked AS (SELECT l.*, l.xmin::text AS locked_xmin FROM lead l WHERE l.id = $1::uuid FOR UPDATE),
  original AS (SELECT i.id FROM interaction i WHERE $5::text IS NOT NULL AND coalesce(i.source, '') = coalesce($4::text, '') AND i.external_id = $5::text),
  ins AS (
    INSERT INTO interaction (lead_id, type, target, source, external_id, properties, occurred_at, received_at)
    SELECT locked.id, $2, $3, $4, $5, $6::jsonb, $7::timestamptz, $8::timestamptz FROM locked WHERE NOT EXISTS (SELECT 1 FROM original)
    ON CONFLICT DO NOTHING
    RETURNING id, seq)
  SELECT (SELECT id FROM original) AS duplicate_of, (SELECT id FROM ins) AS inserted_id, (SELECT seq FROM ins) AS inserted_seq,
         (SELECT l.xmin::text FROM lead l WHERE l.id = $1::uuid) AS seen_xmin, locked.*,
         ${historyColumns("$1::uuid", "locked.locked_xmin = $9::text")}
    FROM locked`);

/** What `recordById` found: no such lead, a copy of a recorded interaction, a lost race, or the recording. */
export type RecordedById =
  | { kind: "no-lead" }
  | { kind: "duplicate"; duplicateOf: string }
  | { kind: "raced" }
  | { kind: "recorded"; lead: LeadEntity; interaction: InteractionEntity; effect: ScoringEffect };

/** The columns of an interaction to record. */
export type NewInteraction = Pick<
  InteractionEntity,
  "leadId" | "type" | "target" | "source" | "properties" | "occurredAt" | "externalId" | "receivedAt"
>;

/** `$1`…`$8` of the statements that insert an interaction: the lead, then its columns in order. */
const insertParameters = (leadId: string, values: Omit<NewInteraction, "leadId">): unknown[] => [
  leadId,
  values.type,
  values.target,
  values.source,
  values.externalId,
  JSON.stringify(values.properties ?? {}),
  values.occurredAt,
  values.receivedAt,
];

/** An interaction as the rules see it. */
export function factsOf(interaction: InteractionEntity): InteractionFacts {
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
    const warm = takeWarm(tx, lead);
    const [row]: Array<HistoryRow & { inserted_id: string | null; inserted_seq: string | null }> = await tx.db.query(INSERT_AND_LOAD_SQL, [
      ...insertParameters(lead.id, values),
      warm !== undefined,
    ]);
    if (row.inserted_id === null) return null;
    const interaction = Object.assign(new InteractionEntity(), values, { id: row.inserted_id, seq: String(row.inserted_seq) });
    const ledger = await LeadLedger.load(tx, lead, row, tx.clock.now(), { warm });
    return { interaction, effect: await this.finish(tx, ledger, interaction, options.fieldsChanged ?? false) };
  }

  /**
   * Records an interaction of the lead `leadId` and scores it, starting the transaction with one
   * statement that locks the lead, checks the key and inserts (`LOCK_INSERT_AND_LOAD_SQL`).
   */
  async recordById(tx: ServiceContext, leadId: string, values: Omit<NewInteraction, "leadId">): Promise<RecordedById> {
    const known = tx.services.warmLedgers.versionOf(leadId);
    const rows: Array<Record<string, unknown>> = await tx.db.query(LOCK_INSERT_AND_LOAD_SQL, [...insertParameters(leadId, values), known]);
    if (rows.length === 0) return { kind: "no-lead" };
    const { duplicate_of: duplicateOf, inserted_id: insertedId, inserted_seq: insertedSeq, seen_xmin: seenXmin, locked_xmin: lockedXmin, version, interactions, awards, ...leadRow } = rows[0];
    if (typeof duplicateOf === "string") return { kind: "duplicate", duplicateOf };
    if (typeof insertedId !== "string") return { kind: "raced" };
    const lead = leadFromRow(leadRow);
    const interaction = Object.assign(new InteractionEntity(), values, { leadId, id: insertedId, seq: String(insertedSeq) });
    // Not read: the row is the version this process wrote, whose state it keeps (unless a
    // concurrent request of this process took that state meanwhile).
    const warm = interactions === null ? tx.services.warmLedgers.take(leadId, lockedXmin as string) : undefined;
    let history = { version, interactions, awards } as HistoryRow;
    // Not read (and not warm after all), or the lead changed between the snapshot and the lock: read again, after the lock.
    if (!warm && (interactions === null || seenXmin !== lockedXmin)) [history] = await tx.db.query(LOAD_SQL, [leadId, false]);
    const ledger = await LeadLedger.load(tx, lead, history, tx.clock.now(), { warm, exclude: new Set([insertedId]) });
    return { kind: "recorded", lead, interaction, effect: await this.finish(tx, ledger, interaction, false) };
  }

  /** Re-evaluates fit (engagement too when it reads lead fields) and stages of a locked lead whose profile changed. */
  async onLeadChanged(tx: ServiceContext, lead: LeadEntity): Promise<ScoringEffect> {
    const warm = takeWarm(tx, lead);
    const [row]: HistoryRow[] = await tx.db.query(LOAD_SQL, [lead.id, warm !== undefined]);
    const ledger = await LeadLedger.load(tx, lead, row, tx.clock.now(), { warm });
    return this.finish(tx, ledger, null, true);
  }

  /** Applies one change, writes it, and queues `leadScored` for after the commit. */
  private async finish(
    tx: ServiceContext,
    ledger: LeadLedger,
    interaction: InteractionEntity | null,
    fieldsChanged: boolean,
  ): Promise<ScoringEffect> {
    const effect = ledger.apply({ interaction: interaction && factsOf(interaction), fieldsChanged });
    await LeadLedger.write(tx, [ledger]);
    announceScore(tx, ledger.lead, interaction?.id ?? null, effect.pointsAwarded);
    return effect;
  }
}

/**
 * The state this process kept of a lead it locked (`WarmLedgers`): taken when the row locked is
 * the version it wrote. Profile fields merged since the lock change no history or ledger.
 */
export function takeWarm(tx: ServiceContext, lead: LeadEntity): WarmLedger | undefined {
  const rowVersion = lockedRowVersion(lead);
  return rowVersion === undefined ? undefined : tx.services.warmLedgers.take(lead.id, rowVersion);
}

/** Queues `leadScored` for after the commit: for every interaction, and for other changes of the score. */
export function announceScore(tx: ServiceContext, lead: LeadEntity, interactionId: string | null, pointsAwarded: number): void {
  if (interactionId === null && pointsAwarded === 0) return;
  const event = { leadId: lead.id, interactionId, pointsAwarded, score: lead.score };
  // Not awaited: a slow event bus must not hold the request (publish logs its own failures).
  tx.afterCommit?.(() => void tx.services.events.publish(LEAD_SCORED, event));
}
