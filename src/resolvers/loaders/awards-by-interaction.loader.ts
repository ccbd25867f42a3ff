import DataLoader from "dataloader";
import type { EntityManager } from "typeorm";
import type { Award } from "../../dsl/model";

/**
 * Each interaction's awards from the ledger, in rule order, one query per batch: those still
 * counting and those that expired (they explain what it once earned). `Interaction.points` sums
 * the ones still counting, from the same loader.
 */
export function createAwardsByInteractionLoader(db: EntityManager): DataLoader<string, Award[]> {
  return new DataLoader(async (interactionIds) => {
    const rows: Array<Record<string, unknown>> = await db.query(
      `SELECT interaction_id, rule_index, rule, category, points, awarded_at, expires_at
         FROM score_award WHERE interaction_id = ANY($1::uuid[])
        ORDER BY interaction_id, rule_index`,
      [interactionIds],
    );
    const byInteraction = new Map<string, Award[]>(interactionIds.map((id) => [id, []]));
    for (const row of rows) {
      byInteraction.get(row.interaction_id as string)?.push({
        ruleIndex: row.rule_index as number,
        rule: row.rule as string,
        category: row.category as Award["category"],
        points: row.points as number,
        interactionId: row.interaction_id as string,
        awardedAt: row.awarded_at as Date,
        expiresAt: (row.expires_at as Date | null) ?? null,
      });
    }
    return interactionIds.map((id) => byInteraction.get(id) ?? []);
  });
}
