/**
 * Interactions: validating what integrations send, and recording it through the scoring pipeline
 * (`scoring/scorer.ts`). Reading interactions goes through the loaders.
 *
 * One interaction is one transaction that touches only its lead's rows:
 *   1. a re-sent `(source, externalId)` is answered from the original, with no write at all;
 *   2. the lead is locked (`SELECT … FOR UPDATE`; created at the first funnel stage for an
 *      unknown email; profile fields merged), so writes to one lead serialise;
 *   3. the interaction is inserted with `ON CONFLICT DO NOTHING`: when a concurrent copy won the
 *      race, the transaction is rolled back and retried, and step 1 then finds the original;
 *   4. the scorer scores it inside the same transaction (with any profile fields it carried, so
 *      the stage rules run once for the whole change) and announces it after the commit.
 * A batch is one transaction of a few set-based statements (`scoring/record-batch.ts`).
 */
import type { ServiceContext } from "../context";
import type { LeadGate } from "../database/lead-gate";
import { RetryTransaction } from "../database/transaction";
import { InteractionEntity } from "../entities/interaction.entity";
import type { LeadEntity } from "../entities/lead.entity";
import { badInput, DomainError, domainErrorOf, notFound } from "../errors";
import { errorFields } from "../logger";
import { lockByEmailWithKey } from "../scoring/lead-rows";
import type { BatchItem } from "../scoring/record-batch";
import { duplicateResult, type RecordResult, type ScoringEffect, type ValidInteraction } from "../scoring/recording";
import type { Scorer } from "../scoring/scorer";
import { type LeadInputData, type LeadService, validateLeadInput } from "./lead.service";
import {
  checkEmail,
  checkJsonObject,
  checkLeadId,
  checkNotFuture,
  checkText,
  checkTypeName,
  MAX_EXTERNAL_ID_LENGTH,
  MAX_SOURCE_LENGTH,
  MAX_TARGET_LENGTH,
  Problems,
} from "./validation";

export interface InteractionInputData {
  leadId?: string | null;
  email?: string | null;
  lead?: LeadInputData | null;
  type: string;
  target?: string | null;
  source?: string | null;
  properties?: Record<string, unknown> | null;
  occurredAt?: Date | null;
  externalId?: string | null;
}

/** The most items in one `recordInteractions` call. */
export const MAX_BATCH = 1000;

/** `interactionTypes`: how many types one answer lists by default, and at most. */
export const DEFAULT_TYPES_SEEN = 100;
export const MAX_TYPES_SEEN = 1000;

/** An interaction type as seen in the data (`interactionTypes`). */
export interface TypeSeen {
  type: string;
  interactions: number;
  lastSeenAt: Date;
}

/**
 * The types seen, with their counts and last occurrence: a loose scan of `interaction_type_seen`
 * (`type`, `occurred_at`) finds each distinct type with one index descent (a recursive CTE, as
 * PostgreSQL has no skip scan), and each type's count and latest occurrence are read from the same
 * index (an index-only range). No table is written for it: a counter per type would be one row
 * every interaction of that type updates, whatever its lead.
 */
const TYPES_SEEN_SQL = `
  WITH RECURSIVE seen (type) AS (
    (SELECT type FROM interaction ORDER BY type LIMIT 1)
    UNION ALL
    SELECT (SELECT i.type FROM interaction i WHERE i.type > seen.type ORDER BY i.type LIMIT 1) FROM seen WHERE seen.type IS NOT NULL
  )
  SELECT seen.type, counted.interactions, counted.last_seen_at
    FROM seen CROSS JOIN LATERAL (
      SELECT count(*)::int AS interactions, max(i.occurred_at) AS last_seen_at
        FROM interaction i WHERE i.type = seen.type AND i.occurred_at >= $1
    ) counted
   WHERE seen.type IS NOT NULL AND counted.interactions > 0
   ORDER BY seen.type
   LIMIT $2`;

/** A valid input naming its lead by email (`record` takes a lead named by id in one statement). */
type ByEmail = Extract<ValidInteraction["who"], { email: string }>;

export class InteractionService {
  constructor(
    private readonly leads: LeadService,
    private readonly scorer: Scorer,
    private readonly gate: LeadGate,
    private readonly maxJsonBytes: number,
  ) {}

  /**
   * The interaction types seen in the data, by name (see `TYPES_SEEN_SQL`): each with how many
   * interactions it has (those that occurred at or after `since`, when given; a type with none
   * then is left out) and its latest `occurredAt`. At most `first` types (default 100, at most 1,000).
   */
  async typesSeen(ctx: ServiceContext, since: Date | null, first: number | null): Promise<TypeSeen[]> {
    const limit = first ?? DEFAULT_TYPES_SEEN;
    if (!Number.isInteger(limit) || limit < 0 || limit > MAX_TYPES_SEEN) throw badInput("first", `must be from 0 to ${MAX_TYPES_SEEN}`);
    const rows: Array<{ type: string; interactions: number; last_seen_at: Date }> = await ctx.db.query(TYPES_SEEN_SQL, [since ?? "-infinity", limit]);
    return rows.map((row) => ({ type: row.type, interactions: row.interactions, lastSeenAt: row.last_seen_at }));
  }

  /**
   * Records one interaction (idempotent per `(source, externalId)`). `prefix` is the argument
   * path used in validation errors (`input`, or `inputs.3` in a batch).
   */
  async record(ctx: ServiceContext, input: InteractionInputData, prefix = "input"): Promise<RecordResult> {
    const valid = this.validate(ctx, input, prefix);
    const outcome = await this.gate.transaction(ctx, leadKey(valid), async (tx): Promise<RecordResult | { duplicateOf: string }> => {
      if ("leadId" in valid.who) return this.recordById(tx, valid.who.leadId, valid);
      const locked = await this.findOriginalOrLockLead(tx, valid.values, valid.who);
      if ("duplicateOf" in locked) return locked;
      const { lead, fieldsChanged } = locked;
      // Inserted and scored together (the insert rides on the load of the lead's history); scoring
      // stamps the lead's updatedAt along with its new totals.
      const recorded = await this.scorer.recordInteraction(
        tx,
        lead,
        { ...valid.values, leadId: lead.id, receivedAt: tx.clock.now() },
        { fieldsChanged },
      );
      if (!recorded) throw new RetryTransaction("a concurrent copy of this interaction was recorded");
      return recordedResult(lead, recorded.interaction, recorded.effect);
    });
    if (!("duplicateOf" in outcome)) return outcome;

    const interaction = await ctx.db.findOneByOrFail(InteractionEntity, { id: outcome.duplicateOf });
    const lead = await this.leads.findById(ctx, interaction.leadId);
    if (!lead) throw notFound(`Lead ${interaction.leadId}`);
    return duplicateResult(interaction, lead);
  }

  /** `record` for a lead named by id: one statement locks, checks the key, inserts and loads. */
  private async recordById(tx: ServiceContext, leadId: string, valid: ValidInteraction): Promise<RecordResult | { duplicateOf: string }> {
    checkLeadId(leadId, `${valid.prefix}.leadId`);
    const recorded = await this.scorer.recordById(tx, leadId, { ...valid.values, receivedAt: tx.clock.now() });
    switch (recorded.kind) {
      case "no-lead":
        throw notFound(`Lead ${leadId}`);
      case "duplicate":
        return { duplicateOf: recorded.duplicateOf };
      case "raced":
        throw new RetryTransaction("a concurrent copy of this interaction was recorded");
    }
    return recordedResult(recorded.lead, recorded.interaction, recorded.effect);
  }

  /**
   * Records a batch in array order, each item as its own change, in one transaction of a few
   * set-based statements (`scoring/record-batch.ts`). An invalid item fails alone: its entry is
   * the error (the resolver turns it into `null` plus an error at the item's path).
   */
  async recordBatch(ctx: ServiceContext, inputs: InteractionInputData[]): Promise<Array<RecordResult | Error>> {
    if (inputs.length > MAX_BATCH) throw badInput("inputs", `must have at most ${MAX_BATCH} items`);
    const results: Array<RecordResult | Error> = new Array(inputs.length);
    const valid: BatchItem[] = [];
    for (const [index, input] of inputs.entries()) {
      try {
        const item = this.validate(ctx, input, `inputs.${index}`);
        if ("leadId" in item.who) checkLeadId(item.who.leadId, `${item.prefix}.leadId`);
        valid.push({ index, valid: item });
      } catch (err) {
        results[index] = toError(err);
      }
    }
    try {
      // One transaction for the batch, each item still its own change (see batch-ingest.ts).
      for (const [index, result] of await this.scorer.recordBatch(ctx, valid)) results[index] = result;
    } catch (err) {
      const reason = domainErrorOf(err)?.details.reason;
      // No connection in time, or the database too slow for the batch: nothing was recorded, and
      // item by item would only wait again, once per item.
      if (reason !== undefined && reason !== "LOCK_TIMEOUT") throw err;
      // Unexpected, or a lead locked elsewhere: record item by item, so that only a failing item fails.
      ctx.logger.warn("a batch failed as a whole; recording it item by item", reason ? { reason } : errorFields(err));
      await this.recordOneByOne(ctx, inputs, valid, results);
    }
    return results;
  }

  /**
   * The items of a batch that failed as a whole, each in its own transaction. A lead found
   * unavailable (locked elsewhere, too many requests waiting) fails its later items at once, and
   * once the database is unavailable (no connection in time, too slow) so does every item left:
   * each would only wait for the same bound again.
   */
  private async recordOneByOne(ctx: ServiceContext, inputs: InteractionInputData[], valid: BatchItem[], results: Array<RecordResult | Error>): Promise<void> {
    const unavailableLeads = new Map<string, Error>();
    let unavailableAll: Error | null = null;
    for (const { index, valid: item } of valid) {
      const key = leadKey(item);
      const known = unavailableAll ?? unavailableLeads.get(key);
      if (known) {
        results[index] = known;
        continue;
      }
      const result = await this.record(ctx, inputs[index], `inputs.${index}`).catch((e: unknown) => toError(e));
      results[index] = result;
      if (!(result instanceof Error)) continue;
      const reason = domainErrorOf(result)?.details.reason;
      if (reason === "LOCK_TIMEOUT" || reason === "LEAD_BUSY") unavailableLeads.set(key, result);
      else if (reason !== undefined) unavailableAll = result;
    }
  }

  /** The interaction with this id, or null. */
  async findById(ctx: ServiceContext, id: string): Promise<InteractionEntity | null> {
    return ctx.db.findOneBy(InteractionEntity, { id });
  }

  /** The id of the interaction recorded with this `(source, externalId)`, or null (plain SQL: the ingest path). */
  private async findByExternalId(tx: ServiceContext, source: string | null, externalId: string | null): Promise<string | null> {
    if (externalId === null) return null;
    const rows: Array<{ id: string }> = await tx.db.query(
      `SELECT id FROM interaction WHERE coalesce(source, '') = $1 AND external_id = $2`,
      [source ?? "", externalId],
    );
    return rows[0]?.id ?? null;
  }

  /**
   * The original of a re-sent `(source, externalId)`, else the locked lead (see `lockLead`). With a
   * key and a known lead, one statement looks the key up and locks the lead (a copy committed while
   * it waited for the lock is met by the insert, and the transaction is retried).
   */
  private async findOriginalOrLockLead(
    tx: ServiceContext,
    values: ValidInteraction["values"],
    who: ByEmail,
  ): Promise<{ duplicateOf: string } | { lead: LeadEntity; fieldsChanged: boolean }> {
    const { source, externalId } = values;
    if (externalId === null) return this.lockLead(tx, who);
    const found = await lockByEmailWithKey(tx, who.email, source, externalId);
    if ("duplicateOf" in found) return found;
    if (found.lead) {
      const lead = found.lead;
      const patched = who.lead ? await this.leads.applyPatch(tx, lead, who.lead.patch) : false;
      return { lead, fieldsChanged: patched };
    }
    const original = await this.findByExternalId(tx, source, externalId);
    if (original) return { duplicateOf: original };
    return this.lockLead(tx, who, true);
  }

  /**
   * Locks the interaction's lead (creating it for an unknown email) and merges the profile fields
   * it carries. They are scored with the interaction, so stages are evaluated once per change.
   */
  private async lockLead(tx: ServiceContext, who: ByEmail, notFoundYet = false): Promise<{ lead: LeadEntity; fieldsChanged: boolean }> {
    const { lead, created } = await this.leads.lockOrCreate(tx, who.email, { notFoundYet });
    const patched = who.lead ? await this.leads.applyPatch(tx, lead, who.lead.patch) : false;
    return { lead, fieldsChanged: patched || created };
  }

  private validate(ctx: ServiceContext, input: InteractionInputData, prefix: string): ValidInteraction {
    const problems = new Problems();
    const type = checkTypeName(problems, `${prefix}.type`, input.type);
    const target = checkText(problems, `${prefix}.target`, input.target, MAX_TARGET_LENGTH) ?? null;
    const source = checkText(problems, `${prefix}.source`, input.source, MAX_SOURCE_LENGTH) ?? null;
    const externalId = checkText(problems, `${prefix}.externalId`, input.externalId, MAX_EXTERNAL_ID_LENGTH) ?? null;
    checkJsonObject(problems, `${prefix}.properties`, input.properties, this.maxJsonBytes);
    const now = ctx.clock.now();
    const occurredAt = input.occurredAt ?? now;
    checkNotFuture(problems, `${prefix}.occurredAt`, occurredAt, now);

    let who: ValidInteraction["who"] | null = null;
    let lead: ReturnType<typeof validateLeadInput> | null = null;
    if (input.lead) {
      try {
        lead = validateLeadInput(input.lead, `${prefix}.lead`, this.maxJsonBytes);
      } catch (err) {
        if (!(err instanceof DomainError) || !err.details.fields) throw err;
        for (const problem of err.details.fields) problems.add(problem.field, problem.message);
      }
    }
    const email = input.email != null ? checkEmail(problems, `${prefix}.email`, input.email) : null;
    if (input.leadId != null) {
      if (input.email != null || input.lead) problems.add(`${prefix}.leadId`, "give either leadId or email/lead, not both");
      else who = { leadId: input.leadId };
    } else if (email !== null || lead !== null) {
      if (email !== null && lead !== null && email !== lead.email) {
        problems.add(`${prefix}.email`, "differs from lead.email");
      }
      who = { email: (email ?? lead?.email) as string, lead };
    } else if (input.email == null && !input.lead) {
      problems.add(`${prefix}.leadId`, "one of leadId, email or lead is required");
    }
    problems.throwIfAny();
    return {
      prefix,
      who: who as ValidInteraction["who"],
      values: { type, target, source, properties: input.properties ?? {}, occurredAt, externalId },
    };
  }
}

/** What the lead gate knows an interaction's lead by: its id, or its normalised email. */
const leadKey = (valid: ValidInteraction): string => ("leadId" in valid.who ? valid.who.leadId : valid.who.email);

/** A just-recorded interaction's answer. */
function recordedResult(lead: LeadEntity, interaction: InteractionEntity, effect: ScoringEffect): RecordResult {
  return {
    interaction,
    lead,
    pointsAwarded: effect.pointsAwarded,
    stageChange: effect.stageChange,
    duplicate: false,
    awards: effect.interactionAwards,
  };
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
