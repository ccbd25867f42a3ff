import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The audit of scoring models: who published each version and why, and published versions that
 * the database itself keeps as they were.
 *
 * - `published_by` / `published_by_key_id`: the publishing caller's name and API key id (null for
 *   the environment's admin key, which has no id; both null for the seed model of the first start
 *   and for versions published before this migration).
 * - `comment`: the publisher's optional note; `republished_from`: the version whose source a
 *   `republishModel` published again (a rollback), else null.
 * - The trigger `scoring_model_immutable` refuses any UPDATE that changes a column other than
 *   `active` (the one thing a publish changes on an existing version: which one is active), any
 *   DELETE, and TRUNCATE. A column added later is covered without touching the trigger: it
 *   compares the whole row but `active`. The refusal is SQLSTATE 23001 (restrict_violation).
 */
export class ModelAudit1764300000000 implements MigrationInterface {
  name = "ModelAudit1764300000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE scoring_model ADD COLUMN published_by varchar(200), ADD COLUMN published_by_key_id uuid,
         ADD COLUMN comment text, ADD COLUMN republished_from integer`,
    );
    await q.query(`
      CREATE FUNCTION scoring_model_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' THEN
          IF (to_jsonb(NEW) - 'active') IS DISTINCT FROM (to_jsonb(OLD) - 'active') THEN
            RAISE EXCEPTION 'scoring model version % is published and cannot be changed (only which version is active may change)', OLD.version
              USING ERRCODE = 'restrict_violation';
          END IF;
          RETURN NEW;
        ELSIF TG_OP = 'DELETE' THEN
          RAISE EXCEPTION 'scoring model version % is published and cannot be deleted', OLD.version
            USING ERRCODE = 'restrict_violation';
        END IF;
        RAISE EXCEPTION 'published scoring models cannot be deleted (TRUNCATE scoring_model refused)'
          USING ERRCODE = 'restrict_violation';
      END
      $$`);
    await q.query(
      `CREATE TRIGGER scoring_model_immutable BEFORE UPDATE OR DELETE ON scoring_model FOR EACH ROW EXECUTE FUNCTION scoring_model_immutable()`,
    );
    await q.query(
      `CREATE TRIGGER scoring_model_no_truncate BEFORE TRUNCATE ON scoring_model FOR EACH STATEMENT EXECUTE FUNCTION scoring_model_immutable()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER scoring_model_no_truncate ON scoring_model`);
    await q.query(`DROP TRIGGER scoring_model_immutable ON scoring_model`);
    await q.query(`DROP FUNCTION scoring_model_immutable()`);
    await q.query(
      `ALTER TABLE scoring_model DROP COLUMN republished_from, DROP COLUMN comment, DROP COLUMN published_by_key_id, DROP COLUMN published_by`,
    );
  }
}
