/**
 * `npm run demo`: fills the configured database with a realistic synthetic data set — about 1,000
 * leads and 20,000 interactions over the last 90 days, arriving from the website, LinkedIn and
 * Facebook lead ads, newsletters and webinars — written through the service layer (the same path
 * as production), on a simulated clock so that every timestamp is where it would have been.
 * The data itself is generated, deterministically (seeded PRNG), by `demo-data.ts`; a second run
 * finds the data present and changes nothing.
 */
import "../src/node-env"; // first: the service runs as in production (graphql-js, express)
import "reflect-metadata";
import path from "node:path";
import { ConfigError, loadConfig } from "../src/config";
import type { Caller, Clock } from "../src/context";
import { dataDirHolder } from "../src/database/embedded-database";
import { createLogger } from "../src/logger";
import { DAY, DEMO_LEADS, generateDemo } from "./demo-data";

/** A failure the user can fix, said in a line of its own, without a stack trace. */
class DemoRefused extends Error {}

async function main(): Promise<void> {
  const config = loadConfig();
  if (config.database.kind === "embedded") {
    const { dataDir } = config.database;
    // Asked before the service is loaded: the demo stops at once instead of failing on the locked data.
    const holder = dataDirHolder(dataDir);
    if (holder !== null) {
      throw new DemoRefused(
        `the embedded database in ${path.relative(process.cwd(), dataDir) || dataDir} is in use by process ${holder} ` +
          "(the running service?): stop the service first, or point DATABASE_URL at a PostgreSQL server for both",
      );
    }
  }
  // Loaded only now: the service takes a second to load, and the checks above need none of it.
  const { startApp } = await import("../src/app/start-app");
  const end = Date.now();
  const start = end - 90 * DAY;
  let simulated = start;
  const clock: Clock = { now: () => new Date(simulated) };
  const app = await startApp(config, createLogger("warn"), { clock, noHttp: true });
  const out = (line: string) => process.stdout.write(line + "\n");
  try {
    const events = generateDemo(start, end);
    const ingest: Caller = { keyId: null, name: "demo web tracker", scopes: new Set(["ingest"]) };
    const sales: Caller = { keyId: null, name: "sales (demo)", scopes: new Set(["sales"]) };
    const firstEmail = events.find((e) => e.kind === "interaction")?.email as string;
    if (await app.services.leads.findByEmail(app.context(null), firstEmail)) {
      out("Demo data is already present; nothing to do.");
      return;
    }
    const interactions = events.filter((e) => e.kind === "interaction").length;
    out(`Writing ${DEMO_LEADS} leads and ${interactions} interactions over 90 days through the service layer…`);
    const began = Date.now();
    let done = 0;
    for (const event of events) {
      // Each event is received a few seconds after it happened.
      simulated = Math.min(end, event.at + 3000);
      if (event.kind === "interaction") {
        await app.services.interactions.record(app.context(ingest), event.input);
        if (++done % 2000 === 0) out(`  ${done} / ${interactions} interactions`);
      } else {
        // Sales work the leads the model hands them: a move is made only from the stages it expects.
        const lead = await app.services.leads.findByEmail(app.context(sales), event.email);
        if (lead && event.from.includes(lead.stage)) {
          await app.services.stages.setStage(app.context(sales), lead.id, event.stage, event.reason);
        }
      }
    }
    out(`Done in ${Math.round((Date.now() - began) / 1000)} s. Start the service (npm start) and open the workbench URL it prints, or try the example queries in the README.`);
  } finally {
    await app.close();
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else if (err instanceof DemoRefused) process.stderr.write(`npm run demo: ${err.message}\n`);
  else process.stderr.write(`demo failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
