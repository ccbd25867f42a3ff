/**
 * Every setting of the service, read once from the environment and typed. Nothing else in `src/`
 * reads `process.env`. The README's settings table lists the same names and defaults.
 */
import path from "node:path";
import type { LogLevel } from "./logger";

export type DatabaseConfig =
  /** PGlite in this process behind a local PostgreSQL socket; data kept in `dataDir`. */
  | { kind: "embedded"; dataDir: string }
  /**
   * A PostgreSQL server. `embedded: true` marks a PGlite socket started elsewhere (the tests):
   * one backend session, so the pool is one connection and events stay in-process.
   */
  | { kind: "postgres"; url: string; poolSize: number; embedded?: boolean };

export type PubSubKind = "memory" | "postgres";

export interface Config {
  /** `development` shows stack traces and SQL in errors; anything else masks them. */
  environment: string;
  isDevelopment: boolean;
  host: string;
  port: number;
  database: DatabaseConfig;
  /** Cross-instance events: PostgreSQL LISTEN/NOTIFY on a real server, in-process when embedded. */
  pubsub: PubSubKind;
  /** A key accepted as an admin key without being stored (automation). */
  adminKey: string | null;
  logLevel: LogLevel;
  /** Debug `sql` entries carry the statements' parameter values (emails, key hashes): only when asked. */
  logSqlParameters: boolean;
  /** Prometheus metrics at `/metrics`: on the API's port (`port` null), on a port of their own, or not at all. */
  metrics: { enabled: boolean; port: number | null };
  /** GraphiQL at `/graphiql`, served from the npm packages (no CDN): in development, or when asked. */
  graphiql: boolean;
  /** `__schema` and `__type` answered: in development or with GraphiQL (which needs them), or when asked. */
  introspection: boolean;
  /** Queries over HTTP run as functions compiled from their documents (graphql-jit); false: by graphql-js. */
  compiledQueries: boolean;
  /** V8's allocation-site pretenuring (`QUALIFY_V8_PRETENURING`): node-env.ts sets it as the process starts; validated here. */
  v8Pretenuring: boolean;
  limits: Limits;
  /** How often each instance takes expired points out of scores, in seconds (0: never). */
  expirySweepSeconds: number;
  /** How long score history points are kept, in milliseconds (null: for ever). */
  scoreHistoryRetentionMs: number | null;
  /** Batches a publish rescores at once, each on its own connection (1 with the embedded database). */
  rescoreWorkers: number;
  /** Leads whose scoring state (history and ledger) each instance keeps for their next batch; 0: none. */
  warmLeads: number;
  /**
   * Transactions pipeline their statements (fewer round trips; `database/pg-pipeline.ts`), or use
   * TypeORM's public transaction API (`false`: slower, independent of driver internals).
   */
  databasePipelining: boolean;
  /** How long any database wait may last (`database/timeouts.ts` applies them to every connection). */
  databaseTimeouts: DatabaseTimeouts;
  /** How many pooled connections the requests for one lead may hold, and how the rest wait (`database/lead-gate.ts`). */
  leadGate: LeadGateSettings;
  /** How a signal stops the service. */
  shutdown: ShutdownSettings;
  /** The budgets of every API key per window, unless an admin set the key's own (`app/rate-limits.ts`). */
  rateLimits: RateLimitSettings;
  /** A Redis server the rate limits count in (shared by every instance); null: the database, or memory when embedded. */
  redisUrl: string | null;
  /** Webhooks: delivery (`QUALIFY_WEBHOOK_*`). */
  webhooks: WebhookSettings;
}

/** What one API key may spend per window; 0: no limit on that budget. */
export interface RateLimitSettings {
  /** Requests per window (HTTP requests and subscribe operations). */
  requests: number;
  /** Cost points per window: each operation is charged its cost, computed before it runs. */
  cost: number;
  /** The window's length in seconds; a key's budgets are whole again when its window ends. */
  windowSeconds: number;
}

/** Bounds on database waits, in milliseconds (PostgreSQL enforces the first four on a server). */
export interface DatabaseTimeouts {
  /** `statement_timeout`: the longest one statement may run. */
  statementMs: number;
  /** `lock_timeout`: the longest a statement may wait for a lock (a lead's row held elsewhere). */
  lockMs: number;
  /** `idle_in_transaction_session_timeout`: a session idle inside a transaction this long is ended (its locks freed). */
  idleInTransactionMs: number;
  /**
   * `statement_timeout` and the idle bound inside the transactions of work over many leads at
   * once (a publish's rescore batches, a preview), which may legitimately run longer.
   */
  bulkStatementMs: number;
  /** The longest a request waits for a pooled connection (or for a new one to connect). */
  acquireMs: number;
}

export interface LeadGateSettings {
  /** Pooled connections the requests for one lead may hold at once. */
  connectionsPerLead: number;
  /** Requests for one lead that may wait (in memory, without a connection) beyond those. */
  queueLength: number;
  /** The longest one of them waits. */
  queueTimeoutMs: number;
}

/** How a signal stops the service (`main.ts`, `app/start-app.ts`). */
export interface ShutdownSettings {
  /**
   * Seconds between the signal and the listener closing: readiness answers 503 meanwhile, and
   * requests are served as usual, so a load balancer sees the instance leave before it goes.
   */
  graceSeconds: number;
  /** Seconds from the signal after which whatever is still open is cut off (exit code 2). */
  timeoutSeconds: number;
}

export interface Limits {
  /** Largest accepted HTTP body, in bytes. */
  bodyBytes: number;
  /** Most lexical tokens in one GraphQL document: parsing stops past them (the cheapest refusal of a huge document). */
  maxTokens: number;
  /** Deepest field nesting in one operation, fragments and introspection included. */
  maxDepth: number;
  /** Most aliases in one operation, fragments included. */
  maxAliases: number;
  /** Most field selections in one operation, fragments expanded. */
  maxFields: number;
  /** The largest cost of one operation, computed before it runs (`app/operation-cost.ts`). */
  maxCost: number;
  /** Largest `properties` / `attributes` object, in bytes of JSON. */
  maxJsonBytes: number;
}

export interface WebhookSettings {
  /** Destinations on private, loopback and link-local addresses allowed (tests, local setups). */
  allowPrivate: boolean;
  /** The first retry's delay; each next one doubles (up to an hour), with jitter. */
  retryBaseMs: number;
  /** How long a delivery is retried, from the event, before it is FAILED. */
  retryForMs: number;
  /** How long delivered and failed deliveries (and their payloads) are kept. */
  retentionMs: number;
  /** Deliveries of one webhook in flight at once, across instances. */
  concurrency: number;
  /** How often each instance looks for due deliveries regardless of news. */
  pollMs: number;
}

/** Webhooks' settings when none is set. */
export const DEFAULT_WEBHOOKS: WebhookSettings = {
  allowPrivate: false,
  retryBaseMs: 10_000,
  retryForMs: 24 * 3_600_000,
  retentionMs: 7 * 86_400_000,
  concurrency: 4,
  pollMs: 1000,
};

/** The cost budget of one operation by default (`QUALIFY_MAX_COST`; `app/operation-cost.ts` says how it is counted). */
export const DEFAULT_MAX_COST = 100_000;

/** Leads whose scoring state an instance keeps by default (`QUALIFY_WARM_LEADS`). */
export const DEFAULT_WARM_LEADS = 10_000;

/** The budgets of a key nobody set any for: far above what one integration sends (`QUALIFY_RATE_LIMIT_*`). */
export const DEFAULT_RATE_LIMITS: RateLimitSettings = { requests: 6000, cost: 1_000_000, windowSeconds: 60 };
/** The largest budget (settings and per key): PostgreSQL's store counts in a 32-bit integer. */
export const MAX_RATE_LIMIT_BUDGET = 1_000_000_000;
/** The longest window: a day. */
export const MAX_RATE_LIMIT_WINDOW_SECONDS = 86_400;

/** A setting that could not be read; the message names the variable. */
export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

/** Digits only: no spaces, signs, decimals, exponents or hex (every setting is 0 or more). */
const DIGITS = /^[0-9]+$/;

/**
 * Reads the settings from `env` (default: the process environment). Throws `ConfigError` listing
 * every invalid setting, each with its variable and what it accepts. A numeric or enumerated
 * setting that is set must be valid, even where it would not be used (`DATABASE_POOL_SIZE`
 * without `DATABASE_URL`), and set to the empty string it is invalid too: unset it for the default.
 */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined) return fallback;
    const value = DIGITS.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const oneOf = <T extends string>(name: string, fallback: T, allowed: readonly T[]): T => {
    const raw = env[name];
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      problems.push(`${name} must be one of ${allowed.join(", ")} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  };

  /** `forever`, or a duration: a whole number and a unit, s, m, h or d (`400d`). */
  const retention = (name: string, forever = true): number | null => {
    const raw = env[name];
    if (raw === undefined || (forever && raw === "forever")) return null;
    const match = /^([0-9]{1,6})(s|m|h|d)$/.exec(raw);
    const unit = match ? { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as "s" | "m" | "h" | "d"] : 0;
    if (!match || Number(match[1]) === 0) {
      problems.push(`${name} must be ${forever ? '"forever" or ' : ""}a duration such as 400d, 12h, 30m or 45s (got "${raw}")`);
      return null;
    }
    return Number(match[1]) * unit;
  };

  /** A duration (`24h`, `7d`, `90s`); `fallback` ms when unset. */
  const duration = (name: string, fallback: number): number => {
    return retention(name, false) ?? fallback;
  };

  const environment = env.NODE_ENV || "production";
  const url = env.DATABASE_URL || null;
  if (url !== null && !/^postgres(ql)?:\/\//.test(url)) {
    problems.push(`DATABASE_URL must be a postgres:// or postgresql:// URL (got "${url}")`);
  }
  // Read even when unused (embedded), so a wrong value is found before it is needed.
  const poolSize = int("DATABASE_POOL_SIZE", 10, 1, 1000);
  const rescoreWorkers = int("QUALIFY_RESCORE_WORKERS", 2, 1, 16);
  const database: DatabaseConfig = url
    ? { kind: "postgres", url, poolSize }
    : { kind: "embedded", dataDir: path.resolve(cwd, env.QUALIFY_DATA_DIR || ".data/pglite") };
  const pubsubSetting = oneOf("QUALIFY_PUBSUB", "auto", ["auto", "memory", "postgres"] as const);
  const pubsub: PubSubKind =
    pubsubSetting === "auto" ? (database.kind === "postgres" ? "postgres" : "memory") : pubsubSetting;
  if (pubsub === "postgres" && database.kind === "embedded") {
    problems.push("QUALIFY_PUBSUB=postgres needs DATABASE_URL (the embedded database is one process)");
  }
  const adminKey = env.QUALIFY_ADMIN_KEY || null;
  if (adminKey !== null && adminKey.length < 24) {
    problems.push("QUALIFY_ADMIN_KEY must be at least 24 characters");
  }
  const redisUrl = env.REDIS_URL || null;
  if (redisUrl !== null && !/^rediss?:\/\//.test(redisUrl)) {
    problems.push(`REDIS_URL must be a redis:// or rediss:// URL (got "${redisUrl}")`);
  }
  const metricsEnabled = oneOf("QUALIFY_METRICS", "on", ["on", "off"] as const) === "on";
  // GraphiQL needs introspection: on with it unless refused, and off by default without it.
  const graphiqlSetting = env.QUALIFY_GRAPHIQL === undefined ? null : oneOf("QUALIFY_GRAPHIQL", "off", ["on", "off"] as const) === "on";
  const introspectionSetting = env.QUALIFY_INTROSPECTION === undefined ? null : oneOf("QUALIFY_INTROSPECTION", "false", ["true", "false"] as const) === "true";
  if (graphiqlSetting === true && introspectionSetting === false) {
    problems.push("QUALIFY_GRAPHIQL=on needs introspection, which QUALIFY_INTROSPECTION=false turns off: set one of them differently");
  }
  const introspection = introspectionSetting ?? (environment === "development" || graphiqlSetting === true);
  const metricsPort = env.QUALIFY_METRICS_PORT ? int("QUALIFY_METRICS_PORT", 0, 0, 65535) : null;
  if (metricsPort !== null && !metricsEnabled) problems.push("QUALIFY_METRICS_PORT is set but QUALIFY_METRICS is off");
  const config: Config = {
    environment,
    isDevelopment: environment === "development",
    host: env.HOST || "127.0.0.1",
    port: int("PORT", 4000, 0, 65535),
    database,
    pubsub,
    adminKey,
    logLevel: oneOf("QUALIFY_LOG_LEVEL", "info", ["debug", "info", "warn", "error", "silent"] as const),
    logSqlParameters: oneOf("QUALIFY_LOG_SQL_PARAMETERS", "false", ["true", "false"] as const) === "true",
    metrics: { enabled: metricsEnabled, port: metricsPort },
    graphiql: graphiqlSetting ?? (environment === "development" && introspection),
    introspection,
    compiledQueries: oneOf("QUALIFY_COMPILED_QUERIES", "true", ["true", "false"] as const) === "true",
    v8Pretenuring: oneOf("QUALIFY_V8_PRETENURING", "off", ["off", "on"] as const) === "on",
    limits: {
      bodyBytes: int("QUALIFY_BODY_LIMIT_BYTES", 1024 * 1024, 1024, 100 * 1024 * 1024),
      maxTokens: int("QUALIFY_MAX_TOKENS", 20_000, 1000, 1_000_000),
      maxDepth: int("QUALIFY_MAX_DEPTH", 10, 2, 100),
      maxAliases: int("QUALIFY_MAX_ALIASES", 30, 0, 10_000),
      maxFields: int("QUALIFY_MAX_FIELDS", 1000, 10, 100_000),
      maxCost: int("QUALIFY_MAX_COST", DEFAULT_MAX_COST, 10, 100_000_000),
      maxJsonBytes: int("QUALIFY_MAX_JSON_BYTES", 16 * 1024, 256, 1024 * 1024),
    },
    // Expired points must leave scores within a minute.
    expirySweepSeconds: int("QUALIFY_EXPIRY_SWEEP_SECONDS", 15, 0, 60),
    scoreHistoryRetentionMs: retention("QUALIFY_SCORE_HISTORY_RETENTION"),
    rescoreWorkers: database.kind === "embedded" ? 1 : rescoreWorkers,
    warmLeads: int("QUALIFY_WARM_LEADS", DEFAULT_WARM_LEADS, 0, 1_000_000),
    databasePipelining: oneOf("QUALIFY_DB_PIPELINING", "true", ["true", "false"] as const) === "true",
    // Every wait is bounded: no setting turns a bound off (0 is refused).
    databaseTimeouts: {
      statementMs: int("QUALIFY_DB_STATEMENT_TIMEOUT_MS", 30_000, 10, 3_600_000),
      lockMs: int("QUALIFY_DB_LOCK_TIMEOUT_MS", 5_000, 10, 600_000),
      idleInTransactionMs: int("QUALIFY_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", 60_000, 100, 3_600_000),
      bulkStatementMs: int("QUALIFY_DB_BULK_STATEMENT_TIMEOUT_MS", 600_000, 10, 86_400_000),
      acquireMs: int("QUALIFY_DB_ACQUIRE_TIMEOUT_MS", 5_000, 10, 600_000),
    },
    leadGate: {
      connectionsPerLead: int("QUALIFY_MAX_CONNECTIONS_PER_LEAD", 2, 1, 1000),
      queueLength: int("QUALIFY_LEAD_QUEUE_LENGTH", 100, 0, 100_000),
      queueTimeoutMs: int("QUALIFY_LEAD_QUEUE_TIMEOUT_MS", 5_000, 10, 600_000),
    },
    shutdown: {
      graceSeconds: int("QUALIFY_SHUTDOWN_GRACE_SECONDS", 5, 0, 300),
      timeoutSeconds: int("QUALIFY_SHUTDOWN_TIMEOUT_SECONDS", 30, 1, 3600),
    },
    rateLimits: {
      requests: int("QUALIFY_RATE_LIMIT_REQUESTS", DEFAULT_RATE_LIMITS.requests, 0, MAX_RATE_LIMIT_BUDGET),
      cost: int("QUALIFY_RATE_LIMIT_COST", DEFAULT_RATE_LIMITS.cost, 0, MAX_RATE_LIMIT_BUDGET),
      windowSeconds: int("QUALIFY_RATE_LIMIT_WINDOW_SECONDS", DEFAULT_RATE_LIMITS.windowSeconds, 1, MAX_RATE_LIMIT_WINDOW_SECONDS),
    },
    redisUrl,
    webhooks: {
      allowPrivate: oneOf("QUALIFY_WEBHOOK_ALLOW_PRIVATE", "false", ["true", "false"] as const) === "true",
      retryBaseMs: int("QUALIFY_WEBHOOK_RETRY_BASE_MS", DEFAULT_WEBHOOKS.retryBaseMs, 10, 3_600_000),
      retryForMs: duration("QUALIFY_WEBHOOK_RETRY_FOR", DEFAULT_WEBHOOKS.retryForMs),
      retentionMs: duration("QUALIFY_WEBHOOK_RETENTION", DEFAULT_WEBHOOKS.retentionMs),
      concurrency: int("QUALIFY_WEBHOOK_CONCURRENCY", DEFAULT_WEBHOOKS.concurrency, 1, 64),
      pollMs: int("QUALIFY_WEBHOOK_POLL_MS", DEFAULT_WEBHOOKS.pollMs, 50, 60_000),
    },
  };
  const timeouts = config.databaseTimeouts;
  if (timeouts.lockMs >= timeouts.statementMs) {
    // PostgreSQL would end every lock wait as a statement timeout first.
    problems.push(`QUALIFY_DB_LOCK_TIMEOUT_MS (${timeouts.lockMs}) must be less than QUALIFY_DB_STATEMENT_TIMEOUT_MS (${timeouts.statementMs})`);
  }
  if (config.shutdown.timeoutSeconds <= config.shutdown.graceSeconds) {
    problems.push(
      `QUALIFY_SHUTDOWN_TIMEOUT_SECONDS (${config.shutdown.timeoutSeconds}) must be more than QUALIFY_SHUTDOWN_GRACE_SECONDS (${config.shutdown.graceSeconds}): requests need time to finish after the grace period`,
    );
  }
  if (config.metrics.port !== null && config.metrics.port !== 0 && config.metrics.port === config.port) {
    problems.push("QUALIFY_METRICS_PORT must differ from PORT (unset it to serve /metrics on the API's port)");
  }
  if (problems.length > 0) throw new ConfigError(`Invalid settings:\n  ${problems.join("\n  ")}`);
  return config;
}

/** A running service the `qualify keys` commands manage keys through (GraphQL), instead of the database. */
export interface RemoteService {
  /** `http://127.0.0.1:4000/graphql` */
  url: string;
  /** An admin API key of that service. */
  apiKey: string;
}

/**
 * `QUALIFY_URL` and `QUALIFY_API_KEY`, for the CLI: both set, the service at that URL; neither,
 * null (the commands open the database). Throws `ConfigError` when only one is set or the URL is
 * not an http(s) URL.
 */
export function loadRemoteService(env: Env = process.env): RemoteService | null {
  const url = env.QUALIFY_URL?.trim() || null;
  const apiKey = env.QUALIFY_API_KEY?.trim() || null;
  if (url === null && apiKey === null) return null;
  if (url === null || apiKey === null) {
    throw new ConfigError(`${url === null ? "QUALIFY_API_KEY" : "QUALIFY_URL"} is set but ${url === null ? "QUALIFY_URL" : "QUALIFY_API_KEY"} is not: set both to use a running service, or neither to use the database`);
  }
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    // reported below
  }
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    throw new ConfigError(`QUALIFY_URL must be the service's http(s) GraphQL URL, e.g. http://127.0.0.1:4000/graphql (got "${url}")`);
  }
  return { url, apiKey };
}
