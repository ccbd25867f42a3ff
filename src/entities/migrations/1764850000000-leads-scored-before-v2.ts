import type { MigrationInterface, QueryRunner } from "typeorm";
import { compile } from "../../dsl/compiler";
import { decayTable } from "../../dsl/runtime/decay";

/**
 * Leads scored with a version 2 model before the service stored version 2's outcomes.
 *
 * Between the rule language's version 2 (groups, decay) and `lead_group_points`
 * (`GroupsAndRecycling1764700000000`) the service already accepted a model with groups or decay,
 * but wrote each lead's outcome as version 1 did: no group points, points neither decayed nor
 * capped by a group, a next change that knows expiries only. A database upgraded from then can
 * hold leads at the active version that the writer takes as current (it keeps a lead's group rows
 * equal to its ledger's groups as of its last write, and sweeps a lead at its stored next change):
 * their group points would stay missing (absent from `leads(orderBy: GROUP)` and group filters)
 * and their decay steps would never reach their score.
 *
 * Such leads are put back to version 0 (`model_version`, "none": their ledger rows go with it, a
 * lead's rows being all of its version, as for data from before scoring), so that the rescore every start
 * runs brings them to the active version with a full replay, exactly as a publish does (ledger,
 * totals, group points, next change, stage rules forward only, a MODEL point of score history
 * when the totals change); meanwhile any write to one replays it in full. Which leads:
 * - the active model has groups: leads at its version with no group row (every lead written by
 *   the current writer or rescored to a grouped model has a row per group);
 * - the active model decays: leads at its version holding an award of a decaying rule that is
 *   not yet worth 0 and not expired, whose stored next change is missing or not before the
 *   instant that award reaches 0 (the current writer's is at the latest its next step).
 * A lead whose decaying awards had all reached 0 by the upgrade and which holds no grouped rule
 * keeps its stored totals until its next change, which recomputes them from the ledger.
 * Any other database (fresh, or never on a version 2 model before the upgrade) has no such lead:
 * nothing changes.
 */
export class LeadsScoredBeforeV21764850000000 implements MigrationInterface {
  name = "LeadsScoredBeforeV21764850000000";

  async up(q: QueryRunner): Promise<void> {
    const active: Array<{ version: number; source: string }> = await q.query(`SELECT version, source FROM scoring_model WHERE active`);
    if (active.length === 0) return;
    const [{ version, source }] = active;
    const { model } = compile(source);
    if (!model) return; // a published model always compiles; an older language's would not need this
    if (model.groups.length > 0) {
      await q.query(
        `WITH marked AS (
           UPDATE lead l SET model_version = 0
            WHERE l.model_version = $1 AND NOT EXISTS (SELECT 1 FROM lead_group_points g WHERE g.lead_id = l.id)
           RETURNING l.id)
         DELETE FROM score_award a USING marked m WHERE a.lead_id = m.id`,
        [version],
      );
    }
    const decaying = model.rules.flatMap((r) => (r.activity !== null && r.decay !== null ? [{ index: r.index, zeroMs: decayTable(r.points, r.decay).zeroAfterMs }] : []));
    if (decaying.length > 0) {
      await q.query(
        `WITH marked AS (
           UPDATE lead l SET model_version = 0
            WHERE l.model_version = $1
              AND EXISTS (
                SELECT 1
                  FROM score_award a
                  JOIN unnest($2::int[], $3::float8[]) AS r (rule_index, zero_ms) ON r.rule_index = a.rule_index
                 CROSS JOIN LATERAL (SELECT a.awarded_at + r.zero_ms * interval '1 millisecond' AS zero_at) z
                 WHERE a.lead_id = l.id AND a.model_version = $1
                   AND z.zero_at > now() AND (a.expires_at IS NULL OR a.expires_at > now())
                   AND (l.next_expiry_at IS NULL OR l.next_expiry_at >= z.zero_at))
           RETURNING l.id)
         DELETE FROM score_award a USING marked m WHERE a.lead_id = m.id`,
        [version, decaying.map((r) => r.index), decaying.map((r) => r.zeroMs)],
      );
    }
  }

  async down(): Promise<void> {
    // Nothing to undo: the leads it put back were rescored to the active version.
  }
}
