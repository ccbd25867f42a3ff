/**
 * The start-up order of the service: database (embedded or a server; migrations) → event bus →
 * services → the seed model on a new database → background jobs → the first admin key → schema →
 * HTTP. `close` undoes it in reverse, so that nothing a client was told happened is lost:
 *
 * 1. readiness answers 503 at once, while requests are served as usual for the grace period (a
 *    load balancer takes the instance out of rotation meanwhile); background jobs start stopping;
 * 2. the listener closes and every HTTP connection ends between requests: each request received
 *    gets its answer (`connection-drain.ts`);
 * 3. the background jobs have stopped at a safe point (a sweep or a rescore batch finishes);
 * 4. the event bus delivers every event published so far (to this instance's subscribers, and
 *    NOTIFYed to the others), then ends the local streams;
 * 5. each subscription sends what its stream held, then its connection closes with 1001;
 * 6. the database: the pool, then the embedded database.
 *
 * At the shutdown timeout (`QUALIFY_SHUTDOWN_TIMEOUT_SECONDS` after `close` began) connections
 * still open are cut off and what is still awaited is given up, and the database closes.
 */
import type { DataSource } from "typeorm";
import type { Config } from "../config";
import { type Caller, type Clock, type ServiceContext, systemClock } from "../context";
import { openDatabase, poolOf, poolUse, type QueryCounter } from "../database/data-source";
import { type EmbeddedDatabase, startEmbeddedDatabase } from "../database/embedded-database";
import { DomainError, domainErrorOf, toGraphQLError } from "../errors";
import { createMemoryEventBus, createPostgresEventBus, type EventBus } from "../events/event-bus";
import { errorFields, type Logger } from "../logger";
import { type Backlog, Metrics } from "../metrics";
import { createLoaders } from "../resolvers/loaders";
import type { RequestContext } from "../resolvers/request-context";
import { readBacklog } from "../scoring/backlog";
import { buildQualifySchema, buildUnguardedSchema } from "../schema/build-schema";
import { createServices, type ServiceEnvironment, type Services } from "../services";
import { keyFromAuthorization } from "../services/api-key.service";
import { beforeDeadline, pause } from "./deadline";
import { type HttpServer, startHttpServer } from "./http-server";
import { RateLimits } from "./rate-limits";

export interface RunningApp {
  /** `http://host:port/graphql` */
  url: string;
  /** `http://host:port/metrics`; null when metrics are off (or without HTTP). */
  metricsUrl: string | null;
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
  /** Stops the service (the steps in this module's comment); a second call gets the first's outcome. */
  close(options?: CloseOptions): Promise<CloseOutcome>;
}

export interface CloseOptions {
  /** How long readiness answers 503 while requests are still served, before the listener closes (default 0). */
  graceMs?: number;
}

export interface CloseOutcome {
  /** Whether the shutdown timeout passed: what was still open then was cut off or given up. */
  timedOut: boolean;
  /** HTTP connections and subscription connections still open at the timeout, destroyed. */
  cutOff: number;
}

export interface AppOptions {
  clock?: Clock;
  /** Don't listen on HTTP, and run no background job (CLI commands that only need the services). */
  noHttp?: boolean;
}

/** Starts the service as configured; resolves once it accepts requests. */
export async function startApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<RunningApp> {
  const clock = options.clock ?? systemClock;
  // What start-up has made so far; `close` stops what is there, in reverse.
  const started: Started = { database: [], events: null, stopJobs: null, server: null };
  let closing: Promise<CloseOutcome> | null = null;
  const close = (closeOptions: CloseOptions = {}) => (closing ??= stop(started, config, logger, closeOptions.graceMs ?? 0));
  try {
    const { url, poolSize, sharedSession } = await database(config, logger, started.database);
    const { dataSource, queries } = await openDatabase(url, poolSize, logger, {
      pipelining: config.databasePipelining,
      sharedSession,
      timeouts: config.databaseTimeouts,
      logParameters: config.logSqlParameters,
    });
    started.database.push(async () => {
      await dataSource.destroy();
      logger.debug("closed database connections");
    });
    const events: EventBus =
      config.pubsub === "postgres" ? await createPostgresEventBus(url, logger, config.databaseTimeouts) : createMemoryEventBus(logger);
    started.events = events;
    const context = (caller: Caller | null): ServiceContext => ({ caller, db: dataSource.manager, clock, logger });
    const metrics = new Metrics();
    const environment: ServiceEnvironment = { events, logger, metrics, context: () => context(null) };
    const services = createServices(config, environment);
    // First start on an empty database: the seed model becomes version 1, so scoring starts at once.
    await services.models.ensureDefault(context(null));
    // Before the first write: which events webhooks hear.
    await services.webhookOutbox.refresh();
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

    started.stopJobs = startBackgroundJobs(services);
    watchDatabase(metrics, logger, dataSource, () => readBacklog(context(null)), services);
    if (!config.adminKey && !(await services.apiKeys.anyActive(context(null)))) {
      app.firstAdminKey = (await services.apiKeys.create(context(null), "admin (first start)", ["admin"])).key;
    }
    const authenticate = async (authorization: unknown): Promise<Caller | null> =>
      services.apiKeys.authenticate(context(null), keyFromAuthorization(authorization)).catch((err: unknown) => {
        // Before any resolver runs, the HTTP status comes from the error thrown (503 for a bound hit).
        const domain = domainErrorOf(err);
        throw domain ? toGraphQLError(domain) : err;
      });
    // One shape for every request's context: a literal, not a spread of `context(caller)` (a spread
    // made each request's context a hidden class of its own: docs/architecture.md, "Memory").
    const contextFor = (caller: Caller): RequestContext => ({
      caller,
      db: dataSource.manager,
      clock,
      logger,
      loaders: createLoaders(dataSource.manager, clock, services.modelVersions),
      services,
    });
    const requestContext = async (authorization: unknown): Promise<RequestContext> => {
      const caller = await authenticate(authorization);
      if (!caller) throw toGraphQLError(new DomainError("UNAUTHENTICATED", "A valid API key is required"));
      return contextFor(caller);
    };
    const rateLimits = await RateLimits.create(config, logger, poolOf(dataSource));
    // Closed before the pool (the steps run in reverse): its Redis connection, if any.
    started.database.push(() => rateLimits.close());
    const limits = { maxJsonBytes: config.limits.maxJsonBytes };
    const server = await startHttpServer({
      config,
      logger,
      schema: await buildQualifySchema(events.local, limits),
      unguardedSchema: await buildUnguardedSchema(events.local, limits),
      authenticate,
      contextFor,
      requestContext,
      rateLimits,
      stillValid: async (authorization) => (await services.apiKeys.authenticate(context(null), keyFromAuthorization(authorization))) !== null,
      ready: async () => void (await dataSource.query("SELECT 1")),
      metrics,
    });
    started.server = server;
    return Object.assign(app, { port: server.port, url: server.url, metricsUrl: server.metricsUrl });
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

interface Started {
  /** Closes the pool, then the embedded database (in reverse of this order). */
  database: Array<() => Promise<void>>;
  events: EventBus | null;
  /** Stops the background jobs at a safe point. */
  stopJobs: (() => Promise<void>) | null;
  server: HttpServer | null;
}

/** The steps of this module's comment, each bounded by the shutdown timeout. */
async function stop(started: Started, config: Config, logger: Logger, graceMs: number): Promise<CloseOutcome> {
  const { server, events, stopJobs } = started;
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), config.shutdown.timeoutSeconds * 1000);
  const deadline = timeout.signal;
  // How long each step took, for the last log entry.
  const ms: Record<string, number> = {};
  let last = Date.now();
  const took = (step: string) => {
    const now = Date.now();
    ms[step] = now - last;
    last = now;
  };
  const gaveUp = (what: string) => (done: boolean) => {
    if (!done) logger.warn(`shutdown timeout: stopped waiting for ${what}`);
  };
  let cutOff = 0;
  try {
    server?.stopping();
    const jobsStopped = stopJobs?.();
    if (server) {
      if (graceMs > 0) {
        logger.info("readiness answers 503; serving as usual until the grace period ends", { graceMs });
        await pause(graceMs, deadline);
        took("grace");
      }
      logger.info("listener closed; answering the requests received");
      cutOff += await server.drainRequests(deadline);
      took("requests");
    }
    if (jobsStopped) gaveUp("the background jobs")(await beforeDeadline(jobsStopped, deadline));
    took("jobs");
    if (events) gaveUp("the event bus to deliver the last events")(await beforeDeadline(events.close(), deadline));
    took("events");
    if (server) {
      cutOff += await server.closeSubscriptions(deadline);
      await server.close();
      took("subscriptions");
    }
    for (const step of started.database.splice(0).reverse()) await step();
    took("database");
    if (cutOff > 0) logger.error("shutdown timeout: connections cut off", { connections: cutOff, timeoutSeconds: config.shutdown.timeoutSeconds });
    if (server) logger.info("stopped", { ms });
    return { timedOut: deadline.aborted, cutOff };
  } finally {
    clearTimeout(timer);
  }
}

/** The database to connect to: the server configured, or an embedded one started here. */
async function database(
  config: Config,
  logger: Logger,
  closing: Array<() => Promise<void>>,
): Promise<{ url: string; poolSize: number; sharedSession: boolean }> {
  if (config.database.kind === "postgres") {
    const shared = config.database.embedded === true;
    return { url: config.database.url, poolSize: shared ? 1 : config.database.poolSize, sharedSession: shared };
  }
  const embedded: EmbeddedDatabase = await startEmbeddedDatabase(config.database.dataDir);
  closing.push(async () => {
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
 * points are swept, and score history past its retention deleted. Returns how to stop them at a safe point.
 */
function startBackgroundJobs(services: Services): () => Promise<void> {
  services.backgroundRescore.enable();
  services.sweeper.start();
  services.historyRetention.start();
  services.webhookDispatcher.start();
  return async () => {
    await Promise.all([services.sweeper.stop(), services.historyRetention.stop(), services.backgroundRescore.stop(), services.webhookDispatcher.stop()]);
  };
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
