import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * API keys managed over GraphQL: who created and who revoked a key (the caller's name, as
 * `StageTransition.actor` names it), and when it was last presented (`last_used_at`, written at
 * most once a minute per key by the statement that verifies it: no write per request).
 * Keys made before this migration have no creator recorded and no use until their next one.
 */
export class ApiKeyAudit1764200000000 implements MigrationInterface {
  name = "ApiKeyAudit1764200000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE api_key ADD COLUMN created_by varchar(200), ADD COLUMN revoked_by varchar(200), ADD COLUMN last_used_at timestamptz(3)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_key DROP COLUMN last_used_at, DROP COLUMN revoked_by, DROP COLUMN created_by`);
  }
}
