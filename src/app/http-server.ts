/**
 * The HTTP side: express with a JSON body limit, Apollo Server on `/graphql` (every request
 * authenticated by its API key and charged to its rate limits before its body is read; each one
 * logged and counted by the request observer), graphql-ws on the same port and path, the health routes, the metrics (on
 * this port or one of their own), the home page at `/` and, when on, GraphiQL. Nothing here knows
 * about the database but the readiness check and the metrics' callbacks.
 *
 * A shutdown stops it in steps (`start-app.ts` orders them): `stopping` (readiness answers 503),
 * `drainRequests` (no new connection; each open one ends between requests), `closeSubscriptions`
 * (once the event bus has delivered: each connection closes with 1001), `close` (Apollo).
 */
import http from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import express from "express";
import type { GraphQLSchema } from "graphql";
import { WebSocketServer } from "ws";
import type { Config } from "../config";
import type { Caller } from "../context";
import { compiledExecution } from "./compiled-execution";
import { createErrorFormatter, RETRY_AFTER_SECONDS } from "../errors";
import type { Logger } from "../logger";
import { projectRoot } from "../project-root";
import type { Metrics } from "../metrics";
import type { RequestContext } from "../resolvers/request-context";
import { authenticateRequests, callerOf } from "./authentication";
import { ConnectionDrain } from "./connection-drain";
import { expressMessages } from "./express-messages";
import { GRAPHIQL_PATH, graphiqlRoutes } from "./graphiql-page";
import { ABOUT_PATH, homeRoutes } from "./home-page";
import { costPlugin } from "./operation-cost";
import { operationRules } from "./operation-limits.rule";
import type { RateLimits } from "./rate-limits";
import { RequestObserver } from "./request-observer";
import { serveSubscriptions } from "./subscriptions";
import { workbenchRoutes } from "./workbench";

export const GRAPHQL_PATH = "/graphql";
export const METRICS_PATH = "/metrics";

export interface HttpOptions {
  config: Config;
  logger: Logger;
  schema: GraphQLSchema;
  /** The same without the field guard (`buildUnguardedSchema`): compiled queries use it when `config.compiledQueries`. */
  unguardedSchema: GraphQLSchema;
  /** The caller presenting the key in `authorization` (null: none, unknown or revoked); rejects (503) when it cannot be checked. */
  authenticate: (authorization: unknown) => Promise<Caller | null>;
  /** The context of a request of `caller`. */
  contextFor: (caller: Caller) => RequestContext;
  /** The context of a subscription carrying `authorization`; rejects (401) when the key is not valid. */
  requestContext: (authorization: unknown) => Promise<RequestContext>;
  /** Every key's budgets per window: requests are charged before their body is read, operations their cost. */
  rateLimits: RateLimits;
  /** Whether the key in `authorization` is still valid (for open subscriptions). */
  stillValid: (authorization: unknown) => Promise<boolean>;
  /** The readiness check: resolves when the service can serve (the database answers). */
  ready: () => Promise<void>;
  metrics: Metrics;
}

export interface HttpServer {
  port: number;
  /** `http://host:port/graphql` */
  url: string;
  /** `http://host:port/metrics` (the API's port or the metrics' own); null when metrics are off. */
  metricsUrl: string | null;
  /**
   * From now on readiness answers 503 `{status: "stopping"}`; everything else is served as before
   * (a subscription that ends now sends no `complete`: `closeSubscriptions`).
   */
  stopping(): void;
  /**
   * Stops accepting connections and ends each open HTTP connection between requests (every request
   * received gets its answer); at `deadline` destroys those left. Resolves with how many it cut off.
   */
  drainRequests(deadline: AbortSignal): Promise<number>;
  /**
   * Lets every subscription deliver the events its stream holds until the stream ends (the event
   * bus ends them when it closes), then closes each connection with 1001 (going away); at
   * `deadline` terminates those left. Resolves with how many it cut off.
   */
  closeSubscriptions(deadline: AbortSignal): Promise<number>;
  /** Stops Apollo (after the drain: no request is left) and the metrics' own listener, if any. */
  close(): Promise<void>;
}

/** Starts serving; resolves once the port accepts connections. */
export async function startHttpServer(options: HttpOptions): Promise<HttpServer> {
  const { config, logger, schema, requestContext, metrics, rateLimits } = options;
  const observer = new RequestObserver(logger, metrics);
  const formatError = createErrorFormatter(logger, config.isDevelopment);
  const validationRules = operationRules(config.limits, config.introspection);

  const expressApp = express();
  expressApp.disable("x-powered-by");
  // No ETag on GraphQL answers (express hashes every body it sends; a POST is never revalidated);
  // the workbench's files get theirs from their own handler.
  expressApp.set("etag", false);
  // Requests and responses born with express's prototypes (express-messages.ts: young garbage).
  const httpServer = http.createServer(expressMessages(expressApp));
  const connections = new ConnectionDrain(httpServer);
  httpServer.on("request", expressApp);
  // `Expect: 100-continue`: served as any request (the drain counts it too); the body is asked for
  // once the key is accepted (authentication.ts).
  httpServer.on("checkContinue", (req, res) => httpServer.emit("request", req, res));
  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH, maxPayload: config.limits.bodyBytes });
  const subscriptions = serveSubscriptions(
    wsServer,
    schema,
    { requestContext, stillValid: options.stillValid, rateLimits },
    { maxTokens: config.limits.maxTokens, validationRules, maxCost: config.limits.maxCost, formatError },
  );

  const apollo = new ApolloServer<RequestContext>({
    // The schema; queries run as functions compiled from their documents (compiled-execution.ts).
    ...(config.compiledQueries ? { gateway: compiledExecution(schema, options.unguardedSchema, metrics) } : { schema }),
    formatError,
    includeStacktraceInErrorResponses: config.isDevelopment,
    // A huge document is refused while it is parsed, before any rule walks it.
    parseOptions: { maxTokens: config.limits.maxTokens },
    validationRules,
    // Introspection is refused by `validationRules` (shared with WebSocket), not by Apollo's own
    // rule; "Did you mean" suggestions are taken out by `formatError`, for both transports.
    introspection: true,
    // No automatic persisted queries: a cache any client could fill, per instance, to save bytes
    // of a POST. A request carrying a hash answers BAD_USER_INPUT (PERSISTED_QUERY_NOT_SUPPORTED).
    persistedQueries: false,
    // main.ts owns the signals and stops everything in order (Apollo's own handler would race it);
    // the connections are drained here (ConnectionDrain), not by Apollo's drain plugin, which ends
    // idle keep-alive connections at once, racing the clients' next requests.
    stopOnTerminationSignals: false,
    // No cache hints are used, so every response is uncacheable: the header says so directly, rather
    // than the cache-control plugin computing a policy for every resolved field (it would set the same).
    plugins: [
      ApolloServerPluginCacheControlDisabled(),
      // Apollo's landing page loads its assets from a CDN (blank offline); `/` and `/graphiql` serve ours.
      ApolloServerPluginLandingPageDisabled(),
      costPlugin(config.limits.maxCost),
      responseHead,
      observer.plugin,
      // After the plugins that compute the operation's cost (its hook runs once theirs have).
      rateLimits.chargeCostPlugin,
    ],
  });
  await apollo.start();

  expressApp.get("/health/live", (_req, res) => {
    res.json({ status: "ok" });
  });
  let stopping = false;
  expressApp.get("/health/ready", async (_req, res) => {
    // A load balancer takes the instance out of rotation while it still serves (the grace period).
    if (stopping) return void res.status(503).json({ status: "stopping" });
    try {
      await options.ready();
      res.json({ status: "ok" });
    } catch {
      res.status(503).json({ status: "unavailable" });
    }
  });
  const graphiqlPath = config.graphiql ? GRAPHIQL_PATH : null;
  // The metrics' own port is known once it listens (QUALIFY_METRICS_PORT=0: any free one).
  let ownMetricsPort: number | null = null;
  expressApp.use(
    homeRoutes({
      graphqlPath: GRAPHQL_PATH,
      metrics: () => (config.metrics.enabled ? { path: METRICS_PATH, port: ownMetricsPort } : null),
      graphiqlPath,
    }),
  );
  if (graphiqlPath) expressApp.use(graphiqlRoutes(GRAPHQL_PATH));
  expressApp.use(workbenchRoutes(path.join(projectRoot(), "dist", "web")));
  expressApp.get(GRAPHQL_PATH, sendBrowsersTo(graphiqlPath ?? ABOUT_PATH));
  expressApp.use(
    GRAPHQL_PATH,
    observer.middleware,
    // The key first: a request without a valid one (or over its budget) is answered before its body is read.
    authenticateRequests({ authenticate: options.authenticate, rateLimits, formatError }),
    express.json({ limit: config.limits.bodyBytes }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const context = options.contextFor(callerOf(req) as Caller);
        observer.attach(res, context);
        return context;
      },
    }),
  );
  expressApp.use(bodyErrorHandler(logger));

  // Metrics on a port of their own get a server of their own (closed with this one).
  let metricsServer: http.Server | null = null;
  if (config.metrics.enabled && config.metrics.port !== null) {
    const metricsApp = express();
    metricsApp.disable("x-powered-by");
    serveMetrics(metricsApp, metrics);
    metricsServer = http.createServer(expressMessages(metricsApp), metricsApp);
  } else if (config.metrics.enabled) {
    serveMetrics(expressApp, metrics);
  }

  let port: number;
  let metricsPort: number;
  try {
    port = await listen(httpServer, config.port, config.host);
    metricsPort = metricsServer ? await listen(metricsServer, config.metrics.port ?? 0, config.host) : port;
    if (metricsServer) ownMetricsPort = metricsPort;
  } catch (err) {
    // A port taken: nothing started here is left running.
    if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    await subscriptions.drain(AbortSignal.abort());
    await apollo.stop();
    throw err;
  }
  const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  return {
    port,
    url: `http://${host}:${port}${GRAPHQL_PATH}`,
    metricsUrl: config.metrics.enabled ? `http://${host}:${metricsPort}${METRICS_PATH}` : null,
    stopping() {
      stopping = true;
      subscriptions.stopping();
    },
    drainRequests: (deadline) => connections.drain(deadline),
    closeSubscriptions: (deadline) => subscriptions.drain(deadline),
    async close() {
      await apollo.stop();
      if (metricsServer?.listening) await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
    },
  };
}

/**
 * A browser opening the endpoint (GET, preferring HTML, no query) is sent to GraphiQL or the home
 * page rather than answered with a JSON error; clients asking for JSON go on to Apollo.
 */
function sendBrowsersTo(location: string): express.RequestHandler {
  return (req, res, next) => {
    if (req.query.query === undefined && req.accepts(["application/json", "text/html"]) === "text/html") res.redirect(302, location);
    else next();
  };
}

/** Listens on `port` (0: any free one) of `host`; resolves with the port. */
async function listen(server: http.Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** `GET /metrics`: the Prometheus text format. No key: bind it to a port of its own to keep it inside. */
function serveMetrics(app: express.Express, metrics: Metrics): void {
  app.get(METRICS_PATH, async (_req, res, next) => {
    try {
      const { contentType, body } = await metrics.scrape();
      res.set("cache-control", "no-store").type(contentType).send(body);
    } catch (err) {
      next(err);
    }
  });
}

/**
 * The HTTP head of every GraphQL response: `cache-control: no-store`; and 503 with `Retry-After`
 * when the service could not answer in time (`UNAVAILABLE`) and answered nothing else (a batch
 * whose other items were recorded stays 200, its unavailable items carry the code).
 */
const responseHead: ApolloServerPlugin<RequestContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (!response.http.headers.has("cache-control")) response.http.headers.set("cache-control", "no-store");
        if (response.body.kind !== "single") return;
        const { data, errors } = response.body.singleResult;
        if (!errors?.some((e) => e.extensions?.code === "UNAVAILABLE")) return;
        if (data && Object.values(data).some((value) => value !== null)) return;
        response.http.status = 503;
        response.http.headers.set("retry-after", String(RETRY_AFTER_SECONDS));
      },
    };
  },
};

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
