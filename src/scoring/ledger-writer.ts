/**
 * The one writer of scoring outcomes: for any number of leads, in one statement, their ledger rows
 * removed and added, their stage moves by rule (in the order they happened), the points of their
 * score history (`score_point`, in the order the changes happened), and their totals
 * (fit, engagement, score, stage, model version, next change, `updated_at`, the engagement reset,
 * and the profile for a batch that merged one in memory), and their group points
 * (`lead_group_points`: the model's groups upserted, rows only where the figures changed; the rows
 * of groups the model no longer has deleted), when they changed. Single writes, batches and rescores all write through here;
 * the statement travels with the transaction's COMMIT (`deferQuery`).
 */
import type { ServiceContext } from "../context";
import { parameters } from "../database/parameters";
import { deferQuery, hotStatement } from "../database/transaction";
import type { Award, CompiledModel, GroupPoints } from "../dsl/model";
import { groupKey } from "./group-keys";
import type { LeadEntity } from "../entities/lead.entity";
import type { ScoreCause } from "../entities/score-point.entity";

/** A stage move by rule, its row's id chosen by the caller. */
export interface RuleMove {
  id: string;
  leadId: string;
  fromStage: string | null;
  toStage: string;
  rule: string | null;
}

/** A change of a lead's stored totals, for its score history: the totals right after it. */
export interface ScorePointRow {
  at: Date;
  score: number;
  fit: number;
  engagement: number;
  cause: ScoreCause;
  interactionId: string | null;
}

/** What scoring decided for one lead. */
export interface LeadOutcome {
  /** The lead with its new totals, stage and next expiry (and profile, with `profile`). */
  lead: LeadEntity;
  /** Every ledger row of the lead goes first (it is replayed in full). */
  wipe: boolean;
  /** Ledger rows to delete. */
  removedRowIds: readonly string[];
  /** Awards to insert, each with its row id when the caller chose one (all or none of a write). */
  added: ReadonlyArray<{ award: Award; id?: string }>;
  moves: readonly RuleMove[];
  /** Its score history's new points, oldest first (none when its totals did not change). */
  points: readonly ScorePointRow[];
  /** Whether `updated_at` moves to now. */
  touched: boolean;
  /** Whether the profile fields are written too. */
  profile: boolean;
  /** The lead's group points now, when they changed (null: its rows stay as they are). */
  groups?: readonly GroupPoints[] | null;
  /** The engagement was reset now: `engagement_since` becomes the write's `now`. */
  reset?: boolean;
}

export interface OutcomeWrite {
  /** The model every outcome was scored with, published as `version`. */
  model: CompiledModel;
  version: number;
  now: Date;
  outcomes: readonly LeadOutcome[];
  /** The lowest and highest lead id of the outcomes, when known: bounds every statement to that range. */
  idRange?: readonly [string, string];
  /** Called with each lead's new row version (`xmin`) once the statement is answered. */
  onRowVersions?: (rows: Array<{ id: string; row_version: string }>) => void;
}

/** Writes `outcomes` in one statement (sent with the transaction's next statement or its COMMIT). */
export async function writeOutcomes(tx: ServiceContext, write: OutcomeWrite): Promise<void> {
  const { model, version, now, outcomes, idRange, onRowVersions } = write;
  if (outcomes.length === 0) return;
  const { values, p } = parameters();
  const range = idRange && { from: p(idRange[0]), to: p(idRange[1]) };
  const inRange = (column: string) => (range ? ` AND ${column} BETWEEN ${range.from}::uuid AND ${range.to}::uuid` : "");
  const parts: string[] = [];
  const deletion = deleteSql(outcomes, p);
  if (deletion) parts.push(`old AS (DELETE FROM score_award WHERE (${deletion})${inRange("lead_id")})`);
  const added = new AwardColumns();
  for (const o of outcomes) for (const { award, id } of o.added) added.push(o.lead.id, award, id);
  if (added.length > 0) parts.push(`new AS (${added.insertSql(model, version, p)})`);
  const moves = outcomes.flatMap((o) => o.moves);
  if (moves.length > 0) parts.push(`moves AS (${movesSql(moves, now, p)})`);
  const points = outcomes.flatMap((o) => o.points.map((point) => ({ leadId: o.lead.id, point })));
  if (points.length > 0) parts.push(`points AS (${pointsSql(points, p)})`);
  parts.push(...groupsSql(outcomes, model, p));
  await deferQuery(
    tx,
    // A handful of shapes (which parts are present): each prepared once per connection.
    hotStatement(`${parts.length > 0 ? `WITH ${parts.join(",\n")}\n` : ""}${totalsSql(outcomes, version, now, p)}${inRange("l.id")}${
      onRowVersions ? " RETURNING l.id, l.xmin::text AS row_version" : ""
    }`),
    values,
    onRowVersions && ((rows) => onRowVersions(rows as Array<{ id: string; row_version: string }>)),
  );
}

type Param = (value: unknown) => string;

/**
 * The parts writing group points: of each lead whose groups changed, the model's groups upserted
 * (a row rewritten only when its figures differ) and its rows of other groups deleted.
 */
function groupsSql(outcomes: readonly LeadOutcome[], model: CompiledModel, p: Param): string[] {
  const changed = outcomes.filter((o) => o.groups != null);
  if (changed.length === 0) return [];
  const parts = [
    `group_gone AS (DELETE FROM lead_group_points g WHERE g.lead_id = ANY(${p(changed.map((o) => o.lead.id))}::uuid[])
        AND NOT (g.group_key = ANY(${p(model.groups.map((g) => groupKey(g.name)))}::text[])))`,
  ];
  const rows = changed.flatMap((o) => (o.groups ?? []).map((g) => ({ leadId: o.lead.id, g })));
  if (rows.length > 0) {
    parts.push(`group_points AS (INSERT INTO lead_group_points (lead_id, group_key, points, uncapped)
        SELECT u.lead_id, u.group_key, u.points, u.uncapped
          FROM unnest(${p(rows.map((r) => r.leadId))}::uuid[], ${p(rows.map((r) => groupKey(r.g.name)))}::text[],
                      ${p(rows.map((r) => r.g.points))}::int[], ${p(rows.map((r) => r.g.uncapped))}::int[]) AS u (lead_id, group_key, points, uncapped)
        ON CONFLICT (lead_id, group_key) DO UPDATE SET points = excluded.points, uncapped = excluded.uncapped
         WHERE (lead_group_points.points, lead_group_points.uncapped) IS DISTINCT FROM (excluded.points, excluded.uncapped))`);
  }
  return parts;
}

/** The condition on `score_award` rows that go: the wiped leads' and the removed rows (null: none). */
function deleteSql(outcomes: readonly LeadOutcome[], p: Param): string | null {
  const wipe = outcomes.filter((o) => o.wipe).map((o) => o.lead.id);
  const removed = outcomes.flatMap((o) => o.removedRowIds);
  const conditions = [];
  if (wipe.length > 0) conditions.push(`lead_id = ANY(${p(wipe)}::uuid[])`);
  if (removed.length > 0) conditions.push(`id = ANY(${p(removed)}::uuid[])`);
  return conditions.length > 0 ? conditions.join(" OR ") : null;
}

/** The INSERT of stage moves by rule, in array order. */
function movesSql(moves: readonly RuleMove[], now: Date, p: Param): string {
  return `INSERT INTO stage_transition (id, lead_id, from_stage, to_stage, at, cause, rule)
        SELECT u.id, u.lead_id, u.from_stage, u.to_stage, ${p(now)}::timestamptz, 'RULE', u.rule
          FROM unnest(${p(moves.map((m) => m.id))}::uuid[], ${p(moves.map((m) => m.leadId))}::uuid[], ${p(moves.map((m) => m.fromStage))}::text[],
                      ${p(moves.map((m) => m.toStage))}::text[], ${p(moves.map((m) => m.rule))}::text[]) WITH ORDINALITY
               AS u (id, lead_id, from_stage, to_stage, rule, n)
         ORDER BY u.n`;
}

/**
 * The INSERT of score history points, in array order. A lead's points never go back in time: a
 * change whose transaction read the clock before an earlier-committed change of the same lead
 * (both waited on its lock) takes effect at that change's instant, not before it.
 */
function pointsSql(points: ReadonlyArray<{ leadId: string; point: ScorePointRow }>, p: Param): string {
  const column = <T>(read: (point: ScorePointRow) => T) => p(points.map(({ point }) => read(point)));
  return `INSERT INTO score_point (lead_id, at, score, fit, engagement, cause, interaction_id)
        SELECT u.lead_id, greatest(to_timestamp(u.at_ms / 1000.0), (SELECT max(q.at) FROM score_point q WHERE q.lead_id = u.lead_id)), u.score, u.fit, u.engagement, u.cause, u.interaction_id
          FROM unnest(${p(points.map((x) => x.leadId))}::uuid[], ${column((x) => x.at.getTime())}::float8[], ${column((x) => x.score)}::int[],
                      ${column((x) => x.fit)}::int[], ${column((x) => x.engagement)}::int[], ${column((x) => x.cause)}::text[],
                      ${column((x) => x.interactionId)}::uuid[]) WITH ORDINALITY
               AS u (lead_id, at_ms, score, fit, engagement, cause, interaction_id, n)
         ORDER BY u.n`;
}

/** The UPDATE of every lead's totals (and profile, where asked), from arrays. */
function totalsSql(outcomes: readonly LeadOutcome[], version: number, now: Date, p: Param): string {
  const column = <T>(read: (lead: LeadEntity) => T) => p(outcomes.map((o) => read(o.lead)));
  const profile = outcomes.some((o) => o.profile);
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
    ? `, ${p(outcomes.map((o) => o.profile))}::boolean[], ${column((l) => l.firstName)}::text[], ${column((l) => l.lastName)}::text[], ${column((l) => l.role)}::text[],
         ${column((l) => l.company)}::text[], ${column((l) => l.industry)}::text[], ${column((l) => l.companySize)}::int[],
         ${column((l) => l.country)}::text[], ${column((l) => l.source)}::text[], ${column((l) => JSON.stringify(l.attributes))}::text[]`
    : "";
  const profileNames = profile ? ", profile, first_name, last_name, role, company, industry, company_size, country, source, attributes" : "";
  const reset = outcomes.some((o) => o.reset);
  const resetSet = reset ? `, engagement_since = CASE WHEN u.reset THEN ${p(now)}::timestamptz ELSE l.engagement_since END` : "";
  const resetColumn = reset ? `, ${p(outcomes.map((o) => o.reset === true))}::boolean[]` : "";
  return `UPDATE lead l
          SET fit = u.fit, engagement = u.engagement, score = u.score, stage = u.stage, model_version = ${p(version)}::int,
              next_expiry_at = to_timestamp(u.next_ms / 1000.0),
              updated_at = CASE WHEN u.touched THEN ${p(now)}::timestamptz ELSE l.updated_at END${resetSet}${profileSet}
         FROM unnest(${column((l) => l.id)}::uuid[], ${column((l) => l.fit)}::int[], ${column((l) => l.engagement)}::int[],
                     ${column((l) => l.score)}::int[], ${column((l) => l.stage)}::text[], ${column((l) => l.nextExpiryAt?.getTime() ?? null)}::float8[],
                     ${p(outcomes.map((o) => o.touched))}::boolean[]${resetColumn}${profileColumns})
              AS u (id, fit, engagement, score, stage, next_ms, touched${reset ? ", reset" : ""}${profileNames})
        WHERE l.id = u.id`;
}

const names = new WeakMap<CompiledModel, string[]>();

/** The model's rule names by rule index. */
function ruleNames(model: CompiledModel): string[] {
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
  insertSql(model: CompiledModel, version: number, param: Param): string {
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
