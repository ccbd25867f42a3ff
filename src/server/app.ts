/**
 * Assembles the service: database (embedded or a server) → migrations → services → schema →
 * HTTP (Apollo over express, graphql-ws on the same port and path, health endpoints).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { expressMiddleware } from "@as-integrations/express5";
import express from "express";
import { type GraphQLError, type GraphQLSchema, parse, specifiedRules, validate } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import type { Config } from "../config";
import { type Caller, type Clock, hasScope, type RequestContext, type ServiceContext, systemClock } from "../context";
import { openDatabase, type QueryCounter } from "../database/data-source";
import { type EmbeddedDatabase, startEmbeddedDatabase } from "../database/embedded-database";
import { createErrorFormatter, DomainError, toGraphQLError } from "../errors";
import type { Logger } from "../logger";
import { createLoaders } from "../resolvers/loaders";
import { buildQualifySchema } from "../schema/build-schema";
import { createServices, type Services } from "../services";
import { keyFromAuthorization } from "../services/api-key.service";
import { createMemoryEventBus, createPostgresEventBus } from "../services/event-bus";
import { ExpirySweeper } from "../services/expiry-sweeper";
import { BackgroundRescore } from "../services/background-rescore";
import { operationLimitsRule } from "./operation-limits.rule";

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
  /** Takes expired points out of scores (on an interval when serving HTTP; tests call `sweepOnce`). */
  sweeper: ExpirySweeper;
  close(): Promise<void>;
}

export interface AppOptions {
  clock?: Clock;
  /** Don't listen on HTTP (CLI commands that only need the services). */
  noHttp?: boolean;
}

const GRAPHQL_PATH = "/graphql";

/** Starts the service as configured; resolves once it accepts requests. */
export async function startApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<RunningApp> {
  const clock = options.clock ?? systemClock;
  let embedded: EmbeddedDatabase | null = null;
  let url: string;
  let poolSize: number;
  if (config.database.kind === "embedded") {
    embedded = await startEmbeddedDatabase(config.database.dataDir);
    url = embedded.url;
    poolSize = 1;
    logger.info("embedded database started", { dataDir: config.database.dataDir });
  } else {
    url = config.database.url;
    poolSize = config.database.embedded ? 1 : config.database.poolSize;
  }
  const { dataSource, queries } = await openDatabase(url, poolSize, logger);
  const events = config.pubsub === "postgres" ? await createPostgresEventBus(url, logger) : createMemoryEventBus();
  const services = createServices(config, events);
  const serviceContext = (caller: Caller | null): ServiceContext => ({
    caller,
    db: dataSource.manager,
    clock,
    logger,
    services,
  });
  // First start on an empty database: the seed model becomes version 1, so scoring starts at once.
  await services.models.ensureDefault(serviceContext(null));
  const sweeper = new ExpirySweeper(() => serviceContext(null), config.expirySweepSeconds * 1000, logger.child({ component: "expiry" }));

  const shutdown: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const step of shutdown.reverse()) await step();
    logger.debug("stopped HTTP");
    await events.close();
    await dataSource.destroy();
    logger.debug("closed database connections");
    await embedded?.close();
    logger.debug("stopped embedded database");
  };
  const app: RunningApp = { url: "", port: 0, services, queries, firstAdminKey: null, context: serviceContext, sweeper, close };
  if (options.noHttp) return app;

  // Leads still below the active version (a rescore an earlier process did not finish, or data
  // from before scoring, or a publish whose rescore stopped) are rescored in the background;
  // writes meanwhile replay them themselves.
  const rescorer = new BackgroundRescore(() => serviceContext(null), config.rescoreWorkers, logger.child({ component: "rescore" }));
  services.models.resumeRescore = () => rescorer.start();
  rescorer.start();
  sweeper.start();
  shutdown.push(async () => {
    services.models.resumeRescore = null;
    await sweeper.stop();
    await rescorer.stop();
  });

  if (!config.adminKey && !(await services.apiKeys.anyActive(serviceContext(null)))) {
    app.firstAdminKey = (await services.apiKeys.create(serviceContext(null), "admin (first start)", ["admin"])).key;
  }

  const schema = await buildQualifySchema(events.local);
  const requestContext = async (authorization: unknown): Promise<RequestContext> => {
    const base = serviceContext(null);
    const caller = await services.apiKeys.authenticate(base, keyFromAuthorization(authorization));
    if (!caller) throw toGraphQLError(new DomainError("UNAUTHENTICATED", "A valid API key is required"));
    return { ...base, caller, loaders: createLoaders(dataSource.manager, clock) };
  };
  const formatError = createErrorFormatter(logger, config.isDevelopment);
  const limitsRule = operationLimitsRule(config.limits);

  const expressApp = express();
  expressApp.disable("x-powered-by");
  const httpServer = http.createServer(expressApp);
  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH, maxPayload: config.limits.bodyBytes });
  const stillValid = async (authorization: unknown) => (await services.apiKeys.authenticate(serviceContext(null), keyFromAuthorization(authorization))) !== null;
  const wsHandle = serveSubscriptions(wsServer, schema, { requestContext, stillValid }, limitsRule, formatError);
  shutdown.push(async () => {
    await wsHandle.dispose();
  });

  const apollo = new ApolloServer<RequestContext>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: config.isDevelopment,
    validationRules: [limitsRule],
    introspection: true,
    // main.ts owns the signals and stops everything in order (Apollo's own handler would race it).
    stopOnTerminationSignals: false,
    // No cache hints are used, so every response is uncacheable: the header says so directly, rather
    // than the cache-control plugin computing a policy for every resolved field (it would set the same).
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginCacheControlDisabled(), noStore],
  });
  await apollo.start();
  shutdown.push(() => apollo.stop());

  expressApp.get("/health/live", (_req, res) => {
    res.json({ status: "ok" });
  });
  expressApp.get("/health/ready", async (_req, res) => {
    try {
      await dataSource.query("SELECT 1");
      res.json({ status: "ok" });
    } catch {
      res.status(503).json({ status: "unavailable" });
    }
  });
  expressApp.use(
    GRAPHQL_PATH,
    express.json({ limit: config.limits.bodyBytes }),
    expressMiddleware(apollo, { context: ({ req }) => requestContext(req.headers.authorization) }),
  );
  expressApp.use(bodyErrorHandler(logger));

  await new Promise<void>((resolve) => httpServer.listen(config.port, config.host, resolve));
  const { port } = httpServer.address() as AddressInfo;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  app.port = port;
  app.url = `http://${host}:${port}${GRAPHQL_PATH}`;
  return app;
}

/** `cache-control: no-store` on every GraphQL response over HTTP. */
const noStore: ApolloServerPlugin<RequestContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (!response.http.headers.has("cache-control")) response.http.headers.set("cache-control", "no-store");
      },
    };
  },
};

/** How often open subscriptions' keys are checked again (besides before every event). */
const SUBSCRIPTION_KEY_CHECK_MS = 5000;
/** The close code of a connection whose key was revoked (graphql-ws uses 4403 for Forbidden). */
const KEY_REVOKED_CLOSE = 4403;

interface SubscriptionAuth {
  requestContext: (authorization: unknown) => Promise<RequestContext>;
  /** Whether the key in `authorization` is still valid (a revoked key: false within KEY_TRUST_MS). */
  stillValid: (authorization: unknown) => Promise<boolean>;
}

/**
 * graphql-ws: the key comes in `connectionParams.authorization` and needs the read scope; a
 * connection whose key is revoked is closed (4403).
 */
function serveSubscriptions(
  wsServer: WebSocketServer,
  schema: GraphQLSchema,
  auth: SubscriptionAuth,
  limitsRule: ReturnType<typeof operationLimitsRule>,
  formatError: ReturnType<typeof createErrorFormatter>,
) {
  const callers = new WeakMap<object, RequestContext>();
  // A connection is authorised once, by the key in its connectionParams; a key revoked later
  // ends it: no event is sent once the key is found revoked, and idle connections are swept.
  const open = new Map<object, { authorization: unknown; socket: { close(code: number, reason: string): void } }>();
  const revoked = async (ctx: object): Promise<boolean> => {
    const connection = open.get(ctx);
    if (!connection || (await auth.stillValid(connection.authorization))) return false;
    open.delete(ctx);
    // After the answer in hand is sent (an error, no data).
    setImmediate(() => connection.socket.close(KEY_REVOKED_CLOSE, "Forbidden: the API key was revoked"));
    return true;
  };
  const sweep = setInterval(() => {
    for (const ctx of open.keys()) void revoked(ctx).catch(() => undefined);
  }, SUBSCRIPTION_KEY_CHECK_MS);
  sweep.unref();
  const handle = useServer(
    {
      schema,
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        const context = await auth.requestContext(authorization).catch(() => null);
        if (!context || !hasScope(context.caller, "read")) return false;
        callers.set(ctx, context);
        open.set(ctx, { authorization, socket: (ctx.extra as { socket: { close(code: number, reason: string): void } }).socket });
        return true;
      },
      onClose: (ctx) => {
        open.delete(ctx);
      },
      onSubscribe: (ctx, _id, payload) => {
        let document;
        try {
          document = parse(payload.query);
        } catch (err) {
          return [err as GraphQLError];
        }
        const errors = validate(schema, document, [...specifiedRules, limitsRule]);
        if (errors.length > 0) return errors;
        const context = callers.get(ctx) as RequestContext;
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: context,
        };
      },
      onNext: async (ctx, _id, _payload, args, result) => {
        if (await revoked(ctx)) return { errors: [{ message: "The API key was revoked", extensions: { code: "UNAUTHENTICATED" } }] };
        // The context lives as long as the connection: each event reads fresh data (scores change).
        for (const loader of Object.values((args.contextValue as RequestContext).loaders)) loader.clearAll();
        return result.errors ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } : undefined;
      },
    },
    wsServer,
  );
  return {
    async dispose() {
      clearInterval(sweep);
      await handle.dispose();
    },
  };
}

/** Errors before GraphQL: a body over the limit (413) or one that is not JSON (400). */
function bodyErrorHandler(logger: Logger): express.ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (res.headersSent) return next(err);
    const type = (err as { type?: string }).type;
    if (type === "entity.too.large") {
      res.status(413).json({ errors: [{ message: "Request body too large", extensions: { code: "BAD_USER_INPUT" } }] });
    } else if (type === "entity.parse.failed" || type === "encoding.unsupported" || type === "charset.unsupported") {
      res.status(400).json({ errors: [{ message: "Request body is not valid JSON", extensions: { code: "BAD_USER_INPUT" } }] });
    } else {
      logger.error("unexpected HTTP error", { error: String(err) });
      res.status(500).json({ errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }] });
    }
  };
}
