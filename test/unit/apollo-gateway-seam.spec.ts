/**
 * The contract of the one seam on Apollo Server's internals (src/app/apollo-gateway-seam.ts): the
 * installed `@apollo/server` is the version it was checked against, its module still has the
 * function it replaces, and the replacement builds the same gateway context (every field, the
 * request's URL and headers, the response head's status and headers read and written through to
 * Apollo's own head). An upgrade of `@apollo/server` fails here first.
 */
import fs from "node:fs";
import path from "node:path";
import { HeaderMap } from "@apollo/server";
import { type ApolloRequestContext, apolloGatewayModule, gatewayContext, useGatewayContextWithoutClosures, VERIFIED_WITH } from "../../src/app/apollo-gateway-seam";

// Taken before anything replaces it (each test file has its own module registry).
const apollos = apolloGatewayModule().makeGatewayGraphQLRequestContext;

/** An Apollo request context as the pipeline hands it to the gateway, with a head of its own. */
function requestContext(search: string): ApolloRequestContext {
  const headers = new HeaderMap();
  headers.set("content-type", "application/json");
  const responseHeaders = new HeaderMap();
  responseHeaders.set("cache-control", "no-store");
  return {
    request: { query: "{ a }", operationName: "A", variables: { x: 1 }, extensions: {}, http: { method: "POST", search, headers } },
    response: { http: { status: undefined, headers: responseHeaders } },
    schema: { schema: true },
    contextValue: { caller: "c" },
    queryHash: "hash",
    document: { kind: "Document" },
    source: "{ a }",
    operationName: "A",
    operation: { kind: "OperationDefinition" },
    errors: undefined,
    metrics: { m: 1 },
    overallCachePolicy: { policy: 1 },
    requestIsBatched: false,
  };
}

/** Everything of a gateway context but its live objects, and what its heads do. */
async function observe(make: typeof gatewayContext, search: string) {
  const source = requestContext(search);
  const made = make(source, { logger: { l: 1 }, cache: { c: 1 } }, { includeStacktraceInErrorResponses: false }) as Record<string, unknown> & {
    request: { http: { url: string; method: string; headers: { get(n: string): string | null; has(n: string): boolean } } };
    response: { http: { status?: number; headers: { append(n: string, v: string): void; set(n: string, v: string): void; delete(n: string): void; get(n: string): string | null } & Iterable<[string, string]> } };
  };
  const { request, response, ...rest } = made;
  const head = response.http;
  const statusBefore = head.status;
  head.status = 418;
  head.headers.append("cache-control", "private");
  head.headers.set("x-one", "1");
  head.headers.delete("x-missing");
  return {
    rest,
    request: { ...request, http: { method: request.http.method, url: request.http.url, type: request.http.headers.get("content-type"), has: request.http.headers.has("content-type") } },
    statusBefore,
    statusAfter: source.response.http.status,
    headers: [...head.headers],
    apollosHeaders: [...source.response.http.headers],
    missing: head.headers.get("x-missing"),
  };
}

describe("the Apollo gateway seam", () => {
  it("is checked against the installed @apollo/server", () => {
    const pkg = path.join(path.dirname(require.resolve("@apollo/server")), "..", "..", "package.json");
    expect(JSON.parse(fs.readFileSync(pkg, "utf8")).version).toBe(VERIFIED_WITH["@apollo/server"]);
    expect(typeof apollos).toBe("function");
  });

  it.each(["", "x=1", "?x=1"])("builds the gateway context Apollo builds (search %p)", async (search) => {
    expect(await observe(gatewayContext, search)).toEqual(await observe(apollos as typeof gatewayContext, search));
  });

  it("takes the place of Apollo's function", () => {
    useGatewayContextWithoutClosures();
    useGatewayContextWithoutClosures();
    expect(apolloGatewayModule().makeGatewayGraphQLRequestContext).toBe(gatewayContext);
  });
});
