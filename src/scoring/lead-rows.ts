/**
 * The lead row: every statement that locks it, creates it or changes it outside scoring, and the
 * mapping of its columns to `LeadEntity`. Writes to one lead serialise on this row's lock; every
 * path that records, scores, moves or sweeps a lead takes it here first.
 *
 * A lead locked here remembers the version of its row (`xmin`) it was locked at
 * (`lockedRowVersion`): `WarmLedgers` reuse a lead's scoring state only while the row is the
 * version this process wrote.
 *
 * The scoring outcome (ledger, totals, stage moves by rule) is written by `ledger-writer.ts`.
 */
import { DEFAULT_FUNNEL } from "../dsl/model";
import { LeadEntity } from "../entities/lead.entity";
import { StageTransitionEntity } from "../entities/stage-transition.entity";
import type { ServiceContext } from "../context";
import { hotStatement } from "../database/transaction";
import { historyColumns, type HistoryRow, LEAD_FIELD_COLUMNS, RESET_COLUMN } from "./ledger-rows";

type Row = Record<string, unknown>;

/** A `lead` row selected with `SELECT *` (plain SQL) as the entity. */
export function leadFromRow(row: Row): LeadEntity {
  return Object.assign(new LeadEntity(), {
    id: row.id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    role: row.role,
    company: row.company,
    industry: row.industry,
    companySize: row.company_size,
    country: row.country,
    source: row.source,
    attributes: row.attributes ?? {},
    score: row.score,
    fit: row.fit,
    engagement: row.engagement,
    stage: row.stage,
    modelVersion: row.model_version,
    nextExpiryAt: row.next_expiry_at ?? null,
    engagementSince: row.engagement_since ?? null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}

/** The version (`xmin`) of each lead's row as its transaction locked it (for `WarmLedgers`). */
const lockedVersions = new WeakMap<LeadEntity, string>();

/** A lead from a row locked with `l.xmin::text AS row_version`, its row version remembered. */
function lockedLeadFromRow(row: Row): LeadEntity {
  const lead = leadFromRow(row);
  if (typeof row.row_version === "string") lockedVersions.set(lead, row.row_version);
  return lead;
}

/** The version of the lead's row when it was locked here, if known. */
export const lockedRowVersion = (lead: LeadEntity): string | undefined => lockedVersions.get(lead);

/**
 * SQL for the first stage of the active model's funnel, for inserting a new lead in the same
 * statement (no extra round trip). Stage names are identifiers, so the fallback is safe to inline.
 */
const FIRST_STAGE_SQL = `coalesce((SELECT funnel->>0 FROM scoring_model WHERE active), '${DEFAULT_FUNNEL.stages[0]}')`;

const LOCK_BY_ID_SQL = hotStatement(`SELECT l.*, l.xmin::text AS row_version FROM lead l WHERE l.id = $1 FOR UPDATE`);
const LOCK_BY_EMAIL_SQL = hotStatement(`SELECT l.*, l.xmin::text AS row_version FROM lead l WHERE l.email = $1 FOR UPDATE`);

/** The lead with the email `$1` locked, and the interaction recorded with the key `($2, $3)`, if any. */
const LOCK_BY_EMAIL_WITH_KEY_SQL = hotStatement(`SELECT (SELECT id FROM interaction WHERE coalesce(source, '') = $2 AND external_id = $3) AS duplicate_of,
            l.*, l.xmin::text AS row_version
     FROM lead l WHERE l.email = $1 FOR UPDATE`);

/** The leads with these ids or emails, in id order (so concurrent batches cannot deadlock). */
const LOCK_MANY_SQL = `SELECT l.*, l.xmin::text AS row_version FROM lead l WHERE l.id = ANY($1::uuid[]) OR l.email = ANY($2::text[]) ORDER BY l.id FOR UPDATE`;

/** Locks the lead with this id; null when there is none. */
export async function lockById(tx: ServiceContext, id: string): Promise<LeadEntity | null> {
  const rows: Row[] = await tx.db.query(LOCK_BY_ID_SQL, [id]);
  return rows.length === 0 ? null : lockedLeadFromRow(rows[0]);
}

/** Locks the lead with this (normalised) email; null when there is none. */
export async function lockByEmail(tx: ServiceContext, email: string): Promise<LeadEntity | null> {
  const rows: Row[] = await tx.db.query(LOCK_BY_EMAIL_SQL, [email]);
  return rows.length === 0 ? null : lockedLeadFromRow(rows[0]);
}

/**
 * In one statement: the interaction recorded with `(source, externalId)`, if any, and the lead
 * with this email locked (null when there is none).
 */
export async function lockByEmailWithKey(
  tx: ServiceContext,
  email: string,
  source: string | null,
  externalId: string,
): Promise<{ duplicateOf: string } | { lead: LeadEntity | null }> {
  const rows: Row[] = await tx.db.query(LOCK_BY_EMAIL_WITH_KEY_SQL, [email, source ?? "", externalId]);
  if (rows.length === 0) return { lead: null };
  const { duplicate_of: duplicateOf, ...row } = rows[0];
  return typeof duplicateOf === "string" ? { duplicateOf } : { lead: lockedLeadFromRow(row) };
}

/** Locks the leads with these ids or emails, all in one statement, in id order. */
export async function lockMany(tx: ServiceContext, ids: readonly string[], emails: readonly string[]): Promise<LeadEntity[]> {
  const rows: Row[] = await tx.db.query(LOCK_MANY_SQL, [ids, emails]);
  return rows.map(lockedLeadFromRow);
}

/**
 * Creates the leads of `emails` (normalised) at the first stage of the active model's funnel,
 * each with its first StageTransition and the first point of its score history (zero, `CREATED`),
 * in one statement; an email a concurrent insert took is
 * skipped (the INSERT waits for it). The rows inserted, in email order; this transaction holds
 * them locked until it commits.
 */
export async function insertLeads(tx: ServiceContext, emails: readonly string[], now: Date): Promise<LeadEntity[]> {
  const rows: Row[] = await tx.db.query(
    `WITH created AS (
       INSERT INTO lead (email, stage, attributes, created_at, updated_at)
       SELECT e, ${FIRST_STAGE_SQL}, '{}'::jsonb, $2, $2 FROM unnest($1::text[]) AS e ORDER BY e
       ON CONFLICT (email) DO NOTHING RETURNING *),
     first_moves AS (
       INSERT INTO stage_transition (lead_id, from_stage, to_stage, at, cause, actor, reason)
       SELECT c.id, NULL, c.stage, $2, 'RULE', $3, 'new lead' FROM created c ORDER BY c.email),
     first_points AS (
       INSERT INTO score_point (lead_id, at, score, fit, engagement, cause)
       SELECT c.id, $2, c.score, c.fit, c.engagement, 'CREATED' FROM created c ORDER BY c.email)
     SELECT * FROM created ORDER BY email`,
    [[...emails].sort(), now, tx.caller?.name ?? null],
  );
  return rows.map(leadFromRow);
}

/**
 * For a lead named by id, the whole of a recording in one statement: the lead locked, a re-sent
 * `($4, $5)` key found, the interaction inserted (unless a copy or no lead) and the lead's history
 * loaded. The history is read from the statement's snapshot, taken before the lock was granted:
 * every write to a lead's interactions or ledger also updates its row, so when the locked row
 * (the newest version) is the one the snapshot sees (`xmin`), no write came in between and the
 * history is whole; otherwise the caller loads it again (after the lock). When the locked row is
 * `$9`, the version this process last wrote, the history is not read at all: the process has it
 * (`WarmLedgers`).
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

/** What `lockByIdAndInsert` found. */
export type LockedAndInserted =
  | { kind: "no-lead" }
  | { kind: "duplicate"; duplicateOf: string }
  | { kind: "raced" }
  | {
      kind: "inserted";
      lead: LeadEntity;
      insertedId: string;
      insertedSeq: string;
      /** The history as of the statement's snapshot; `interactions` null when not read. */
      history: HistoryRow;
      /** Whether the history is the locked row's (no write came between the snapshot and the lock). */
      current: boolean;
      /** The locked row's version. */
      rowVersion: string;
    };

/**
 * Locks the lead `leadId`, checks the key, inserts the interaction (`insertValues`: `$2`…`$8`) and
 * loads the lead's history unless its row is `knownVersion`: one statement.
 */
export async function lockByIdAndInsert(tx: ServiceContext, leadId: string, insertValues: unknown[], knownVersion: string | null): Promise<LockedAndInserted> {
  const rows: Row[] = await tx.db.query(LOCK_INSERT_AND_LOAD_SQL, [leadId, ...insertValues, knownVersion]);
  if (rows.length === 0) return { kind: "no-lead" };
  const { duplicate_of: duplicateOf, inserted_id: insertedId, inserted_seq: insertedSeq, seen_xmin: seenXmin, locked_xmin: lockedXmin, version, interactions, awards, ...leadRow } = rows[0];
  if (typeof duplicateOf === "string") return { kind: "duplicate", duplicateOf };
  if (typeof insertedId !== "string") return { kind: "raced" };
  return {
    kind: "inserted",
    lead: leadFromRow(leadRow),
    insertedId,
    insertedSeq: String(insertedSeq),
    history: { version, interactions, awards } as HistoryRow,
    current: seenXmin === lockedXmin,
    rowVersion: lockedXmin as string,
  };
}

/**
 * Locks the next leads of `[from, to)` after `after` still below the active model version, in id
 * order, skipping leads a concurrent write holds unless `waitForLocks` (the rescore's batches).
 * Each row has the lead's fields, `stage`, `score`, `stored_fit`, `stored_engagement` and `active_version`.
 */
export async function lockStaleLeads(
  tx: ServiceContext,
  slice: { from: string; to: string | null },
  after: string | null,
  limit: number,
  waitForLocks: boolean,
): Promise<Row[]> {
  return tx.db.query(
    `SELECT l.id, l.stage, l.score, l.fit AS stored_fit, l.engagement AS stored_engagement, a.version AS active_version, ${RESET_COLUMN}, ${LEAD_FIELD_COLUMNS}
       FROM lead l, (SELECT version FROM scoring_model WHERE active) a
      WHERE l.model_version < a.version
        AND l.id >= $1::uuid AND ($2::uuid IS NULL OR l.id < $2::uuid) AND ($3::uuid IS NULL OR l.id > $3::uuid)
      ORDER BY l.id LIMIT $4
      FOR UPDATE OF l${waitForLocks ? "" : " SKIP LOCKED"}`,
    [slice.from, slice.to, after, limit],
  );
}

/** Writes profile `changes` (already validated and merged) to a locked lead's row, and to the object. */
export async function updateProfile(tx: ServiceContext, lead: LeadEntity, changes: Partial<LeadEntity>): Promise<void> {
  await tx.db.update(LeadEntity, { id: lead.id }, changes);
  Object.assign(lead, changes);
}

/**
 * Moves a locked lead to `to` by hand and stores the transition (who and why); the lead object
 * follows. Stage rules are not run: the lead's next change runs them.
 */
export async function moveByHand(tx: ServiceContext, lead: LeadEntity, to: string, reason: string | null): Promise<StageTransitionEntity> {
  const at = tx.clock.now();
  const transition = tx.db.create(StageTransitionEntity, {
    leadId: lead.id,
    fromStage: lead.stage,
    toStage: to,
    at,
    cause: "MANUAL",
    rule: null,
    actor: tx.caller?.name ?? null,
    reason,
  });
  await tx.db.insert(StageTransitionEntity, transition);
  lead.stage = to;
  lead.updatedAt = at;
  await tx.db.update(LeadEntity, { id: lead.id }, { stage: to, updatedAt: at });
  return transition;
}

/** Erases the lead and, by cascade, its interactions, awards and stage history; its email, or null if unknown. */
export async function deleteLead(tx: ServiceContext, id: string): Promise<string | null> {
  // TypeORM answers a DELETE … RETURNING with [rows, rowCount].
  const [rows]: [Array<{ email: string }>, number] = await tx.db.query(`DELETE FROM lead WHERE id = $1 RETURNING email`, [id]);
  return rows[0]?.email ?? null;
}
