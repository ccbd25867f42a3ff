import { ConfigError, loadConfig } from "../../src/config";

describe("loadConfig", () => {
  it("defaults to the embedded database and in-process events", () => {
    const config = loadConfig({}, "/srv/qualify");
    expect(config.database).toEqual({ kind: "embedded", dataDir: "/srv/qualify/.data/pglite" });
    expect(config).toMatchObject({ port: 4000, pubsub: "memory", isDevelopment: false, adminKey: null });
    expect(config.limits).toMatchObject({ bodyBytes: 1048576, maxDepth: 10, maxAliases: 30 });
  });

  it("switches to a PostgreSQL server with DATABASE_URL, events through LISTEN/NOTIFY", () => {
    const config = loadConfig({ DATABASE_URL: "postgres://x@h/db", DATABASE_POOL_SIZE: "4", PORT: "8080" });
    expect(config.database).toEqual({ kind: "postgres", url: "postgres://x@h/db", poolSize: 4 });
    expect(config).toMatchObject({ port: 8080, pubsub: "postgres" });
  });

  it("lists every invalid setting at once", () => {
    const load = () => loadConfig({ PORT: "http", QUALIFY_LOG_LEVEL: "loud", QUALIFY_ADMIN_KEY: "short" });
    expect(load).toThrow(ConfigError);
    for (const name of ["PORT", "QUALIFY_LOG_LEVEL", "QUALIFY_ADMIN_KEY"]) expect(load).toThrow(name);
  });

  it("bounds every database wait, and lets each bound be set", () => {
    expect(loadConfig({}).databaseTimeouts).toEqual({ statementMs: 30000, lockMs: 5000, idleInTransactionMs: 60000, bulkStatementMs: 600000, acquireMs: 5000 });
    expect(loadConfig({}).leadGate).toEqual({ connectionsPerLead: 2, queueLength: 100, queueTimeoutMs: 5000 });
    const config = loadConfig({
      QUALIFY_DB_STATEMENT_TIMEOUT_MS: "2000",
      QUALIFY_DB_LOCK_TIMEOUT_MS: "500",
      QUALIFY_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: "10000",
      QUALIFY_DB_BULK_STATEMENT_TIMEOUT_MS: "60000",
      QUALIFY_DB_ACQUIRE_TIMEOUT_MS: "250",
      QUALIFY_MAX_CONNECTIONS_PER_LEAD: "1",
      QUALIFY_LEAD_QUEUE_LENGTH: "0",
      QUALIFY_LEAD_QUEUE_TIMEOUT_MS: "750",
    });
    expect(config.databaseTimeouts).toEqual({ statementMs: 2000, lockMs: 500, idleInTransactionMs: 10000, bulkStatementMs: 60000, acquireMs: 250 });
    expect(config.leadGate).toEqual({ connectionsPerLead: 1, queueLength: 0, queueTimeoutMs: 750 });
  });

  it("refuses a bound that is off, not a number, or a lock bound the statement bound would always beat", () => {
    const load = () =>
      loadConfig({
        QUALIFY_DB_STATEMENT_TIMEOUT_MS: "0",
        QUALIFY_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: "1m",
        QUALIFY_DB_ACQUIRE_TIMEOUT_MS: "-1",
        QUALIFY_DB_BULK_STATEMENT_TIMEOUT_MS: "1.5",
        QUALIFY_MAX_CONNECTIONS_PER_LEAD: "0",
        QUALIFY_LEAD_QUEUE_LENGTH: "many",
        QUALIFY_LEAD_QUEUE_TIMEOUT_MS: "0",
      });
    expect(load).toThrow(ConfigError);
    for (const name of [
      "QUALIFY_DB_STATEMENT_TIMEOUT_MS must be an integer from 10",
      "QUALIFY_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS",
      "QUALIFY_DB_ACQUIRE_TIMEOUT_MS",
      "QUALIFY_DB_BULK_STATEMENT_TIMEOUT_MS",
      "QUALIFY_MAX_CONNECTIONS_PER_LEAD",
      "QUALIFY_LEAD_QUEUE_LENGTH",
      "QUALIFY_LEAD_QUEUE_TIMEOUT_MS",
    ]) {
      expect(load).toThrow(name);
    }
    expect(() => loadConfig({ QUALIFY_DB_STATEMENT_TIMEOUT_MS: "5000", QUALIFY_DB_LOCK_TIMEOUT_MS: "5000" })).toThrow(
      "QUALIFY_DB_LOCK_TIMEOUT_MS (5000) must be less than QUALIFY_DB_STATEMENT_TIMEOUT_MS (5000)",
    );
  });
});
