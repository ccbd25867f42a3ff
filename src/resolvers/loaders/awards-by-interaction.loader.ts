import DataLoader from "dataloader";
import type { EntityManager } from "typeorm";
import type { Award, CompiledModel } from "../../dsl/model";
import { epochMs } from "../../scoring/ledger-rows";
import type { ModelVersions } from "../../scoring/model-versions";
import { awardOfTuple, LEDGER_TUPLE_COLUMNS, type LedgerTuple } from "./ledger-by-lead.loader";

/** An interaction's awards and the compiled model of their version, which values them as of now (null: no award). */
export interface InteractionAwards {
  model: CompiledModel | null;
  awards: Award[];
}

/** One award as a page of interactions reads it with them: a `LedgerTuple` and the award's model version. */
export type AwardTuple = [...LedgerTuple, number];

/**
 * An interaction's awards as a JSON array of `AwardTuple`s in rule order (`a` is `score_award`):
 * `Lead.interactions` reads them in its page's statement when they are asked for.
 */
export const AWARD_TUPLES = (interactionId: string): string =>
  `(SELECT json_agg(json_build_array(${LEDGER_TUPLE_COLUMNS}, a.model_version) ORDER BY a.rule_index)
      FROM score_award a WHERE a.interaction_id = ${interactionId})`;

/** The awards loader, and what its batches have read so far (a field resolver reads them without waiting). */
export type AwardsByInteractionLoader = DataLoader<string, InteractionAwards> & {
  /** The awards of every interaction a batch has read (no entry: not read yet, or primed with a promise). */
  readonly settled: ReadonlyMap<string, InteractionAwards>;
  /**
   * Keeps the awards of `interactionId` read elsewhere (`AWARD_TUPLES`; null: none) as a batch
   * would have read them, `compiled` holding the model of every version they name.
   */
  settle(interactionId: string, tuples: AwardTuple[] | null, compiled: ReadonlyMap<number, CompiledModel>): void;
};

/**
 * Each interaction's awards from the ledger, in rule order, one query per batch: those still
 * counting and those that expired or decayed away (they explain what it once earned), with the
 * model of their version. `Interaction.points` sums the values now, from the same loader. What a
 * batch read is also kept in `settled`, so that once a page's awards are read (`Lead.interactions`
 * reads them with the page when they are asked for, and `settle`s them here), `points` and
 * `awards` answer without a promise.
 */
export function createAwardsByInteractionLoader(db: EntityManager, models: ModelVersions): AwardsByInteractionLoader {
  const settled = new Map<string, InteractionAwards>();
  const keep = (id: string, answer: InteractionAwards): InteractionAwards => {
    settled.set(id, answer);
    loader.prime(id, answer);
    return answer;
  };
  const loader = new DataLoader<string, InteractionAwards>(async (interactionIds) => {
    const rows: Array<Record<string, unknown>> = await db.query(
      `SELECT interaction_id, rule_index, rule, category, points, ${epochMs("awarded_at")} AS awarded_ms, ${epochMs("expires_at")} AS expires_ms, model_version
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
        awardedAt: new Date(Number(row.awarded_ms)),
        expiresAt: row.expires_ms === null ? null : new Date(Number(row.expires_ms)),
      });
    }
    return interactionIds.map((id) => {
      const answer = byInteraction.get(id) ?? { model: null, awards: [] };
      settled.set(id, answer);
      return answer;
    });
  });
  const settle = (interactionId: string, tuples: AwardTuple[] | null, compiled: ReadonlyMap<number, CompiledModel>): void => {
    if (settled.has(interactionId)) return;
    if (tuples === null || tuples.length === 0) return void keep(interactionId, { model: null, awards: [] });
    keep(interactionId, { model: compiled.get(tuples[0][7])!, awards: tuples.map(awardOfTuple) });
  };
  return Object.assign(loader, { settled, settle });
}
