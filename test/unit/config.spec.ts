import { ConfigError, loadConfig, loadRemoteService } from "../../src/config";

/** The message `loadConfig(env)` throws, or null when it accepts the settings. */
function refusal(env: Record<string, string>): string | null {
  try {
    loadConfig(env, "/srv/qualify");
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
}

const POSTGRES = { DATABASE_URL: "postgres://x@h/db" };

/** Every whole-number setting, its accepted range, and any other setting it is read with. */
const NUMBERS: Array<[name: string, min: number, max: number, env: Record<string, string>]> = [
  ["PORT", 0, 65535, {}],
  ["DATABASE_POOL_SIZE", 1, 1000, POSTGRES],
  ["DATABASE_POOL_SIZE", 1, 1000, {}],
  ["QUALIFY_BODY_LIMIT_BYTES", 1024, 104857600, {}],
  ["QUALIFY_MAX_DEPTH", 2, 100, {}],
  ["QUALIFY_MAX_ALIASES", 0, 10000, {}],
  ["QUALIFY_MAX_FIELDS", 10, 100000, {}],
  ["QUALIFY_MAX_JSON_BYTES", 256, 1048576, {}],
  ["QUALIFY_EXPIRY_SWEEP_SECONDS", 0, 60, {}],
  ["QUALIFY_RESCORE_WORKERS", 1, 16, POSTGRES],
  ["QUALIFY_RESCORE_WORKERS", 1, 16, {}],
  ["QUALIFY_WARM_LEADS", 0, 1000000, {}],
  ["QUALIFY_RATE_LIMIT_REQUESTS", 0, 1000000000, {}],
  ["QUALIFY_RATE_LIMIT_COST", 0, 1000000000, {}],
  ["QUALIFY_RATE_LIMIT_WINDOW_SECONDS", 1, 86400, {}],
];

const ENUMS: Array<[name: string, allowed: string[]]> = [
  ["QUALIFY_PUBSUB", ["auto", "memory", "postgres"]],
  ["QUALIFY_LOG_LEVEL", ["debug", "info", "warn", "error", "silent"]],
  ["QUALIFY_V8_PRETENURING", ["off", "on"]],
];

describe("loadConfig", () => {
  it("defaults to the embedded database and in-process events", () => {
    const config = loadConfig({}, "/srv/qualify");
    expect(config.database).toEqual({ kind: "embedded", dataDir: "/srv/qualify/.data/pglite" });
    expect(config).toMatchObject({ port: 4000, pubsub: "memory", isDevelopment: false, adminKey: null, v8Pretenuring: false });
    expect(config.limits).toMatchObject({ bodyBytes: 1048576, maxDepth: 10, maxAliases: 30 });
  });

  it("switches to a PostgreSQL server with DATABASE_URL, events through LISTEN/NOTIFY", () => {
    const config = loadConfig({ DATABASE_URL: "postgres://x@h/db", DATABASE_POOL_SIZE: "4", PORT: "8080" });
    expect(config.database).toEqual({ kind: "postgres", url: "postgres://x@h/db", poolSize: 4 });
    expect(config).toMatchObject({ port: 8080, pubsub: "postgres" });
  });

  it("reads the operations settings: SQL parameters in logs, metrics and their port, GraphiQL (on in development)", () => {
    expect(loadConfig({})).toMatchObject({ logSqlParameters: false, metrics: { enabled: true, port: null }, graphiql: false });
    expect(loadConfig({ NODE_ENV: "development" }).graphiql).toBe(true);
    expect(loadConfig({ NODE_ENV: "development", QUALIFY_GRAPHIQL: "off" }).graphiql).toBe(false);
    expect(loadConfig({ QUALIFY_GRAPHIQL: "on" }).graphiql).toBe(true);
    expect(loadConfig({ QUALIFY_METRICS_PORT: "9464", QUALIFY_LOG_SQL_PARAMETERS: "true" })).toMatchObject({
      metrics: { enabled: true, port: 9464 },
      logSqlParameters: true,
    });
    expect(loadConfig({ QUALIFY_METRICS: "off" }).metrics).toEqual({ enabled: false, port: null });
    expect(() => loadConfig({ QUALIFY_METRICS: "off", QUALIFY_METRICS_PORT: "9464" })).toThrow("QUALIFY_METRICS_PORT is set but QUALIFY_METRICS is off");
    expect(() => loadConfig({ PORT: "9464", QUALIFY_METRICS_PORT: "9464" })).toThrow("QUALIFY_METRICS_PORT must differ from PORT");
    const load = () => loadConfig({ QUALIFY_METRICS: "yes", QUALIFY_GRAPHIQL: "true", QUALIFY_LOG_SQL_PARAMETERS: "1", QUALIFY_METRICS_PORT: "x" });
    for (const name of ["QUALIFY_METRICS ", "QUALIFY_GRAPHIQL", "QUALIFY_LOG_SQL_PARAMETERS", "QUALIFY_METRICS_PORT"]) expect(load).toThrow(name);
  });

  it("limits every key to 6,000 requests and 1,000,000 cost points a minute unless told otherwise; counts in Redis with REDIS_URL", () => {
    expect(loadConfig({})).toMatchObject({ rateLimits: { requests: 6000, cost: 1000000, windowSeconds: 60 }, redisUrl: null });
    const config = loadConfig({ QUALIFY_RATE_LIMIT_REQUESTS: "0", QUALIFY_RATE_LIMIT_COST: "500", QUALIFY_RATE_LIMIT_WINDOW_SECONDS: "1", REDIS_URL: "rediss://r:6380/2" });
    expect(config).toMatchObject({ rateLimits: { requests: 0, cost: 500, windowSeconds: 1 }, redisUrl: "rediss://r:6380/2" });
    expect(() => loadConfig({ REDIS_URL: "127.0.0.1:6379" })).toThrow('REDIS_URL must be a redis:// or rediss:// URL (got "127.0.0.1:6379")');
  });

  it("reads introspection (on in development and with GraphiQL, which needs it), the cost budget and the token bound", () => {
    expect(loadConfig({})).toMatchObject({ introspection: false, graphiql: false, limits: { maxCost: 100_000, maxTokens: 20_000 } });
    expect(loadConfig({ NODE_ENV: "development" })).toMatchObject({ introspection: true, graphiql: true });
    expect(loadConfig({ QUALIFY_GRAPHIQL: "on" })).toMatchObject({ introspection: true, graphiql: true });
    expect(loadConfig({ QUALIFY_INTROSPECTION: "true" })).toMatchObject({ introspection: true, graphiql: false });
    // Turning introspection off in development turns GraphiQL's default off with it.
    expect(loadConfig({ NODE_ENV: "development", QUALIFY_INTROSPECTION: "false" })).toMatchObject({ introspection: false, graphiql: false });
    expect(() => loadConfig({ QUALIFY_GRAPHIQL: "on", QUALIFY_INTROSPECTION: "false" })).toThrow("QUALIFY_GRAPHIQL=on needs introspection");
    expect(loadConfig({ QUALIFY_MAX_COST: "500", QUALIFY_MAX_TOKENS: "5000" }).limits).toMatchObject({ maxCost: 500, maxTokens: 5000 });
    const load = () => loadConfig({ QUALIFY_INTROSPECTION: "on", QUALIFY_MAX_COST: "0", QUALIFY_MAX_TOKENS: "1e6" });
    for (const name of ["QUALIFY_INTROSPECTION", "QUALIFY_MAX_COST", "QUALIFY_MAX_TOKENS"]) expect(load).toThrow(name);
  });

  it("lists every invalid setting at once", () => {
    const load = () => loadConfig({ PORT: "http", QUALIFY_LOG_LEVEL: "loud", QUALIFY_ADMIN_KEY: "short" });
    expect(load).toThrow(ConfigError);
    for (const name of ["PORT", "QUALIFY_LOG_LEVEL", "QUALIFY_ADMIN_KEY"]) expect(load).toThrow(name);
  });

  it("stops with a grace period of 5 s and a timeout of 30 s unless told otherwise; the timeout must exceed the grace", () => {
    expect(loadConfig({}).shutdown).toEqual({ graceSeconds: 5, timeoutSeconds: 30 });
    expect(loadConfig({ QUALIFY_SHUTDOWN_GRACE_SECONDS: "0", QUALIFY_SHUTDOWN_TIMEOUT_SECONDS: "1" }).shutdown).toEqual({ graceSeconds: 0, timeoutSeconds: 1 });
    expect(() => loadConfig({ QUALIFY_SHUTDOWN_GRACE_SECONDS: "30" })).toThrow(/QUALIFY_SHUTDOWN_TIMEOUT_SECONDS \(30\) must be more than QUALIFY_SHUTDOWN_GRACE_SECONDS \(30\)/);
    expect(() => loadConfig({ QUALIFY_SHUTDOWN_GRACE_SECONDS: "-1" })).toThrow("QUALIFY_SHUTDOWN_GRACE_SECONDS must be a whole number from 0 to 300");
    expect(() => loadConfig({ QUALIFY_SHUTDOWN_TIMEOUT_SECONDS: "0" })).toThrow("QUALIFY_SHUTDOWN_TIMEOUT_SECONDS must be a whole number from 1 to 3600");
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
      "QUALIFY_DB_STATEMENT_TIMEOUT_MS must be a whole number from 10",
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

describe("loadConfig refuses what a setting does not accept, naming it and its range", () => {
  describe.each(NUMBERS)("%s (%i to %i) %j", (name, min, max, env) => {
    it("accepts its bounds", () => {
      expect(refusal({ ...env, [name]: String(min) })).toBeNull();
      expect(refusal({ ...env, [name]: String(max) })).toBeNull();
    });

    it.each([
      ["below the range", String(min - 1)],
      ["above the range", String(max + 1)],
      ["negative", "-1"],
      ["a decimal", `${min}.5`],
      ["a whole decimal", `${min}.0`],
      ["an exponent", "1e3"],
      ["hexadecimal", "0x10"],
      ["signed", `+${min}`],
      ["with spaces", ` ${min} `],
      ["empty", ""],
      ["blank", " "],
      ["garbage", "ten"],
      ["too large for a number", "9".repeat(30)],
    ])("refuses %s", (_what, raw) => {
      expect(refusal({ ...env, [name]: raw })).toBe(`Invalid settings:\n  ${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
    });
  });

  describe.each(ENUMS)("%s", (name, allowed) => {
    it("accepts each of its values", () => {
      for (const value of allowed) expect(refusal({ ...POSTGRES, [name]: value })).toBeNull();
    });

    it.each(["", "INFO", " info", "loud"])("refuses %j", (raw) => {
      expect(refusal({ ...POSTGRES, [name]: raw })).toBe(`Invalid settings:\n  ${name} must be one of ${allowed.join(", ")} (got "${raw}")`);
    });
  });

  it("a pool size is checked even on the embedded database, where it is not used", () => {
    expect(refusal({ DATABASE_POOL_SIZE: "-1" })).toContain('DATABASE_POOL_SIZE must be a whole number from 1 to 1000 (got "-1")');
  });

  it("DATABASE_URL must be a PostgreSQL URL", () => {
    expect(refusal({ DATABASE_URL: "postgresql://x@h/db" })).toBeNull();
    expect(refusal({ DATABASE_URL: "mysql://x@h/db" })).toBe('Invalid settings:\n  DATABASE_URL must be a postgres:// or postgresql:// URL (got "mysql://x@h/db")');
  });

  it("the embedded database cannot carry events across processes", () => {
    expect(refusal({ QUALIFY_PUBSUB: "postgres" })).toContain("QUALIFY_PUBSUB=postgres needs DATABASE_URL");
  });
});

describe("loadRemoteService (qualify keys)", () => {
  it("is null without QUALIFY_URL and QUALIFY_API_KEY: the commands use the database", () => {
    expect(loadRemoteService({})).toBeNull();
    expect(loadRemoteService({ QUALIFY_URL: " ", QUALIFY_API_KEY: "" })).toBeNull();
  });

  it("names the running service when both are set", () => {
    expect(loadRemoteService({ QUALIFY_URL: " https://qualify.example/graphql ", QUALIFY_API_KEY: "qk_x" })).toEqual({
      url: "https://qualify.example/graphql",
      apiKey: "qk_x",
    });
  });

  it("refuses one without the other, and a URL that is not http(s)", () => {
    expect(() => loadRemoteService({ QUALIFY_API_KEY: "qk_x" })).toThrow("QUALIFY_API_KEY is set but QUALIFY_URL is not");
    expect(() => loadRemoteService({ QUALIFY_URL: "http://h/graphql" })).toThrow("QUALIFY_URL is set but QUALIFY_API_KEY is not");
    expect(() => loadRemoteService({ QUALIFY_URL: "ftp://h/graphql", QUALIFY_API_KEY: "qk_x" })).toThrow(ConfigError);
  });
});
