/**
 * The one seam on Apollo Server's internals. Compiled queries run through Apollo's gateway API
 * (`compiled-execution.ts`), for which Apollo turns each request's context into the gateway's
 * shape with `makeGatewayGraphQLRequestContext` (an internal module of `@apollo/server`). Its
 * response head is an object literal with a `status` getter and setter closing over the request's
 * whole context. On Node 20 such a literal gets a hidden class of its own, allocated in the old
 * generation, that holds those two closures: once the request is answered, that dead class still
 * kept the request (its context, loaders, rows and answer) alive through every young collection,
 * so all of it was promoted and freed only by a full collection, the latency tail of benchmark (d)
 * (docs/architecture.md, "Memory").
 *
 * `useGatewayContextWithoutClosures` puts in its place a function that builds the same context,
 * whose response head is an instance of a class (`ResponseHead`, the getter and setter on its
 * prototype). Nothing else of Apollo's is touched. `test/unit/apollo-gateway-seam.spec.ts` checks
 * that the version installed is the one this was checked against (`VERIFIED_WITH`), that the
 * module still has the function, and that both build the same context: an upgrade fails there first.
 */
import path from "node:path";

/** The version of `@apollo/server` whose `utils/makeGatewayGraphQLRequestContext.js` this replaces. */
export const VERIFIED_WITH = { "@apollo/server": "5.5.1" } as const;

/** Apollo's request-context head as the replaced function reads it (`HTTPGraphQLHead`). */
interface Head {
  status?: number;
  headers: Map<string, string>;
}

/** What of Apollo's request context (`GraphQLRequestContext`) the gateway's context is made from. */
export interface ApolloRequestContext {
  request: {
    query?: string;
    operationName?: string | null;
    variables?: Record<string, unknown>;
    extensions?: Record<string, unknown>;
    http?: { method: string; search: string; headers: Map<string, string> };
  };
  response: { http: Head };
  schema: unknown;
  contextValue: unknown;
  queryHash?: string;
  document?: unknown;
  source?: string;
  operationName?: string | null;
  operation?: unknown;
  errors?: unknown;
  metrics: unknown;
  overallCachePolicy: unknown;
  requestIsBatched?: boolean;
}

type MakeGatewayContext = (requestContext: ApolloRequestContext, server: { logger: unknown; cache: unknown }, internals: { includeStacktraceInErrorResponses?: boolean }) => unknown;

/** Apollo's module, found from its entry point (it is not among the package's exports). */
export const apolloGatewayModule = (): { makeGatewayGraphQLRequestContext: MakeGatewayContext } =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(path.join(path.dirname(require.resolve("@apollo/server")), "utils", "makeGatewayGraphQLRequestContext.js"));

/** The gateway's view of a header map (the Fetch API's `Headers` methods over Apollo's `HeaderMap`). */
class GatewayHeaders {
  constructor(private readonly map: Map<string, string>) {}

  append(name: string, value: string): void {
    const existing = this.map.get(name);
    this.map.set(name, existing === undefined ? value : `${existing}, ${value}`);
  }

  delete(name: string): void {
    this.map.delete(name);
  }

  get(name: string): string | null {
    return this.map.get(name) ?? null;
  }

  has(name: string): boolean {
    return this.map.has(name);
  }

  set(name: string, value: string): void {
    this.map.set(name, value);
  }

  entries(): IterableIterator<[string, string]> {
    return this.map.entries();
  }

  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  values(): IterableIterator<string> {
    return this.map.values();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.map.entries();
  }
}

/** The gateway's response head: the status read from and written to Apollo's own head. */
class ResponseHead {
  readonly headers: GatewayHeaders;

  constructor(private readonly head: Head) {
    this.headers = new GatewayHeaders(head.headers);
  }

  get status(): number | undefined {
    return this.head.status;
  }

  set status(status: number | undefined) {
    this.head.status = status;
  }
}

/** The gateway's context of `requestContext`, as Apollo 5.5.1 builds it, the response head a `ResponseHead`. */
export const gatewayContext: MakeGatewayContext = (requestContext, server, internals) => {
  const { request: source } = requestContext;
  const request: Record<string, unknown> = {};
  for (const field of ["query", "operationName", "variables", "extensions"] as const) if (field in source) request[field] = source[field];
  if (source.http) {
    const { method, search, headers } = source.http;
    request.http = { method, url: `https://unknown-url.invalid/${search !== "" && !search.startsWith("?") ? "?" : ""}${search}`, headers: new GatewayHeaders(headers) };
  }
  return {
    request,
    response: { http: new ResponseHead(requestContext.response.http) },
    logger: server.logger,
    schema: requestContext.schema,
    schemaHash: "schemaHash no longer exists since Apollo Server 4",
    context: requestContext.contextValue,
    cache: server.cache,
    queryHash: requestContext.queryHash,
    document: requestContext.document,
    source: requestContext.source,
    operationName: requestContext.operationName,
    operation: requestContext.operation,
    errors: requestContext.errors,
    metrics: requestContext.metrics,
    debug: internals.includeStacktraceInErrorResponses,
    overallCachePolicy: requestContext.overallCachePolicy,
    requestIsBatched: requestContext.requestIsBatched,
  };
};

/** Makes Apollo build gateway contexts with `gatewayContext` (idempotent); throws when the module has changed shape. */
export function useGatewayContextWithoutClosures(): void {
  const apollo = apolloGatewayModule();
  if (typeof apollo.makeGatewayGraphQLRequestContext !== "function") {
    throw new Error("@apollo/server no longer has utils/makeGatewayGraphQLRequestContext.js: see src/app/apollo-gateway-seam.ts");
  }
  apollo.makeGatewayGraphQLRequestContext = gatewayContext;
}
