import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Rate limits per API key (`app/rate-limits.ts`):
 * - a key's own budgets, set by an admin (`setApiKeyRateLimit`); null columns follow the
 *   service's settings, 0 is no limit;
 * - `rate_limit`, where rate-limiter-flexible's PostgreSQL store counts what each key spent in its
 *   current window (the library's own table definition, created here so that the service never
 *   runs DDL at request time). UNLOGGED: the counts live a window long, so writing them to the WAL
 *   buys nothing (after a crash every key starts a fresh window).
 */
export class RateLimits1764400000000 implements MigrationInterface {
  name = "RateLimits1764400000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE api_key
        ADD COLUMN rate_limit_requests integer CHECK (rate_limit_requests >= 0),
        ADD COLUMN rate_limit_cost integer CHECK (rate_limit_cost >= 0),
        ADD COLUMN rate_limit_window_seconds integer CHECK (rate_limit_window_seconds > 0)`);
    await q.query(`
      CREATE UNLOGGED TABLE rate_limit (
        key varchar(255) PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      )`);
    await q.query(`CREATE INDEX rate_limit_expire ON rate_limit (expire)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE rate_limit`);
    await q.query(`ALTER TABLE api_key DROP COLUMN rate_limit_window_seconds, DROP COLUMN rate_limit_cost, DROP COLUMN rate_limit_requests`);
  }
}
