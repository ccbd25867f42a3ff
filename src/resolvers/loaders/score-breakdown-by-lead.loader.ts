import DataLoader from "dataloader";
import type { EntityManager } from "typeorm";
import type { Clock } from "../../context";
import type { RuleContribution } from "../../dsl/model";
import { saturatedSql } from "../../scoring/ledger-rows";

/**
 * Each lead's score, rule by rule, from the ledger: every rule with an award still counting now
 * (a fit rule that holds counts once), in the model's rule order. One query per batch.
 */
export function createScoreBreakdownByLeadLoader(db: EntityManager, clock: Clock): DataLoader<string, RuleContribution[]> {
  return new DataLoader(async (leadIds) => {
    // A lead's ledger rows are all of its model version, so the rule index identifies the rule.
    const rows: Array<{ lead_id: string; rule: string; category: RuleContribution["category"]; points: number; n: number }> =
      await db.query(
        `SELECT lead_id, min(rule) AS rule, min(category) AS category, ${saturatedSql("sum(points)")} AS points, count(*)::int AS n
           FROM score_award
          WHERE lead_id = ANY($1::uuid[]) AND (expires_at IS NULL OR expires_at > $2)
          GROUP BY lead_id, rule_index
          ORDER BY lead_id, rule_index`,
        [leadIds, clock.now()],
      );
    const byLead = new Map<string, RuleContribution[]>(leadIds.map((id) => [id, []]));
    for (const row of rows) {
      byLead.get(row.lead_id)?.push({ rule: row.rule, category: row.category, points: row.points, count: row.n });
    }
    return leadIds.map((id) => byLead.get(id) ?? []);
  });
}
