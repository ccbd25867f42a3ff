import DataLoader from "dataloader";
import type { EntityManager } from "typeorm";
import type { Clock } from "../../context";
import type { Award, CompiledModel } from "../../dsl/model";
import { epochMs } from "../../scoring/ledger-rows";
import type { ModelVersions } from "../../scoring/model-versions";
import type { LedgerView } from "../../scoring/score-reading";

/** One ledger row as JSON: `[interactionId, ruleIndex, rule, category, points, awardedAtMs, expiresAtMs]`. */
export type LedgerTuple = [string | null, number, string, Award["category"], number, number, number | null];

/** The columns of a `LedgerTuple`, in its order (`a` is `score_award`). */
export const LEDGER_TUPLE_COLUMNS = `a.interaction_id, a.rule_index, a.rule, a.category, a.points, ${epochMs("a.awarded_at")}, ${epochMs("a.expires_at")}`;

const LEDGER_TUPLE = `json_build_array(${LEDGER_TUPLE_COLUMNS})`;

/** The award of a `LedgerTuple` (or of a tuple starting with one, as `AwardTuple` does). */
export function awardOfTuple(t: readonly [...LedgerTuple, ...unknown[]]): Award {
  return {
    interactionId: t[0],
    ruleIndex: t[1],
    rule: t[2],
    category: t[3],
    points: t[4],
    awardedAt: new Date(Number(t[5])),
    expiresAt: t[6] === null ? null : new Date(Number(t[6])),
  };
}

/**
 * Each lead's ledger as of now (its awards not expired) with the compiled model of its version:
 * what `scoreBreakdown`, `groups` and `stageOutlook` compute from (`scoring/score-reading.ts`).
 * One query per batch. A lead's rows are all of its model version; a lead with none is read with
 * the model it was last scored with, or the active one.
 */
export function createLedgerByLeadLoader(db: EntityManager, clock: Clock, models: ModelVersions): DataLoader<string, LedgerView> {
  return new DataLoader(async (leadIds) => {
    const rows: Array<{ lead_id: string; version: number; awards: LedgerTuple[] }> = await db.query(
      `SELECT k.id AS lead_id,
              coalesce((SELECT min(a.model_version) FROM score_award a WHERE a.lead_id = k.id), nullif(l.model_version, 0),
                       (SELECT version FROM scoring_model WHERE active), 0) AS version,
              coalesce((SELECT json_agg(${LEDGER_TUPLE}) FROM score_award a
                         WHERE a.lead_id = k.id AND (a.expires_at IS NULL OR a.expires_at > $2)), '[]'::json) AS awards
         FROM unnest($1::uuid[]) AS k (id) LEFT JOIN lead l ON l.id = k.id`,
      [leadIds, clock.now()],
    );
    const compiled = new Map<number, CompiledModel>();
    for (const version of new Set(rows.map((r) => r.version))) compiled.set(version, await models.version({ db }, version));
    const byLead = new Map<string, LedgerView>();
    for (const row of rows) {
      const awards = row.awards.map(awardOfTuple);
      byLead.set(row.lead_id, {
        model: compiled.get(row.version)!,
        activity: awards.filter((a) => a.interactionId !== null),
        fit: awards.filter((a) => a.interactionId === null),
      });
    }
    return leadIds.map((id) => byLead.get(id) ?? new Error(`lead ${id} was not read`));
  });
}
