import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Leads listed by fit or engagement (`LeadOrderField.FIT`, `ENGAGEMENT`) page through an index
 * like the score's, and stage filters match ignoring case through `lead_stage_ci`. The other new
 * filters (role, industry, country, company, company size, attributes) narrow what an indexed
 * order or filter reads; they have no index of their own (each would be one more to update on
 * every profile change).
 */
export class LeadFilters1764600000000 implements MigrationInterface {
  name = "LeadFilters1764600000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX lead_fit_order ON lead (fit, id)`);
    await q.query(`CREATE INDEX lead_engagement_order ON lead (engagement, id)`);
    await q.query(`CREATE INDEX lead_stage_ci ON lead (lower(stage))`);
    await q.query(`DROP INDEX lead_stage`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX lead_stage ON lead (stage)`);
    await q.query(`DROP INDEX lead_stage_ci`);
    await q.query(`DROP INDEX lead_engagement_order`);
    await q.query(`DROP INDEX lead_fit_order`);
  }
}
