/**
 * Subscriptions over graphql-ws, on the same port and path as HTTP. The key comes in
 * `connectionParams.authorization` and needs the read scope; a connection whose key is revoked is
 * closed (4403). Operations meet the same rules as over HTTP (the parser's token bound, the limits,
 * introspection, the cost budget), every error the same formatter (codes, masking, no schema
 * suggestions), and each subscribe operation is charged to its key's rate limits (`RATE_LIMITED`
 * past a budget, as over HTTP).
 *
 * A shutdown closes every connection with 1001 (going away) once its subscriptions have sent what
 * they were published: the event bus ends the local streams when it closes (each yields what it
 * holds, then finishes), and a connection closes when the last of its subscriptions finished. No
 * `complete` message is sent for them: to a client, a subscription that completed is over, while
 * one cut by a 1001 close is resubscribed when it reconnects (graphql-ws clients do it themselves).
 */
import { getOperationAST, GraphQLError, type GraphQLSchema, parse, specifiedRules, validate, type ValidationRule } from "graphql";
import type { Context } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import type { WebSocket, WebSocketServer } from "ws";
import { hasScope } from "../context";
import { type createErrorFormatter, domainErrorOf, toGraphQLError } from "../errors";
import type { RequestContext } from "../resolvers/request-context";
import { beforeDeadline } from "./deadline";
import { checkOperationCost } from "./operation-cost";
import type { RateLimits } from "./rate-limits";

/** How often open subscriptions' keys are checked again (besides before every event). */
const SUBSCRIPTION_KEY_CHECK_MS = 5000;
/** The close code of a connection whose key was revoked (graphql-ws uses 4403 for Forbidden). */
const KEY_REVOKED_CLOSE = 4403;
/** WebSocket's "going away": the server is shutting down (graphql-ws clients reconnect and resubscribe). */
const GOING_AWAY_CLOSE = 1001;
/** During a shutdown, how often connections are checked for subscriptions that ended without `onComplete` (a refused subscribe). */
const DRAIN_CHECK_MS = 100;

export interface SubscriptionAuth {
  requestContext: (authorization: unknown) => Promise<RequestContext>;
  /** Whether the key in `authorization` is still valid (a revoked key: false within KEY_TRUST_MS). */
  stillValid: (authorization: unknown) => Promise<boolean>;
  /** Each subscribe operation is charged one request and its cost, as an HTTP request is. */
  rateLimits: RateLimits;
}

/** What HTTP applies to every operation, applied here too. */
export interface OperationPolicy {
  /** Parsing stops past this many tokens. */
  maxTokens: number;
  /** Besides graphql-js's own (`operationRules`). */
  validationRules: readonly ValidationRule[];
  maxCost: number;
  formatError: ReturnType<typeof createErrorFormatter>;
}

/** Serves subscriptions on `wsServer`; `drain` ends them (see the module comment). */
export function serveSubscriptions(
  wsServer: WebSocketServer,
  schema: GraphQLSchema,
  auth: SubscriptionAuth,
  policy: OperationPolicy,
): { stopping(): void; drain(deadline: AbortSignal): Promise<number> } {
  const format = (error: GraphQLError) => policy.formatError(error.toJSON(), error);
  const callers = new WeakMap<object, RequestContext>();
  const drain = new SubscriptionDrain();
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
        drain.add(ctx);
        const authorization = ctx.connectionParams?.authorization;
        const context = await auth.requestContext(authorization).catch(() => null);
        if (!context || !hasScope(context.caller, "read")) return false;
        callers.set(ctx, context);
        open.set(ctx, { authorization, socket: socketOf(ctx) });
        return true;
      },
      onClose: (ctx) => {
        open.delete(ctx);
      },
      // Only while draining: holds the subscription's `complete` until its connection closes.
      onComplete: (ctx, id) => drain.finished(ctx, id),
      onSubscribe: async (ctx, _id, payload) => {
        // Each failure carries the code Apollo gives the same failure over HTTP; `onError` formats them.
        let document;
        try {
          document = parse(payload.query, { maxTokens: policy.maxTokens });
        } catch (err) {
          return [coded(err as GraphQLError, "GRAPHQL_PARSE_FAILED")];
        }
        const errors = validate(schema, document, [...specifiedRules, ...policy.validationRules]);
        if (errors.length > 0) return errors.map((e) => coded(e, "GRAPHQL_VALIDATION_FAILED"));
        if (!getOperationAST(document, payload.operationName)) {
          const message = payload.operationName ? `Unknown operation named "${payload.operationName}".` : "Must provide operation name if query contains multiple operations.";
          return [coded(new GraphQLError(message), "OPERATION_RESOLUTION_FAILURE")];
        }
        let operationCost: number | null;
        try {
          operationCost = checkOperationCost(schema, { document, operationName: payload.operationName, variables: payload.variables }, policy.maxCost);
        } catch (err) {
          return [new GraphQLError((err as Error).message, { originalError: err as Error })];
        }
        const context = callers.get(ctx) as RequestContext;
        const refused = await charge(auth.rateLimits, context, operationCost ?? 1);
        if (refused) return refused;
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          // Its own per operation (the cost), sharing the connection's caller and loaders.
          contextValue: operationCost === null ? { ...context } : { ...context, operationCost },
        };
      },
      onError: (_ctx, _id, _payload, errors) => errors.map(format),
      onNext: async (ctx, _id, _payload, args, result) => {
        if (await revoked(ctx)) return { errors: [{ message: "The API key was revoked", extensions: { code: "UNAUTHENTICATED" } }] };
        // The context lives as long as the connection: each event reads fresh data (scores change).
        for (const loader of Object.values((args.contextValue as RequestContext).loaders)) loader.clearAll();
        // Errors without a path are the request's (its variables, as Apollo codes them over HTTP).
        return result.errors ? { ...result, errors: result.errors.map((e) => format(e.path ? e : coded(e, "BAD_USER_INPUT"))) } : undefined;
      },
    },
    wsServer,
  );
  return {
    /** Before the event bus closes: see `SubscriptionDrain.finished`. */
    stopping: () => drain.hold(),
    async drain(deadline) {
      clearInterval(sweep);
      const cutOff = await drain.run(wsServer, deadline);
      await handle.dispose();
      return cutOff;
    },
  };
}

/** Closes each connection with 1001 once its subscriptions' streams have ended and been sent. */
class SubscriptionDrain {
  private readonly contexts = new Map<WebSocket, Context>();
  /** Per connection, the subscriptions whose streams ended since the shutdown began. */
  private readonly ended = new WeakMap<Context, Set<string>>();
  private readonly goingAway = new WeakMap<Context, { closed: Promise<void>; close: () => void }>();
  /** The shutdown has begun: a subscription that ends sends no `complete`. */
  private holding = false;
  /** The event bus has ended the streams: connections close as their subscriptions finish. */
  private draining = false;

  /** From now on a subscription whose stream ends waits for its connection's close (see `finished`). */
  hold(): void {
    this.holding = true;
  }

  add(ctx: Context): void {
    const socket = socketOf(ctx);
    this.contexts.set(socket, ctx);
    socket.once("close", () => this.contexts.delete(socket));
    let close = (): void => undefined;
    const closed = new Promise<void>((resolve) => {
      close = () => {
        socket.close(GOING_AWAY_CLOSE, "Going away");
        resolve();
      };
    });
    this.goingAway.set(ctx, { closed, close });
  }

  /**
   * A subscription's stream ended. Once the shutdown has begun, resolves only when its connection
   * is closing, so that graphql-ws sends no `complete` for it (it sends nothing on a closing
   * socket): the streams end because the event bus closes, which is no end of the subscription.
   */
  async finished(ctx: Context, id: string): Promise<void> {
    if (!this.holding) return;
    const ended = this.ended.get(ctx) ?? new Set<string>();
    this.ended.set(ctx, ended.add(id));
    if (this.draining) this.settle(ctx);
    await this.goingAway.get(ctx)?.closed;
  }

  /** Closes every connection once its subscriptions are done; terminates those left at `deadline`. Resolves with how many. */
  async run(wsServer: WebSocketServer, deadline: AbortSignal): Promise<number> {
    this.holding = true;
    this.draining = true;
    const closeThoseDone = (): boolean => {
      for (const socket of wsServer.clients) {
        const ctx = this.contexts.get(socket);
        // Not initialised yet: it has nothing to deliver.
        if (ctx) this.settle(ctx);
        else socket.close(GOING_AWAY_CLOSE, "Going away");
      }
      return wsServer.clients.size === 0;
    };
    let check: NodeJS.Timeout | undefined;
    if (!closeThoseDone()) {
      await beforeDeadline(new Promise<void>((resolve) => (check = setInterval(() => closeThoseDone() && resolve(), DRAIN_CHECK_MS))), deadline);
      clearInterval(check);
    }
    const left = [...wsServer.clients];
    for (const socket of left) socket.terminate();
    return left.length;
  }

  /** Closes the connection of `ctx` when every subscription it has ended (none left running). */
  private settle(ctx: Context): void {
    const ended = this.ended.get(ctx);
    if (Object.keys(ctx.subscriptions).every((id) => ended?.has(id))) this.goingAway.get(ctx)?.close();
  }
}

/**
 * Charges a subscribe operation to its key: one request and the operation's cost. Resolves with
 * the error to answer when a budget is spent, else null.
 */
async function charge(rateLimits: RateLimits, context: RequestContext, cost: number): Promise<GraphQLError[] | null> {
  if (!context.caller) return null;
  try {
    await rateLimits.chargeRequest(context.caller);
    await rateLimits.chargeCost(context.caller, cost);
    return null;
  } catch (err) {
    const domain = domainErrorOf(err);
    if (!domain) throw err;
    return [toGraphQLError(domain)];
  }
}

/** `error` with the `extensions.code` Apollo gives such an error over HTTP (what it came from kept). */
function coded(error: GraphQLError, code: string): GraphQLError {
  if (error.extensions.code) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}

function socketOf(ctx: Context): WebSocket {
  return (ctx.extra as { socket: WebSocket }).socket;
}

