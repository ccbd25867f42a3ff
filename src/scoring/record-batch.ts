/**
 * `recordInteractions`, set-based: a batch is one transaction of a fixed number of statements,
 * whatever its size, and still scores each item as its own change, in array order:
 *   1. the `(source, externalId)` keys recorded before: one query;
 *   2. the leads: lock the known ones (by id or email) in id order; insert the new emails, with
 *      their first StageTransition;
 *   3. load every lead's history and ledger, and take the new interactions' `seq`s (in array
 *      order): one query;
 *   4. insert every new interaction with its id and `seq`, its answer awaited only after 5 (a
 *      lost race on a key then retries the batch, whose copies are then duplicates);
 *   5. in process, item by item: merge its profile fields, score it (`LeadLedger.apply`), move
 *      its stage;
 *   6. one statement writes every lead's ledger, stage moves, totals and profile.
 * An item fails alone when it is invalid (validated before) or names an unknown lead; a re-sent
 * key is a duplicate, also within the batch. Anything unexpected fails the transaction, and the
 * caller then records the batch item by item.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { In } from "typeorm";
import type { ServiceContext } from "../context";
import { sqlState } from "../database/timeouts";
import { inTransaction, RetryTransaction } from "../database/transaction";
import { InteractionEntity } from "../entities/interaction.entity";
import { LeadEntity } from "../entities/lead.entity";
import { notFound } from "../errors";
import { LeadLedger } from "./lead-ledger";
import { patchChanges } from "./lead-profile";
import { insertLeads, lockMany } from "./lead-rows";
import { HISTORIES_SQL, type HistoryRow } from "./ledger-rows";
import { duplicateResult, factsOf, type RecordResult, type ScoringDeps, type ValidInteraction } from "./recording";
import type { WarmLedger } from "./warm-ledgers";

/** A valid item of a batch and its place in the array. */
export interface BatchItem {
  index: number;
  valid: ValidInteraction;
}

/** A copy of a recorded interaction: the original, and the lead as it was at the copy's place in the batch. */
interface Duplicate {
  duplicateOf: string;
  lead?: LeadEntity;
}

type Outcome = RecordResult | Error | Duplicate;

/**
 * The histories of the leads `$1` (`HISTORIES_SQL`, one row each), and one more row, whose
 * `lead_id` is null, with the active model version and `$2` values of the interactions' identity
 * sequence.
 */
const HISTORIES_WITH_SEQS_SQL = `
  SELECT NULL::uuid AS lead_id, (SELECT version FROM scoring_model WHERE active) AS version, NULL::json AS interactions, NULL::json AS awards,
         (SELECT coalesce(array_agg(nextval(pg_get_serial_sequence('interaction', 'seq'))::text), '{}') FROM generate_series(1, $2::int)) AS seqs
  UNION ALL
  SELECT h.lead_id, h.version, h.interactions, h.awards, NULL FROM (${HISTORIES_SQL}) AS h`;

/** SQLSTATE: a unique index refused a row. */
const UNIQUE_VIOLATION = "23505";

const keyOf = (v: ValidInteraction["values"]): string | null => (v.externalId === null ? null : `${v.source ?? ""}\u0000${v.externalId}`);

/** Records `items` in one transaction; the outcome of each, by index. */
export async function recordBatch(deps: ScoringDeps, ctx: ServiceContext, items: BatchItem[]): Promise<Map<number, RecordResult | Error>> {
  const outcomes = await inTransaction(ctx, (tx) => recordInTransaction(deps, tx, items));
  // Duplicates answer with the original and the lead as it is now (after the commit).
  const duplicates = [...outcomes].filter((e): e is [number, Duplicate] => "duplicateOf" in e[1]);
  const results = new Map<number, RecordResult | Error>();
  const originals = new Map<string, InteractionEntity>();
  const leads = new Map<string, LeadEntity>();
  if (duplicates.length > 0) {
    const ids = [...new Set(duplicates.map(([, d]) => d.duplicateOf))];
    for (const row of await ctx.db.findBy(InteractionEntity, { id: In(ids) })) originals.set(row.id, row);
    const leadIds = [...new Set([...originals.values()].map((i) => i.leadId))];
    for (const row of await ctx.db.findBy(LeadEntity, { id: In(leadIds) })) leads.set(row.id, row);
  }
  for (const [index, outcome] of outcomes) {
    if (!("duplicateOf" in outcome)) {
      results.set(index, outcome);
      continue;
    }
    const interaction = originals.get(outcome.duplicateOf);
    const lead = outcome.lead ?? (interaction && leads.get(interaction.leadId));
    results.set(
      index,
      interaction && lead ? duplicateResult(interaction, lead) : notFound(`Interaction ${outcome.duplicateOf}`),
    );
  }
  return results;
}

const emailOf = (it: BatchItem): string | null => ("email" in it.valid.who ? it.valid.who.email : null);
const leadIdOf = (it: BatchItem): string | null => ("leadId" in it.valid.who ? it.valid.who.leadId : null);

/** A new interaction of the batch: its item and its id. */
interface LiveItem {
  item: BatchItem;
  id: string;
}

/** The leads of a batch, locked or created in its transaction. */
class BatchLeads {
  readonly byId = new Map<string, LeadEntity>();
  readonly byEmail = new Map<string, LeadEntity>();
  /** Leads the batch created. */
  readonly created = new Set<string>();

  remember(lead: LeadEntity): void {
    this.byId.set(lead.id, lead);
    this.byEmail.set(lead.email, lead);
  }

  /** The lead of an item whose lead is known. */
  of(it: BatchItem): LeadEntity {
    const id = leadIdOf(it);
    return (id !== null ? this.byId.get(id) : this.byEmail.get(emailOf(it) as string)) as LeadEntity;
  }
}

/**
 * The transaction of a batch. Each step is its own function: besides reading in order, a small
 * function is cheap for V8 to optimise again when the shapes it meets change, where one large
 * function was recompiled whole, and ran unoptimised meanwhile.
 */
async function recordInTransaction(deps: ScoringDeps, tx: ServiceContext, items: BatchItem[]): Promise<Map<number, Outcome>> {
  const outcomes = new Map<number, Outcome>();
  const now = tx.clock.now();
  const leads = await lockLeads(tx, items, outcomes);
  const candidates = items.filter((it) => !outcomes.has(it.index));
  const leadOfInteraction = new Map<string, string>();
  const recorded = await recordedKeys(tx, candidates, leadOfInteraction);
  const live = separateDuplicates(candidates, recorded, outcomes);
  await createLeads(tx, leads, live, now);
  for (const id of leads.created) deps.announce.created(tx, id);
  const entities = live.map(({ item, id }) =>
    Object.assign(new InteractionEntity(), item.valid.values, { id, leadId: leads.of(item).id, receivedAt: now }),
  );
  const ledgers = await loadLedgers(deps, tx, leads, entities, now);
  const insert = insertInteractions(tx, entities, now);
  // Let the insert reach the server before scoring (it is sent from a continuation).
  if (insert) await new Promise((resolve) => setImmediate(resolve));
  const scoring = performance.now();
  scoreInOrder(deps, tx, { candidates, live, entities, leads, ledgers, outcomes, leadOfInteraction, now });
  deps.metrics.scored("batch", scoring);
  await insert?.catch((err: unknown) => {
    // A concurrent request recorded one of the keys first: run the batch again (its copies are then duplicates).
    if (sqlState(err) === UNIQUE_VIOLATION) throw new RetryTransaction("a concurrent copy of a batch's interaction was recorded");
    throw err;
  });
  // 6. One statement for every lead.
  await LeadLedger.write(tx, [...ledgers.values()], deps.warmLedgers);
  return outcomes;
}

/**
 * 2a. Locks the leads the items name, all in one statement, in id order (no deadlock between
 * batches); an item naming an unknown lead fails alone (ids were checked by the caller).
 */
async function lockLeads(tx: ServiceContext, items: BatchItem[], outcomes: Map<number, Outcome>): Promise<BatchLeads> {
  const byId = items.filter((it) => leadIdOf(it) !== null);
  const ids = [...new Set(byId.map((it) => leadIdOf(it) as string))];
  const emails = [...new Set(items.map(emailOf).filter((e): e is string => e !== null))];
  const leads = new BatchLeads();
  for (const lead of await lockMany(tx, ids, emails)) leads.remember(lead);
  for (const it of byId) {
    if (!outcomes.has(it.index) && !leads.byId.has(leadIdOf(it) as string)) outcomes.set(it.index, notFound(`Lead ${leadIdOf(it)}`));
  }
  return leads;
}

/** 1. The keys of `candidates` recorded before: key → the interaction's id (and its lead, into `leadOfInteraction`). */
async function recordedKeys(tx: ServiceContext, candidates: BatchItem[], leadOfInteraction: Map<string, string>): Promise<Map<string, string>> {
  const recorded = new Map<string, string>();
  const keyed = candidates.filter((it) => it.valid.values.externalId !== null);
  if (keyed.length === 0) return recorded;
  // One probe of the key's unique index per key, whatever the planner estimates: a join it may
  // plan as a scan of the whole table, which grows without bound (the LIMIT keeps it a probe).
  const rows: Array<{ src: string; ext: string; id: string; lead_id: string }> = await tx.db.query(
    `SELECT k.src, k.ext, i.id, i.lead_id FROM unnest($1::text[], $2::text[]) AS k (src, ext)
       CROSS JOIN LATERAL (SELECT i.id, i.lead_id FROM interaction i WHERE coalesce(i.source, '') = k.src AND i.external_id = k.ext LIMIT 1) AS i`,
    [keyed.map((it) => it.valid.values.source ?? ""), keyed.map((it) => it.valid.values.externalId)],
  );
  for (const row of rows) {
    recorded.set(`${row.src}\u0000${row.ext}`, row.id);
    leadOfInteraction.set(row.id, row.lead_id);
  }
  return recorded;
}

/** Keys recorded before, and keys repeated in the batch: duplicates, answered with the original. The rest, with new ids. */
function separateDuplicates(candidates: BatchItem[], recorded: ReadonlyMap<string, string>, outcomes: Map<number, Outcome>): LiveItem[] {
  const firstOfKey = new Map<string, string>(); // key → the new interaction's id
  const live: LiveItem[] = [];
  for (const item of candidates) {
    const key = keyOf(item.valid.values);
    const original = key === null ? undefined : (recorded.get(key) ?? firstOfKey.get(key));
    if (original !== undefined) {
      outcomes.set(item.index, { duplicateOf: original });
      continue;
    }
    const id = randomUUID();
    if (key !== null) firstOfKey.set(key, id);
    live.push({ item, id });
  }
  return live;
}

/** 2b. New emails: created at the first stage of the active funnel, with their first transition. */
async function createLeads(tx: ServiceContext, leads: BatchLeads, live: LiveItem[], now: Date): Promise<void> {
  const missing = [...new Set(live.map(({ item }) => emailOf(item)).filter((e): e is string => e !== null && !leads.byEmail.has(e)))];
  if (missing.length === 0) return;
  for (const lead of await insertLeads(tx, missing, now)) {
    leads.remember(lead);
    leads.created.add(lead.id);
  }
  const raced = missing.filter((e) => !leads.byEmail.has(e));
  if (raced.length > 0) for (const lead of await lockMany(tx, [], raced)) leads.remember(lead);
}

/**
 * 3-4. Every lead's history and ledger (the batch's own interactions come as changes), and the
 * interactions' `seq`s, taken up front so that their insert needs no answer until the end. A
 * lead this process wrote last, whose row is still that version, is not loaded (`WarmLedgers`).
 */
async function loadLedgers(
  deps: ScoringDeps,
  tx: ServiceContext,
  leads: BatchLeads,
  entities: InteractionEntity[],
  now: Date,
): Promise<Map<string, LeadLedger>> {
  const ledgers = new Map<string, LeadLedger>();
  const leadIds = [...new Set(entities.map((e) => e.leadId))];
  if (leadIds.length === 0) return ledgers;
  const warm = new Map<string, WarmLedger>();
  for (const id of leadIds) {
    const state = deps.warmLedgers.takeLocked(leads.byId.get(id) as LeadEntity);
    if (state) warm.set(id, state);
  }
  const cold = leadIds.filter((id) => !warm.has(id));
  const rows: Array<HistoryRow & { lead_id: string | null; seqs: string[] | null }> = await tx.db.query(HISTORIES_WITH_SEQS_SQL, [cold, entities.length]);
  const head = rows.find((r) => r.lead_id === null) as HistoryRow & { seqs: string[] };
  const seqs = head.seqs.map(Number).sort((a, b) => a - b);
  entities.forEach((e, n) => (e.seq = String(seqs[n])));
  const histories = new Map(rows.map((r) => [r.lead_id, r]));
  const batchIds = new Set(entities.map((e) => e.id));
  for (const id of leadIds) {
    // A warm lead has no row of its own: the head row gives the version.
    const row = histories.get(id) ?? head;
    ledgers.set(id, await LeadLedger.load(deps.models, tx, leads.byId.get(id) as LeadEntity, row, now, { warm: warm.get(id), exclude: batchIds }));
  }
  return ledgers;
}

/**
 * 4. Sends the insert of every new interaction, in array order; its answer is awaited at the end.
 * A plain insert: the keys were looked up under the leads' locks, so only a concurrent request
 * for another lead can have recorded one since, and the unique index then refuses it (cheaper
 * than `ON CONFLICT DO NOTHING`'s speculative insertion of every row).
 */
function insertInteractions(tx: ServiceContext, entities: InteractionEntity[], now: Date): Promise<unknown> | null {
  if (entities.length === 0) return null;
  const insert: Promise<unknown> = tx.db.query(
    `INSERT INTO interaction (id, seq, lead_id, type, target, source, external_id, properties, occurred_at, received_at)
     OVERRIDING SYSTEM VALUE
     SELECT u.id, u.seq, u.lead_id, u.type, u.target, u.source, u.external_id, u.properties::jsonb, to_timestamp(u.at_ms / 1000.0), $10
       FROM unnest($1::uuid[], $2::bigint[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::float8[]) WITH ORDINALITY
            AS u (id, seq, lead_id, type, target, source, external_id, properties, at_ms, n)
      ORDER BY u.n`,
    [
      entities.map((e) => e.id),
      entities.map((e) => e.seq),
      entities.map((e) => e.leadId),
      entities.map((e) => e.type),
      entities.map((e) => e.target),
      entities.map((e) => e.source),
      entities.map((e) => e.externalId),
      entities.map((e) => JSON.stringify(e.properties ?? {})),
      entities.map((e) => e.occurredAt.getTime()),
      now,
    ],
  );
  insert.catch(() => undefined); // awaited by the caller; not an unhandled rejection meanwhile
  return insert;
}

interface ScoringPass {
  candidates: BatchItem[];
  live: LiveItem[];
  entities: InteractionEntity[];
  leads: BatchLeads;
  ledgers: Map<string, LeadLedger>;
  outcomes: Map<number, Outcome>;
  /** The lead of each interaction a duplicate names. */
  leadOfInteraction: Map<string, string>;
  now: Date;
}

/**
 * 5. Item by item, in array order: its profile fields, then its score and stage; a copy sees its
 * lead as it is at that point of the batch. Then what each interaction earns once the whole batch
 * is in (a later item may change an earlier one's).
 */
function scoreInOrder(deps: ScoringDeps, tx: ServiceContext, pass: ScoringPass): void {
  const { candidates, live, entities, leads, ledgers, outcomes, leadOfInteraction, now } = pass;
  const firstTouch = new Set(leads.created);
  for (const e of entities) leadOfInteraction.set(e.id, e.leadId);
  const toScore = new Map(live.map((l, n) => [l.item.index, entities[n]]));
  for (const candidate of candidates) {
    const outcome = outcomes.get(candidate.index);
    if (outcome && "duplicateOf" in outcome) {
      const ledger = ledgers.get(leadOfInteraction.get(outcome.duplicateOf) ?? "");
      if (ledger) outcome.lead = Object.assign(new LeadEntity(), ledger.lead);
      continue;
    }
    const interaction = toScore.get(candidate.index);
    if (!interaction) continue;
    outcomes.set(candidate.index, scoreItem(deps, tx, candidate, interaction, leads, ledgers.get(interaction.leadId) as LeadLedger, firstTouch, now));
  }
  for (const { item } of live) {
    const outcome = outcomes.get(item.index) as RecordResult;
    outcome.awards = (ledgers.get(outcome.interaction.leadId) as LeadLedger).awardsOf(outcome.interaction.id);
  }
}

/** One new interaction of the batch: the item's profile fields merged, then scored. */
function scoreItem(
  deps: ScoringDeps,
  tx: ServiceContext,
  it: BatchItem,
  interaction: InteractionEntity,
  leads: BatchLeads,
  ledger: LeadLedger,
  firstTouch: Set<string>,
  now: Date,
): RecordResult {
  const lead = leads.of(it);
  let fieldsChanged = firstTouch.delete(lead.id);
  const patch = "email" in it.valid.who ? it.valid.who.lead?.patch : undefined;
  if (patch) {
    const changes = patchChanges(lead, patch);
    if (Object.keys(changes).length > 0) {
      Object.assign(lead, changes, { updatedAt: now });
      ledger.writeProfile = true;
      fieldsChanged = true;
    }
  }
  const effect = ledger.apply({ interaction: factsOf(interaction), fieldsChanged });
  if (effect.stageChange) deps.announce.stageChanged(tx, lead.id, effect.stageChange);
  deps.announce.scored(tx, { leadId: lead.id, interactionId: interaction.id, pointsAwarded: effect.pointsAwarded, score: lead.score });
  return {
    interaction,
    lead: Object.assign(new LeadEntity(), lead),
    pointsAwarded: effect.pointsAwarded,
    stageChange: effect.stageChange,
    duplicate: false,
    awards: null,
  };
}
