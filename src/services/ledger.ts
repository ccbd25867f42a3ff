/**
 * The ledger in SQL: how a lead's rows become the model's inputs (`LeadFields`,
 * `InteractionFacts`, `Award`s) and how awards go back in, one statement for any number of them.
 * Shared by the write path (`scoring.service.ts`), the publish rescore and preview (`rescore.ts`).
 *
 * Times travel as epoch milliseconds (`float8`/`bigint` in SQL): exact for `timestamptz(3)` and
 * much cheaper to move than ISO text.
 */
import type { Award, CompiledModel, InteractionFacts, LeadFields } from "../dsl/model";
import type { LeadEntity } from "../entities/lead.entity";

/** The SQL expression giving a timestamp as epoch milliseconds (a `bigint`). */
export const epochMs = (column: string): string => `floor(extract(epoch FROM ${column}) * 1000)::bigint`;

/** The lead columns the rules read, for hand-written SELECTs (`l` is the lead's alias). */
export const LEAD_FIELD_COLUMNS =
  "l.email, l.first_name, l.last_name, l.role, l.company, l.industry, l.company_size, l.country, l.source, l.attributes";

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

/** The sum of the awards still counting at `nowMs`. */
export function countingSum(awards: Iterable<Award>, nowMs: number): number {
  let sum = 0;
  for (const a of awards) if (counting(a, nowMs)) sum += a.points;
  return sum;
}

/** The earliest expiry after `nowMs` among `awards` (null: none will expire). */
export function nextExpiry(awards: Iterable<Award>, nowMs: number): Date | null {
  let next = Infinity;
  for (const a of awards) {
    if (a.expiresAt === null) continue;
    const t = a.expiresAt.getTime();
    if (t > nowMs && t < next) next = t;
  }
  return next === Infinity ? null : new Date(next);
}

const names = new WeakMap<CompiledModel, string[]>();

/** The model's rule names by rule index. */
export function ruleNames(model: CompiledModel): string[] {
  let list = names.get(model);
  if (!list) names.set(model, (list = model.rules.map((r) => r.name)));
  return list;
}

/** Awards in column arrays, for `INSERT … SELECT … FROM unnest(…)`: one statement for any number. */
export class AwardColumns {
  /** The rows' ids when chosen by the caller (every row's, or none: the table's default). */
  readonly ids: string[] = [];
  readonly leadIds: string[] = [];
  readonly interactionIds: Array<string | null> = [];
  readonly ruleIndexes: number[] = [];
  readonly categories: string[] = [];
  readonly points: number[] = [];
  readonly awardedAt: number[] = [];
  readonly expiresAt: Array<number | null> = [];

  get length(): number {
    return this.leadIds.length;
  }

  push(leadId: string, a: Award, id?: string): void {
    if (id !== undefined) this.ids.push(id);
    this.leadIds.push(leadId);
    this.interactionIds.push(a.interactionId);
    this.ruleIndexes.push(a.ruleIndex);
    this.categories.push(a.category);
    this.points.push(a.points);
    this.awardedAt.push(a.awardedAt.getTime());
    this.expiresAt.push(a.expiresAt === null ? null : a.expiresAt.getTime());
  }

  /**
   * The INSERT for these awards of `model` (published as `version`); `param(value)` adds a
   * parameter and returns its placeholder (so the statement can be part of a larger one). Rule
   * names travel once, as the model's list, not once per award.
   */
  insertSql(model: CompiledModel, version: number, param: (value: unknown) => string): string {
    if (this.ids.length > 0 && this.ids.length !== this.length) throw new Error("AwardColumns: an id for every award or for none");
    const withIds = this.ids.length > 0;
    return `INSERT INTO score_award (${withIds ? "id, " : ""}lead_id, interaction_id, rule_index, rule, category, points, awarded_at, expires_at, model_version)
      SELECT ${withIds ? "u.id, " : ""}u.lead_id, u.interaction_id, u.rule_index, (${param(ruleNames(model))}::text[])[u.rule_index + 1], u.category, u.points,
             to_timestamp(u.awarded_ms / 1000.0), to_timestamp(u.expires_ms / 1000.0), ${param(version)}::int
        FROM unnest(${withIds ? `${param(this.ids)}::uuid[], ` : ""}${param(this.leadIds)}::uuid[], ${param(this.interactionIds)}::uuid[], ${param(this.ruleIndexes)}::int[],
                    ${param(this.categories)}::text[], ${param(this.points)}::int[],
                    ${param(this.awardedAt)}::float8[], ${param(this.expiresAt)}::float8[])
             AS u (${withIds ? "id, " : ""}lead_id, interaction_id, rule_index, category, points, awarded_ms, expires_ms)`;
  }
}

/** Collects parameters for a hand-written statement: `p(value)` returns `$n`. */
export function parameters(initial: unknown[] = []): { values: unknown[]; p: (value: unknown) => string } {
  const values = [...initial];
  return {
    values,
    p: (value) => {
      values.push(value);
      return `$${values.length}`;
    },
  };
}
