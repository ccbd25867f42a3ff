/**
 * `viewer`: any valid key asks who it is (no scope needed): the env admin key, the first-start
 * admin key, a key of each scope and of several, a key with its own budgets; a revoked, unknown or
 * missing key is 401 UNAUTHENTICATED as for any other operation.
 */
import type { Scope } from "../../src/entities/api-key.entity";
import { codeOf, gql, GraphQLTestClient } from "./helpers/graphql-client";
import { testDatabase, useTestApp } from "./helpers/test-app";

interface ViewerShape {
  id: string | null;
  name: string;
  prefix: string | null;
  scopes: string[];
  effectiveScopes: string[];
  createdAt: string | null;
  rateLimit: { requests: number; cost: number; windowSeconds: number; custom: boolean };
}

const VIEWER = gql<{ viewer: ViewerShape }, Record<string, never>>(`
  query Viewer { viewer { id name prefix scopes effectiveScopes createdAt rateLimit { requests cost windowSeconds custom } } }`);

const SET_RATE_LIMIT = gql<unknown, { id: string; rateLimit: { requests?: number; cost?: number; windowSeconds?: number } }>(`
  mutation Limit($id: ID!, $rateLimit: RateLimitInput) { setApiKeyRateLimit(id: $id, rateLimit: $rateLimit) { id } }`);

describe(`viewer [${testDatabase()}]`, () => {
  const s = useTestApp({ QUALIFY_RATE_LIMIT_REQUESTS: "5000", QUALIFY_RATE_LIMIT_COST: "900000", QUALIFY_RATE_LIMIT_WINDOW_SECONDS: "30" });
  const settings = { requests: 5000, cost: 900000, windowSeconds: 30, custom: false };

  /** A new stored key with `scopes`, its record and a client holding it. */
  async function keyWith(name: string, scopes: Scope[]) {
    const { key, record } = await s.t.app.services.apiKeys.create(s.t.app.context(null), name, scopes);
    return { key, record, client: new GraphQLTestClient(s.t.app.url, key) };
  }

  it("QUALIFY_ADMIN_KEY: named so, admin with every scope in force, no id, prefix or creation (it is not stored)", async () => {
    expect((await s.api.data(VIEWER)).viewer).toEqual({
      id: null,
      name: "QUALIFY_ADMIN_KEY",
      prefix: null,
      scopes: ["ADMIN"],
      effectiveScopes: ["READ", "INGEST", "SALES", "ADMIN"],
      createdAt: null,
      rateLimit: settings,
    });
  });

  it.each<[string, Scope[], string[]]>([
    ["read", ["read"], ["READ"]],
    ["ingest", ["ingest"], ["INGEST"]],
    ["sales", ["sales"], ["SALES"]],
    ["ingest and read", ["read", "ingest"], ["READ", "INGEST"]],
    ["sales and ingest", ["ingest", "sales"], ["INGEST", "SALES"]],
  ])("a %s key knows itself: its id, name, prefix, scopes and creation", async (name, scopes, shown) => {
    const { key, record, client } = await keyWith(`viewer ${name}`, scopes);
    const res = await client.request(VIEWER);
    expect({ status: res.status, errors: res.errors }).toEqual({ status: 200, errors: undefined });
    expect(res.data?.viewer).toEqual({
      id: record.id,
      name: `viewer ${name}`,
      prefix: key.slice(0, 10),
      scopes: shown,
      effectiveScopes: shown,
      createdAt: record.createdAt.toISOString(),
      rateLimit: settings,
    });
  });

  it("a stored admin key: ADMIN given, every scope in force", async () => {
    const { record, client } = await keyWith("viewer admin", ["admin"]);
    const { viewer } = await client.data(VIEWER);
    expect({ id: viewer.id, scopes: viewer.scopes, effectiveScopes: viewer.effectiveScopes }).toEqual({
      id: record.id,
      scopes: ["ADMIN"],
      effectiveScopes: ["READ", "INGEST", "SALES", "ADMIN"],
    });
  });

  it("shows the key's own budgets once an admin set them (the others still the service's)", async () => {
    const { record, client } = await keyWith("viewer limited", ["ingest"]);
    await s.api.data(SET_RATE_LIMIT, { id: record.id, rateLimit: { requests: 120, windowSeconds: 10 } });
    expect((await client.data(VIEWER)).viewer.rateLimit).toEqual({ requests: 120, cost: 900000, windowSeconds: 10, custom: true });
  });

  it("a revoked key is 401 UNAUTHENTICATED, as for every operation", async () => {
    const { record, client } = await keyWith("viewer revoked", ["read"]);
    expect((await client.data(VIEWER)).viewer.id).toBe(record.id);
    await s.t.app.services.apiKeys.revoke(s.t.app.context(null), record.id);
    const res = await client.request(VIEWER);
    expect({ status: res.status, code: codeOf(res), data: res.data }).toEqual({ status: 401, code: "UNAUTHENTICATED", data: null });
  });

  it.each([
    ["no key", null],
    ["an unknown key", "qk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    ["a malformed key", "not a key"],
  ])("%s is 401 UNAUTHENTICATED", async (_name, key) => {
    const res = await s.api.as(key).request(VIEWER);
    expect({ status: res.status, code: codeOf(res) }).toEqual({ status: 401, code: "UNAUTHENTICATED" });
  });
});

describe(`viewer of the first-start admin key [${testDatabase()}]`, () => {
  const s = useTestApp({ QUALIFY_ADMIN_KEY: "" });

  it("is the stored key made on the first start: its id, name and prefix, ADMIN", async () => {
    const [stored] = await s.t.app.services.apiKeys.list(s.t.app.context(null));
    const { viewer } = await s.api.data(VIEWER);
    expect(viewer).toEqual({
      id: stored.id,
      name: "admin (first start)",
      prefix: s.api.key?.slice(0, 10),
      scopes: ["ADMIN"],
      effectiveScopes: ["READ", "INGEST", "SALES", "ADMIN"],
      createdAt: stored.createdAt.toISOString(),
      rateLimit: expect.objectContaining({ custom: false }),
    });
  });
});
