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
  limits: Limits;
  /** How often each instance takes expired points out of scores, in seconds (0: never). */
  expirySweepSeconds: number;
  /** Batches a publish rescores at once, each on its own connection (1 with the embedded database). */
  rescoreWorkers: number;
  /** Leads whose scoring state (history and ledger) each instance keeps for their next batch; 0: none. */
  warmLeads: number;
  /**
   * Transactions pipeline their statements (fewer round trips; `database/pg-pipeline.ts`), or use
   * TypeORM's public transaction API (`false`: slower, independent of driver internals).
   */
  databasePipelining: boolean;
}

export interface Limits {
  /** Largest accepted HTTP body, in bytes. */
  bodyBytes: number;
  /** Deepest field nesting in one operation, fragments included (introspection not counted). */
  maxDepth: number;
  /** Most aliases in one operation, fragments included. */
  maxAliases: number;
  /** Most field selections in one operation, fragments expanded. */
  maxFields: number;
  /** Largest `properties` / `attributes` object, in bytes of JSON. */
  maxJsonBytes: number;
}

/** Leads whose scoring state an instance keeps by default (`QUALIFY_WARM_LEADS`). */
export const DEFAULT_WARM_LEADS = 10_000;

/** A setting that could not be read; the message names the variable. */
export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

/** Reads the settings from `env` (default: the process environment). Throws `ConfigError`. */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const oneOf = <T extends string>(name: string, fallback: T, allowed: readonly T[]): T => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      problems.push(`${name} must be one of ${allowed.join(", ")} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  };

  const environment = env.NODE_ENV || "production";
  const url = env.DATABASE_URL || null;
  const database: DatabaseConfig = url
    ? { kind: "postgres", url, poolSize: int("DATABASE_POOL_SIZE", 10, 1, 1000) }
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
  const metricsEnabled = oneOf("QUALIFY_METRICS", "on", ["on", "off"] as const) === "on";
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
    graphiql: oneOf("QUALIFY_GRAPHIQL", environment === "development" ? "on" : "off", ["on", "off"] as const) === "on",
    limits: {
      bodyBytes: int("QUALIFY_BODY_LIMIT_BYTES", 1024 * 1024, 1024, 100 * 1024 * 1024),
      maxDepth: int("QUALIFY_MAX_DEPTH", 10, 2, 100),
      maxAliases: int("QUALIFY_MAX_ALIASES", 30, 0, 10_000),
      maxFields: int("QUALIFY_MAX_FIELDS", 1000, 10, 100_000),
      maxJsonBytes: int("QUALIFY_MAX_JSON_BYTES", 16 * 1024, 256, 1024 * 1024),
    },
    // Expired points must leave scores within a minute.
    expirySweepSeconds: int("QUALIFY_EXPIRY_SWEEP_SECONDS", 15, 0, 60),
    rescoreWorkers: database.kind === "embedded" ? 1 : int("QUALIFY_RESCORE_WORKERS", 2, 1, 16),
    warmLeads: int("QUALIFY_WARM_LEADS", DEFAULT_WARM_LEADS, 0, 1_000_000),
    databasePipelining: oneOf("QUALIFY_DB_PIPELINING", "true", ["true", "false"] as const) === "true",
  };
  if (config.metrics.port !== null && config.metrics.port !== 0 && config.metrics.port === config.port) {
    problems.push("QUALIFY_METRICS_PORT must differ from PORT (unset it to serve /metrics on the API's port)");
  }
  if (problems.length > 0) throw new ConfigError(`Invalid settings:\n  ${problems.join("\n  ")}`);
  return config;
}
