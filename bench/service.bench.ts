/**
 * `npm run bench` (after the DSL benchmark): the service against the real PostgreSQL server, each
 * figure beside its baseline from the same run.
 *
 * (a) `recordInteraction` over HTTP, 16 concurrent clients, vs plain `pg`, one transaction per
 *     interaction, 16 clients;
 * (b) `recordInteractions` in batches of 1,000 vs plain `pg` multi-row statements;
 * (c) publishing a changed model over 100,000 leads and 1,000,000 interactions vs hand-written
 *     set-based SQL producing the same ledger and totals (checked);
 * (d) SQL statements and latency of a page of 100 leads with interactions, awards, stage history
 *     and score breakdown, vs a page of 10;
 * (e) the time sweeper bringing 100,000 leads across decay steps vs hand-written set-based SQL
 *     producing the same totals, group points and history (checked);
 * (f) the page of the 100 leads with most points in a group vs the same page in SQL (on (e)'s
 *     data: asking for (f) runs (e) too);
 * (g) (a) with one webhook on LEAD_SCORED and a receiver on localhost vs (a) with it inactive, and
 *     the delivery lag from the event's transaction to receipt (p50, p99).
 *
 * (a)–(c) run once per model of `BENCH_MODELS` (default `v1,v2`): v1 is the seed model, v2 the
 * seed with version 2's groups (capped) and decay (`bench/service-rules.ts`); then a table sets
 * v2's ratios beside v1's and says whether each is within 10% of v1's (issue 12).
 *
 * Settings: `DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`: only the server is
 * used; the run works in throwaway databases `qualify_bench_*`, dropped at the end),
 * `BENCH_SCALE` (0–1, default 1: sizes for development runs), `BENCH_SECTIONS` (default `abcdefg`),
 * `BENCH_MODELS` (default `v1,v2`).
 * Exits 1 when (a)/(b)'s rows or totals, (c)'s ledgers or (e)'s totals differ between the product
 * and its baseline, or (f)'s pages; a target not met is reported, not a failure.
 */
import "../src/node-env"; // first: the service runs as in production (graphql-js, express)
import os from "node:os";
import { benchRecordInteraction, benchRecordInteractions } from "./service-ingest";
import { type BenchApp, BenchDatabases, benchScale, plainPool, POOL_SIZE, startBenchApp } from "./service-env";
import { benchPublish } from "./service-publish";
import { benchLeadsPage } from "./service-reads";
import { benchTime } from "./service-time";
import { benchWebhooks, WEBHOOK_BENCH_SETTINGS } from "./service-webhooks";
import { type BenchModel, benchModels, isServiceSeed } from "./service-rules";
import { schemaShape } from "./service-workload";
import { type Comparison, fmtRatio, out, printComparisons, printTable } from "./table";

function sections(): Set<string> {
  const raw = (process.env.BENCH_SECTIONS || "abcdefg").toLowerCase();
  if (!/^[a-g]+$/.test(raw)) throw new Error(`BENCH_SECTIONS must be letters of "abcdefg" (got "${raw}")`);
  return new Set(raw);
}

function section(rows: readonly Comparison[]): void {
  out();
  printComparisons(rows);
  out();
}

/** A figure's ratio under each model: `higher` when a higher ratio is better (rates), else lower (seconds). */
interface ModelRatios {
  figure: string;
  higherIsBetter: boolean;
  byModel: Map<string, number>;
}

/** How far v2's ratio may move from v1's (issue 12: "within 10%"). */
const MODEL_TOLERANCE = 0.1;

/** v2's ratios beside v1's: the change (+ better, − worse) and whether it is within 10%. */
function printModelComparison(figures: readonly ModelRatios[]): void {
  const rows = figures
    .filter((f) => f.byModel.has("v1") && f.byModel.has("v2"))
    .map((f) => {
      const v1 = f.byModel.get("v1") as number;
      const v2 = f.byModel.get("v2") as number;
      const change = f.higherIsBetter ? v2 / v1 - 1 : v1 / v2 - 1;
      const within = Math.abs(v2 / v1 - 1) <= MODEL_TOLERANCE;
      return [f.figure, fmtRatio(v1), fmtRatio(v2), `${change >= 0 ? "+" : "−"}${Math.abs(change * 100).toFixed(1)}%`, within ? "yes" : change < 0 ? "NO (worse)" : "no (better)"];
    });
  if (rows.length === 0) return;
  out(`(a)–(c) with model v2 beside model v1: each ratio product ÷ baseline from the same run (change: + v2 better, − v2 worse)`);
  out();
  printTable(
    [{ header: "figure" }, { header: "v1 ratio", align: "right" }, { header: "v2 ratio", align: "right" }, { header: "change", align: "right" }, { header: "within 10%?" }],
    rows,
  );
  out();
}

/** The app of (a)/(b)/(d) on a database of its own, with `model`'s seed active. */
async function ingestApp(databases: BenchDatabases, model: BenchModel): Promise<{ app: BenchApp; url: string }> {
  const db = await databases.create(`main_${model.name}`);
  const app = await startBenchApp(db.url);
  const seed = model.seed();
  if (!isServiceSeed(seed)) {
    await app.request(`mutation Publish($source: String!) { publishModel(source: $source) { model { version } } }`, { source: seed.source });
  }
  return { app, url: db.url };
}

async function main(databases: BenchDatabases): Promise<number> {
  const scale = benchScale();
  const run = sections();
  const cpus = os.cpus();
  out(`Qualify service benchmark${scale < 1 ? ` at BENCH_SCALE=${scale} (not the full size)` : ""}`);
  out(
    `machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? "?"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}; ${await databases.describeServer()}`,
  );
  out(`service: in this process, pool of ${POOL_SIZE} connections, events over LISTEN/NOTIFY; baselines: plain pg 8 in this process`);
  out();

  const models = benchModels();
  const ratios: ModelRatios[] = [
    { figure: "(a) interactions/s", higherIsBetter: true, byModel: new Map() },
    { figure: "(b) interactions/s", higherIsBetter: true, byModel: new Map() },
    { figure: "(c) seconds to rescore", higherIsBetter: false, byModel: new Map() },
  ];
  let same = true;
  if (run.has("a") || run.has("b") || run.has("d")) {
    // (d) reads pages: it runs with the first model only.
    for (const [i, model] of models.entries()) {
      if (i > 0 && !run.has("a") && !run.has("b")) break;
      const { app, url } = await ingestApp(databases, model);
      const pool = plainPool(url);
      try {
        const shape = await schemaShape(pool);
        for (const [letter, bench, figure] of [["a", benchRecordInteraction, 0], ["b", benchRecordInteractions, 1]] as const) {
          if (!run.has(letter)) continue;
          const outcome = await bench(app, pool, shape, scale, model);
          section(outcome.rows);
          ratios[figure].byModel.set(model.name, outcome.ratio);
          same &&= outcome.same;
        }
        if (run.has("d") && i === 0) section(await benchLeadsPage(app, pool, shape));
      } finally {
        await pool.end();
        await app.close();
      }
    }
  }
  if (run.has("c")) {
    for (const model of models) {
      const outcome = await benchPublish(databases, scale, model);
      section(outcome.rows);
      ratios[2].byModel.set(model.name, outcome.ratio);
      if (outcome.same === false) {
        out(`(c) FAILED with model ${model.name}: the product's ledger and totals differ from the baseline's`);
        return 1;
      }
    }
  }
  printModelComparison(ratios);
  if (!same) {
    out("(a)/(b) FAILED: the product's rows or totals differ from the baseline's");
    return 1;
  }
  if (run.has("e") || run.has("f")) {
    const { decay, page, same } = await benchTime(databases, scale, run);
    section(decay);
    if (page.length > 0) section(page);
    if (!same) {
      out("(e)/(f) FAILED: the sweeper's totals or the group page differ from the baseline's");
      return 1;
    }
  }
  if (run.has("g")) {
    const db = await databases.create("webhooks");
    const app = await startBenchApp(db.url, WEBHOOK_BENCH_SETTINGS);
    const pool = plainPool(db.url);
    try {
      section(await benchWebhooks(app, pool, await schemaShape(pool), scale));
    } finally {
      await pool.end();
      await app.close();
    }
  }
  return 0;
}

const databases = new BenchDatabases();
let interrupted = false;
process.once("SIGINT", () => {
  interrupted = true;
  process.stderr.write("interrupted: dropping the benchmark's databases\n");
  // Dropping them ends the connections still open to them: those errors are the expected end.
  process.on("uncaughtException", () => undefined);
  databases.dropAll().finally(() => process.exit(130));
});

main(databases)
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 2;
    },
  )
  .finally(async () => {
    if (!interrupted) await databases.dropAll();
  });
