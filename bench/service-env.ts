/**
 * The service benchmark's surroundings: throwaway databases on the real PostgreSQL server, the app
 * started in this process on a random port, a GraphQL client, and the run's size.
 *
 * The server is `DATABASE_URL` when set, else `postgres://postgres@127.0.0.1:5432/test` (trust
 * auth). Every database the run creates is named `qualify_bench_<random>…` and dropped at the end,
 * also when the run fails or is interrupted.
 */
import { randomBytes } from "node:crypto";
import { Client, Pool } from "pg";
import { loadConfig } from "../src/config";
import { createLogger } from "../src/logger";
import { type RunningApp, startApp } from "../src/app/start-app";
import type { Clock } from "../src/context";
import { graphqlData } from "./service-http";

/** Connections of the app's pool and of each baseline's pool: one per client of section (a). */
export const POOL_SIZE = 16;

/** `BENCH_SCALE` (default 1): multiplies every population and count, for short runs while developing. */
export function benchScale(): number {
  const raw = process.env.BENCH_SCALE;
  if (raw === undefined || raw === "") return 1;
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 1) throw new Error(`BENCH_SCALE must be a number in (0, 1] (got "${raw}")`);
  return scale;
}

const serverUrl = (): string => process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";

/** The server's URL with another database. */
function databaseUrl(name: string): string {
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

async function withServer<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl(), application_name: "qualify-bench" });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The throwaway databases of one run. */
export class BenchDatabases {
  private readonly prefix = `qualify_bench_${randomBytes(5).toString("hex")}`;
  private readonly created: string[] = [];

  /** Creates `<prefix>_<label>` (empty, or a copy of `template`, which must have no connections). */
  async create(label: string, template?: string): Promise<{ name: string; url: string }> {
    const name = `${this.prefix}_${label}`;
    await withServer((c) => c.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ""}`));
    this.created.push(name);
    return { name, url: databaseUrl(name) };
  }

  /** The server's version string and the settings that matter here. */
  async describeServer(): Promise<string> {
    return withServer(async (c) => {
      const { rows } = await c.query(
        `SELECT current_setting('server_version') AS version, current_setting('shared_buffers') AS shared_buffers,
                current_setting('work_mem') AS work_mem, current_setting('synchronous_commit') AS synchronous_commit`,
      );
      const r = rows[0];
      return `PostgreSQL ${r.version} (shared_buffers ${r.shared_buffers}, work_mem ${r.work_mem}, synchronous_commit ${r.synchronous_commit})`;
    });
  }

  /** Drops one database this run created (a section done with its data). */
  async drop(name: string): Promise<void> {
    const at = this.created.indexOf(name);
    if (at < 0) return;
    this.created.splice(at, 1);
    await withServer((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }

  /** Drops every database this run created; safe to call twice. */
  async dropAll(): Promise<void> {
    const names = this.created.splice(0);
    if (names.length === 0) return;
    await withServer(async (c) => {
      for (const name of names) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    });
  }
}

/** A pool of plain `pg` connections to `url` (the baselines' side). */
export const plainPool = (url: string, max = POOL_SIZE): Pool => new Pool({ connectionString: url, max, application_name: "qualify-bench-baseline" });

export interface BenchApp {
  app: RunningApp;
  url: string;
  /** An admin key: `QUALIFY_ADMIN_KEY` if set, else one made up for this run. */
  key: string;
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Starts the whole service in this process against `databaseUrl` (migrations run on start), on a
 * random port of 127.0.0.1, with a pool of `POOL_SIZE` connections and only errors logged
 * (`settings`: more environment, e.g. a section's `QUALIFY_WEBHOOK_*`; `clock`: the service's
 * time source, the system's by default).
 */
export async function startBenchApp(databaseUrl: string, settings: Record<string, string> = {}, clock?: Clock): Promise<BenchApp> {
  const key = process.env.QUALIFY_ADMIN_KEY || `bench-admin-${randomBytes(16).toString("hex")}`;
  const config = loadConfig({
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: "0",
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: String(POOL_SIZE),
    QUALIFY_ADMIN_KEY: key,
    QUALIFY_LOG_LEVEL: "error",
    // `schemaHas` asks the schema what it has (introspection is off by default in production).
    QUALIFY_INTROSPECTION: "true",
    ...settings,
  });
  const app = await startApp(config, createLogger(config.logLevel), { clock });
  return {
    app,
    url: app.url,
    key,
    request: <T>(query: string, variables: Record<string, unknown> = {}) => graphqlData<T>(app.url, key, query, variables),
    close: async () => void (await app.close()),
  };
}

/** Whether the running schema has `type.field` (features that land in steps are detected, not assumed). */
export async function schemaHas(app: BenchApp, type: string, field: string): Promise<boolean> {
  const data = await app.request<{ __type: { fields: Array<{ name: string }> } | null }>(
    `query Fields($type: String!) { __type(name: $type) { fields { name } } }`,
    { type },
  );
  return !!data.__type?.fields.some((f) => f.name === field);
}
