/**
 * The start-up order of the service: database (embedded or a server; migrations) → event bus →
 * services → the seed model on a new database → background jobs → the first admin key → schema →
 * HTTP. `close` undoes it in reverse.
 */
import type { DataSource } from "typeorm";
import type { Config } from "../config";
import { type Caller, type Clock, type ServiceContext, systemClock } from "../context";
import { openDatabase, poolUse, type QueryCounter } from "../database/data-source";
import { type EmbeddedDatabase, startEmbeddedDatabase } from "../database/embedded-database";
import { DomainError, toGraphQLError } from "../errors";
import { createMemoryEventBus, createPostgresEventBus, type EventBus } from "../events/event-bus";
import { errorFields, type Logger } from "../logger";
import { type Backlog, Metrics } from "../metrics";
import { createLoaders } from "../resolvers/loaders";
import type { RequestContext } from "../resolvers/request-context";
import { buildQualifySchema } from "../schema/build-schema";
import { readBacklog } from "../scoring/backlog";
import { createServices, type ServiceEnvironment, type Services } from "../services";
import { keyFromAuthorization } from "../services/api-key.service";
import { startHttpServer } from "./http-server";

export interface RunningApp {
  /** `http://host:port/graphql` */
  url: string;
  port: number;
  /** `http://host:port/metrics`; null when metrics are off (or without HTTP). */
  metricsUrl: string | null;
  services: Services;
  /** Every SQL statement the service sends is counted here. */
  queries: QueryCounter;
  /** The admin key generated when the server first starts (no key stored, no QUALIFY_ADMIN_KEY). */
  firstAdminKey: string | null;
  /** A context for work outside a request (demo data, CLI). */
  context(caller: Caller | null): ServiceContext;
  /** The services of another instance on the same database and event bus (tests), with `overrides`. */
  anotherInstance(overrides: Pick<ServiceEnvironment, "warmLedgers">): Services;
  close(): Promise<void>;
}

export interface AppOptions {
  clock?: Clock;
  /** Don't listen on HTTP, and run no background job (CLI commands that only need the services). */
  noHttp?: boolean;
}

/** Starts the service as configured; resolves once it accepts requests. */
export async function startApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<RunningApp> {
  const clock = options.clock ?? systemClock;
  const shutdown: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const step of shutdown.splice(0).reverse()) await step();
  };
  try {
    const { url, poolSize, sharedSession } = await database(config, logger, shutdown);
    const { dataSource, queries } = await openDatabase(url, poolSize, logger, {
      pipelining: config.databasePipelining,
      sharedSession,
      logParameters: config.logSqlParameters,
    });
    shutdown.push(async () => {
      await dataSource.destroy();
      logger.debug("closed database connections");
    });
    const events: EventBus = config.pubsub === "postgres" ? await createPostgresEventBus(url, logger) : createMemoryEventBus();
    shutdown.push(() => events.close());
    const context = (caller: Caller | null): ServiceContext => ({ caller, db: dataSource.manager, clock, logger });
    const metrics = new Metrics();
    const environment: ServiceEnvironment = { events, logger, metrics, context: () => context(null) };
    const services = createServices(config, environment);
    // First start on an empty database: the seed model becomes version 1, so scoring starts at once.
    await services.models.ensureDefault(context(null));
    const app: RunningApp = {
      url: "",
      port: 0,
      metricsUrl: null,
      services,
      queries,
      firstAdminKey: null,
      context,
      anotherInstance: (overrides) => createServices(config, { ...environment, ...overrides }),
      close,
    };
    if (options.noHttp) return app;

    startBackgroundJobs(services, shutdown);
    watchDatabase(metrics, logger, dataSource, () => readBacklog(context(null)), services);
    if (!config.adminKey && !(await services.apiKeys.anyActive(context(null)))) {
      app.firstAdminKey = (await services.apiKeys.create(context(null), "admin (first start)", ["admin"])).key;
    }
    const requestContext = async (authorization: unknown): Promise<RequestContext> => {
      const base = context(null);
      const caller = await services.apiKeys.authenticate(base, keyFromAuthorization(authorization));
      if (!caller) throw toGraphQLError(new DomainError("UNAUTHENTICATED", "A valid API key is required"));
      return { ...base, caller, loaders: createLoaders(dataSource.manager, clock), services };
    };
    const server = await startHttpServer({
      config,
      logger,
      schema: await buildQualifySchema(events.local),
      requestContext,
      stillValid: async (authorization) => (await services.apiKeys.authenticate(context(null), keyFromAuthorization(authorization))) !== null,
      ready: async () => void (await dataSource.query("SELECT 1")),
      metrics,
    });
    shutdown.push(() => server.close());
    return Object.assign(app, { port: server.port, url: server.url, metricsUrl: server.metricsUrl });
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

/** The database to connect to: the server configured, or an embedded one started here. */
async function database(
  config: Config,
  logger: Logger,
  shutdown: Array<() => Promise<void>>,
): Promise<{ url: string; poolSize: number; sharedSession: boolean }> {
  if (config.database.kind === "postgres") {
    const shared = config.database.embedded === true;
    return { url: config.database.url, poolSize: shared ? 1 : config.database.poolSize, sharedSession: shared };
  }
  const embedded: EmbeddedDatabase = await startEmbeddedDatabase(config.database.dataDir);
  shutdown.push(async () => {
    await embedded.close();
    logger.debug("stopped embedded database");
  });
  logger.info("embedded database started", { dataDir: config.database.dataDir });
  // One backend session for every connection (pglite-socket): one connection, kept.
  return { url: embedded.url, poolSize: 1, sharedSession: true };
}

/**
 * Leads still below the active version (a rescore an earlier process did not finish, data from
 * before scoring, a publish whose rescore stopped) are rescored in the background, and expired
 * points are swept; both stop at a safe point on close.
 */
function startBackgroundJobs(services: Services, shutdown: Array<() => Promise<void>>): void {
  services.backgroundRescore.enable();
  services.sweeper.start();
  shutdown.push(async () => {
    await services.sweeper.stop();
    await services.backgroundRescore.stop();
  });
}

/** What the metrics read at each scrape: the pool, the backlogs in the database, this process's last sweep. */
function watchDatabase(
  metrics: Metrics,
  logger: Logger,
  dataSource: DataSource,
  backlog: () => Promise<Backlog>,
  services: Services,
): void {
  metrics.watchPool(() => poolUse(dataSource));
  metrics.watchBacklog(() =>
    backlog().catch((err: unknown) => {
      logger.warn("metrics: could not read the backlog", errorFields(err));
      throw err;
    }),
  );
  metrics.watch(
    "qualify_expiry_last_sweep_timestamp_seconds",
    "When this process last finished an expiry sweep (Unix time); absent before its first",
    () => (services.sweeper.lastSweptAt ? services.sweeper.lastSweptAt.getTime() / 1000 : null),
  );
}
