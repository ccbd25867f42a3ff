/**
 * Sections (a) and (b): recording interactions through the API against the same rows written with
 * plain `pg`.
 *
 * (a) `recordInteraction` over HTTP from 16 concurrent clients (a worker thread) vs a `pg` pool of
 *     16, one transaction per interaction.
 * (b) `recordInteractions` in batches of 1,000 from one client vs one transaction per batch of
 *     multi-row statements.
 * Each side records the same interactions for its own fresh leads; both are warmed up first, then
 * they take turns (rounds of (a), batches of (b)), so that a shared machine whose speed drifts
 * affects both alike.
 */
import { performance } from "node:perf_hooks";
import type { Pool } from "pg";
import { runClients } from "./service-clients";
import type { BenchApp } from "./service-env";
import type { BenchModel } from "./service-rules";
import { baselineTransaction, createLeads, generateWork, HandScorer, inputOf, type SchemaShape, type WorkItem } from "./service-workload";
import { type Comparison, fmtInt, fmtMs, fmtRatio, out, percentile } from "./table";

export const CLIENTS = 16;
export const BATCH = 1000;
/** Batches of 1,000 each side of (b) records before it is measured. */
const WARM_BATCHES = 5;
/** Turns each side of (a) takes, alternately. */
const ROUNDS = 4;
const TARGET_RATE = 0.5;

export const RECORD = `mutation Record($input: InteractionInput!) {
  recordInteraction(input: $input) { duplicate pointsAwarded stageChange { to } lead { score stage } }
}`;
export const RECORD_BATCH = `mutation RecordBatch($inputs: [InteractionInput!]!) {
  recordInteractions(inputs: $inputs) { duplicate pointsAwarded }
}`;

/** CPU seconds this process used during `work`, with its wall time. */
async function timed<T>(work: () => Promise<T>): Promise<{ result: T; wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const used = process.cpuUsage(cpu);
  return { result, wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

/** What a side wrote for its leads: award rows, stage moves, and digests of the totals and group points by the leads' order. */
interface SideRows {
  awards: number;
  moves: number;
  totals: string;
  groups: string | null;
  /** Leads whose points in a group are held by its cap. */
  atCap: number;
}

async function sideRows(pool: Pool, leadIds: readonly string[]): Promise<SideRows> {
  const { rows } = await pool.query(
    `WITH side AS (SELECT u.id, u.n FROM unnest($1::uuid[]) WITH ORDINALITY AS u (id, n))
     SELECT (SELECT count(*) FROM score_award WHERE lead_id = ANY($1::uuid[]) AND interaction_id IS NOT NULL)::int AS awards,
            (SELECT count(*) FROM stage_transition WHERE lead_id = ANY($1::uuid[]) AND cause = 'RULE')::int AS moves,
            (SELECT md5(string_agg(concat_ws(',', s.n, l.fit, l.engagement, l.score, l.stage, floor(extract(epoch FROM l.next_expiry_at) * 1000)), ';' ORDER BY s.n))
               FROM side s JOIN lead l ON l.id = s.id) AS totals,
            (SELECT md5(string_agg(concat_ws(',', s.n, g.group_key, g.points, g.uncapped), ';' ORDER BY s.n, g.group_key))
               FROM side s JOIN lead_group_points g ON g.lead_id = s.id) AS groups,
            (SELECT count(DISTINCT g.lead_id) FROM lead_group_points g WHERE g.lead_id = ANY($1::uuid[]) AND g.points < g.uncapped)::int AS at_cap`,
    [leadIds],
  );
  const r = rows[0];
  return { awards: r.awards, moves: r.moves, totals: r.totals, groups: r.groups, atCap: r.at_cap };
}

/** Prints what both sides wrote; true when it is the same (rows, totals, next changes, group points). */
async function sameRows(pool: Pool, productLeads: readonly string[], baselineLeads: readonly string[]): Promise<boolean> {
  const [product, baseline] = [await sideRows(pool, productLeads), await sideRows(pool, baselineLeads)];
  const same = product.awards === baseline.awards && product.moves === baseline.moves && product.totals === baseline.totals && product.groups === baseline.groups;
  const groups = product.groups === null ? "" : `, leads at a group's cap ${fmtInt(product.atCap)} (baseline ${fmtInt(baseline.atCap)})`;
  out(
    `    rows: award rows ${fmtInt(product.awards)} (baseline ${fmtInt(baseline.awards)}), stage moves ${fmtInt(product.moves)} (baseline ${fmtInt(baseline.moves)})${groups}: ${
      same ? "the same rows, totals, next changes and group points" : "DIFFERENT ROWS OR TOTALS"
    }`,
  );
  return same;
}

/** A section of (a) or (b): its table, whether both sides wrote the same, and its interactions/s ratio. */
export interface IngestOutcome {
  rows: Comparison[];
  same: boolean;
  ratio: number;
}

/** interactions/s of both sides, against the target. */
function rateRow(count: number, productMs: number, baselineMs: number): Comparison {
  const product = count / (productMs / 1000);
  const baseline = count / (baselineMs / 1000);
  return {
    figure: "interactions/s",
    product: fmtInt(product),
    baseline: fmtInt(baseline),
    ratio: fmtRatio(product / baseline),
    target: `≥ ${TARGET_RATE}×`,
    met: product / baseline >= TARGET_RATE,
  };
}

const cpuLine = (product: { cpuMs: number; wallMs: number }, baseline: { cpuMs: number; wallMs: number }, note = "") =>
  out(
    `    this process's CPU: product ${(product.cpuMs / 1000).toFixed(1)} s in ${(product.wallMs / 1000).toFixed(1)} s${note}, baseline ${(baseline.cpuMs / 1000).toFixed(1)} s in ${(baseline.wallMs / 1000).toFixed(1)} s`,
  );

/** The baseline of (a): `clients` loops over a pool, one transaction per interaction. */
async function baselineConcurrent(pool: Pool, shape: SchemaShape, scorer: HandScorer, items: readonly WorkItem[], leadIds: readonly string[], clients: number) {
  const latencies: number[] = new Array(items.length).fill(0);
  let next = 0;
  let statements = 0;
  const client = async () => {
    for (let i = next++; i < items.length; i = next++) {
      const started = performance.now();
      const conn = await pool.connect();
      try {
        const sent = await baselineTransaction(conn, shape, scorer, [items[i]], leadIds);
        statements += sent;
      } finally {
        conn.release();
      }
      latencies[i] = performance.now() - started;
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return { latencies, statements };
}

const perItem = (n: number) => (n >= 1 ? n.toFixed(1) : n.toPrecision(2));

/** SQL statements per interaction on both sides (the product's counted by its DataSource logger). */
const statementsRow = (count: number, product: number, baseline: number): Comparison => ({
  figure: "SQL statements per interaction",
  product: perItem(product / count),
  baseline: perItem(baseline / count),
  ratio: fmtRatio(product / baseline),
  target: "",
  met: null,
});

/** `items` in slices of `size`, in order. */
export const slices = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** A side's measured time: wall and this process's CPU, summed over its turns. */
class Tally {
  wallMs = 0;
  cpuMs = 0;
  statements = 0;
  readonly latencies: number[] = [];

  /** Runs one turn of this side, timed. */
  async turn<T>(work: () => Promise<T>): Promise<T> {
    const { result, wallMs, cpuMs } = await timed(work);
    this.add(wallMs, cpuMs);
    return result;
  }

  add(wallMs: number, cpuMs: number): void {
    this.wallMs += wallMs;
    this.cpuMs += cpuMs;
  }
}

/**
 * Runs the product's and the baseline's turns alternately, neither always first (ABBA): the two
 * sides meet the same state of a shared machine, rather than one measured minutes after the other.
 */
export async function alternate(turns: number, product: (n: number) => Promise<void>, baseline: (n: number) => Promise<void>): Promise<void> {
  for (let n = 0; n < turns; n++) {
    if (n % 2 === 0) {
      await product(n);
      await baseline(n);
    } else {
      await baseline(n);
      await product(n);
    }
  }
}

export async function benchRecordInteraction(app: BenchApp, pool: Pool, shape: SchemaShape, scale: number, model: BenchModel): Promise<IngestOutcome> {
  const count = Math.max(CLIENTS * 4, Math.round(4000 * scale));
  const leads = Math.max(CLIENTS, Math.round(1000 * scale));
  // Warm-up: half as many interactions again, on leads of their own, so that V8 has compiled
  // either side's hot path for the shapes it meets before the measured run.
  const warm = Math.max(CLIENTS * 2, Math.round(count / 2));
  const warmLeads = Math.max(CLIENTS, Math.round(leads / 2));
  const start = new Date(Date.now() - 3_600_000);
  const work = generateWork(count, leads, 1, start, "a");
  const warmWork = generateWork(warm, warmLeads, 2, start, "a-warm");
  const rounds = slices(work, Math.ceil(work.length / ROUNDS));
  out(`(a) recordInteraction over HTTP, model ${model.name}: ${fmtInt(count)} interactions of ${fmtInt(leads)} fresh leads from ${CLIENTS} concurrent clients`);
  out(`    baseline: the same rows with plain pg, a pool of ${CLIENTS}, one transaction per interaction`);
  out(`    both sides first record ${fmtInt(warm)} interactions of ${fmtInt(warmLeads)} leads of their own (warm-up), then take turns: ${rounds.length} rounds each`);

  const [productLeads, productWarm, baselineLeads, baselineWarm] = [
    await createLeads(pool, shape, leads, "a-product"),
    await createLeads(pool, shape, warmLeads, "a-product-warm"),
    await createLeads(pool, shape, leads, "a-baseline"),
    await createLeads(pool, shape, warmLeads, "a-baseline-warm"),
  ];
  const variables = (items: WorkItem[], ids: string[]) => items.map((item) => ({ input: inputOf(item, ids) }));
  const job = (items: WorkItem[], ids: string[]) => ({ url: app.url, key: app.key, query: RECORD, variables: variables(items, ids), clients: CLIENTS });
  await runClients(job(warmWork, productWarm));
  await baselineConcurrent(pool, shape, new HandScorer(model.seed()), warmWork, baselineWarm, CLIENTS);

  const product = new Tally();
  const baseline = new Tally();
  const scorer = new HandScorer(model.seed());
  await alternate(
    rounds.length,
    async (n) => {
      const before = app.app.queries.count;
      const { result, cpuMs } = await timed(() => runClients(job(rounds[n], productLeads)));
      if (result.errors > 0) throw new Error(`(a): ${result.errors} requests failed; the first: ${result.firstError}`);
      // The clients' own clock: from the first request sent to the last answer (not the worker's start).
      product.add(result.elapsedMs, cpuMs);
      product.statements += app.app.queries.count - before;
      product.latencies.push(...result.latencies);
    },
    async (n) => {
      const result = await baseline.turn(() => baselineConcurrent(pool, shape, scorer, rounds[n], baselineLeads, CLIENTS));
      baseline.statements += result.statements;
      baseline.latencies.push(...result.latencies);
    },
  );

  const latency = (p: number): Comparison => {
    const a = percentile(product.latencies, p);
    const b = percentile(baseline.latencies, p);
    return { figure: `latency p${p}`, product: fmtMs(a), baseline: fmtMs(b), ratio: fmtRatio(a / b), target: "", met: null };
  };
  const rows = [
    rateRow(count, product.wallMs, baseline.wallMs),
    latency(50),
    latency(99),
    statementsRow(count, product.statements, baseline.statements),
  ];
  const same = await sameRows(pool, productLeads, baselineLeads);
  cpuLine(product, baseline, " (service and clients)");
  return { rows, same, ratio: baseline.wallMs / product.wallMs };
}

export async function benchRecordInteractions(app: BenchApp, pool: Pool, shape: SchemaShape, scale: number, model: BenchModel): Promise<IngestOutcome> {
  const batches = Math.max(1, Math.round(10 * scale));
  const leads = Math.max(CLIENTS, Math.round(1000 * scale));
  const start = new Date(Date.now() - 3_000_000);
  const work = slices(generateWork(batches * BATCH, leads, 3, start, "b"), BATCH);
  // Warm-up: full batches on leads of their own, until V8 has compiled the hot path of either
  // side for the shapes it meets (the first batches of a fresh process recompile it repeatedly).
  const warmBatches = Math.max(1, Math.round(WARM_BATCHES * scale));
  const warmWork = slices(generateWork(warmBatches * BATCH, leads, 4, start, "b-warm"), BATCH);
  out(`(b) recordInteractions in batches of ${fmtInt(BATCH)}, model ${model.name}: ${batches} batches from one client over ${fmtInt(leads)} fresh leads`);
  out(`    baseline: the same rows with plain pg, one transaction of multi-row statements (unnest) per batch`);
  out(`    both sides first record ${warmBatches} batches on leads of their own (warm-up), then take turns batch by batch`);

  const [productLeads, productWarm, baselineLeads, baselineWarm] = [
    await createLeads(pool, shape, leads, "b-product"),
    await createLeads(pool, shape, leads, "b-product-warm"),
    await createLeads(pool, shape, leads, "b-baseline"),
    await createLeads(pool, shape, leads, "b-baseline-warm"),
  ];
  const send = async (items: WorkItem[], ids: string[]) => {
    const data = await app.request<{ recordInteractions: Array<unknown | null> }>(RECORD_BATCH, { inputs: items.map((item) => inputOf(item, ids)) });
    if (data.recordInteractions.some((r) => r === null)) throw new Error("(b): an item of a batch failed");
  };
  const product = new Tally();
  const baseline = new Tally();
  const scorer = new HandScorer(model.seed());
  const conn = await pool.connect();
  try {
    const warmScorer = new HandScorer(model.seed());
    for (const batch of warmWork) await send(batch, productWarm);
    for (const batch of warmWork) await baselineTransaction(conn, shape, warmScorer, batch, baselineWarm);
    await alternate(
      work.length,
      async (n) => {
        const before = app.app.queries.count;
        await product.turn(() => send(work[n], productLeads));
        product.statements += app.app.queries.count - before;
      },
      async (n) => {
        baseline.statements += await baseline.turn(() => baselineTransaction(conn, shape, scorer, work[n], baselineLeads));
      },
    );
  } finally {
    conn.release();
  }

  const same = await sameRows(pool, productLeads, baselineLeads);
  cpuLine(product, baseline);
  const count = batches * BATCH;
  const rows = [
    rateRow(count, product.wallMs, baseline.wallMs),
    {
      figure: "seconds per batch",
      product: `${(product.wallMs / batches / 1000).toFixed(2)} s`,
      baseline: `${(baseline.wallMs / batches / 1000).toFixed(2)} s`,
      ratio: fmtRatio(product.wallMs / baseline.wallMs),
      target: "",
      met: null,
    },
    statementsRow(count, product.statements, baseline.statements),
  ];
  return { rows, same, ratio: baseline.wallMs / product.wallMs };
}
