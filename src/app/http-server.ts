/**
 * The HTTP side: express with a JSON body limit, Apollo Server on `/graphql` (every request
 * authenticated by its API key before anything runs), graphql-ws on the same port and path, and
 * the health routes. Nothing here knows about the database but the readiness check.
 *
 * A shutdown stops it in steps (`start-app.ts` orders them): `stopping` (readiness answers 503),
 * `drainRequests` (no new connection; each open one ends between requests), `closeSubscriptions`
 * (once the event bus has delivered: each connection closes with 1001), `close` (Apollo).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import express from "express";
import type { GraphQLSchema } from "graphql";
import { WebSocketServer } from "ws";
import type { Config } from "../config";
import { createErrorFormatter, RETRY_AFTER_SECONDS } from "../errors";
import type { Logger } from "../logger";
import type { RequestContext } from "../resolvers/request-context";
import { ConnectionDrain } from "./connection-drain";
import { operationLimitsRule } from "./operation-limits.rule";
import { serveSubscriptions } from "./subscriptions";

export const GRAPHQL_PATH = "/graphql";

export interface HttpOptions {
  config: Config;
  logger: Logger;
  schema: GraphQLSchema;
  /** The context of a request carrying `authorization`; rejects (401) when the key is not valid. */
  requestContext: (authorization: unknown) => Promise<RequestContext>;
  /** Whether the key in `authorization` is still valid (for open subscriptions). */
  stillValid: (authorization: unknown) => Promise<boolean>;
  /** The readiness check: resolves when the service can serve (the database answers). */
  ready: () => Promise<void>;
}

export interface HttpServer {
  port: number;
  /** `http://host:port/graphql` */
  url: string;
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
  /** Stops Apollo (after the drain: no request is left). */
  close(): Promise<void>;
}

/** Starts serving; resolves once the port accepts connections. */
export async function startHttpServer(options: HttpOptions): Promise<HttpServer> {
  const { config, logger, schema, requestContext } = options;
  const formatError = createErrorFormatter(logger, config.isDevelopment);
  const limitsRule = operationLimitsRule(config.limits);

  const expressApp = express();
  expressApp.disable("x-powered-by");
  const httpServer = http.createServer();
  const connections = new ConnectionDrain(httpServer);
  httpServer.on("request", expressApp);
  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH, maxPayload: config.limits.bodyBytes });
  const subscriptions = serveSubscriptions(wsServer, schema, { requestContext, stillValid: options.stillValid }, limitsRule, formatError);

  const apollo = new ApolloServer<RequestContext>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: config.isDevelopment,
    validationRules: [limitsRule],
    introspection: true,
    // main.ts owns the signals and stops everything in order (Apollo's own handler would race it);
    // the connections are drained here (ConnectionDrain), not by Apollo's drain plugin, which ends
    // idle keep-alive connections at once, racing the clients' next requests.
    stopOnTerminationSignals: false,
    // No cache hints are used, so every response is uncacheable: the header says so directly, rather
    // than the cache-control plugin computing a policy for every resolved field (it would set the same).
    plugins: [ApolloServerPluginCacheControlDisabled(), responseHead],
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
  expressApp.use(
    GRAPHQL_PATH,
    express.json({ limit: config.limits.bodyBytes }),
    expressMiddleware(apollo, { context: ({ req }) => requestContext(req.headers.authorization) }),
  );
  expressApp.use(bodyErrorHandler(logger));

  await new Promise<void>((resolve) => httpServer.listen(config.port, config.host, resolve));
  const { port } = httpServer.address() as AddressInfo;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  return {
    port,
    url: `http://${host}:${port}${GRAPHQL_PATH}`,
    stopping() {
      stopping = true;
      subscriptions.stopping();
    },
    drainRequests: (deadline) => connections.drain(deadline),
    closeSubscriptions: (deadline) => subscriptions.drain(deadline),
    async close() {
      await apollo.stop();
    },
  };
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
