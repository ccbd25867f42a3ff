/**
 * API keys over GraphQL: apiKeys, createApiKey, revokeApiKey (admin only), the key shown once,
 * exactly its scopes, revocation at once on this instance and within a second on another, the last
 * admin key kept, bad input, and the way back from a lost first key.
 */
import { performance } from "node:perf_hooks";
import { ApiKeyService, KEY_TRUST_MS } from "../../src/services/api-key.service";
import { API_KEYS, type ApiKeyShape, CREATE_API_KEY, DELETE_LEAD, LEADS, RECORD_INTERACTION, REVOKE_API_KEY, SET_LEAD_STAGE, UPSERT_LEAD } from "./helpers/documents";
import { codeOf, type GraphQLTestClient, type Response } from "./helpers/graphql-client";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";

/** Creates a key over GraphQL as `admin`; fails the test on errors. */
async function createKey(admin: GraphQLTestClient, name: string, scopes: string[]) {
  const { createApiKey } = await admin.data(CREATE_API_KEY, { name, scopes });
  return { ...createApiKey, client: admin.as(createApiKey.key) };
}

const listed = async (admin: GraphQLTestClient, id: string): Promise<ApiKeyShape | undefined> =>
  (await admin.data(API_KEYS)).apiKeys.find((k) => k.id === id);

/** The status and code of a response, for one-line assertions. */
const outcome = (res: Response<unknown>) => ({ status: res.status, code: codeOf(res) ?? null });

describe(`API keys over GraphQL [${testDatabase()}]`, () => {
  const s = useTestApp();

  it("an admin creates a key: returned once, listed without it, never again", async () => {
    const before = Date.now();
    const { key, apiKey } = await s.api.data(CREATE_API_KEY, { name: "  web tracker  ", scopes: ["INGEST", "READ", "INGEST"] }).then((d) => d.createApiKey);
    expect(key).toMatch(/^qk_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toEqual({
      id: expect.any(String),
      name: "web tracker",
      prefix: key.slice(0, 10),
      scopes: ["READ", "INGEST"],
      createdAt: expect.any(String),
      createdBy: "QUALIFY_ADMIN_KEY",
      revokedAt: null,
      revokedBy: null,
      lastUsedAt: null,
    });
    expect(Date.parse(apiKey.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    const list = await s.api.request(API_KEYS);
    expect(list.data?.apiKeys.find((k) => k.id === apiKey.id)).toEqual(apiKey);
    expect(JSON.stringify(list)).not.toContain(key);
    expect(JSON.stringify(list)).not.toContain(key.slice(10));
  });

  it("lists newest first", async () => {
    const first = await createKey(s.api, "older", ["READ"]);
    await sleep(5);
    const second = await createKey(s.api, "newer", ["READ"]);
    const ids = (await s.api.data(API_KEYS)).apiKeys.map((k) => k.id);
    expect(ids.indexOf(second.apiKey.id)).toBeLessThan(ids.indexOf(first.apiKey.id));
  });

  it("the new key works with exactly its scopes", async () => {
    const { client } = await createKey(s.api, "reads and ingests", ["READ", "INGEST"]);
    const lead = await client.data(UPSERT_LEAD, { input: { email: uniqueEmail("scoped") } });
    expect((await client.request(RECORD_INTERACTION, { input: { leadId: lead.upsertLead.id, type: "visit" } })).errors).toBeUndefined();
    expect((await client.request(LEADS, { first: 1 })).errors).toBeUndefined();
    expect(outcome(await client.request(SET_LEAD_STAGE, { leadId: lead.upsertLead.id, stage: "MQL" }))).toEqual({ status: 403, code: "FORBIDDEN" });
    expect(outcome(await client.request(DELETE_LEAD, { id: lead.upsertLead.id }))).toEqual({ status: 403, code: "FORBIDDEN" });
    expect(outcome(await client.request(API_KEYS))).toEqual({ status: 403, code: "FORBIDDEN" });
  });

  it("a key made by a stored admin key names it as creator, and can manage keys", async () => {
    const admin = await createKey(s.api, "ops admin", ["ADMIN"]);
    const made = await createKey(admin.client, "made by ops", ["SALES"]);
    expect(made.apiKey.createdBy).toBe("ops admin");
    expect((await admin.client.data(REVOKE_API_KEY, { id: made.apiKey.id })).revokeApiKey.revokedBy).toBe("ops admin");
  });

  it.each([["READ"], ["INGEST"], ["SALES"]])("a %s key gets FORBIDDEN on all three operations", async (scope) => {
    const { client, apiKey } = await createKey(s.api, `only ${scope}`, [scope]);
    const target = await createKey(s.api, "target", ["READ"]);
    const answers = [
      await client.request(API_KEYS),
      await client.request(CREATE_API_KEY, { name: "escalate", scopes: ["ADMIN"] }),
      await client.request(REVOKE_API_KEY, { id: target.apiKey.id }),
    ];
    for (const res of answers) {
      expect(outcome(res)).toEqual({ status: 403, code: "FORBIDDEN" });
      expect(res.data).toBeNull();
    }
    const keys = (await s.api.data(API_KEYS)).apiKeys;
    expect(keys.filter((k) => k.name === "escalate")).toEqual([]);
    expect(keys.find((k) => k.id === target.apiKey.id)?.revokedAt).toBeNull();
    expect(keys.find((k) => k.id === apiKey.id)?.revokedAt).toBeNull();
  });

  it("without a key all three are UNAUTHENTICATED (401)", async () => {
    const anonymous = s.api.as(null);
    expect(outcome(await anonymous.request(API_KEYS))).toEqual({ status: 401, code: "UNAUTHENTICATED" });
    expect(outcome(await anonymous.request(CREATE_API_KEY, { name: "x", scopes: ["READ"] }))).toEqual({ status: 401, code: "UNAUTHENTICATED" });
    expect(outcome(await anonymous.request(REVOKE_API_KEY, { id: UNKNOWN_ID }))).toEqual({ status: 401, code: "UNAUTHENTICATED" });
  });

  it("revoke: the key gets 401 at once on this instance; the list shows revokedAt and who", async () => {
    const { client, apiKey } = await createKey(s.api, "to revoke", ["READ"]);
    expect((await client.request(LEADS, { first: 1 })).status).toBe(200); // verified: trusted for a second
    const before = Date.now();
    const { revokeApiKey } = await s.api.data(REVOKE_API_KEY, { id: apiKey.id });
    expect(outcome(await client.request(LEADS, { first: 1 }))).toEqual({ status: 401, code: "UNAUTHENTICATED" });
    expect(revokeApiKey).toEqual({ ...apiKey, revokedAt: expect.any(String), revokedBy: "QUALIFY_ADMIN_KEY", lastUsedAt: expect.any(String) });
    expect(Date.parse(revokeApiKey.revokedAt as string)).toBeGreaterThanOrEqual(before - 1000);
    expect(await listed(s.api, apiKey.id)).toEqual(revokeApiKey);
  });

  it("revoking a revoked key answers it as it is (idempotent: the first revocation stands)", async () => {
    const { apiKey } = await createKey(s.api, "revoked twice", ["READ"]);
    const first = (await s.api.data(REVOKE_API_KEY, { id: apiKey.id })).revokeApiKey;
    await sleep(10);
    const again = await createKey(s.api, "second revoker", ["ADMIN"]);
    const second = (await again.client.data(REVOKE_API_KEY, { id: apiKey.id })).revokeApiKey;
    expect(second).toEqual(first);
    expect(second.revokedBy).toBe("QUALIFY_ADMIN_KEY");
  });

  it("with QUALIFY_ADMIN_KEY set, the last stored admin key may be revoked (the environment key remains)", async () => {
    await createKey(s.api, "a stored admin", ["ADMIN"]);
    const stored = (await s.api.data(API_KEYS)).apiKeys.filter((k) => k.scopes.includes("ADMIN") && !k.revokedAt);
    for (const k of stored) expect((await s.api.request(REVOKE_API_KEY, { id: k.id })).errors).toBeUndefined();
    expect((await s.api.data(API_KEYS)).apiKeys.filter((k) => k.scopes.includes("ADMIN") && !k.revokedAt)).toEqual([]);
    expect((await s.api.request(API_KEYS)).status).toBe(200);
  });

  it("lastUsedAt: set by the key's first use, then written at most once a minute (not per request)", async () => {
    const { client, apiKey, key } = await createKey(s.api, "usage", ["READ"]);
    expect((await listed(s.api, apiKey.id))?.lastUsedAt).toBeNull();
    await client.data(LEADS, { first: 1 });
    const used = (await listed(s.api, apiKey.id))?.lastUsedAt as string;
    expect(Date.parse(used)).toBeGreaterThanOrEqual(Date.parse(apiKey.createdAt));
    await sleep(KEY_TRUST_MS + 50); // the key is verified again on its next use
    await client.data(LEADS, { first: 1 });
    expect((await listed(s.api, apiKey.id))?.lastUsedAt).toBe(used);
    // A verification more than a minute later records the new time (another instance, a clock ahead).
    const later = new Date(Date.parse(used) + 61_000);
    const elsewhere = new ApiKeyService(null);
    expect(await elsewhere.authenticate({ ...s.t.app.context(null), clock: { now: () => later } }, key)).not.toBeNull();
    expect((await listed(s.api, apiKey.id))?.lastUsedAt).toBe(later.toISOString());
  });

  describe("bad input: a clear code on the field, nothing created or revoked", () => {
    const keyCount = async () => (await s.api.data(API_KEYS)).apiKeys.length;

    it.each([
      ["an empty name", "", ["READ"], [["name", "must not be empty"]]],
      ["a blank name", "   ", ["READ"], [["name", "must not be empty"]]],
      ["a name of 201 characters", "x".repeat(201), ["READ"], [["name", "must be at most 200 characters"]]],
      ["a name holding U+0000", "a\u0000b", ["READ"], [["name", "must not contain the character U+0000 (NUL)"]]],
      ["no scope", "no scope", [], [["scopes", "must name at least one scope (read, ingest, sales, admin)"]]],
      ["both at once", "", [], [["name", "must not be empty"], ["scopes", "must name at least one scope (read, ingest, sales, admin)"]]],
    ])("%s: BAD_USER_INPUT", async (_what, name, scopes, problems) => {
      const count = await keyCount();
      const res = await s.api.request(CREATE_API_KEY, { name: name as string, scopes: scopes as string[] });
      expect(res.data).toBeNull();
      expect(res.errors?.[0].extensions).toEqual({
        code: "BAD_USER_INPUT",
        field: (problems as string[][])[0][0],
        fields: (problems as string[][]).map(([field, message]) => ({ field, message })),
      });
      expect(await keyCount()).toBe(count);
    });

    it("a name of exactly 200 characters is fine", async () => {
      expect((await createKey(s.api, "y".repeat(200), ["READ"])).apiKey.name).toHaveLength(200);
    });

    it("an unknown scope: BAD_USER_INPUT (the enum names the valid ones)", async () => {
      const res = await s.api.request(CREATE_API_KEY, { name: "owner", scopes: ["OWNER"] });
      expect(codeOf(res)).toBe("BAD_USER_INPUT");
      expect(res.errors?.[0].message).toMatch(/OWNER/);
      const lower = await s.api.request(CREATE_API_KEY, { name: "lower", scopes: ["read"] });
      expect(codeOf(lower)).toBe("BAD_USER_INPUT");
    });

    it("revoking an id no key has: NOT_FOUND", async () => {
      const res = await s.api.request(REVOKE_API_KEY, { id: UNKNOWN_ID });
      expect(res.data).toBeNull();
      expect(res.errors?.[0]).toMatchObject({ message: "API key not found", path: ["revokeApiKey"], extensions: { code: "NOT_FOUND" } });
    });

    it.each([
      ["an id that is no id", "qk_AbCdEfG"],
      ["an empty id", ""],
    ])("revoking %s: BAD_USER_INPUT on id (every ID is a UUID)", async (_what, id) => {
      const res = await s.api.request(REVOKE_API_KEY, { id });
      expect(res.data).toBeNull();
      expect(res.errors?.[0]).toMatchObject({ path: ["revokeApiKey"], extensions: { code: "BAD_USER_INPUT", field: "id" } });
    });
  });

  (testDatabase() === "postgres" ? it : it.skip)("another instance refuses a revoked key within a second (over HTTP)", async () => {
    const other = await s.t.another();
    try {
      const { key, apiKey } = await createKey(s.api, "used on two instances", ["READ"]);
      const here = s.api.as(key);
      const there = other.admin.as(key);
      expect((await here.request(LEADS, { first: 1 })).status).toBe(200);
      expect((await there.request(LEADS, { first: 1 })).status).toBe(200); // trusted there for a second
      const revokedAt = performance.now();
      await s.api.data(REVOKE_API_KEY, { id: apiKey.id });
      expect((await here.request(LEADS, { first: 1 })).status).toBe(401);
      const first = await there.request(LEADS, { first: 1 });
      if (first.status === 200) expect(performance.now() - revokedAt).toBeLessThan(KEY_TRUST_MS);
      await sleep(KEY_TRUST_MS + 50);
      expect(outcome(await there.request(LEADS, { first: 1 }))).toEqual({ status: 401, code: "UNAUTHENTICATED" });
    } finally {
      await other.app.close();
    }
  });
});

describe(`the last active admin key [${testDatabase()}]`, () => {
  // No QUALIFY_ADMIN_KEY: the first start generates the only admin key, as on a real first start.
  const s = useTestApp({ QUALIFY_ADMIN_KEY: "" });
  const activeAdmins = async () => (await s.api.data(API_KEYS)).apiKeys.filter((k) => k.scopes.includes("ADMIN") && !k.revokedAt);

  it("is not revoked (CONFLICT) while it is the last, with other keys around; it keeps working", async () => {
    expect(s.t.app.firstAdminKey).toMatch(/^qk_/);
    await createKey(s.api, "a reader", ["READ"]);
    const [only] = await activeAdmins();
    expect(only.name).toBe("admin (first start)");
    const res = await s.api.request(REVOKE_API_KEY, { id: only.id });
    expect(res.data).toBeNull();
    expect(codeOf(res)).toBe("CONFLICT");
    expect(res.errors?.[0].message).toMatch(/last active admin key/);
    expect((await s.api.request(API_KEYS)).status).toBe(200);
    expect(await activeAdmins()).toEqual([only]);
  });

  it("is revoked once another admin key exists, which then is the last", async () => {
    const [first] = await activeAdmins();
    const next = await createKey(s.api, "the next admin", ["ADMIN", "READ"]);
    expect((await next.client.data(REVOKE_API_KEY, { id: first.id })).revokeApiKey.revokedAt).not.toBeNull();
    expect((await s.api.request(API_KEYS)).status).toBe(401);
    expect(codeOf(await next.client.request(REVOKE_API_KEY, { id: next.apiKey.id }))).toBe("CONFLICT");
    s.t.admin = next.client; // the suite's admin from here on
  });

  it("two admins revoking the last two admin keys at once: one wins, the other is CONFLICT", async () => {
    const [current] = await activeAdmins();
    const other = await createKey(s.api, "the other admin", ["ADMIN"]);
    // Through the service, so that both revocations are in flight together (over HTTP the loser's
    // own key may already be refused when its request arrives, which proves nothing here).
    const apiKeys = s.t.app.services.apiKeys;
    const as = (name: string) => s.t.app.context({ keyId: null, name, scopes: new Set(["admin"] as const) });
    const answers = await Promise.allSettled([
      apiKeys.revoke(as(current.name), other.apiKey.id),
      apiKeys.revoke(as(other.apiKey.name), current.id),
    ]);
    expect(answers.map((a) => (a.status === "fulfilled" ? "revoked" : (a.reason as { code?: string }).code)).sort()).toEqual(["CONFLICT", "revoked"]);
    const [{ n }] = await s.t.app.context(null).db.query(`SELECT count(*)::int AS n FROM api_key WHERE revoked_at IS NULL AND 'admin' = ANY (scopes)`);
    expect(n).toBe(1);
  });
});

describe(`a lost first admin key [${testDatabase()}]`, () => {
  const s = useTestApp({ QUALIFY_ADMIN_KEY: "" });
  const RECOVERY_KEY = "recovery-key-0123456789-abcdef";

  it("QUALIFY_ADMIN_KEY and a restart: create a new admin key, revoke the lost one; without it again, the new key is the admin", async () => {
    const lost = s.t.app.firstAdminKey as string;
    expect(lost).toMatch(/^qk_/);
    await s.t.restart({ QUALIFY_ADMIN_KEY: RECOVERY_KEY });
    expect(s.t.app.firstAdminKey).toBeNull();
    const recovery = s.t.admin;
    const [lostKey] = (await recovery.data(API_KEYS)).apiKeys;
    expect(lostKey).toMatchObject({ name: "admin (first start)", prefix: lost.slice(0, 10), revokedAt: null });
    const replacement = await createKey(recovery, "admin (replaces the lost one)", ["ADMIN"]);
    expect((await recovery.data(REVOKE_API_KEY, { id: lostKey.id })).revokeApiKey.revokedBy).toBe("QUALIFY_ADMIN_KEY");
    expect((await recovery.as(lost).request(API_KEYS)).status).toBe(401);

    await s.t.restart({ QUALIFY_ADMIN_KEY: "" });
    expect(s.t.app.firstAdminKey).toBeNull(); // an admin key exists: none is generated
    const admin = s.t.admin.as(replacement.key);
    const keys = (await admin.data(API_KEYS)).apiKeys;
    expect(keys.map((k) => [k.name, k.revokedAt === null])).toEqual([
      ["admin (replaces the lost one)", true],
      ["admin (first start)", false],
    ]);
    expect((await admin.as(lost).request(API_KEYS)).status).toBe(401);
    expect((await admin.as(RECOVERY_KEY).request(API_KEYS)).status).toBe(401);
  });
});
