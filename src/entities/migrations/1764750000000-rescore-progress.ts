import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * When each version's rescore finished (`rescoreStatus.finishedAt`): one row per version, written
 * once, by whichever instance's rescore found no lead left below the version. The progress itself
 * is not stored: it is read from the leads (`lead.model_version`), the same from every instance.
 * A table of its own because published versions never change (`scoring_model_immutable`).
 * Versions active before this migration get their row at the next start (the start's rescore
 * finds nothing left and records it).
 */
export class RescoreProgress1764750000000 implements MigrationInterface {
  name = "RescoreProgress1764750000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE model_rescore (
        version integer PRIMARY KEY REFERENCES scoring_model (version),
        finished_at timestamptz(3) NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE model_rescore`);
  }
}
