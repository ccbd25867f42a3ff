import DataLoader from "dataloader";
import type { EntityManager } from "typeorm";
import type { Award, CompiledModel } from "../../dsl/model";
import type { ModelVersions } from "../../scoring/model-versions";

/** An interaction's awards and the compiled model of their version, which values them as of now (null: no award). */
export interface InteractionAwards {
  model: CompiledModel | null;
  awards: Award[];
}

/**
 * Each interaction's awards from the ledger, in rule order, one query per batch: those still
 * counting and those that expired or decayed away (they explain what it once earned), with the
 * model of their version. `Interaction.points` sums the values now, from the same loader.
 */
export function createAwardsByInteractionLoader(db: EntityManager, models: ModelVersions): DataLoader<string, InteractionAwards> {
  return new DataLoader(async (interactionIds) => {
    const rows: Array<Record<string, unknown>> = await db.query(
      `SELECT interaction_id, rule_index, rule, category, points, awarded_at, expires_at, model_version
         FROM score_award WHERE interaction_id = ANY($1::uuid[])
        ORDER BY interaction_id, rule_index`,
      [interactionIds],
    );
    const compiled = new Map<number, CompiledModel>();
    for (const version of new Set(rows.map((r) => r.model_version as number))) compiled.set(version, await models.version({ db }, version));
    const byInteraction = new Map<string, InteractionAwards>();
    for (const row of rows) {
      const id = row.interaction_id as string;
      let entry = byInteraction.get(id);
      if (entry === undefined) byInteraction.set(id, (entry = { model: compiled.get(row.model_version as number)!, awards: [] }));
      entry.awards.push({
        ruleIndex: row.rule_index as number,
        rule: row.rule as string,
        category: row.category as Award["category"],
        points: row.points as number,
        interactionId: id,
        awardedAt: row.awarded_at as Date,
        expiresAt: (row.expires_at as Date | null) ?? null,
      });
    }
    return interactionIds.map((id) => byInteraction.get(id) ?? { model: null, awards: [] });
  });
}
