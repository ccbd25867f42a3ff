/** Authentication and scopes: 401 without a valid key, 403 without the scope, admin implies all. */
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import { ApiKeyService, KEY_TRUST_MS } from "../../src/services/api-key.service";
import { codeOf, gql, type GraphQLTestClient } from "./helpers/graphql-client";
import { DELETE_LEAD, type InteractionInputVars, LEADS, RECORD_INTERACTION, UPSERT_LEAD } from "./helpers/documents";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

describe(`auth [${testDatabase()}]`, () => {
  // No background job (the sweeper, the webhook dispatcher's poll) adds to the statements counted.
  const s = useTestApp({ QUALIFY_EXPIRY_SWEEP_SECONDS: "0", QUALIFY_WEBHOOK_POLL_MS: "60000" });

  let leadId: string;

  beforeAll(async () => {
    leadId = (await s.t.admin.data(UPSERT_LEAD, { input: { email: uniqueEmail() } })).upsertLead.id;
  });

  it.each([
    ["no key", null],
    ["an unknown key", "qk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    ["garbage", "not a key at all"],
  ])("answers 401 UNAUTHENTICATED with %s", async (_name, key) => {
    const res = await s.t.admin.as(key).request(LEADS, {});
    expect(res.status).toBe(401);
    expect(codeOf(res)).toBe("UNAUTHENTICATED");
    expect(res.data).toBeNull();
  });

  it("answers 401 for a revoked key", async () => {
    const { key, record } = await s.t.app.services.apiKeys.create(s.t.app.context(null), "to revoke", ["read"]);
    const client = s.t.admin.as(key);
    expect((await client.request(LEADS, {})).status).toBe(200);
    expect((await s.t.app.services.apiKeys.revoke(s.t.app.context(null), record.id)).revokedAt).not.toBeNull();
    expect((await client.request(LEADS, {})).status).toBe(401);
  });

  it("refuses a key revoked by another instance within KEY_TRUST_MS", async () => {
    const { key, record } = await s.t.app.services.apiKeys.create(s.t.app.context(null), "revoked elsewhere", ["read"]);
    const client = s.t.admin.as(key);
    expect((await client.request(LEADS, {})).status).toBe(200); // verified, and trusted for a while
    // Another instance of the service (its own ApiKeyService) revokes it in the shared database.
    const elsewhere = new ApiKeyService(null);
    const revokedAt = performance.now();
    expect((await elsewhere.revoke(s.t.app.context(null), record.id)).revokedAt).not.toBeNull();
    const first = await client.request(LEADS, {});
    if (first.status === 200) expect(performance.now() - revokedAt).toBeLessThan(KEY_TRUST_MS);
    await new Promise((resolve) => setTimeout(resolve, KEY_TRUST_MS + 50));
    expect((await client.request(LEADS, {})).status).toBe(401);
    // A trusted key is not looked up again: no statement reaches the database for it.
    const trusted = (await s.t.app.services.apiKeys.create(s.t.app.context(null), "trusted", ["read"])).key;
    const reader = s.t.admin.as(trusted);
    const statements = async () => {
      const before = s.t.app.queries.count;
      expect((await reader.request(LEADS, { first: 1 })).status).toBe(200);
      return s.t.app.queries.count - before;
    };
    const verifying = await statements();
    expect(await statements()).toBe(verifying - 1);
  });

  describe("subscriptions of a revoked key", () => {
    const until = async (done: () => boolean, ms = 5000) => {
      const deadline = Date.now() + ms;
      while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    };
    const subscribe = async (name: string) => {
      const { key, record } = await s.t.app.services.apiKeys.create(s.t.app.context(null), name, ["read"]);
      const ws = s.t.admin.as(key).subscriptions();
      let closedWith: number | null = null;
      ws.on("closed", (event) => (closedWith = (event as { code: number }).code));
      const messages: Array<{ data?: unknown; errors?: Array<{ extensions?: { code?: string } }> }> = [];
      ws.subscribe({ query: `subscription { leadScored { score } }` }, { next: (m) => void messages.push(m as never), error: () => undefined, complete: () => undefined });
      await new Promise((r) => setTimeout(r, 300)); // the server registers it asynchronously
      return { ws, id: record.id, messages, closed: () => closedWith };
    };
    const visit = () => s.t.admin.data(RECORD_INTERACTION, { input: { email: uniqueEmail("sub"), type: "visit", target: "/pricing" } });

    it("get no event once the key is revoked, and are closed (4403)", async () => {
      const sub = await subscribe("revoked while subscribed");
      try {
        await visit();
        await until(() => sub.messages.length >= 1);
        expect((await s.t.app.services.apiKeys.revoke(s.t.app.context(null), sub.id)).revokedAt).not.toBeNull();
        await visit();
        await until(() => sub.closed() !== null);
        expect(sub.closed()).toBe(4403);
        expect(sub.messages.filter((m) => m.data)).toHaveLength(1);
        expect(sub.messages.slice(1).map((m) => m.errors?.[0]?.extensions?.code)).toEqual(["UNAUTHENTICATED"]);
      } finally {
        await sub.ws.dispose();
      }
    });

    it("are closed when idle too, within seconds", async () => {
      const sub = await subscribe("revoked while idle");
      try {
        expect((await s.t.app.services.apiKeys.revoke(s.t.app.context(null), sub.id)).revokedAt).not.toBeNull();
        await until(() => sub.closed() !== null, 8000);
        expect(sub.closed()).toBe(4403);
        expect(sub.messages).toEqual([]);
      } finally {
        await sub.ws.dispose();
      }
    }, 15_000);
  });

  describe("scopes", () => {
    let reader: GraphQLTestClient;
    let ingester: GraphQLTestClient;
    let sales: GraphQLTestClient;
    let admin: GraphQLTestClient;

    beforeAll(async () => {
      reader = await s.t.client(["read"]);
      ingester = await s.t.client(["ingest"]);
      sales = await s.t.client(["sales"]);
      admin = await s.t.client(["admin"]);
    });

    // What each scope alone may read of its writes' answers: ids (test/security/scopes.spec.ts has every field).
    const RECORD_IDS = gql<unknown, { input: InteractionInputVars }>(`
      mutation ($input: InteractionInput!) { recordInteraction(input: $input) { duplicate pointsAwarded interaction { id } lead { id } } }`);
    const UPSERT_ID = gql<unknown, { email: string }>(`mutation ($email: String!) { upsertLead(input: { email: $email }) { id } }`);
    const MOVE_ID = gql<unknown, { leadId: string }>(`mutation ($leadId: ID!) { setLeadStage(leadId: $leadId, stage: "MQL") { id } }`);
    const operations = {
      read: (c: GraphQLTestClient) => c.request(LEADS, { first: 1 }),
      ingest: (c: GraphQLTestClient) => c.request(RECORD_IDS, { input: { email: uniqueEmail(), type: "visit" } }),
      upsert: (c: GraphQLTestClient) => c.request(UPSERT_ID, { email: uniqueEmail() }),
      sales: (c: GraphQLTestClient) => c.request(MOVE_ID, { leadId }),
      admin: (c: GraphQLTestClient) => c.request(DELETE_LEAD, { id: "00000000-0000-4000-8000-000000000000" }),
    };
    const allowed: Record<string, Array<keyof typeof operations>> = {
      reader: ["read"],
      ingester: ["ingest", "upsert"],
      sales: ["sales"],
      admin: ["read", "ingest", "upsert", "sales", "admin"],
    };

    it.each(Object.keys(allowed))("%s may do exactly what its scopes allow, 403 FORBIDDEN otherwise", async (who) => {
      const client = { reader, ingester, sales, admin }[who as "reader"];
      for (const [name, run] of Object.entries(operations)) {
        const res = await run(client);
        if (allowed[who].includes(name as keyof typeof operations)) {
          expect({ name, errors: res.errors }).toEqual({ name, errors: undefined });
        } else {
          expect({ name, status: res.status, code: codeOf(res) }).toEqual({ name, status: 403, code: "FORBIDDEN" });
        }
      }
    });

    it("QUALIFY_ADMIN_KEY from the environment is an admin key", async () => {
      for (const run of Object.values(operations)) expect((await run(s.t.admin)).errors).toBeUndefined();
    });
  });

  it("stores keys hashed (SHA-256), showing only a prefix", async () => {
    const { key } = await s.t.app.services.apiKeys.create(s.t.app.context(null), "hashed", ["read"]);
    const rows: Array<Record<string, unknown>> = await s.t.app.context(null).db.query("SELECT * FROM api_key WHERE name = 'hashed'");
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(key);
    expect(rows[0].hash).toBe(createHash("sha256").update(key).digest("hex"));
    expect(key.startsWith(rows[0].prefix as string)).toBe(true);
  });

  it("serves the health endpoints without a key", async () => {
    const base = s.t.app.url.replace(/\/graphql$/, "");
    for (const path of ["/health/live", "/health/ready"]) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "ok" });
    }
  });
});
