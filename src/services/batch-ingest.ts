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
import { In } from "typeorm";
import type { ServiceContext } from "../context";
import { InteractionEntity } from "../entities/interaction.entity";
import { LeadEntity } from "../entities/lead.entity";
import { badInput, notFound } from "../errors";
import type { RecordResult, ValidInteraction } from "./interaction.service";
import { HISTORIES_SQL, type HistoryRow, LeadLedger } from "./lead-ledger";
import { isUuid, leadFromRow, patchChanges } from "./lead.service";
import { FIRST_STAGE_SQL } from "./model.service";
import { announceScore, factsOf } from "./scoring.service";
import { inTransaction, RetryTransaction } from "./transaction";

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

/** `HISTORIES_SQL` with `$2` values of the interactions' identity sequence (on the first lead's row only). */
const HISTORIES_WITH_SEQS_SQL = `SELECT h.*, CASE WHEN h.lead_id = ($1::uuid[])[1] THEN s.seqs END AS seqs FROM (${HISTORIES_SQL}) AS h
  CROSS JOIN (SELECT coalesce(array_agg(nextval(pg_get_serial_sequence('interaction', 'seq'))::text), '{}') AS seqs FROM generate_series(1, $2::int)) AS s`;

const keyOf = (v: ValidInteraction["values"]): string | null => (v.externalId === null ? null : `${v.source ?? ""}\u0000${v.externalId}`);

/** Records `items` in one transaction; the outcome of each, by index. */
export async function recordBatchSetBased(ctx: ServiceContext, items: BatchItem[]): Promise<Map<number, RecordResult | Error>> {
  const outcomes = await inTransaction(ctx, (tx) => recordInTransaction(tx, items));
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
      interaction && lead
        ? { interaction, lead, pointsAwarded: 0, stageChange: null, duplicate: true, awards: null }
        : notFound(`Interaction ${outcome.duplicateOf}`),
    );
  }
  return results;
}

async function recordInTransaction(tx: ServiceContext, items: BatchItem[]): Promise<Map<number, Outcome>> {
  const outcomes = new Map<number, Outcome>();
  const now = tx.clock.now();

  // 2a. Lock the known leads, all in one statement, in id order (no deadlock between batches).
  const byId = items.filter((it) => "leadId" in it.valid.who);
  for (const it of byId) {
    const id = (it.valid.who as { leadId: string }).leadId;
    if (!isUuid(id)) outcomes.set(it.index, badInput(`${it.valid.prefix}.leadId`, "is not a lead id"));
  }
  const emailOf = (it: BatchItem) => ("email" in it.valid.who ? it.valid.who.email : null);
  const leadIdOf = (it: BatchItem) => ("leadId" in it.valid.who ? it.valid.who.leadId : null);
  const ids = [...new Set(byId.filter((it) => !outcomes.has(it.index)).map((it) => leadIdOf(it) as string))];
  const emails = [...new Set(items.map(emailOf).filter((e): e is string => e !== null))];
  const locked: Array<Record<string, unknown>> = await tx.db.query(
    `SELECT * FROM lead WHERE id = ANY($1::uuid[]) OR email = ANY($2::text[]) ORDER BY id FOR UPDATE`,
    [ids, emails],
  );
  const leadsById = new Map<string, LeadEntity>();
  const leadsByEmail = new Map<string, LeadEntity>();
  const remember = (lead: LeadEntity) => {
    leadsById.set(lead.id, lead);
    leadsByEmail.set(lead.email, lead);
  };
  locked.map(leadFromRow).forEach(remember);
  for (const it of byId) {
    if (!outcomes.has(it.index) && !leadsById.has(leadIdOf(it) as string)) outcomes.set(it.index, notFound(`Lead ${leadIdOf(it)}`));
  }

  // 1. Keys recorded before, and keys repeated in the batch: duplicates, answered with the original.
  const candidates = items.filter((it) => !outcomes.has(it.index));
  const keyed = candidates.filter((it) => it.valid.values.externalId !== null);
  const recorded = new Map<string, string>();
  const leadOfInteraction = new Map<string, string>();
  if (keyed.length > 0) {
    const rows: Array<{ src: string; ext: string; id: string; lead_id: string }> = await tx.db.query(
      `SELECT k.src, k.ext, i.id, i.lead_id FROM unnest($1::text[], $2::text[]) AS k (src, ext)
         JOIN interaction i ON coalesce(i.source, '') = k.src AND i.external_id = k.ext`,
      [keyed.map((it) => it.valid.values.source ?? ""), keyed.map((it) => it.valid.values.externalId)],
    );
    for (const row of rows) {
      recorded.set(`${row.src}\u0000${row.ext}`, row.id);
      leadOfInteraction.set(row.id, row.lead_id);
    }
  }
  const firstOfKey = new Map<string, string>(); // key → the new interaction's id
  const live: Array<BatchItem & { id: string }> = [];
  for (const it of candidates) {
    const key = keyOf(it.valid.values);
    const original = key === null ? undefined : (recorded.get(key) ?? firstOfKey.get(key));
    if (original !== undefined) {
      outcomes.set(it.index, { duplicateOf: original });
      continue;
    }
    const id = randomUUID();
    if (key !== null) firstOfKey.set(key, id);
    live.push({ ...it, id });
  }

  // 2b. New emails: created at the first stage of the active funnel, with their first transition.
  const created = new Set<string>();
  const missing = [...new Set(live.map(emailOf).filter((e): e is string => e !== null && !leadsByEmail.has(e)))].sort();
  if (missing.length > 0) {
    const inserted: Array<Record<string, unknown>> = await tx.db.query(
      `INSERT INTO lead (email, stage, attributes, created_at, updated_at)
       SELECT e, ${FIRST_STAGE_SQL}, '{}'::jsonb, $2, $2 FROM unnest($1::text[]) AS e ORDER BY e
       ON CONFLICT (email) DO NOTHING RETURNING *`,
      [missing, now],
    );
    for (const lead of inserted.map(leadFromRow)) {
      remember(lead);
      created.add(lead.id);
    }
    const raced = missing.filter((e) => !leadsByEmail.has(e));
    if (raced.length > 0) {
      const rows: Array<Record<string, unknown>> = await tx.db.query(`SELECT * FROM lead WHERE email = ANY($1::text[]) ORDER BY id FOR UPDATE`, [raced]);
      rows.map(leadFromRow).forEach(remember);
    }
    const fresh = [...created].map((id) => leadsById.get(id) as LeadEntity);
    await tx.db.query(
      `INSERT INTO stage_transition (lead_id, from_stage, to_stage, at, cause, actor, reason)
       SELECT u.lead_id, NULL, u.stage, $3, 'RULE', $4, 'new lead' FROM unnest($1::uuid[], $2::text[]) AS u (lead_id, stage)`,
      [fresh.map((l) => l.id), fresh.map((l) => l.stage), now, tx.caller?.name ?? null],
    );
  }
  const leadOf = (it: BatchItem) => (leadIdOf(it) !== null ? leadsById.get(leadIdOf(it) as string) : leadsByEmail.get(emailOf(it) as string)) as LeadEntity;

  // 3. Every new interaction, in array order: its `seq` taken up front (with the histories), so
  // that its insert needs no answer until the end, and runs on the server while the batch is
  // scored here.
  const entities = live.map((it) =>
    Object.assign(new InteractionEntity(), it.valid.values, { id: it.id, leadId: leadOf(it).id, receivedAt: now }),
  );
  const scored = live;
  const entityOf = new Map(entities.map((e) => [e.id, e]));

  // 4. Every lead's history and ledger (the batch's own interactions come as changes), and the seqs.
  const leadIds = [...new Set(scored.map((it) => leadOf(it).id))];
  const batchIds = new Set(entities.map((e) => e.id));
  const ledgers = new Map<string, LeadLedger>();
  if (leadIds.length > 0) {
    const rows: Array<HistoryRow & { lead_id: string; seqs: string[] | null }> = await tx.db.query(HISTORIES_WITH_SEQS_SQL, [leadIds, entities.length]);
    const seqs = (rows.find((r) => r.seqs !== null) as { seqs: string[] }).seqs.map(Number).sort((a, b) => a - b);
    entities.forEach((e, n) => (e.seq = String(seqs[n])));
    for (const row of rows) ledgers.set(row.lead_id, await LeadLedger.fromRow(tx, leadsById.get(row.lead_id) as LeadEntity, row, now, batchIds));
  }
  let insert: Promise<Array<{ id: string }>> | null = null;
  if (entities.length > 0) {
    insert = tx.db.query(
      `INSERT INTO interaction (id, seq, lead_id, type, target, source, external_id, properties, occurred_at, received_at)
       OVERRIDING SYSTEM VALUE
       SELECT u.id, u.seq, u.lead_id, u.type, u.target, u.source, u.external_id, u.properties::jsonb, to_timestamp(u.at_ms / 1000.0), $10
         FROM unnest($1::uuid[], $2::bigint[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::float8[]) WITH ORDINALITY
              AS u (id, seq, lead_id, type, target, source, external_id, properties, at_ms, n)
        ORDER BY u.n
       ON CONFLICT DO NOTHING RETURNING id`,
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
    insert.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    // Let the insert reach the server before scoring (it is sent from a continuation).
    await new Promise((resolve) => setImmediate(resolve));
  }

  // 5. Item by item, in array order: its profile fields, then its score and stage; a copy sees
  // its lead as it is at that point of the batch.
  const firstTouch = new Set(created);
  for (const e of entities) leadOfInteraction.set(e.id, e.leadId);
  const toScore = new Map(scored.map((it) => [it.index, it]));
  for (const candidate of candidates) {
    const outcome = outcomes.get(candidate.index);
    if (outcome && "duplicateOf" in outcome) {
      const ledger = ledgers.get(leadOfInteraction.get(outcome.duplicateOf) ?? "");
      if (ledger) outcome.lead = Object.assign(new LeadEntity(), ledger.lead);
      continue;
    }
    const it = toScore.get(candidate.index);
    if (!it) continue;
    const lead = leadOf(it);
    const ledger = ledgers.get(lead.id) as LeadLedger;
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
    const interaction = entityOf.get(it.id) as InteractionEntity;
    const effect = ledger.apply({ interaction: factsOf(interaction), fieldsChanged });
    if (effect.stageChange) tx.services.stages.announce(tx, lead, effect.stageChange);
    announceScore(tx, lead, interaction.id, effect.pointsAwarded);
    outcomes.set(it.index, {
      interaction,
      lead: Object.assign(new LeadEntity(), lead),
      pointsAwarded: effect.pointsAwarded,
      stageChange: effect.stageChange,
      duplicate: false,
      awards: null,
    });
  }
  // What each interaction earns once the whole batch is in (a later item may change an earlier one's).
  for (const it of scored) {
    const outcome = outcomes.get(it.index) as RecordResult;
    outcome.awards = (ledgers.get(outcome.interaction.leadId) as LeadLedger).awardsOf(it.id);
  }

  // A concurrent request recorded one of the keys first: run the batch again (its copies are then duplicates).
  if (insert && (await insert).length < entities.length) throw new RetryTransaction("a concurrent copy of a batch's interaction was recorded");

  // 6. One statement for every lead.
  await LeadLedger.write(tx, [...ledgers.values()]);
  return outcomes;
}
