import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Scoring in the service.
 *
 * - `lead.model_version`: the scoring model version the lead's ledger and totals belong to (0: none
 *   yet). A write that finds it behind the active version replays the lead in full; a publish
 *   rescores every lead below the new version (`lead_model_version` finds them).
 * - `lead.next_expiry_at`: the earliest `expires_at` among the lead's awards still counting, so the
 *   expiry sweeper finds the leads whose score is due to drop with one index scan.
 * - `score_award.rule_index`: the rule's place in its model (the breakdown's order); the award key
 *   becomes `(interaction_id, model_version, rule_index)`, which also serves `Interaction.awards`.
 *   `rule` (the rule's name, possibly its whole source text) becomes `text`, as does
 *   `stage_transition.rule` (a stage rule's canonical text): names have no length limit.
 * - `interaction.points` is dropped: what an interaction earns changes with time (expiry), so it is
 *   computed when read, from the ledger.
 */
export class Scoring1764000000000 implements MigrationInterface {
  name = "Scoring1764000000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE lead ADD COLUMN model_version integer NOT NULL DEFAULT 0, ADD COLUMN next_expiry_at timestamptz(3)`);
    await q.query(`CREATE INDEX lead_model_version ON lead (model_version)`);
    await q.query(`CREATE INDEX lead_next_expiry ON lead (next_expiry_at) WHERE next_expiry_at IS NOT NULL`);

    await q.query(`DROP INDEX score_award_interaction_rule`);
    await q.query(`ALTER TABLE score_award ALTER COLUMN rule TYPE text, ADD COLUMN rule_index integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE score_award ALTER COLUMN rule_index DROP DEFAULT`);
    await q.query(
      `CREATE UNIQUE INDEX score_award_interaction ON score_award (interaction_id, model_version, rule_index)`,
    );
    await q.query(`ALTER TABLE stage_transition ALTER COLUMN rule TYPE text`);

    await q.query(`ALTER TABLE interaction DROP COLUMN points`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE interaction ADD COLUMN points integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE stage_transition ALTER COLUMN rule TYPE varchar(1000)`);
    await q.query(`DROP INDEX score_award_interaction`);
    await q.query(`ALTER TABLE score_award DROP COLUMN rule_index, ALTER COLUMN rule TYPE varchar(500)`);
    await q.query(
      `CREATE UNIQUE INDEX score_award_interaction_rule ON score_award (interaction_id, rule, model_version)`,
    );
    await q.query(`DROP INDEX lead_next_expiry`);
    await q.query(`DROP INDEX lead_model_version`);
    await q.query(`ALTER TABLE lead DROP COLUMN next_expiry_at, DROP COLUMN model_version`);
  }
}
