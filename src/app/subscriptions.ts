/**
 * Subscriptions over graphql-ws, on the same port and path as HTTP. The key comes in
 * `connectionParams.authorization` and needs the read scope; a connection whose key is revoked is
 * closed (4403). Operations are validated with the same rules as over HTTP.
 */
import { type GraphQLError, type GraphQLSchema, parse, specifiedRules, validate } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import type { WebSocketServer } from "ws";
import { hasScope } from "../context";
import type { createErrorFormatter } from "../errors";
import type { RequestContext } from "../resolvers/request-context";
import type { operationLimitsRule } from "./operation-limits.rule";

/** How often open subscriptions' keys are checked again (besides before every event). */
const SUBSCRIPTION_KEY_CHECK_MS = 5000;
/** The close code of a connection whose key was revoked (graphql-ws uses 4403 for Forbidden). */
const KEY_REVOKED_CLOSE = 4403;

export interface SubscriptionAuth {
  requestContext: (authorization: unknown) => Promise<RequestContext>;
  /** Whether the key in `authorization` is still valid (a revoked key: false within KEY_TRUST_MS). */
  stillValid: (authorization: unknown) => Promise<boolean>;
}

/** Serves subscriptions on `wsServer`; `dispose` ends them. */
export function serveSubscriptions(
  wsServer: WebSocketServer,
  schema: GraphQLSchema,
  auth: SubscriptionAuth,
  limitsRule: ReturnType<typeof operationLimitsRule>,
  formatError: ReturnType<typeof createErrorFormatter>,
): { dispose(): Promise<void> } {
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

