/**
 * Every GraphQL request over HTTP, once answered: one access line at info (operation name and
 * type, outcome, error codes, HTTP status, duration; never variables nor the query) and the
 * request metrics (count by operation and outcome, latency).
 *
 * A request is seen at the HTTP level, so requests refused before an operation runs (no valid
 * key, a body too large or not JSON, no query) are counted too, timed from their arrival; Apollo's
 * plugin adds what only it knows, the operation resolved and the codes of the errors answered.
 * When Apollo did not get that far, the code is the one the HTTP status stands for in the API's
 * vocabulary (401 UNAUTHENTICATED, 429 RATE_LIMITED, other 4xx BAD_USER_INPUT, 5xx INTERNAL_SERVER_ERROR), which is
 * the code the client received. Subscriptions (graphql-ws) are not requests and are not seen here.
 */
import { performance } from "node:perf_hooks";
import type { ApolloServerPlugin } from "@apollo/server";
import type express from "express";
import type { Logger } from "../logger";
import type { Metrics, OperationType, RequestOutcome } from "../metrics";

interface Observation {
  operation: string | null;
  type: OperationType | null;
  /** Set by Apollo's plugin once it answers; null while Apollo has not. */
  codes: string[] | null;
}

/** The code a status stands for when no GraphQL error said it (see the module's header). */
function codeOfStatus(status: number): string[] {
  if (status < 400) return [];
  if (status === 401) return ["UNAUTHENTICATED"];
  if (status === 403) return ["FORBIDDEN"];
  if (status === 429) return ["RATE_LIMITED"];
  return [status >= 500 ? "INTERNAL_SERVER_ERROR" : "BAD_USER_INPUT"];
}

/**
 * Where a request's GraphQL context carries its observation: Apollo's plugin sees the context, not
 * the response. A symbol-keyed property, because Apollo runs an operation with a shallow copy of
 * the context (so the object itself cannot be a key), and invisible to everything else.
 */
const OBSERVATION = Symbol("request observation");

export class RequestObserver {
  private readonly byResponse = new WeakMap<express.Response, Observation>();
  private readonly log: Logger;

  constructor(
    logger: Logger,
    private readonly metrics: Metrics,
  ) {
    this.log = logger.child({ component: "access" });
  }

  /** Express middleware in front of the GraphQL endpoint: times the request, records it when answered. */
  readonly middleware: express.RequestHandler = (_req, res, next) => {
    const started = performance.now();
    const seen: Observation = { operation: null, type: null, codes: null };
    this.byResponse.set(res, seen);
    res.once("close", () => this.record(seen, res, (performance.now() - started) / 1000));
    next();
  };

  /** Links the GraphQL context made for the request answered by `res` to its observation. */
  attach(res: express.Response, contextValue: object): void {
    const seen = this.byResponse.get(res);
    if (seen) Object.defineProperty(contextValue, OBSERVATION, { value: seen, enumerable: true });
  }

  /** Apollo's side: the operation, and the codes of the errors in the answer. */
  readonly plugin: ApolloServerPlugin<object> = {
    requestDidStart: async ({ contextValue }) => {
      const seen = (contextValue as { [OBSERVATION]?: Observation })[OBSERVATION];
      if (!seen) return;
      return {
        didResolveOperation: async ({ operationName, operation }) => {
          seen.operation = operationName ?? null;
          seen.type = operation?.operation ?? null;
        },
        willSendResponse: async ({ response }) => {
          if (response.body.kind !== "single") return;
          const codes = (response.body.singleResult.errors ?? []).map((e) => String(e.extensions?.code ?? "INTERNAL_SERVER_ERROR"));
          seen.codes = [...new Set(codes)];
        },
      };
    },
  };

  private record(seen: Observation, res: express.Response, seconds: number): void {
    // A client that hung up before the answer was sent.
    const aborted = !res.writableFinished;
    const codes = seen.codes ?? (aborted ? ["CLIENT_CLOSED_REQUEST"] : codeOfStatus(res.statusCode));
    const outcome: RequestOutcome = { operation: seen.operation, type: seen.type, codes, seconds };
    this.metrics.request(outcome);
    this.log.info("graphql request", {
      operation: seen.operation,
      type: seen.type,
      outcome: codes.length === 0 ? "ok" : "error",
      ...(codes.length > 0 ? { codes } : {}),
      status: aborted ? null : res.statusCode,
      ms: Math.round(seconds * 10_000) / 10,
    });
  }
}
