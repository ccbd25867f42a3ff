import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Groups and recycling (the rule language's version 2).
 *
 * - `lead_group_points`: each lead's points per group of the active model, as of its last write or
 *   sweep (capped `points`, and `uncapped`), keyed by the group's name trimmed and lower-cased
 *   (`group_key`: names match ignoring case). Written with the lead's totals by the one writer of
 *   outcomes; `lead_group_order` serves filters and orders by one group's points (a page of the
 *   leads with most points in a group is an index scan). Keyed `(lead_id, group_key)`: it
 *   distributes by lead like the other per-lead tables.
 * - `lead.engagement_since`: the last engagement reset (recycling), if any: interactions that
 *   occurred before it earn nothing.
 */
export class GroupsAndRecycling1764700000000 implements MigrationInterface {
  name = "GroupsAndRecycling1764700000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE lead_group_points (
        lead_id uuid NOT NULL REFERENCES lead (id) ON DELETE CASCADE,
        group_key varchar(200) NOT NULL,
        points integer NOT NULL,
        uncapped integer NOT NULL,
        PRIMARY KEY (lead_id, group_key)
      )`);
    await q.query(`CREATE INDEX lead_group_order ON lead_group_points (group_key, points, lead_id)`);
    await q.query(`ALTER TABLE lead ADD COLUMN engagement_since timestamptz(3)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE lead DROP COLUMN engagement_since`);
    await q.query(`DROP TABLE lead_group_points`);
  }
}
