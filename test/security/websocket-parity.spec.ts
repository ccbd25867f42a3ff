/**
 * The same rules and the same error formatting over WebSocket (graphql-ws) as over HTTP: for each
 * bad operation, both transports answer the same messages and the same `extensions` (codes,
 * figures, masking of internal errors and of schema suggestions), in production mode.
 */
import type { Client } from "graphql-ws";
import type { GraphQLErrorShape } from "../api/helpers/graphql-client";
import { testDatabase, useTestApp } from "../api/helpers/test-app";
import { aliasedTypenames, thirtyPagesOfPages } from "../../bench/attacks";

interface Operation {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

/** What a client compares: each error's message and extensions. */
const shapeOf = (errors: readonly GraphQLErrorShape[] | undefined) => (errors ?? []).map((e) => ({ message: e.message, extensions: e.extensions }));

const DEEP = `query Deep { leads { edges { node { ...L1 } } } }
  fragment L1 on Lead { interactions { edges { node { lead { ...L2 } } } } }
  fragment L2 on Lead { interactions { edges { node { ... on Interaction { lead { id } } } } } }`;

const BAD_OPERATIONS: Record<string, Operation> = {
  "a syntax error": { query: "query Broken { leads { totalCount }" },
  "a misspelt field (no suggestion)": { query: "query Misspelt { leadz { totalCount } }" },
  "too deep, through fragments": { query: DEEP },
  "too many aliases of __typename": { query: aliasedTypenames(31) },
  "too many tokens": { query: aliasedTypenames(30_000) },
  "over the cost budget": { query: thirtyPagesOfPages() },
  "introspection while it is off": { query: "query Schema { __schema { types { name } } }" },
  "a variable of the wrong type": { query: "query Page($first: Int) { leads(first: $first) { totalCount } }", variables: { first: "many" } },
  "a misspelt enum value in a variable": { query: "query Stages($order: LeadOrder) { leads(orderBy: $order) { totalCount } }", variables: { order: { field: "SCOR" } } },
  "an unknown operation name": { query: "query A { funnel { stage } }", operationName: "B" },
  "a page too large (a resolver's BAD_USER_INPUT)": { query: "query Big { leads(first: 1000) { totalCount } }" },
  "a forbidden argument shape (not a cursor)": { query: 'query After { leads(after: "not a cursor") { totalCount } }' },
};

describe(`WebSocket parity [${testDatabase()}]`, () => {
  const s = useTestApp({ NODE_ENV: "production" });
  let ws: Client;
  beforeAll(() => {
    ws = s.api.subscriptions();
  });
  afterAll(() => ws.dispose());

  async function overHttp(operation: Operation): Promise<{ status: number; errors?: GraphQLErrorShape[] }> {
    const res = await fetch(s.t.app.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${s.api.key}` },
      body: JSON.stringify(operation),
    });
    const body = (await res.json()) as { errors?: GraphQLErrorShape[] };
    return { status: res.status, errors: body.errors };
  }

  /** The errors graphql-ws hands the client: an `error` message, or a result carrying errors. */
  function overWebSocket(operation: Operation): Promise<readonly GraphQLErrorShape[] | undefined> {
    return new Promise((resolve, reject) => {
      ws.subscribe(operation, {
        next: (result) => resolve(result.errors as GraphQLErrorShape[] | undefined),
        error: (err) => (Array.isArray(err) ? resolve(err as GraphQLErrorShape[]) : reject(err)),
        complete: () => resolve(undefined),
      });
    });
  }

  for (const [name, operation] of Object.entries(BAD_OPERATIONS)) {
    it(`answers ${name} alike`, async () => {
      const http = await overHttp(operation);
      expect(http.errors?.length).toBeGreaterThan(0);
      expect(http.errors?.every((e) => e.extensions?.code === "BAD_USER_INPUT")).toBe(true);
      expect(shapeOf(await overWebSocket(operation))).toEqual(shapeOf(http.errors));
      expect(JSON.stringify(http.errors)).not.toMatch(/Did you mean|stacktrace/);
    });
  }

  it("masks an internal error alike", async () => {
    const operation = { query: "query Count { leads(first: 1) { totalCount } }" };
    const db = s.t.app.context(null).db;
    await db.query("ALTER TABLE lead RENAME TO lead_hidden");
    try {
      const http = await overHttp(operation);
      const overWs = await overWebSocket(operation);
      expect(shapeOf(http.errors)).toEqual([{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }]);
      expect(shapeOf(overWs)).toEqual(shapeOf(http.errors));
    } finally {
      await db.query("ALTER TABLE lead_hidden RENAME TO lead");
    }
  });

  it("serves a good operation alike", async () => {
    const operation = { query: "query Funnel { funnel { stage } }" };
    const data = await new Promise((resolve, reject) => ws.subscribe(operation, { next: (r) => resolve(r.data), error: reject, complete: () => undefined }));
    expect(data).toEqual({ funnel: expect.any(Array) });
    expect((await overHttp(operation)).errors).toBeUndefined();
  });
});
