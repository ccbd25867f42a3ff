/**
 * The start-up order of the service: database (embedded or a server; migrations) → event bus →
 * services → the seed model on a new database → background jobs → the first admin key → schema →
 * HTTP. `close` undoes it in reverse.
 */
import type { Config } from "../config";
import { type Caller, type Clock, type ServiceContext, systemClock } from "../context";
import { openDatabase, type QueryCounter } from "../database/data-source";
import { type EmbeddedDatabase, startEmbeddedDatabase } from "../database/embedded-database";
import { DomainError, toGraphQLError } from "../errors";
import { createMemoryEventBus, createPostgresEventBus, type EventBus } from "../events/event-bus";
import type { Logger } from "../logger";
import { createLoaders } from "../resolvers/loaders";
import type { RequestContext } from "../resolvers/request-context";
import { buildQualifySchema } from "../schema/build-schema";
import { createServices, type ServiceEnvironment, type Services } from "../services";
import { keyFromAuthorization } from "../services/api-key.service";
import { startHttpServer } from "./http-server";

export interface RunningApp {
  /** `http://host:port/graphql` */
  url: string;
  port: number;
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
    const environment: ServiceEnvironment = { events, logger, context: () => context(null) };
    const services = createServices(config, environment);
    // First start on an empty database: the seed model becomes version 1, so scoring starts at once.
    await services.models.ensureDefault(context(null));
    const app: RunningApp = {
      url: "",
      port: 0,
      services,
      queries,
      firstAdminKey: null,
      context,
      anotherInstance: (overrides) => createServices(config, { ...environment, ...overrides }),
      close,
    };
    if (options.noHttp) return app;

    startBackgroundJobs(services, shutdown);
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
    });
    shutdown.push(() => server.close());
    return Object.assign(app, { port: server.port, url: server.url });
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
