import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The first schema. Every per-lead table carries `lead_id` (the distribution column on Citus,
 * see docs/architecture.md) and cascades from `lead`, so erasing a lead erases all of its data.
 */
export class InitialSchema1763800000000 implements MigrationInterface {
  name = "InitialSchema1763800000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await q.query(`
      CREATE TABLE lead (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email varchar(254) NOT NULL,
        first_name varchar(200),
        last_name varchar(200),
        role varchar(200),
        company varchar(200),
        industry varchar(200),
        company_size integer,
        country varchar(100),
        source varchar(100),
        attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
        score integer NOT NULL DEFAULT 0,
        fit integer NOT NULL DEFAULT 0,
        engagement integer NOT NULL DEFAULT 0,
        stage varchar(100) NOT NULL,
        created_at timestamptz(3) NOT NULL,
        updated_at timestamptz(3) NOT NULL,
        CONSTRAINT lead_email_unique UNIQUE (email)
      )`);
    await q.query(`CREATE INDEX lead_score_order ON lead (score, id)`);
    await q.query(`CREATE INDEX lead_created_order ON lead (created_at, id)`);
    await q.query(`CREATE INDEX lead_updated_order ON lead (updated_at, id)`);
    await q.query(`CREATE INDEX lead_email_order ON lead (email, id)`);
    await q.query(`CREATE INDEX lead_stage ON lead (stage)`);
    await q.query(`CREATE INDEX lead_source ON lead (source)`);
    // `leads(filter: {search})` is a substring match over these fields: a trigram index serves it.
    await q.query(`
      CREATE INDEX lead_search ON lead USING gin (
        (email || ' ' || coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(company, ''))
        gin_trgm_ops)`);

    await q.query(`
      CREATE TABLE interaction (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        lead_id uuid NOT NULL REFERENCES lead (id) ON DELETE CASCADE,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        type varchar(64) NOT NULL,
        target varchar(2048),
        source varchar(100),
        external_id varchar(255),
        properties jsonb NOT NULL DEFAULT '{}'::jsonb,
        occurred_at timestamptz(3) NOT NULL,
        received_at timestamptz(3) NOT NULL,
        points integer NOT NULL DEFAULT 0
      )`);
    await q.query(`CREATE INDEX interaction_lead_timeline ON interaction (lead_id, occurred_at, seq)`);
    // Idempotency: no source is its own namespace ('' is refused as a source by the API).
    await q.query(`
      CREATE UNIQUE INDEX interaction_idempotency ON interaction ((coalesce(source, '')), external_id)
      WHERE external_id IS NOT NULL`);

    await q.query(`
      CREATE TABLE score_award (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        lead_id uuid NOT NULL REFERENCES lead (id) ON DELETE CASCADE,
        interaction_id uuid REFERENCES interaction (id) ON DELETE CASCADE,
        rule varchar(500) NOT NULL,
        category varchar(16) NOT NULL CHECK (category IN ('FIT', 'ENGAGEMENT')),
        points integer NOT NULL,
        awarded_at timestamptz(3) NOT NULL,
        expires_at timestamptz(3),
        model_version integer NOT NULL
      )`);
    await q.query(
      `CREATE UNIQUE INDEX score_award_interaction_rule ON score_award (interaction_id, rule, model_version)`,
    );
    await q.query(`CREATE INDEX score_award_lead ON score_award (lead_id, model_version)`);

    await q.query(`
      CREATE TABLE stage_transition (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        lead_id uuid NOT NULL REFERENCES lead (id) ON DELETE CASCADE,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        from_stage varchar(100),
        to_stage varchar(100) NOT NULL,
        at timestamptz(3) NOT NULL,
        cause varchar(16) NOT NULL CHECK (cause IN ('RULE', 'MANUAL')),
        rule varchar(1000),
        actor varchar(200),
        reason varchar(1000)
      )`);
    await q.query(`CREATE INDEX stage_transition_lead_history ON stage_transition (lead_id, at, seq)`);
    await q.query(`CREATE INDEX stage_transition_to_stage ON stage_transition (to_stage, at)`);

    await q.query(`
      CREATE TABLE scoring_model (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        version integer NOT NULL UNIQUE,
        source text NOT NULL,
        active boolean NOT NULL DEFAULT false,
        published_at timestamptz(3) NOT NULL,
        funnel jsonb NOT NULL DEFAULT '[]'::jsonb
      )`);
    await q.query(`CREATE UNIQUE INDEX scoring_model_one_active ON scoring_model (active) WHERE active`);

    await q.query(`
      CREATE TABLE api_key (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(200) NOT NULL,
        prefix varchar(16) NOT NULL,
        hash char(64) NOT NULL UNIQUE,
        scopes text[] NOT NULL,
        created_at timestamptz(3) NOT NULL,
        revoked_at timestamptz(3)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ["api_key", "scoring_model", "stage_transition", "score_award", "interaction", "lead"]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
