import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Webhooks (issue 13): the subscriptions, and the outbox their deliveries wait in.
 *
 * - `webhook`: a destination (`url`), the events it hears, the stages that narrow
 *   `LEAD_STAGE_CHANGED` (null: every stage), its signing secret (kept in clear: it signs every
 *   request) and whether it is active (a `410 Gone` deactivates it).
 * - `webhook_delivery`: one row per event and webhook, inserted in the transaction of the change it
 *   reports (`webhooks/outbox.ts`). `seq` orders a lead's deliveries to one webhook: only the oldest
 *   pending one of a `(webhook_id, lead_id)` is ever sent (`webhook_delivery_order`). A claim
 *   (`claimed_by`, `claimed_until`) is a lease: a claimer that dies leaves it to expire, and any
 *   instance takes the delivery over. `lead_id` has no foreign key: a deleted lead's
 *   `LEAD_DELETED` outlives it. Keyed by `id`, carrying `lead_id`: it distributes by lead like the
 *   other per-lead tables.
 */
export class Webhooks1764800000000 implements MigrationInterface {
  name = "Webhooks1764800000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        url varchar(2048) NOT NULL,
        events text[] NOT NULL,
        stages text[],
        active boolean NOT NULL DEFAULT true,
        description varchar(500),
        secret varchar(100) NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        created_by varchar(200),
        deactivated_at timestamptz(3),
        deactivated_reason varchar(500)
      )`);
    await q.query(`
      CREATE TABLE webhook_delivery (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigserial NOT NULL,
        webhook_id uuid NOT NULL REFERENCES webhook (id) ON DELETE CASCADE,
        lead_id uuid NOT NULL,
        event_id uuid NOT NULL,
        event varchar(40) NOT NULL,
        payload jsonb,
        status varchar(10) NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz(3),
        retry_until timestamptz(3) NOT NULL,
        last_status_code integer,
        last_error varchar(500),
        claimed_by varchar(100),
        claimed_until timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        delivered_at timestamptz(3),
        finished_at timestamptz(3)
      )`);
    await q.query(`CREATE INDEX webhook_delivery_due ON webhook_delivery (next_attempt_at) WHERE status = 'PENDING'`);
    await q.query(`CREATE INDEX webhook_delivery_order ON webhook_delivery (webhook_id, lead_id, seq) WHERE status = 'PENDING'`);
    await q.query(`CREATE INDEX webhook_delivery_list ON webhook_delivery (webhook_id, seq)`);
    await q.query(`CREATE INDEX webhook_delivery_lead ON webhook_delivery (lead_id)`);
    await q.query(`CREATE INDEX webhook_delivery_finished ON webhook_delivery (finished_at) WHERE status <> 'PENDING'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_delivery`);
    await q.query(`DROP TABLE webhook`);
  }
}
