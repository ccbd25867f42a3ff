import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Score history (`Lead.scoreHistory`, `Lead.scoreAt`): `score_point`, one row per change of a
 * lead's stored totals, append-only, keyed by `(lead_id, seq)` (distributable by lead). The lead
 * history index serves a lead's page and its point at an instant; the BRIN index on `at` serves
 * the retention's deletes at almost no write cost (rows arrive in time order).
 *
 * Leads that exist when this runs get one `IMPORTED` point with their totals at this instant: what
 * came before is not known (`scoreAt` answers null before it). Leads created from now on start
 * with a `CREATED` point at zero.
 */
export class ScoreHistory1764500000000 implements MigrationInterface {
  name = "ScoreHistory1764500000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE score_point (
        lead_id uuid NOT NULL REFERENCES lead (id) ON DELETE CASCADE,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        at timestamptz(3) NOT NULL,
        score integer NOT NULL,
        fit integer NOT NULL,
        engagement integer NOT NULL,
        cause varchar(16) NOT NULL,
        interaction_id uuid,
        PRIMARY KEY (lead_id, seq)
      )`);
    await q.query(`CREATE INDEX score_point_lead_history ON score_point (lead_id, at, seq)`);
    await q.query(`CREATE INDEX score_point_at ON score_point USING brin (at)`);
    await q.query(
      `INSERT INTO score_point (lead_id, at, score, fit, engagement, cause)
       SELECT id, now(), score, fit, engagement, 'IMPORTED' FROM lead ORDER BY id`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE score_point`);
  }
}
