/**
 * Boots the whole service in this jest worker on a random port, against the database the jest
 * project selects (`globals.QUALIFY_TEST_DATABASE`):
 * - `embedded`: a fresh in-memory PGlite from the broker started in globalSetup;
 * - `postgres`: a throwaway database `qualify_test_<random>` on the real server, dropped after.
 */
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { type Config, loadConfig } from "../../../src/config";
import type { Scope } from "../../../src/entities/api-key.entity";
import { createLogger } from "../../../src/logger";
import { type RunningApp, startApp } from "../../../src/app/start-app";
import { GraphQLTestClient } from "./graphql-client";

export type TestDatabase = "embedded" | "postgres";

export const testDatabase = (): TestDatabase =>
  ((globalThis as Record<string, unknown>).QUALIFY_TEST_DATABASE as TestDatabase | undefined) ?? "embedded";

const POSTGRES_ADMIN_URL = process.env.QUALIFY_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface ProvisionedDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh database of `kind` for one suite (embedded: from the broker of globalSetup); `drop` removes it. */
export async function provision(kind: TestDatabase): Promise<ProvisionedDatabase> {
  if (kind === "embedded") {
    const broker = process.env.QUALIFY_TEST_PGLITE_BROKER;
    if (!broker) throw new Error("QUALIFY_TEST_PGLITE_BROKER is not set: run the tests through jest's globalSetup");
    // One retry: the broker shares the jest main process with every embedded database, and a busy
    // moment there can drop a request (an extra database made by a retry is harmless).
    const res = await fetch(`${broker}/databases`, { method: "POST" }).catch(() => fetch(`${broker}/databases`, { method: "POST" }));
    const { id, url, error } = (await res.json()) as { id: string; url: string; error?: string };
    if (!res.ok) throw new Error(`could not start an embedded database: ${error}`);
    return { url, drop: async () => void (await fetch(`${broker}/databases/${id}`, { method: "DELETE" })) };
  }
  const name = `qualify_test_${randomBytes(6).toString("hex")}`;
  const admin = new Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export interface TestApp {
  app: RunningApp;
  database: TestDatabase;
  config: Config;
  /**
   * A client holding an admin key: the QUALIFY_ADMIN_KEY, or (when `env` sets QUALIFY_ADMIN_KEY
   * to "", i.e. none) the admin key generated on the first start.
   */
  admin: GraphQLTestClient;
  /** A client holding a new key with exactly these scopes. */
  client(scopes: Scope[]): Promise<GraphQLTestClient>;
  /** Stops the service and starts it again on the same database with `env` (as a restart with other settings). */
  restart(env?: Record<string, string>): Promise<void>;
  /**
   * A second instance of the service on the same database (its own HTTP server, pool and key
   * cache), with `env`'s settings; close its `app` after use. PostgreSQL only: the embedded
   * database is one process.
   */
  another(env?: Record<string, string>): Promise<{ app: RunningApp; admin: GraphQLTestClient }>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Receives the service's log lines (JSON) at `QUALIFY_LOG_LEVEL` (silent unless `env` says otherwise). */
  log?: (line: string) => void;
}

/** Boots the service on `url` with `env`; the admin key is a random QUALIFY_ADMIN_KEY unless `env` names one ("": none). */
async function boot(database: TestDatabase, url: string, env: Record<string, string>, options: TestAppOptions = {}) {
  const adminKey = "QUALIFY_ADMIN_KEY" in env ? env.QUALIFY_ADMIN_KEY : `test-admin-${randomBytes(16).toString("hex")}`;
  const loaded = loadConfig({ NODE_ENV: "test", QUALIFY_LOG_LEVEL: "silent", PORT: "0", ...env, DATABASE_URL: url, QUALIFY_ADMIN_KEY: adminKey });
  const config: Config = {
    ...loaded,
    // DATABASE_POOL_SIZE in `env` as a server would take it (the embedded database always uses one).
    database: { kind: "postgres", url, poolSize: loaded.database.kind === "postgres" ? loaded.database.poolSize : 10, embedded: database === "embedded" },
    pubsub: database === "embedded" ? "memory" : "postgres",
  };
  const app = await startApp(config, createLogger(config.logLevel, { write: options.log, secrets: adminKey ? [adminKey] : [] }));
  return { app, config, admin: new GraphQLTestClient(app.url, adminKey || app.firstAdminKey) };
}

/** Starts the service for one suite. `env` adds settings (as environment variables would). */
export async function startTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const database = testDatabase();
  const provisioned = await provision(database);
  const running = await boot(database, provisioned.url, env, options).catch(async (err: unknown) => {
    await provisioned.drop();
    throw err;
  });
  const testApp: TestApp = {
    ...running,
    database,
    async client(scopes) {
      const { key } = await testApp.app.services.apiKeys.create(testApp.app.context(null), `test ${scopes.join(",")}`, scopes);
      return new GraphQLTestClient(testApp.app.url, key);
    },
    async restart(newEnv = {}) {
      await testApp.app.close();
      Object.assign(testApp, await boot(database, provisioned.url, newEnv, options));
    },
    async another(env = {}) {
      if (database === "embedded") throw new Error("the embedded database serves one instance");
      return boot(database, provisioned.url, env, options);
    },
    async close() {
      await testApp.app.close();
      await provisioned.drop();
    },
  };
  return testApp;
}

/** A unique email for a test, so tests in one suite never see each other's leads by accident. */
export const uniqueEmail = (label = "lead"): string => `${label}-${randomBytes(5).toString("hex")}@example.com`;

/** The service of one suite: started before its tests, stopped after them. */
export interface SuiteApp {
  /** The running service and its database (throws before `beforeAll` has run). */
  readonly t: TestApp;
  /** A client holding the admin key from the environment. */
  readonly api: GraphQLTestClient;
}

/** Boots the service for the enclosing `describe` (in `beforeAll`, so declare it first) and stops it after. */
export function useTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}): SuiteApp {
  let current: TestApp | null = null;
  beforeAll(async () => {
    current = await startTestApp(env, options);
  });
  afterAll(() => current?.close());
  const started = (): TestApp => {
    if (!current) throw new Error("the suite's service has not started yet");
    return current;
  };
  return {
    get t() {
      return started();
    },
    get api() {
      return started().admin;
    },
  };
}
