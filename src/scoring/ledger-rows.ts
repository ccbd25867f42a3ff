/**
 * Reading a lead's ledger: how its rows become the model's inputs (`LeadFields`,
 * `InteractionFacts`, `Award`s), and the SQL that loads a lead's history (`historyColumns`) or
 * many leads' at once (`HISTORIES_SQL`). Shared by the write paths, the rescore and the preview;
 * awards go back in through `ledger-writer.ts`.
 *
 * Times travel as epoch milliseconds (`float8`/`bigint` in SQL): exact for `timestamptz(3)` and
 * much cheaper to move than ISO text.
 */
import type { EntityManager } from "typeorm";
import type { Award, InteractionFacts, LeadFields } from "../dsl/model";
import { MAX_TOTAL } from "../dsl/runtime/totals";
import type { LeadEntity } from "../entities/lead.entity";

/** The SQL expression giving a timestamp as epoch milliseconds (a `bigint`). */
export const epochMs = (column: string): string => `floor(extract(epoch FROM ${column}) * 1000)::bigint`;

/** The lead columns the rules read, for hand-written SELECTs (`l` is the lead's alias). */
export const LEAD_FIELD_COLUMNS =
  "l.email, l.first_name, l.last_name, l.role, l.company, l.industry, l.company_size, l.country, l.source, l.attributes";

/** The lead's engagement reset (`l.engagement_since`, read back by `resetOfRow`), for hand-written SELECTs. */
export const RESET_COLUMN = "l.engagement_since";

/** The engagement reset of a row selected with `RESET_COLUMN` (null: none). */
export const resetOfRow = (row: Record<string, unknown>): Date | null => (row.engagement_since == null ? null : new Date(row.engagement_since as string | Date));

/** A lead's fields as the rules see them. */
export function leadFieldsOf(lead: LeadEntity): LeadFields {
  return {
    email: lead.email,
    firstName: lead.firstName,
    lastName: lead.lastName,
    role: lead.role,
    company: lead.company,
    industry: lead.industry,
    companySize: lead.companySize,
    country: lead.country,
    source: lead.source,
    attributes: lead.attributes,
  };
}

/** `LeadFields` from a raw row selected with `LEAD_FIELD_COLUMNS`. */
export function leadFieldsOfRow(row: Record<string, unknown>): LeadFields {
  return {
    email: row.email as string,
    firstName: row.first_name as string | null,
    lastName: row.last_name as string | null,
    role: row.role as string | null,
    company: row.company as string | null,
    industry: row.industry as string | null,
    companySize: row.company_size as number | null,
    country: row.country as string | null,
    source: row.source as string | null,
    attributes: (row.attributes as Record<string, unknown>) ?? {},
  };
}

/**
 * The SQL of one interaction as a JSON array (`json_build_array`), read back by `factsOfTuple`:
 * `[id, seq, type, target, source, properties, occurredAtMs]`.
 */
export const INTERACTION_TUPLE = `json_build_array(i.id, i.seq, i.type, i.target, i.source, i.properties, ${epochMs("i.occurred_at")})`;

export type InteractionTuple = [string, number, string, string | null, string | null, Record<string, unknown>, number];

export function factsOfTuple(t: InteractionTuple): InteractionFacts {
  return { id: t[0], seq: Number(t[1]), type: t[2], target: t[3], source: t[4], properties: t[5] ?? {}, occurredAt: new Date(Number(t[6])) };
}

/** The interaction columns as plain columns (`i` is the alias), read back by `factsOfRow`. */
export const INTERACTION_COLUMNS = `i.lead_id, i.id, i.seq::float8 AS seq, i.type, i.target, i.source, i.properties, ${epochMs("i.occurred_at")}::float8 AS at_ms`;

export function factsOfRow(row: Record<string, unknown>): InteractionFacts {
  return {
    id: row.id as string,
    seq: row.seq as number,
    type: row.type as string,
    target: row.target as string | null,
    source: row.source as string | null,
    properties: (row.properties as Record<string, unknown>) ?? {},
    occurredAt: new Date(row.at_ms as number),
  };
}

/** An award as the ledger holds it: the model's `Award` plus its row id and model version. */
export interface StoredAward {
  id: string;
  version: number;
  award: Award;
}

/**
 * The SQL of one award row as a JSON array (`a` is the alias), read back by `storedOfTuple`:
 * `[id, interactionId, ruleIndex, category, points, awardedAtMs, expiresAtMs, modelVersion]`.
 * The rule's name is not read: the model version gives it.
 */
export const AWARD_TUPLE = `json_build_array(a.id, a.interaction_id, a.rule_index, a.category, a.points, ${epochMs("a.awarded_at")}, ${epochMs("a.expires_at")}, a.model_version)`;

export type AwardTuple = [string, string | null, number, "FIT" | "ENGAGEMENT", number, number, number | null, number];

export function storedOfTuple(t: AwardTuple, ruleName: (version: number, index: number) => string): StoredAward {
  return {
    id: t[0],
    version: t[7],
    award: {
      ruleIndex: t[2],
      rule: ruleName(t[7], t[2]),
      category: t[3],
      points: t[4],
      interactionId: t[1],
      awardedAt: new Date(Number(t[5])),
      expiresAt: t[6] === null ? null : new Date(Number(t[6])),
    },
  };
}

/** True when `award` still counts at `nowMs`. */
export const counting = (award: Pick<Award, "expiresAt">, nowMs: number): boolean =>
  award.expiresAt === null || nowMs < award.expiresAt.getTime();

/** SQL: the whole number `expr` saturated as a total (`dsl/runtime/totals.ts`), as an `integer`. */
export const saturatedSql = (expr: string): string => `least(greatest(${expr}, ${-MAX_TOTAL}), ${MAX_TOTAL})::int`;

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

/**
 * All interactions of `leadIds` (sorted), in canonical order per lead, in one query. The id range
 * keeps every plan a range scan of the batch, however large the tables grow.
 */
export async function interactionsOf(db: EntityManager, leadIds: string[]): Promise<Map<string, InteractionFacts[]>> {
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
