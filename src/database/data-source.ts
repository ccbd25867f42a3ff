/**
 * The TypeORM DataSource. Migrations run on start (`synchronize` is never used here), and every
 * SQL statement passes through `QueryCounter`, which tests use to prove there is no N+1.
 */
import type { Pool } from "pg";
import { DataSource, type DataSourceOptions, MigrationExecutor, type Logger as TypeOrmLogger } from "typeorm";
import type { DatabaseTimeouts } from "../config";
import { ENTITIES } from "../entities";
import { CallbackFirstClient } from "./pg-client";
import { MIGRATIONS } from "../entities/migrations";
import type { Logger } from "../logger";
import type { PoolUse } from "../metrics";
import { connectionBounds } from "./timeouts";
import { setTransactionMode } from "./transaction";

/** Counts SQL statements sent by this DataSource. */
export class QueryCounter {
  count = 0;
}

class SqlLogger implements TypeOrmLogger {
  constructor(
    private readonly logger: Logger,
    private readonly counter: QueryCounter,
    /** Parameter values hold emails and key hashes: logged only behind QUALIFY_LOG_SQL_PARAMETERS. */
    private readonly withParameters: boolean,
  ) {}
  logQuery(query: string, parameters?: unknown[]): void {
    this.counter.count++;
    this.logger.debug("sql", this.withParameters ? { query, parameters } : { query });
  }
  logQueryError(error: string | Error, query: string): void {
    // Expected failures (unique violations, serialization retries) are handled by callers.
    this.logger.debug("sql failed", { error: String(error), query });
  }
  logQuerySlow(time: number, query: string): void {
    this.logger.warn("slow sql", { ms: time, query });
  }
  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }
  logMigration(message: string): void {
    this.logger.info(message);
  }
  log(level: "log" | "info" | "warn", message: unknown): void {
    if (level === "warn") this.logger.warn(String(message));
    else this.logger.debug(String(message));
  }
}

export interface DatabaseHandle {
  dataSource: DataSource;
  queries: QueryCounter;
}

/**
 * The one description of Qualify's database for TypeORM: entities, migrations (never
 * `synchronize`), no uuid-ossp (PGlite has none). Used by the service and by `ormconfig.ts`.
 */
export function dataSourceOptions(url: string, poolSize: number, options: DatabaseOptions = {}): Extract<DataSourceOptions, { type: "postgres" }> {
  return {
    type: "postgres",
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    // Extensions are created by migrations; PGlite has no uuid-ossp.
    uuidExtension: "pgcrypto",
    installExtensions: false,
    extra: {
      // pg's client, given each promised query's callback up front (see pg-client.ts).
      Client: CallbackFirstClient,
      max: poolSize,
      application_name: "qualify",
      // Every connection carries the bounds on its waits (startup parameters; see timeouts.ts).
      ...(options.timeouts ? connectionBounds(options.timeouts) : {}),
      // On a shared session (the embedded database) the connection is kept, never closed when idle:
      // a new one would meet the session's state as the last one left it.
      ...(options.sharedSession ? { idleTimeoutMillis: 0 } : {}),
    },
  };
}

export interface DatabaseOptions {
  /** How `inTransaction` runs units of work (default true: pipelined; see `transaction.ts`). */
  pipelining?: boolean;
  /**
   * Every client connection shares one backend session (the embedded database: pglite-socket), so
   * prepared statements and session settings outlive the connection that made them.
   */
  sharedSession?: boolean;
  /** The bounds on every connection's waits (none: PostgreSQL's and pg-pool's defaults, unbounded). */
  timeouts?: DatabaseTimeouts;
  /** Debug `sql` entries include parameter values (default false: the statement text only). */
  logParameters?: boolean;
}

/** Connects to `url`, runs pending migrations and returns the DataSource. */
export async function openDatabase(url: string, poolSize: number, logger: Logger, options: DatabaseOptions = {}): Promise<DatabaseHandle> {
  const queries = new QueryCounter();
  const dataSource = new DataSource({
    ...dataSourceOptions(url, poolSize, options),
    maxQueryExecutionTime: 1000,
    logger: new SqlLogger(logger.child({ component: "sql" }), queries, options.logParameters === true),
  });
  setTransactionMode(dataSource, options.pipelining === false ? "public" : "pipelined");
  await dataSource.initialize();
  try {
    await runMigrations(dataSource);
  } catch (err) {
    await dataSource.destroy();
    throw err;
  }
  return { dataSource, queries };
}

/**
 * Runs the pending migrations, each in its own transaction, without the statement bound: a schema
 * change may take as long as its table needs. Its lock waits stay bounded, so a migration that
 * cannot get its table fails the start rather than queueing every write behind it.
 */
async function runMigrations(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner("master");
  try {
    await runner.query("SET statement_timeout = 0");
    const migrations = new MigrationExecutor(dataSource, runner);
    migrations.transaction = "each";
    await migrations.executePendingMigrations();
    // Back to the connection's own bound (its startup parameter) before the pool hands it out.
    await runner.query("RESET statement_timeout");
  } finally {
    await runner.release();
  }
}

/** The pg pool behind `dataSource` (TypeORM's PostgresDriver keeps it as `master`); null once closed. */
export function poolOf(dataSource: DataSource): Pool | null {
  const pool = (dataSource.driver as unknown as { master?: Pool }).master;
  return dataSource.isInitialized && pool ? pool : null;
}

/** The pg pool's use at this moment; null once closed. */
export function poolUse(dataSource: DataSource): PoolUse | null {
  const pool = poolOf(dataSource);
  if (!pool) return null;
  return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max ?? 10 };
}
