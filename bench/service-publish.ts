/**
 * Section (c): publishing a changed model over 100,000 leads and 1,000,000 interactions, against
 * hand-written set-based SQL that produces the same ledger and totals.
 *
 * 1. A database of its own gets the schema (the app starts once), then the data, straight in SQL
 *    from `generate_series` with deterministic pseudo-random choices (types, normalised targets,
 *    `occurredAt` over 90 days, lead profiles), and a ledger consistent with the active seed
 *    model (the set-based SQL below, for the seed rules; untimed).
 * 2. A copy of it (`CREATE DATABASE … TEMPLATE`) is rescored by the baseline: one transaction of
 *    hand-written SQL for the changed rules (timed).
 * 3. The service publishes the changed model on the original through the `publishModel` mutation
 *    over HTTP (timed).
 * 4. The two databases must hold the same ledger (per rule: count, points and a digest of every
 *    row) and the same lead totals, stages, next changes and group points, or the run fails.
 *
 * It runs once per benchmark model (`BenchModel`): with model v2 the seed published first is v2's,
 * the baseline values awards as the product does (decayed as of the run's instant, groups capped)
 * and writes each lead's group points and next change. Every side works as of one instant: the
 * seed ledger, the baseline and the product (whose clock reads that instant while it publishes:
 * decayed values depend on it, and the two sides run minutes apart).
 */
import { performance } from "node:perf_hooks";
import { Client } from "pg";
import { type BenchApp, type BenchDatabases, schemaHas, startBenchApp } from "./service-env";
import { type BenchModel, FUNNEL, type HandModel, isServiceSeed, MQL_SCORE, SQL_SCORE, usesV2 } from "./service-rules";
import { schemaShape, type SchemaShape } from "./service-workload";
import { type Comparison, fmtInt, fmtRatio, fmtSeconds, out } from "./table";

const TARGET = 2;

const PUBLISH = `mutation Publish($source: String!) {
  publishModel(source: $source) { model { version } leadsRescored stageChanges }
}`;

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, application_name: "qualify-bench" });
  await client.connect();
  return client;
}

async function withClient<T>(url: string, work: (c: Client) => Promise<T>): Promise<T> {
  const client = await connect(url);
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const seconds = (since: number) => (performance.now() - since) / 1000;

/** Leads with profiles some fit rules hold for (case and spaces varied), all at the first stage. */
const GENERATE_LEADS = `
  INSERT INTO lead (email, first_name, role, industry, company_size, country, source, stage, created_at, updated_at)
  SELECT 'lead-' || n || '@bench.example',
         CASE WHEN h % 3 <> 0 THEN 'First' || n END,
         (ARRAY['Marketing Director', 'senior marketing director', 'Marketing Director, EMEA', 'CTO', 'Developer',
                'Sales Manager', 'Head of Growth', NULL])[1 + (h / 3) % 8],
         (ARRAY['SaaS', 'Software', ' software ', 'Retail', 'Finance', 'Healthcare', 'Education', NULL])[1 + (h / 24) % 8],
         (ARRAY[5, 20, 50, 200, 1000, 5000])[1 + (h / 192) % 6],
         (ARRAY['US', 'GB', 'DE', 'FR', 'ES', 'IN'])[1 + (h / 1152) % 6],
         (ARRAY['ads', 'organic', 'referral', 'event'])[1 + (h / 6912) % 4],
         'Subscriber', now() - interval '91 days', now() - interval '91 days'
    FROM (SELECT n, hashint4(n)::bigint & 2147483647 AS h FROM generate_series(1, $1::int) n) s`;

/**
 * Interactions over the leads (uniformly), the last 90 days; targets are already normalised paths
 * (some in capitals: matching is case-insensitive). `email_click` has no rule.
 */
const GENERATE_INTERACTIONS = `
  INSERT INTO interaction (lead_id, type, target, source, occurred_at, received_at)
  SELECT bl.id, k.type, k.target, 'bench', t.at, t.at
    FROM (SELECT g, hashint4(g)::bigint & 2147483647 AS h1, hashint4(-g)::bigint & 2147483647 AS h2,
                 hashint4(g # 1431655765)::bigint & 2147483647 AS h3
            FROM generate_series(1, $1::int) g) s
    JOIN bench_lead bl ON bl.n = s.h1 % $2::int
    CROSS JOIN LATERAL (SELECT s.h2 % 100 AS b, s.h2 / 100 AS x) c
    CROSS JOIN LATERAL (SELECT now() - interval '1 minute' - (s.h3 % 7776000) * interval '1 second' - (s.g % 1000) * interval '1 millisecond' AS at) t
    CROSS JOIN LATERAL (SELECT
      CASE WHEN c.b < 50 THEN 'visit' WHEN c.b < 65 THEN 'email_open' WHEN c.b < 75 THEN 'download'
           WHEN c.b < 82 THEN 'subscribe' WHEN c.b < 84 THEN 'demo_request' WHEN c.b < 93 THEN 'webinar' ELSE 'email_click' END AS type,
      CASE WHEN c.b < 10 THEN '/pricing' WHEN c.b < 12 THEN '/Pricing' WHEN c.b < 15 THEN '/careers'
           WHEN c.b < 35 THEN '/blog/post-' || c.x % 200 WHEN c.b < 40 THEN '/' WHEN c.b < 45 THEN '/features'
           WHEN c.b < 50 THEN '/docs/guide-' || c.x % 40
           WHEN c.b < 62 THEN 'newsletter' WHEN c.b < 65 THEN 'promo-' || c.x % 12
           WHEN c.b < 70 THEN 'case-study-' || c.x % 30 || '.pdf' WHEN c.b < 72 THEN 'Case-Study-' || c.x % 30 || '.pdf'
           WHEN c.b < 75 THEN 'whitepaper-' || c.x % 10 || '.pdf'
           WHEN c.b < 80 THEN 'newsletter' WHEN c.b < 82 THEN 'product-updates' WHEN c.b < 84 THEN NULL
           WHEN c.b < 93 THEN 'webinar-' || c.x % 20 ELSE 'newsletter' END AS target) k`;

interface Step {
  label: string;
  sql: string;
  params: unknown[];
}

/**
 * The baseline: hand-written set-based SQL that rescores every lead to `model` as `version`, as
 * of `now`. Activity awards in one join of the interactions with the rules; `max N` and `once` by
 * `row_number()` over each lead's matches in canonical order; fit rules from the lead's columns;
 * totals, the stage move (the furthest stage whose rule holds, forward only) and its history row
 * in one statement.
 */
export function baselineSteps(model: HandModel, version: number, now: Date, shape: SchemaShape): Step[] {
  const ruleIndex = shape.awardHasRuleIndex ? "rule_index, " : "";
  const insertAward = `INSERT INTO score_award (lead_id, interaction_id, ${ruleIndex}rule, category, points, awarded_at, expires_at, model_version)`;
  const rules = (capped: boolean) => {
    const rs = model.activity.filter((r) => (r.max !== null) === capped);
    return [rs.map((r) => r.index), rs.map((r) => model.names[r.index]), rs.map((r) => r.type), rs.map((r) => r.like), rs.map((r) => r.points), rs.map((r) => r.max ?? 0)];
  };
  const matches = `interaction i
      JOIN unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[]) AS r (rule_index, rule, type, pattern, points, max)
        ON i.type = r.type AND (r.pattern IS NULL OR lower(i.target) LIKE r.pattern)`;
  const steps: Step[] = [
    { label: "delete the old ledger", sql: `DELETE FROM score_award`, params: [] },
    {
      label: "activity awards",
      sql: `${insertAward}
        SELECT i.lead_id, i.id, ${ruleIndex ? "r.rule_index, " : ""}r.rule, 'ENGAGEMENT', r.points, i.occurred_at, NULL, $1 FROM ${matches}`,
      params: [version, ...rules(false)],
    },
    {
      label: "capped activity awards",
      sql: `${insertAward}
        SELECT m.lead_id, m.id, ${ruleIndex ? "m.rule_index, " : ""}m.rule, 'ENGAGEMENT', m.points, m.occurred_at, NULL, $1
          FROM (SELECT i.lead_id, i.id, i.occurred_at, r.rule_index, r.rule, r.points, r.max,
                       row_number() OVER (PARTITION BY i.lead_id, r.rule_index ORDER BY i.occurred_at, i.seq) AS nth
                  FROM ${matches}) m
         WHERE m.nth <= m.max`,
      params: [version, ...rules(true)],
    },
    ...model.fit.map((f) => {
      const params: unknown[] = [version, model.names[f.index], f.points, now];
      const index = ruleIndex ? `$${params.push(f.index)}::int, ` : "";
      return {
        label: "fit awards",
        sql: `${insertAward} SELECT l.id, NULL, ${index}$2, 'FIT', $3, $4, NULL, $1 FROM lead l WHERE ${f.sql}`,
        params,
      };
    }),
  ];
  const stageOf = (name: string) => FUNNEL.indexOf(name) + 1;
  const totalsParams: unknown[] = [now, FUNNEL, FUNNEL.map((s) => model.stageRules.get(s) ?? null)];
  const goalAndUpdate = (setNext: string) => `goal AS (
        SELECT t.*, CASE WHEN t.score >= ${SQL_SCORE} AND t.has_demo THEN ${stageOf("SQL")}
                         WHEN t.score >= ${MQL_SCORE} THEN ${stageOf("MQL")}
                         WHEN t.named THEN ${stageOf("Lead")} END AS reach
          FROM totals t
      ), updated AS (
        UPDATE lead l
           SET fit = g.fit, engagement = g.engagement, score = g.score, ${setNext}
               stage = CASE WHEN g.reach > g.at THEN ($2::text[])[g.reach] ELSE l.stage END,
               updated_at = CASE WHEN l.score <> g.score OR g.reach > g.at THEN $1::timestamptz ELSE l.updated_at END
          FROM goal g
         WHERE l.id = g.id
        RETURNING l.id, g.old_stage, l.stage AS new_stage
      )
      INSERT INTO stage_transition (lead_id, from_stage, to_stage, at, cause, rule)
      SELECT u.id, u.old_stage, u.new_stage, $1, 'RULE', ($3::text[])[array_position($2::text[], u.new_stage)]
        FROM updated u WHERE u.new_stage <> u.old_stage`;
  const leadFacts = `l.first_name IS NOT NULL AND btrim(l.first_name) <> '' AS named, d.lead_id IS NOT NULL AS has_demo,
               array_position($2::text[], l.stage) AS at`;
  const demo = `LEFT JOIN (SELECT DISTINCT lead_id FROM interaction WHERE type = 'demo_request') d ON d.lead_id = l.id`;
  if (!usesV2(model)) {
    const leadVersion = shape.leadHasModelVersion ? `model_version = $${totalsParams.push(version)}::int, next_expiry_at = NULL,` : "";
    steps.push({
      label: "totals, stages, history",
      sql: `WITH totals AS (
        SELECT l.id, l.stage AS old_stage, coalesce(a.fit, 0) AS fit, coalesce(a.engagement, 0) AS engagement,
               coalesce(a.fit, 0) + coalesce(a.engagement, 0) AS score, ${leadFacts}
          FROM lead l
          LEFT JOIN (SELECT lead_id, sum(points) FILTER (WHERE category = 'FIT') AS fit,
                            sum(points) FILTER (WHERE category = 'ENGAGEMENT') AS engagement
                       FROM score_award GROUP BY lead_id) a ON a.lead_id = l.id
          ${demo}
      ), ${goalAndUpdate(leadVersion)}`,
      params: totalsParams,
    });
  } else {
    // Version 2: each award valued as of $1 (a decaying rule's value after k full periods is its
    // steps[k + 1], 0 past the last), summed per lead, kind and group; a group's sum capped by its
    // max counts in the lead's totals; every lead gets a row per group; the next change is the
    // earliest next step of an award not yet at 0.
    const rules = [...model.activity.map((r) => ({ index: r.index, group: r.group, decay: r.decay })), ...model.fit.map((r) => ({ index: r.index, group: r.group, decay: null }))];
    const p = (value: unknown) => `$${totalsParams.push(value)}`;
    const ruleRows = `unnest(${p(rules.map((r) => r.index))}::int[], ${p(rules.map((r) => r.group))}::text[], ${p(rules.map((r) => (r.decay ? `{${r.decay.steps.join(",")}}` : null)))}::text[],
                          ${p(rules.map((r) => r.decay?.everyMs ?? null))}::bigint[]) AS r (rule_index, group_key, steps, every_ms)`;
    const keys = p(model.groups.map((g) => g.key));
    const groupRows = `unnest(${keys}::text[], ${p(model.groups.map((g) => g.max))}::int[]) AS g (group_key, max)`;
    const leadVersion = shape.leadHasModelVersion ? `model_version = ${p(version)}::int,` : "";
    steps.push({
      label: "totals, groups, stages, history",
      sql: `WITH rules AS MATERIALIZED (
        SELECT r.rule_index, r.group_key, r.steps::int[] AS steps, r.every_ms FROM ${ruleRows}
      ), groups AS MATERIALIZED (
        SELECT * FROM ${groupRows}
      ), sums AS MATERIALIZED (
        SELECT v.lead_id, v.category, v.group_key, sum(v.value)::int AS total, min(v.next) AS next
          FROM (SELECT a.lead_id, a.category, r.group_key,
                       CASE WHEN r.steps IS NULL THEN a.points ELSE coalesce(r.steps[k.k + 1], 0) END AS value,
                       CASE WHEN k.k < array_length(r.steps, 1) - 1 THEN a.awarded_at + (k.k + 1) * r.every_ms * interval '1 millisecond' END AS next
                  FROM score_award a
                  JOIN rules r ON r.rule_index = a.rule_index
                 CROSS JOIN LATERAL (SELECT floor(greatest(extract(epoch FROM $1::timestamptz - a.awarded_at) * 1000, 0) / r.every_ms)::int AS k) k) v
         GROUP BY v.lead_id, v.category, v.group_key
      ), per_lead AS (
        SELECT s.lead_id, sum(CASE WHEN g.max IS NULL THEN s.total ELSE least(s.total, g.max) END) FILTER (WHERE s.category = 'FIT') AS fit,
               sum(CASE WHEN g.max IS NULL THEN s.total ELSE least(s.total, g.max) END) FILTER (WHERE s.category = 'ENGAGEMENT') AS engagement,
               min(s.next) AS next
          FROM sums s LEFT JOIN groups g ON g.group_key = s.group_key
         GROUP BY s.lead_id
      ), group_points AS (
        INSERT INTO lead_group_points (lead_id, group_key, points, uncapped)
        SELECT l.id, g.group_key, CASE WHEN g.max IS NULL THEN t.total ELSE least(t.total, g.max) END, t.total
          FROM lead l CROSS JOIN groups g LEFT JOIN sums s ON s.lead_id = l.id AND s.group_key = g.group_key
         CROSS JOIN LATERAL (SELECT coalesce(s.total, 0) AS total) t
        ON CONFLICT (lead_id, group_key) DO UPDATE SET points = excluded.points, uncapped = excluded.uncapped
         WHERE (lead_group_points.points, lead_group_points.uncapped) IS DISTINCT FROM (excluded.points, excluded.uncapped)
      ), group_gone AS (
        DELETE FROM lead_group_points WHERE NOT (group_key = ANY(${keys}::text[]))
      ), totals AS (
        SELECT l.id, l.stage AS old_stage, coalesce(p.fit, 0) AS fit, coalesce(p.engagement, 0) AS engagement,
               coalesce(p.fit, 0) + coalesce(p.engagement, 0) AS score, p.next, ${leadFacts}
          FROM lead l
          LEFT JOIN per_lead p ON p.lead_id = l.id
          ${demo}
      ), ${goalAndUpdate(`${leadVersion} next_expiry_at = g.next,`)}`,
      params: totalsParams,
    });
  }
  steps.push(
    { label: "the model's row", sql: `UPDATE scoring_model SET active = false WHERE active AND version <> $1`, params: [version] },
    {
      label: "the model's row",
      sql: `INSERT INTO scoring_model (version, source, active, published_at, funnel)
            VALUES ($1, $2, true, $3, $4::jsonb) ON CONFLICT (version) DO NOTHING`,
      params: [version, model.source, now, JSON.stringify(FUNNEL)],
    },
  );
  return steps;
}

/** Runs the steps in one transaction; the time of each and in all (BEGIN to COMMIT). */
async function runSteps(client: Client, steps: readonly Step[]): Promise<{ totalS: number; byStep: Map<string, number>; stageMoves: number }> {
  const started = performance.now();
  const byStep = new Map<string, number>();
  let stageMoves = 0;
  await client.query("BEGIN");
  try {
    for (const step of steps) {
      const t = performance.now();
      const result = await client.query(step.sql, step.params);
      if (step.label.startsWith("totals")) stageMoves = result.rowCount ?? 0;
      byStep.set(step.label, (byStep.get(step.label) ?? 0) + seconds(t));
    }
    const t = performance.now();
    await client.query("COMMIT");
    byStep.set("commit", seconds(t));
  } catch (err) {
    await client.query("ROLLBACK");
    throw err;
  }
  return { totalS: seconds(started), byStep, stageMoves };
}

/** Reads every table once, so neither side starts colder than the other. */
async function warm(url: string): Promise<void> {
  await withClient(url, async (c) => {
    for (const table of ["lead", "interaction", "score_award", "stage_transition"]) await c.query(`SELECT count(*) FROM ${table}`);
  });
}

interface Fingerprint {
  rules: Array<Record<string, unknown>>;
  leads: Record<string, unknown>;
  moves: Array<Record<string, unknown>>;
  groups: Record<string, unknown>;
}

/** The ledger per rule (count, points, a digest of every row), the leads' totals and next changes, the stage history, the group points. */
async function fingerprint(url: string, shape: SchemaShape): Promise<Fingerprint> {
  return withClient(url, async (c) => {
    await c.query(`SET TIME ZONE 'UTC'`);
    const ruleKey = shape.awardHasRuleIndex ? "rule_index, " : "";
    const rules = await c.query(
      `SELECT ${ruleKey}rule, category, count(*)::int AS awards, sum(points)::int AS points, min(model_version) AS min_version, max(model_version) AS max_version,
              md5(string_agg(lead_id || '/' || coalesce(interaction_id::text, '-') || '/' || points || '/' || coalesce(expires_at::text, '-')
                             || '/' || CASE WHEN category = 'ENGAGEMENT' THEN awarded_at::text ELSE '' END, ',' ORDER BY lead_id, interaction_id)) AS digest
         FROM score_award GROUP BY ${ruleKey}rule, category ORDER BY ${ruleKey}rule`,
    );
    const version = shape.leadHasModelVersion ? " || '/' || model_version" : "";
    const leads = await c.query(
      `SELECT count(*)::int AS leads, sum(score)::int AS score, sum(fit)::int AS fit,
              md5(string_agg(id || '/' || fit || '/' || engagement || '/' || score || '/' || stage${version}
                             || '/' || coalesce(floor(extract(epoch FROM next_expiry_at) * 1000)::text, '-'), ',' ORDER BY id)) AS digest
         FROM lead`,
    );
    const groups = await c.query(
      `SELECT count(*)::int AS rows, coalesce(sum(points), 0)::int AS points, count(*) FILTER (WHERE points < uncapped)::int AS capped,
              md5(string_agg(lead_id || '/' || group_key || '/' || points || '/' || uncapped, ',' ORDER BY lead_id, group_key)) AS digest
         FROM lead_group_points`,
    );
    const moves = await c.query(
      `SELECT from_stage, to_stage, cause, rule, count(*)::int AS n FROM stage_transition GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
    );
    return { rules: rules.rows, leads: leads.rows[0], moves: moves.rows, groups: groups.rows[0] };
  });
}

/** Up to `most` leads whose totals or stage differ between the two databases. */
async function differingLeads(a: string, b: string, most: number): Promise<string[]> {
  const read = (url: string) =>
    withClient(url, async (c) => (await c.query(`SELECT id, fit, engagement, score, stage, next_expiry_at FROM lead ORDER BY id`)).rows as Array<Record<string, unknown>>);
  const [x, y] = [await read(a), await read(b)];
  const other = new Map(y.map((r) => [r.id, r]));
  const found: string[] = [];
  for (const r of x) {
    const s = other.get(r.id);
    if (JSON.stringify(r) !== JSON.stringify(s)) found.push(`product ${JSON.stringify(r)} baseline ${JSON.stringify(s ?? null)}`);
    if (found.length >= most) break;
  }
  return found;
}

async function activeVersion(url: string): Promise<number> {
  return withClient(url, async (c) => (await c.query(`SELECT coalesce(max(version), 0) AS v FROM scoring_model WHERE active`)).rows[0].v as number);
}

/**
 * Waits until no other session runs a statement in the database (twice in a row, 250 ms apart, at
 * most 30 s): the service starts a background rescore of stale leads, which must be over before
 * the publish is timed, or the two would share the work.
 */
export async function settled(url: string): Promise<void> {
  await withClient(url, async (c) => {
    let quiet = 0;
    for (let i = 0; i < 120 && quiet < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const { rows } = await c.query(
        `SELECT count(*)::int AS busy FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`,
      );
      quiet = rows[0].busy === 0 ? quiet + 1 : 0;
    }
  });
}

/** `CREATE DATABASE … TEMPLATE` needs the template idle: a closed pool's sessions may take a moment to end. */
export async function copyDatabase(databases: BenchDatabases, label: string, template: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await databases.create(label, template);
    } catch (err) {
      if (attempt >= 20 || !/being accessed by other users/.test(String(err))) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

export interface PublishOutcome {
  rows: Comparison[];
  /** False when the two ledgers differ (the run must fail). */
  same: boolean | null;
  /** Seconds to rescore, product ÷ baseline (NaN when the product was not measured). */
  ratio: number;
}

export async function benchPublish(databases: BenchDatabases, scale: number, model: BenchModel): Promise<PublishOutcome> {
  const leads = Math.max(100, Math.round(100_000 * scale));
  const interactions = Math.max(1000, Math.round(1_000_000 * scale));
  out(`(c) publishModel of a changed model, model ${model.name}, over ${fmtInt(leads)} leads and ${fmtInt(interactions)} interactions: seconds to rescore`);
  out(`    baseline: hand-written set-based SQL in one transaction producing the same ledger and totals`);
  out(`    the change: visit "/pricing" +15 → +20, and a new rule webinar => +10 max 3`);

  const db = await databases.create(`publish_${model.name}`);
  let app: BenchApp | null = await startBenchApp(db.url);
  const canPublish = await schemaHas(app, "Mutation", "publishModel");
  const seed = model.seed();
  // Model v2's seed replaces the service's own while there are no leads (nothing to rescore).
  if (!isServiceSeed(seed)) await app.request(PUBLISH, { source: seed.source });
  await app.close();
  app = null;

  // The data, and a ledger consistent with the active seed model (untimed).
  const seedVersion = Math.max(1, await activeVersion(db.url));
  let shape!: SchemaShape;
  let t = performance.now();
  await withClient(db.url, async (c) => {
    await c.query(GENERATE_LEADS, [leads]);
    await c.query(`CREATE TEMP TABLE bench_lead AS SELECT row_number() OVER (ORDER BY email) - 1 AS n, id FROM lead`);
    await c.query(`CREATE UNIQUE INDEX ON bench_lead (n)`);
    await c.query(GENERATE_INTERACTIONS, [interactions, leads]);
  });
  const generatedS = seconds(t);
  // The instant of both sides (after every interaction, and no lead's next change is due at it).
  const now = new Date();
  t = performance.now();
  await withClient(db.url, async (c) => {
    shape = await schemaShape(c);
    await runSteps(c, baselineSteps(seed, seedVersion, now, shape));
    await c.query(`VACUUM ANALYZE`);
  });
  out(`    data generated in ${fmtSeconds(generatedS)}; seed ledger (same SQL, seed rules) and VACUUM ANALYZE in ${fmtSeconds(seconds(t))}`);
  const copy = await copyDatabase(databases, `publish_${model.name}_baseline`, db.name);

  // The baseline, on the copy.
  const version = seedVersion + 1;
  await warm(copy.url);
  const changed = model.changed();
  const changedSteps = baselineSteps(changed, version, now, shape);
  const baseline = await withClient(copy.url, (c) => runSteps(c, changedSteps));
  const steps = [...baseline.byStep].map(([label, s]) => `${label} ${s.toFixed(1)} s`).join(", ");
  out(`    baseline: ${fmtSeconds(baseline.totalS)} (${steps}); ${fmtInt(baseline.stageMoves)} stage moves, ${changedSteps.length + 2} SQL statements`);

  if (!canPublish) {
    out(`    the service has no publishModel mutation yet: the product side is not measured`);
    return {
      rows: [{ figure: "seconds to rescore", product: "—", baseline: fmtSeconds(baseline.totalS), ratio: "—", target: `≤ ${TARGET}×`, met: null }],
      same: null,
      ratio: NaN,
    };
  }

  // The product, on the original.
  await warm(db.url);
  app = await startBenchApp(db.url, {}, { now: () => new Date(now) });
  await settled(db.url);
  let productS: number;
  let cpuS: number;
  try {
    const cpu = process.cpuUsage();
    const statementsBefore = app.app.queries.count;
    t = performance.now();
    const data = await app.request<{ publishModel: { model: { version: number }; leadsRescored: number; stageChanges: number } }>(PUBLISH, { source: changed.source });
    productS = seconds(t);
    const used = process.cpuUsage(cpu);
    cpuS = (used.user + used.system) / 1e6;
    const statements = app.app.queries.count - statementsBefore;
    const p = data.publishModel;
    out(
      `    product: ${fmtSeconds(productS)}, version ${p.model.version}, ${fmtInt(p.leadsRescored)} leads rescored, ${fmtInt(p.stageChanges)} stage moves, ${fmtInt(statements)} SQL statements; this process's CPU ${cpuS.toFixed(1)} s`,
    );
    if (p.model.version !== version) out(`    note: the product published version ${p.model.version}, the baseline wrote ${version}`);
  } finally {
    await app.close();
  }

  const [product, reference] = [await fingerprint(db.url, shape), await fingerprint(copy.url, shape)];
  const sameRules = JSON.stringify(product.rules) === JSON.stringify(reference.rules);
  const sameLeads = JSON.stringify(product.leads) === JSON.stringify(reference.leads);
  const sameMoves = JSON.stringify(product.moves) === JSON.stringify(reference.moves);
  const sameGroups = JSON.stringify(product.groups) === JSON.stringify(reference.groups);
  const same = sameRules && sameLeads && sameMoves && sameGroups;
  const awards = product.rules.reduce((sum, r) => sum + (r.awards as number), 0);
  const groups = (product.groups.rows as number) > 0 ? `, ${fmtInt(product.groups.rows as number)} group rows (${fmtInt(product.groups.capped as number)} at their cap)` : "";
  out(
    `    same ledger and totals: ${same ? "yes" : "NO"} (${fmtInt(awards)} award rows in ${product.rules.length} rules, ${fmtInt(product.leads.leads as number)} leads, stage history${groups})`,
  );
  if (!same) {
    if (!sameRules) {
      out(`    ledger per rule, product then baseline:`);
      for (const r of product.rules) out(`      ${JSON.stringify(r)}`);
      for (const r of reference.rules) out(`      ${JSON.stringify(r)}`);
    }
    if (!sameMoves) out(`    stage history differs: product ${JSON.stringify(product.moves)} baseline ${JSON.stringify(reference.moves)}`);
    if (!sameGroups) out(`    group points differ: product ${JSON.stringify(product.groups)} baseline ${JSON.stringify(reference.groups)}`);
    for (const line of await differingLeads(db.url, copy.url, 5)) out(`      ${line}`);
  }
  // Done with this model's data (the next model's (c) makes its own).
  await databases.drop(copy.name);
  await databases.drop(db.name);
  return {
    rows: [
      {
        figure: "seconds to rescore",
        product: fmtSeconds(productS),
        baseline: fmtSeconds(baseline.totalS),
        ratio: fmtRatio(productS / baseline.totalS),
        target: `≤ ${TARGET}×`,
        met: productS / baseline.totalS <= TARGET,
      },
    ],
    same,
    ratio: productS / baseline.totalS,
  };
}
