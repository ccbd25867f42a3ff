/**
 * One lead's scoring inside a write transaction: its ledger held in memory, changes applied one by
 * one in arrival order (`apply`), then everything written at once with the other leads of the
 * same transaction (`writeLedgers`: one statement for any number of leads and changes).
 *
 * A single interaction is one `apply` and one write; a batch of interactions is many `apply`s
 * over several leads and still one write. Either way each change is scored as its own change:
 * the compiled model decides (`incremental` for a lead on the active version, a full `replay`
 * when its version is behind or a field change reaches `where lead.<field>`, `fit` always), then
 * the stage rules are evaluated once.
 */
import { randomUUID } from "node:crypto";
import type { ServiceContext } from "../context";
import type { Award, CompiledModel, InteractionFacts } from "../dsl/model";
import { inCanonicalOrder } from "../dsl/runtime/ledger";
import type { LeadEntity } from "../entities/lead.entity";
import { StageTransitionEntity } from "../entities/stage-transition.entity";
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
  storedOfTuple,
} from "./ledger";
import { deferQuery, hotStatement } from "./transaction";
import type { WarmLedger } from "./warm-ledgers";

/**
 * SQL columns giving the active model version, the interactions of the lead whose id is the
 * expression `leadId` (canonical order) and its ledger rows; read back by `LeadLedger.load`.
 * When the SQL condition `skipWhen` holds, the interactions and ledger rows are null (not read).
 */
export const historyColumns = (leadId: string, skipWhen?: string): string => {
  const unless = (sql: string) => (skipWhen === undefined ? sql : `CASE WHEN ${skipWhen} THEN NULL ELSE ${sql} END`);
  return `
  (SELECT version FROM scoring_model WHERE active) AS version,
  ${unless(`(SELECT coalesce(json_agg(${INTERACTION_TUPLE} ORDER BY i.occurred_at, i.seq), '[]'::json)
     FROM interaction i WHERE i.lead_id = ${leadId})`)} AS interactions,
  ${unless(`(SELECT coalesce(json_agg(${AWARD_TUPLE}), '[]'::json)
     FROM score_award a WHERE a.lead_id = ${leadId})`)} AS awards`;
};

/**
 * The same as `historyColumns` for many leads (`$1`, a uuid array) in one set-based query: one
 * scan of each table grouped by lead, rather than two index probes per lead.
 */
export const HISTORIES_SQL = `
  WITH ix AS (
    SELECT i.lead_id, json_agg(${INTERACTION_TUPLE} ORDER BY i.occurred_at, i.seq) AS interactions
      FROM interaction i WHERE i.lead_id = ANY($1::uuid[]) GROUP BY i.lead_id
  ), aw AS (
    SELECT a.lead_id, json_agg(${AWARD_TUPLE}) AS awards
      FROM score_award a WHERE a.lead_id = ANY($1::uuid[]) GROUP BY a.lead_id
  )
  SELECT l.id AS lead_id, (SELECT version FROM scoring_model WHERE active) AS version,
         coalesce(ix.interactions, '[]'::json) AS interactions, coalesce(aw.awards, '[]'::json) AS awards
    FROM unnest($1::uuid[]) AS l (id)
    LEFT JOIN ix ON ix.lead_id = l.id
    LEFT JOIN aw ON aw.lead_id = l.id`;

/** A row selected with `historyColumns` (interactions and awards null when not read: `skipWhen`). */
export interface HistoryRow {
  version: number | null;
  interactions: InteractionTuple[] | null;
  awards: AwardTuple[] | null;
}

/** One change of a lead. */
export interface LeadChange {
  /** A new interaction (not yet in the ledger's history), or null for a profile change alone. */
  interaction: InteractionFacts | null;
  /** Whether profile fields changed (already merged into the lead). */
  fieldsChanged: boolean;
}

/** What one change did. */
export interface ChangeEffect {
  /** The change of the lead's score: its score after, minus its score as of now before. */
  pointsAwarded: number;
  stageChange: StageTransitionEntity | null;
  /** The new interaction's awards right after this change (null for a profile change). */
  interactionAwards: Award[] | null;
}

const awardKey = (a: Award): string => `${a.interactionId ?? ""}:${a.ruleIndex}`;

export class LeadLedger {
  /** Activity and fit awards that count for the lead now (of the active version once changed). */
  private awards: Award[];
  /** The ledger row of each award loaded from the database. */
  private readonly rowIds = new Map<Award, string>();
  /** Rows to delete. */
  private readonly removedRowIds: string[] = [];
  /** Every row of the lead is to go (it was on another model version). */
  private deleteAll = false;
  /** The lead's version is behind: the next change replays it in full. */
  private needsReplay: boolean;
  private readonly transitions: StageTransitionEntity[] = [];
  /** Whether anything needs writing, and whether `updated_at` moves. */
  private dirty = false;
  private touched = false;
  /** Profile fields are written with the totals (the batch path merges them in memory). */
  writeProfile = false;

  private constructor(
    readonly lead: LeadEntity,
    readonly version: number,
    readonly model: CompiledModel,
    private readonly history: InteractionFacts[],
    stored: Array<{ id: string; award: Award }>,
    private readonly now: Date,
  ) {
    this.awards = stored.map((s) => s.award);
    for (const s of stored) this.rowIds.set(s.award, s.id);
    this.needsReplay = lead.modelVersion !== version;
  }

  /**
   * The ledger of `lead`, of the active model version `row.version`. Its history and ledger rows
   * are `warm`, this process's state of the lead (`WarmLedgers.take`: the lead's row is the
   * version that state was written with), else the row's. `exclude`: interactions of the row
   * still to be applied as changes (a batch inserts its interactions first).
   */
  static async load(
    tx: ServiceContext,
    lead: LeadEntity,
    row: HistoryRow,
    now: Date,
    options: { warm?: WarmLedger; exclude?: ReadonlySet<string> } = {},
  ): Promise<LeadLedger> {
    if (row.version === null) throw new Error("no scoring model is active (the service publishes the seed model when it starts)");
    const version = row.version;
    const model = await tx.services.models.version(tx, version);
    const { warm, exclude } = options;
    if (warm) return new LeadLedger(lead, version, model, warm.history, warm.stored, now);
    if (row.interactions === null || row.awards === null) throw new Error(`the history of lead ${lead.id} was not read`);
    const name = (v: number, index: number) => (v === version ? model.rules[index]?.name : undefined) ?? "";
    let history = row.interactions.map(factsOfTuple);
    if (exclude) history = history.filter((i) => !exclude.has(i.id));
    return new LeadLedger(lead, version, model, history, row.awards.map((t) => storedOfTuple(t, name)), now);
  }

  /** Scores one change (after the previous ones) and moves the stage forward if a rule says so. */
  apply(change: LeadChange): ChangeEffect {
    const { model, now } = this;
    const nowMs = now.getTime();
    const fields = leadFieldsOf(this.lead);
    const before = countingSum(this.awards, nowMs);
    const ix = change.interaction;
    const activity = this.awards.filter((a) => a.category === "ENGAGEMENT");
    if (this.needsReplay) {
      // Another model version's rows all go; the lead is replayed in full.
      this.deleteAll = this.rowIds.size > 0 || this.deleteAll;
      this.rowIds.clear();
      this.removedRowIds.length = 0;
      this.awards = [];
      const evaluation = model.replay(fields, ix ? [...this.history, ix] : this.history, now);
      this.awards.push(...evaluation.awards);
      this.needsReplay = false;
    } else if (change.fieldsChanged && model.engagementReadsLead) {
      this.replace(activity, model.replay(fields, ix ? [...this.history, ix] : this.history, now).awards);
    } else if (ix) {
      const result = model.incremental({ lead: fields, interactions: this.history, awards: activity }, ix, now);
      this.remove(result.removed);
      this.awards.push(...result.added);
    }
    if (ix) this.history.push(ix);
    const fit = model.fit(fields, now);
    this.replace(
      this.awards.filter((a) => a.category === "FIT"),
      fit.awards,
    );

    const engaged = this.awards.filter((a) => a.category === "ENGAGEMENT");
    const engagement = countingSum(engaged, nowMs);
    const score = fit.fit + engagement;
    const move = model.nextStage(this.lead.stage, { fit: fit.fit, engagement, score, lead: fields, interactions: this.history });
    let stageChange: StageTransitionEntity | null = null;
    if (move) {
      stageChange = Object.assign(new StageTransitionEntity(), {
        id: randomUUID(),
        leadId: this.lead.id,
        fromStage: this.lead.stage,
        toStage: move.to,
        at: now,
        cause: "RULE" as const,
        rule: move.rule,
        actor: null,
        reason: null,
      });
      this.transitions.push(stageChange);
    }
    const next = nextExpiry(engaged, nowMs);
    const lead = this.lead;
    if (
      this.deleteAll ||
      this.removedRowIds.length > 0 ||
      this.awards.some((a) => !this.rowIds.has(a)) ||
      move !== null ||
      ix !== null ||
      lead.modelVersion !== this.version ||
      lead.fit !== fit.fit ||
      lead.engagement !== engagement ||
      lead.score !== score ||
      (lead.nextExpiryAt?.getTime() ?? null) !== (next?.getTime() ?? null)
    ) {
      this.dirty = true;
    }
    // A new interaction or a stage move changes the lead now (a profile change was stamped when merged).
    if (ix !== null || move !== null) {
      this.touched = true;
      lead.updatedAt = now;
    }
    Object.assign(lead, { fit: fit.fit, engagement, score, modelVersion: this.version, nextExpiryAt: next, stage: move?.to ?? lead.stage });
    return {
      pointsAwarded: score - before,
      stageChange,
      interactionAwards: ix ? engaged.filter((a) => a.interactionId === ix.id) : null,
    };
  }

  /** The current awards of `interactionId` (for a batch's answers, once every change is applied). */
  awardsOf(interactionId: string): Award[] {
    return this.awards.filter((a) => a.interactionId === interactionId);
  }

  /** Replaces `current` (a subset of the awards) with `fresh`, keeping the awards present in both. */
  private replace(current: Award[], fresh: readonly Award[]): void {
    const byKey = new Map(current.map((a) => [awardKey(a), a]));
    const added: Award[] = [];
    for (const award of fresh) if (!byKey.delete(awardKey(award))) added.push(award);
    this.remove(byKey.values());
    this.awards.push(...added);
  }

  private remove(awards: Iterable<Award>): void {
    const gone = new Set(awards);
    if (gone.size === 0) return;
    for (const award of gone) {
      const rowId = this.rowIds.get(award);
      if (rowId === undefined) continue;
      this.removedRowIds.push(rowId);
      this.rowIds.delete(award);
    }
    this.awards = this.awards.filter((a) => !gone.has(a));
  }

  /** The state of this ledger as written, for `WarmLedgers` (every award has its row id then). */
  private warm(rowVersion: string): WarmLedger {
    return {
      rowVersion,
      // This ledger is done with once written: its own array is kept (sorted if arrivals were out of order).
      history: inCanonicalOrder(this.history) as InteractionFacts[],
      stored: this.awards.map((award) => ({ id: this.rowIds.get(award) as string, award })),
    };
  }

  /** After the commit, keeps each written lead's state under the row version its update made. */
  private static keepWarm(tx: ServiceContext, written: readonly LeadLedger[], rows: ReadonlyArray<{ id: string; row_version: string }>): void {
    const versions = new Map(rows.map((r) => [r.id, r.row_version]));
    const states = written.flatMap((l) => {
      const rowVersion = versions.get(l.lead.id);
      return rowVersion === undefined ? [] : [[l.lead.id, l.warm(rowVersion)] as const];
    });
    tx.afterCommit?.(() => {
      for (const [leadId, state] of states) tx.services.warmLedgers.put(leadId, state);
    });
  }

  /**
   * Writes every ledger's changes in one statement: rows removed and added, the stage moves in
   * the order they happened, and each lead's totals (and profile, for `writeProfile`). All the
   * ledgers belong to one transaction, so to one model version. Once committed, each written
   * lead's state is kept in `WarmLedgers` for the next write.
   */
  static async write(tx: ServiceContext, ledgers: readonly LeadLedger[]): Promise<void> {
    const dirty = ledgers.filter((l) => l.dirty);
    if (dirty.length === 0) return;
    const { model, version, now } = dirty[0];
    const { values, p } = parameters();
    const parts: string[] = [];
    const wipe = dirty.filter((l) => l.deleteAll).map((l) => l.lead.id);
    const removed = dirty.flatMap((l) => l.removedRowIds);
    if (wipe.length > 0 || removed.length > 0) {
      parts.push(`old AS (DELETE FROM score_award WHERE lead_id = ANY(${p(wipe)}::uuid[]) OR id = ANY(${p(removed)}::uuid[]))`);
    }
    const added = new AwardColumns();
    for (const l of dirty) {
      for (const award of l.awards) {
        if (l.rowIds.has(award)) continue;
        // The row's id is chosen here, so that the ledger in memory is the ledger written.
        const id = randomUUID();
        l.rowIds.set(award, id);
        added.push(l.lead.id, award, id);
      }
    }
    if (added.length > 0) parts.push(`new AS (${added.insertSql(model, version, p)})`);
    const moves = dirty.flatMap((l) => l.transitions);
    if (moves.length > 0) {
      parts.push(`moves AS (
        INSERT INTO stage_transition (id, lead_id, from_stage, to_stage, at, cause, rule)
        SELECT u.id, u.lead_id, u.from_stage, u.to_stage, ${p(now)}::timestamptz, 'RULE', u.rule
          FROM unnest(${p(moves.map((m) => m.id))}::uuid[], ${p(moves.map((m) => m.leadId))}::uuid[], ${p(moves.map((m) => m.fromStage))}::text[],
                      ${p(moves.map((m) => m.toStage))}::text[], ${p(moves.map((m) => m.rule))}::text[]) WITH ORDINALITY
               AS u (id, lead_id, from_stage, to_stage, rule, n)
         ORDER BY u.n)`);
    }
    const leads = dirty.map((l) => l.lead);
    const column = <T>(read: (lead: LeadEntity) => T) => p(leads.map(read));
    const profile = dirty.some((l) => l.writeProfile);
    const writes = dirty.map((l) => l.writeProfile);
    const profileSet = profile
      ? `, first_name = CASE WHEN u.profile THEN u.first_name ELSE l.first_name END,
           last_name = CASE WHEN u.profile THEN u.last_name ELSE l.last_name END,
           role = CASE WHEN u.profile THEN u.role ELSE l.role END,
           company = CASE WHEN u.profile THEN u.company ELSE l.company END,
           industry = CASE WHEN u.profile THEN u.industry ELSE l.industry END,
           company_size = CASE WHEN u.profile THEN u.company_size ELSE l.company_size END,
           country = CASE WHEN u.profile THEN u.country ELSE l.country END,
           source = CASE WHEN u.profile THEN u.source ELSE l.source END,
           attributes = CASE WHEN u.profile THEN u.attributes::jsonb ELSE l.attributes END`
      : "";
    const profileColumns = profile
      ? `, ${p(writes)}::boolean[], ${column((l) => l.firstName)}::text[], ${column((l) => l.lastName)}::text[], ${column((l) => l.role)}::text[],
         ${column((l) => l.company)}::text[], ${column((l) => l.industry)}::text[], ${column((l) => l.companySize)}::int[],
         ${column((l) => l.country)}::text[], ${column((l) => l.source)}::text[], ${column((l) => JSON.stringify(l.attributes))}::text[]`
      : "";
    const profileNames = profile ? ", profile, first_name, last_name, role, company, industry, company_size, country, source, attributes" : "";
    const keepWarm = tx.services.warmLedgers.capacity > 0;
    // Its result is needed only to keep the leads warm: it travels with the COMMIT (or the
    // transaction's next statement).
    await deferQuery(
      tx,
      // A handful of shapes (which parts are present): each prepared once per connection.
      hotStatement(`${parts.length > 0 ? `WITH ${parts.join(",\n")}\n` : ""}UPDATE lead l
          SET fit = u.fit, engagement = u.engagement, score = u.score, stage = u.stage, model_version = ${p(version)}::int,
              next_expiry_at = to_timestamp(u.next_ms / 1000.0),
              updated_at = CASE WHEN u.touched THEN ${p(now)}::timestamptz ELSE l.updated_at END${profileSet}
         FROM unnest(${column((l) => l.id)}::uuid[], ${column((l) => l.fit)}::int[], ${column((l) => l.engagement)}::int[],
                     ${column((l) => l.score)}::int[], ${column((l) => l.stage)}::text[], ${column((l) => l.nextExpiryAt?.getTime() ?? null)}::float8[],
                     ${p(dirty.map((l) => l.touched))}::boolean[]${profileColumns})
              AS u (id, fit, engagement, score, stage, next_ms, touched${profileNames})
        WHERE l.id = u.id${keepWarm ? " RETURNING l.id, l.xmin::text AS row_version" : ""}`),
      values,
      keepWarm ? (rows) => LeadLedger.keepWarm(tx, dirty, rows as Array<{ id: string; row_version: string }>) : undefined,
    );
    for (const l of dirty) l.dirty = false;
  }
}
