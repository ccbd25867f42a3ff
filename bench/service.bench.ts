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
 * Settings: `DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`: only the server is
 * used; the run works in throwaway databases `qualify_bench_*`, dropped at the end),
 * `BENCH_SCALE` (0–1, default 1: sizes for development runs), `BENCH_SECTIONS` (default `abcdefg`).
 * Exits 1 when (c)'s ledgers or (e)'s totals differ, or (f)'s pages; a target not met is reported, not a failure.
 */
import "../src/node-env"; // first: the service runs as in production (graphql-js, express)
import os from "node:os";
import { benchRecordInteraction, benchRecordInteractions } from "./service-ingest";
import { BenchDatabases, benchScale, plainPool, POOL_SIZE, startBenchApp } from "./service-env";
import { benchPublish } from "./service-publish";
import { benchLeadsPage } from "./service-reads";
import { benchTime } from "./service-time";
import { benchWebhooks, WEBHOOK_BENCH_SETTINGS } from "./service-webhooks";
import { schemaShape } from "./service-workload";
import { type Comparison, out, printComparisons } from "./table";

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

  if (run.has("a") || run.has("b") || run.has("d")) {
    const db = await databases.create("main");
    const app = await startBenchApp(db.url);
    const pool = plainPool(db.url);
    try {
      const shape = await schemaShape(pool);
      if (run.has("a")) section(await benchRecordInteraction(app, pool, shape, scale));
      if (run.has("b")) section(await benchRecordInteractions(app, pool, shape, scale));
      if (run.has("d")) section(await benchLeadsPage(app, pool, shape));
    } finally {
      await pool.end();
      await app.close();
    }
  }
  if (run.has("c")) {
    const { rows, same } = await benchPublish(databases, scale);
    section(rows);
    if (same === false) {
      out("(c) FAILED: the product's ledger and totals differ from the baseline's");
      return 1;
    }
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
