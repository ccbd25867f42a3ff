/**
 * Bounded by construction (issue 11): the amplification attempts against an instance in its
 * default production mode are refused before they run, with a small answer and a clear code;
 * introspection is off unless a setting (or GraphiQL) turns it on; schema suggestions are shown in
 * development only; every selection counts toward the limits, `__` fields included.
 * Answer sizes are asserted, never times (the figures are in the README's Security section).
 */
import { getIntrospectionQuery } from "graphql";
import { type GraphQLErrorShape, type GraphQLTestClient, gql } from "../api/helpers/graphql-client";
import { testDatabase, useTestApp } from "../api/helpers/test-app";
import { aliasedSchemas, aliasedTypenames, thirtyPagesOfPages } from "../../bench/attacks";

interface Answer {
  status: number;
  bytes: number;
  data?: unknown;
  errors?: GraphQLErrorShape[];
}

/** Posts `query` as a client would (the body as given, no typed document: these are attacks). */
async function post(client: GraphQLTestClient, query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const res = await fetch(client.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${client.key}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  const body = JSON.parse(text) as { data?: unknown; errors?: GraphQLErrorShape[] };
  return { status: res.status, bytes: Buffer.byteLength(text), data: body.data, errors: body.errors };
}

const SCHEMA_QUERY = "query Schema { __schema { queryType { name } } }";
const TYPE_QUERY = 'query Type { __type(name: "Lead") { fields { name } } }';
const MISSPELT = "query Misspelt { leadz { totalCount } }";
const ENUM_VARIABLE = gql<unknown, { scopes: string[] }>(`mutation Key($scopes: [Scope!]!) { createApiKey(name: "misspelt", scopes: $scopes) { key } }`);

describe(`amplification [${testDatabase()}]`, () => {
  const logLines: string[] = [];
  const s = useTestApp({ NODE_ENV: "production", QUALIFY_LOG_LEVEL: "info" }, { log: (line) => logLines.push(line) });

  describe("in production, by default", () => {
    it("refuses 5,000 aliases of __schema { types { … } } while parsing, with one small error", async () => {
      const query = aliasedSchemas(5000);
      expect(query.length).toBeGreaterThan(500_000);
      const answer = await post(s.api, query);
      expect(answer.status).toBe(400);
      expect(answer.errors).toEqual([
        expect.objectContaining({
          // (graphql-js 16 spells it "more that")
          message: expect.stringMatching(/^Syntax Error: Document contains more th[a-z]+ 20000 tokens\. Parsing aborted\.$/),
          extensions: { code: "BAD_USER_INPUT", reason: "GRAPHQL_PARSE_FAILED" },
        }),
      ]);
      expect(answer.bytes).toBeLessThan(500);
    });

    it("refuses what fits the token bound by the limits: aliases of __schema and of __typename count", async () => {
      const schemas = await post(s.api, aliasedSchemas(100));
      expect(schemas.status).toBe(400);
      expect(schemas.errors?.map((e) => e.message)).toEqual([
        "Operation too large: more than 30 aliases (fragments included)",
        'Introspection is off: "__schema" cannot be queried',
      ]);
      expect(schemas.errors?.[0].extensions).toEqual({ code: "BAD_USER_INPUT", maxAliases: 30 });
      const typenames = await post(s.api, aliasedTypenames(5000));
      expect(typenames.status).toBe(400);
      expect(typenames.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/more than 30 aliases/), extensions: { code: "BAD_USER_INPUT", maxAliases: 30 } })]);
      expect(schemas.bytes + typenames.bytes).toBeLessThan(1000);
      // 30 are within the limit.
      expect((await post(s.api, aliasedTypenames(30))).data).toMatchObject({ t0: "Query", t29: "Query" });
    });

    it("refuses 30,000 aliases of __typename (a limit of 30)", async () => {
      const answer = await post(s.api, aliasedTypenames(30_000));
      expect(answer.status).toBe(400);
      expect(answer.errors).toHaveLength(1);
      expect(answer.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
      expect(answer.bytes).toBeLessThan(500);
    });

    it("refuses 30 aliases of 100 leads × 100 interactions by their cost, with the figures", async () => {
      const answer = await post(s.api, thirtyPagesOfPages());
      expect(answer.status).toBe(400);
      expect(answer.data).toBeUndefined();
      expect(answer.errors).toHaveLength(1);
      const [error] = answer.errors ?? [];
      expect(error.message).toMatch(/^Operation too costly: it may cost \d+, more than the 100000 allowed/);
      expect(error.extensions).toEqual({ code: "BAD_USER_INPUT", cost: expect.any(Number), maxCost: 100_000 });
      expect(error.extensions?.cost).toBeGreaterThan(30 * 100 * 100);
      expect(answer.bytes).toBeLessThan(1000);
    });

    it("counts the cost with the request's variables", async () => {
      const query = "query Page($first: Int) { leads(first: $first) { edges { node { id interactions(first: 100) { edges { node { id properties } } } } } } }";
      const refused = await post(s.api, query, { first: 100 });
      expect(refused.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", maxCost: 100_000 });
      const served = await post(s.api, query, { first: 2 });
      expect(served.errors).toBeUndefined();
      expect(served.data).toEqual({ leads: { edges: expect.any(Array) } });
    });

    it("refuses __schema and __type, and serves __typename", async () => {
      for (const query of [SCHEMA_QUERY, TYPE_QUERY]) {
        const answer = await post(s.api, query);
        expect(answer.status).toBe(400);
        expect(answer.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/^Introspection is off/), extensions: { code: "BAD_USER_INPUT", reason: "GRAPHQL_VALIDATION_FAILED" } })]);
      }
      expect((await post(s.api, "{ __typename }")).data).toEqual({ __typename: "Query" });
    });

    it("masks schema suggestions: validation and variables", async () => {
      const misspelt = await post(s.api, MISSPELT);
      expect(misspelt.errors?.[0]).toMatchObject({ message: 'Cannot query field "leadz" on type "Query".', extensions: { code: "BAD_USER_INPUT" } });
      const variable = await s.api.request(ENUM_VARIABLE, { scopes: ["REED"] });
      expect(variable.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
      expect(variable.errors?.[0].message).toMatch(/Value "REED" does not exist in "Scope" enum\.$/);
      expect(JSON.stringify([misspelt.errors, variable.errors])).not.toMatch(/Did you mean/);
    });

    it("logs the refusals at info at most", () => {
      const entries = logLines.map((line) => JSON.parse(line) as { level: string; message: string; component?: string });
      const access = entries.filter((entry) => entry.component === "access");
      expect(access.length).toBeGreaterThan(5);
      expect(access.filter((entry) => entry.level !== "info")).toEqual([]);
      // (A busy machine may log slow statements of the start: only the requests' own lines count.)
      expect(entries.filter((entry) => entry.message === "unexpected error" || entry.message === "unexpected HTTP error")).toEqual([]);
    });
  });

  describe("introspection and suggestions by the settings", () => {
    afterAll(() => s.t.restart({ NODE_ENV: "production" }));

    it("QUALIFY_INTROSPECTION=true answers introspection, within the token bound, the limits and the cost budget", async () => {
      await s.t.restart({ NODE_ENV: "production", QUALIFY_INTROSPECTION: "true" });
      expect((await post(s.api, SCHEMA_QUERY)).data).toEqual({ __schema: { queryType: { name: "Query" } } });
      // The query GraphiQL and most tools send: its nine `ofType` levels are one type reference.
      const full = await post(s.api, getIntrospectionQuery({ inputValueDeprecation: true, schemaDescription: true }));
      expect(full.errors).toBeUndefined();
      // Nesting through introspection counts: fields of types of fields…
      const deep = await post(s.api, "{ __schema { types { fields { type { fields { type { fields { type { fields { type { fields { name } } } } } } } } } } } }");
      expect(deep.errors?.[0]).toMatchObject({ message: expect.stringMatching(/depth exceeds 10/), extensions: { code: "BAD_USER_INPUT", maxDepth: 10 } });
      // … and so do aliases of it.
      expect((await post(s.api, aliasedSchemas(31))).errors?.[0].message).toMatch(/more than 30 aliases/);
    });

    it("QUALIFY_GRAPHIQL=on turns introspection on with it (GraphiQL reads the schema so)", async () => {
      await s.t.restart({ NODE_ENV: "production", QUALIFY_GRAPHIQL: "on" });
      const page = await fetch(new URL("/graphiql", s.t.app.url));
      expect(page.status).toBe(200);
      expect((await post(s.api, TYPE_QUERY)).data).toEqual({ __type: { fields: expect.arrayContaining([{ name: "email" }]) } });
    });

    it("development: introspection on and suggestions shown", async () => {
      await s.t.restart({ NODE_ENV: "development" });
      expect((await post(s.api, SCHEMA_QUERY)).errors).toBeUndefined();
      expect((await post(s.api, MISSPELT)).errors?.[0].message).toBe('Cannot query field "leadz" on type "Query". Did you mean "lead" or "leads"?');
      expect((await s.api.request(ENUM_VARIABLE, { scopes: ["REED"] })).errors?.[0].message).toMatch(/Did you mean the enum value "READ"\?$/);
    });

    it("development with QUALIFY_INTROSPECTION=false: off, and GraphiQL with it", async () => {
      await s.t.restart({ NODE_ENV: "development", QUALIFY_INTROSPECTION: "false" });
      expect((await post(s.api, SCHEMA_QUERY)).errors?.[0].message).toMatch(/^Introspection is off/);
      expect((await fetch(new URL("/graphiql", s.t.app.url))).status).toBe(404);
    });
  });
});
