/**
 * `npm start`: config → database (migrations) → schema → HTTP. Prints the workbench's URL (the
 * page a newcomer opens) and the GraphQL endpoint's, and on first start a generated admin API key
 * (what the workbench's sign-in asks for).
 *
 * SIGTERM or SIGINT stops it gracefully (`app/start-app.ts`). Exit codes: 0 stopped cleanly;
 * 1 failed to start, or an error while stopping; 2 the shutdown timeout passed and what was still
 * open was cut off; 128 + the signal's number (130 for SIGINT, 143 for SIGTERM) when a second signal
 * during the shutdown ended it at once.
 */
import "./node-env"; // first: before graphql and express load
import "reflect-metadata";
import os from "node:os";
import { ConfigError, loadConfig } from "./config";
import { createLogger, errorFields } from "./logger";
import { startApp } from "./app/start-app";

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { secrets: config.adminKey ? [config.adminKey] : [] });
  const app = await startApp(config, logger);
  const lines = [`Qualify workbench: ${app.url.replace(/\/graphql$/, "/")}`, `Qualify GraphQL API: ${app.url}`];
  if (config.database.kind === "embedded") lines.push(`Embedded database in ${config.database.dataDir}`);
  if (app.firstAdminKey) {
    lines.push(
      "",
      "First start: an admin API key was generated. It is shown only now; keep it:",
      `  ${app.firstAdminKey}`,
      "Open the workbench and paste it into its sign-in, or call the API with it:",
      `Try: curl -H 'Authorization: Bearer ${app.firstAdminKey}' -H 'Content-Type: application/json' \\`,
      `       -d '{"query":"{ funnel { stage leads } }"}' ${app.url}`,
    );
  }
  process.stdout.write(lines.join("\n") + "\n");
  const { graceSeconds, timeoutSeconds } = config.shutdown;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // Someone means it (a second Ctrl-C): exit now, as if killed (the database server rolls back
      // what was in progress; the embedded database recovers at its next start, like after a crash).
      logger.warn("second signal while stopping: exiting at once", { signal });
      process.exit(128 + os.constants.signals[signal]);
    }
    stopping = true;
    logger.info("stopping", { signal, graceSeconds, timeoutSeconds });
    // close() cuts off what is left at the timeout, but the database's close could still wait on a
    // request it cut off: the process ends regardless, a little later.
    setTimeout(() => {
      logger.error("shutdown did not finish after the timeout: exiting");
      process.exit(EXIT_TIMED_OUT);
    }, timeoutSeconds * 1000 + LAST_RESORT_MS).unref();
    app.close({ graceMs: graceSeconds * 1000 }).then(
      (outcome) => process.exit(outcome.timedOut ? EXIT_TIMED_OUT : 0),
      (err: unknown) => {
        logger.error("error while stopping", errorFields(err));
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

/** The exit code when the shutdown timeout passed. */
const EXIT_TIMED_OUT = 2;
/** How long after the shutdown timeout the process exits even if closing the database still waits. */
const LAST_RESORT_MS = 5000;

main().catch((err: unknown) => {
  process.stderr.write(err instanceof ConfigError ? `${err.message}\n` : `qualify: failed to start: ${String(err instanceof Error ? err.stack : err)}\n`);
  process.exit(1);
});
