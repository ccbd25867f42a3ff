/**
 * `npm start`: config → database (migrations) → schema → HTTP. Prints the GraphQL URL, and on
 * first start a generated admin API key.
 */
import "./node-env"; // first: before graphql and express load
import "reflect-metadata";
import { ConfigError, loadConfig } from "./config";
import { createLogger, errorFields } from "./logger";
import { startApp } from "./app/start-app";

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { secrets: config.adminKey ? [config.adminKey] : [] });
  const app = await startApp(config, logger);
  const lines = [`Qualify GraphQL API: ${app.url}`];
  if (config.database.kind === "embedded") lines.push(`Embedded database in ${config.database.dataDir}`);
  if (app.firstAdminKey) {
    lines.push(
      "",
      "First start: an admin API key was generated. It is shown only now; keep it:",
      `  ${app.firstAdminKey}`,
      `Try: curl -H 'Authorization: Bearer ${app.firstAdminKey}' -H 'Content-Type: application/json' \\`,
      `       -d '{"query":"{ funnel { stage leads } }"}' ${app.url}`,
    );
  }
  process.stdout.write(lines.join("\n") + "\n");
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("stopping", { signal });
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error("error while stopping", errorFields(err));
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((err: unknown) => {
  process.stderr.write(err instanceof ConfigError ? `${err.message}\n` : `qualify: failed to start: ${String(err instanceof Error ? err.stack : err)}\n`);
  process.exit(1);
});
