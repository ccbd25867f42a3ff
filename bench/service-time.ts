/**
 * Sections (e) and (f): the v2 model over 100,000 leads whose awards decay.
 *
 * (e) The time sweeper (`scoring/expiry-sweeper.ts`, `sweepOnce(now)`) bringing every lead to an
 *     instant 10 days on, each lead's decaying awards crossing one or two decay steps, against
 *     hand-written set-based SQL in one transaction producing the same totals, next changes,
 *     group points and DECAY points of score history (checked: the run fails when they differ).
 * (f) The page of the 100 leads with most points in one group (`leads(orderBy: {field: GROUP,
 *     …}, first: 100)` over HTTP) against the same page in hand-written SQL (same leads checked).
 *
 * The data goes in through the API (`publishModel`, then `recordInteractions` in batches of
 * 1,000, interactions backdated up to 6 days); the baseline runs on a copy of that database.
 */
import { performance } from "node:perf_hooks";
import type { Pool } from "pg";
import { type BenchApp, type BenchDatabases, plainPool, startBenchApp } from "./service-env";
import { copyDatabase, settled } from "./service-publish";
import { createLeads, schemaShape } from "./service-workload";
import { type Comparison, fmtInt, fmtMs, fmtRatio, fmtSeconds, out, percentile } from "./table";

const DAY_MS = 86_400_000;
const EVERY_MS = 7 * DAY_MS;
const GROUP = "Product";
const DECAYING = "Product pages";
const TARGET = 2;
const REQUESTS = 20;

export const TIME_MODEL = `funnel Subscriber > Lead > MQL
group "${GROUP}" {
  rule "${DECAYING}": visit "/product/*" => +16 decays 50% every 7 days
  rule "Downloads": download => +5
}
rule "Pricing": visit "/pricing" => +10
stage Lead when score >= 10
`;

/** A decaying award's value at `$1` (16, 8, 4, 2, 1, 0: halved and truncated per 7 days). */
const VALUE_AT = (at: string) => `CASE WHEN a.rule <> '${DECAYING}' THEN a.points
  ELSE a.points / power(2, least(5, floor(extract(epoch FROM ${at} - a.awarded_at) * 1000 / ${EVERY_MS})))::int END`;

/** The baseline: one transaction of set-based SQL bringing every lead to `$1`. */
const BASELINE_STEPS: ReadonlyArray<[string, string]> = [
  [
    "step instants",
    `CREATE TEMP TABLE instants ON COMMIT DROP AS
     SELECT DISTINCT a.lead_id, a.awarded_at + j * interval '${EVERY_MS} milliseconds' AS at
       FROM score_award a, generate_series(1, 5) j
      WHERE a.rule = '${DECAYING}' AND a.awarded_at + j * interval '${EVERY_MS} milliseconds' <= $1`,
  ],
  [
    "score history",
    `INSERT INTO score_point (lead_id, at, score, fit, engagement, cause, interaction_id)
     SELECT s.lead_id, s.at, l.fit + s.engagement, l.fit, s.engagement, 'DECAY', NULL
       FROM (SELECT i.lead_id, i.at, sum(${VALUE_AT("i.at")})::int AS engagement
               FROM instants i JOIN score_award a ON a.lead_id = i.lead_id AND a.category = 'ENGAGEMENT'
              GROUP BY i.lead_id, i.at) s
       JOIN lead l ON l.id = s.lead_id`,
  ],
  [
    "totals and next change",
    `UPDATE lead l SET engagement = v.engagement, score = l.fit + v.engagement, next_expiry_at = v.next
       FROM (SELECT a.lead_id, sum(${VALUE_AT("$1")})::int AS engagement,
                    min(CASE WHEN a.rule = '${DECAYING}' AND floor(extract(epoch FROM $1 - a.awarded_at) * 1000 / ${EVERY_MS}) < 5
                             THEN a.awarded_at + (floor(extract(epoch FROM $1 - a.awarded_at) * 1000 / ${EVERY_MS}) + 1) * interval '${EVERY_MS} milliseconds' END) AS next
               FROM score_award a WHERE a.category = 'ENGAGEMENT' AND a.lead_id IN (SELECT lead_id FROM instants) GROUP BY a.lead_id) v
      WHERE l.id = v.lead_id`,
  ],
  [
    "group points",
    `UPDATE lead_group_points g SET points = v.points, uncapped = v.points
       FROM (SELECT a.lead_id, sum(${VALUE_AT("$1")})::int AS points
               FROM score_award a WHERE a.rule IN ('${DECAYING}', 'Downloads') AND a.lead_id IN (SELECT lead_id FROM instants)
              GROUP BY a.lead_id) v
      WHERE g.lead_id = v.lead_id AND g.group_key = '${GROUP.toLowerCase()}'`,
  ],
];

/** What both sides must leave the same: digests of totals, group points and DECAY history. */
const FINGERPRINT = `
  SELECT (SELECT md5(string_agg(concat_ws(',', id, score, fit, engagement, (extract(epoch FROM next_expiry_at) * 1000)::bigint), ';' ORDER BY id)) FROM lead) AS leads,
         (SELECT md5(string_agg(concat_ws(',', lead_id, group_key, points, uncapped), ';' ORDER BY lead_id, group_key)) FROM lead_group_points) AS groups,
         (SELECT md5(string_agg(concat_ws(',', lead_id, (extract(epoch FROM at) * 1000)::bigint, score, fit, engagement), ';' ORDER BY lead_id, at))
            FROM score_point WHERE cause = 'DECAY') AS history,
         (SELECT count(*)::int FROM score_point WHERE cause = 'DECAY') AS points,
         (SELECT sum(score)::bigint FROM lead) AS total`;

interface Fingerprint {
  leads: string;
  groups: string;
  history: string;
  points: number;
  total: string;
}

const TOP_QUERY = `query Top($group: String!) {
  leads(orderBy: { field: GROUP, group: $group, direction: DESC }, first: 100) { edges { node { id email score } } }
}`;

const TOP_SQL = `SELECT l.id FROM lead l JOIN lead_group_points g ON g.lead_id = l.id AND g.group_key = $1
  ORDER BY g.points DESC, l.id DESC LIMIT 100`;

/** Every lead: one or two product pages within the last 6 days, some a download, some pricing. */
async function load(app: BenchApp, ids: readonly string[], start: number): Promise<number> {
  const inputs: Array<Record<string, unknown>> = [];
  ids.forEach((leadId, i) => {
    const at = (k: number) => new Date(start - ((i * 7919 + k * 104_729) % (6 * DAY_MS)) - k * 60_000).toISOString();
    inputs.push({ leadId, type: "visit", target: `/product/p${i % 5}`, occurredAt: at(0) });
    if (i % 2 === 1) inputs.push({ leadId, type: "visit", target: `/product/p${(i + 1) % 5}`, occurredAt: at(1) });
    if (i % 4 === 0) inputs.push({ leadId, type: "download", target: "guide.pdf", occurredAt: at(2) });
    if (i % 3 === 0) inputs.push({ leadId, type: "visit", target: "/pricing", occurredAt: at(3) });
  });
  const batches: Array<Array<Record<string, unknown>>> = [];
  for (let i = 0; i < inputs.length; i += 1000) batches.push(inputs.slice(i, i + 1000));
  const send = async () => {
    for (let batch = batches.shift(); batch; batch = batches.shift()) {
      await app.request(`mutation Record($inputs: [InteractionInput!]!) { recordInteractions(inputs: $inputs) { duplicate } }`, { inputs: batch });
    }
  };
  await Promise.all([send(), send(), send(), send()]);
  return inputs.length;
}

async function fingerprint(pool: Pool): Promise<Fingerprint> {
  await pool.query("ANALYZE");
  return (await pool.query(FINGERPRINT)).rows[0];
}

async function baseline(pool: Pool, now: Date): Promise<number> {
  const client = await pool.connect();
  try {
    const started = performance.now();
    await client.query("BEGIN");
    for (const [, sql] of BASELINE_STEPS) await client.query(sql, sql.includes("$1") ? [now] : []);
    await client.query("COMMIT");
    return (performance.now() - started) / 1000;
  } finally {
    client.release();
  }
}

/** (f): latencies of the product's page and of the SQL page, taking turns; the same leads checked. */
async function benchTopPage(app: BenchApp, pool: Pool): Promise<{ rows: Comparison[]; same: boolean }> {
  const product: number[] = [];
  const hand: number[] = [];
  let same = true;
  for (let i = 0; i < REQUESTS + 2; i++) {
    let started = performance.now();
    const page = await app.request<{ leads: { edges: Array<{ node: { id: string } }> } }>(TOP_QUERY, { group: GROUP });
    if (i >= 2) product.push(performance.now() - started);
    started = performance.now();
    const { rows } = await pool.query(TOP_SQL, [GROUP.toLowerCase()]);
    if (i >= 2) hand.push(performance.now() - started);
    same &&= page.leads.edges.map((e) => e.node.id).join() === rows.map((r: { id: string }) => r.id).join();
  }
  const latency = (p: number) => {
    const a = percentile(product, p);
    const b = percentile(hand, p);
    return { figure: `latency p${p} (${REQUESTS} requests)`, product: fmtMs(a), baseline: fmtMs(b), ratio: fmtRatio(a / b), target: "", met: null };
  };
  return { rows: [latency(50), latency(99)], same };
}

export interface TimeOutcome {
  decay: Comparison[];
  page: Comparison[];
  /** False when a check failed (the run must fail). */
  same: boolean;
}

export async function benchTime(databases: BenchDatabases, scale: number, sections: ReadonlySet<string>): Promise<TimeOutcome> {
  const leads = Math.max(1000, Math.round(100_000 * scale));
  out(`(e) the time sweeper over ${fmtInt(leads)} leads, awards crossing one or two decay steps: seconds to sweep`);
  out(`    baseline: hand-written set-based SQL in one transaction producing the same totals, group points and history`);
  out(`    the model: ${TIME_MODEL.trim().replace(/\s*\n\s*/g, " · ")}`);
  const db = await databases.create("time");
  let app = await startBenchApp(db.url);
  let pool = plainPool(db.url, 4);
  let loadedAt: number;
  try {
    await app.request(`mutation Publish($source: String!) { publishModel(source: $source) { model { version } } }`, { source: TIME_MODEL });
    const ids = await createLeads(pool, await schemaShape(pool), leads, "e");
    const started = performance.now();
    const start = Date.now();
    const interactions = await load(app, ids, start);
    loadedAt = Date.now();
    out(`    data: ${fmtInt(interactions)} interactions recorded through the API in ${fmtSeconds((performance.now() - started) / 1000)}`);
  } finally {
    await pool.end();
    await app.close();
  }
  const now = new Date(loadedAt + 10 * DAY_MS);
  const copy = await copyDatabase(databases, "time_base", db.name);
  const basePool = plainPool(copy.url, 2);
  await basePool.query("VACUUM ANALYZE");
  const baseS = await baseline(basePool, now);
  const baseFp = await fingerprint(basePool);
  await basePool.end();

  app = await startBenchApp(db.url);
  pool = plainPool(db.url, 2);
  try {
    await settled(db.url);
    await pool.query("VACUUM ANALYZE");
    const before = app.app.queries.count;
    const started = performance.now();
    const swept = await app.app.services.sweeper.sweepOnce(now);
    const productS = (performance.now() - started) / 1000;
    const statements = app.app.queries.count - before;
    const productFp = await fingerprint(pool);
    const sameTotals = JSON.stringify(productFp) === JSON.stringify(baseFp);
    out(`    baseline: ${fmtSeconds(baseS)}, ${BASELINE_STEPS.length} SQL statements (${BASELINE_STEPS.map(([name]) => name).join(", ")})`);
    out(`    product: ${fmtSeconds(productS)}, ${fmtInt(swept)} leads swept, ${fmtInt(statements)} SQL statements`);
    out(`    same totals: ${sameTotals ? "yes" : "NO"} (${fmtInt(productFp.points)} DECAY points of history, sum of scores ${productFp.total} vs ${baseFp.total})`);
    const decay: Comparison[] = [
      { figure: "seconds to sweep", product: fmtSeconds(productS), baseline: fmtSeconds(baseS), ratio: fmtRatio(productS / baseS), target: `≤ ${TARGET}×`, met: productS / baseS <= TARGET },
    ];
    if (!sections.has("f")) return { decay, page: [], same: sameTotals };
    out();
    out(`(f) leads(orderBy: {field: GROUP, group: "${GROUP}"}, first: 100) { id email score } over ${fmtInt(leads)} leads`);
    out(`    baseline: the same page in hand-written SQL (index lead_group_order), plain pg; taking turns`);
    const top = await benchTopPage(app, pool);
    out(`    same leads in the same order: ${top.same ? "yes" : "NO"}`);
    return { decay, page: top.rows, same: sameTotals && top.same };
  } finally {
    await pool.end();
    await app.close();
  }
}
