import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * `interactionTypes` (the types seen, with counts and last occurrence) reads one index: each
 * distinct type by a loose scan, each type's count and latest `occurred_at` by an index-only
 * range. An index, not a table of counters: a counter row per type would be written by every
 * interaction of that type, whatever its lead (one hot row, and a write outside the lead's rows).
 */
export class InteractionTypes1764900000000 implements MigrationInterface {
  name = "InteractionTypes1764900000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX interaction_type_seen ON interaction (type, occurred_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX interaction_type_seen`);
  }
}
