/**
 * Rate limits per API key (src/app/rate-limits.ts): a budget of requests and of cost per window,
 * from the settings or set per key by an admin; past either, 429 RATE_LIMITED with Retry-After,
 * other keys unaffected; the counts shared by every instance (PostgreSQL's `rate_limit` table,
 * or Redis with REDIS_URL: one on 127.0.0.1:6379, or QUALIFY_TEST_REDIS_URL); and requests without a
 * valid key refused before their body is read (src/app/authentication.ts).
 */
import { randomUUID } from "node:crypto";
import net from "node:net";
import { Redis } from "ioredis";
import { RateLimits } from "../../src/app/rate-limits";
import type { Config } from "../../src/config";
import type { Caller } from "../../src/context";
import { poolOf } from "../../src/database/data-source";
import { domainErrorOf } from "../../src/errors";
import { createLogger } from "../../src/logger";
import { codeOf, gql, type GraphQLTestClient, type Response } from "../api/helpers/graphql-client";
import { LEADS, RECORD_INTERACTION } from "../api/helpers/documents";
import { testDatabase, uniqueEmail, useTestApp, type SuiteApp } from "../api/helpers/test-app";

/** The Redis server of the Redis store's tests (CI makes sure one answers: `.ci/run`). */
const REDIS_URL = process.env.QUALIFY_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const onPostgres = testDatabase() === "postgres" ? it : it.skip;

interface RateLimitShape {
  requests: number;
  cost: number;
  windowSeconds: number;
  custom: boolean;
}
interface RateLimitVars {
  requests?: number | null;
  cost?: number | null;
  windowSeconds?: number | null;
}

const CREATE_KEY = gql<
  { createApiKey: { key: string; apiKey: { id: string; rateLimit: RateLimitShape } } },
  { name: string; scopes: string[]; rateLimit?: RateLimitVars | null }
>(`mutation CreateKey($name: String!, $scopes: [Scope!]!, $rateLimit: RateLimitInput) {
  createApiKey(name: $name, scopes: $scopes, rateLimit: $rateLimit) { key apiKey { id rateLimit { requests cost windowSeconds custom } } }
}`);

const SET_RATE_LIMIT = gql<{ setApiKeyRateLimit: { id: string; rateLimit: RateLimitShape } }, { id: string; rateLimit: RateLimitVars | null }>(
  `mutation SetRateLimit($id: ID!, $rateLimit: RateLimitInput) {
    setApiKeyRateLimit(id: $id, rateLimit: $rateLimit) { id rateLimit { requests cost windowSeconds custom } }
  }`,
);

const KEYS = gql<{ apiKeys: Array<{ id: string; rateLimit: RateLimitShape }> }, Record<string, never>>(
  `query Keys { apiKeys { id rateLimit { requests cost windowSeconds custom } } }`,
);

const PAGE = gql<unknown, Record<string, never>>(`query Page { leads(first: 5) { edges { node { id email score } } } }`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A key made over GraphQL by the admin, with `rateLimit`; its client, id and budgets as answered. */
async function keyWith(s: SuiteApp, rateLimit: RateLimitVars | null, scopes = ["READ", "INGEST"]) {
  const { createApiKey } = await s.api.data(CREATE_KEY, { name: `rate ${randomUUID().slice(0, 8)}`, scopes, rateLimit });
  return { client: s.api.as(createApiKey.key), id: createApiKey.apiKey.id, rateLimit: createApiKey.apiKey.rateLimit };
}

/** Asserts `res` is a rate-limit refusal of `limit`, its Retry-After the same as `extensions.retryAfter`; returns the extensions. */
function expectRefused(res: Response<unknown>, limit: "REQUESTS" | "COST", budget: number, windowSeconds: number) {
  expect({ status: res.status, code: codeOf(res), data: res.data }).toEqual({ status: 429, code: "RATE_LIMITED", data: null });
  const extensions = res.errors?.[0].extensions as Record<string, unknown>;
  expect(extensions).toMatchObject({ limit, budget, windowSeconds });
  expect(res.headers.get("retry-after")).toBe(String(extensions.retryAfter));
  expect(extensions.retryAfter).toBeGreaterThanOrEqual(1);
  expect(extensions.retryAfter).toBeLessThanOrEqual(windowSeconds);
  expect(res.headers.get("cache-control")).toBe("no-store");
  return extensions;
}

/** Sends `count` requests of `client` at once; the statuses, in the order sent. */
async function burst(clients: GraphQLTestClient[], count: number) {
  return Promise.all(Array.from({ length: count }, (_, i) => clients[i % clients.length].request(LEADS, { first: 1 })));
}

const statuses = (answers: Array<Response<unknown>>) => ({
  ok: answers.filter((r) => r.status === 200 && !r.errors).length,
  refused: answers.filter((r) => r.status === 429).length,
});

/** A caller of a key that exists nowhere but in the rate limits (their own tests). */
const callerWith = (rateLimit: Caller["rateLimit"]): Caller => ({ keyId: randomUUID(), name: "rate test", scopes: new Set(["read"]), rateLimit });

/** Rate limits of their own over the store `config` says, on the suite's database. */
const rateLimitsOf = async (s: SuiteApp, config: Config) =>
  RateLimits.create(config, createLogger("silent"), poolOf(s.t.app.context(null).db.connection));

describe(`rate limits [${testDatabase()}]`, () => {
  const REQUESTS = 20;
  const s = useTestApp({ QUALIFY_RATE_LIMIT_REQUESTS: String(REQUESTS) });

  it("lets exactly the budget of 50 concurrent requests through and refuses the rest with 429, Retry-After and RATE_LIMITED; other keys are unaffected", async () => {
    const reader = await s.t.client(["read"]);
    const answers = await burst([reader], 50);
    expect(statuses(answers)).toEqual({ ok: REQUESTS, refused: 50 - REQUESTS });
    for (const res of answers.filter((r) => r.status === 429)) {
      const extensions = expectRefused(res, "REQUESTS", REQUESTS, 60);
      expect(res.errors?.[0].message).toMatch(/used its 20 requests per 60 s; retry in \d+ s/);
      expect(extensions).not.toHaveProperty("http");
    }
    expectRefused(await reader.request(LEADS, { first: 1 }), "REQUESTS", REQUESTS, 60);
    // Another key has its own budget; QUALIFY_ADMIN_KEY (the operator's) has none.
    const other = await s.t.client(["read"]);
    expect(statuses(await burst([other], REQUESTS))).toEqual({ ok: REQUESTS, refused: 0 });
    expect(statuses(await burst([s.api], 2 * REQUESTS))).toEqual({ ok: 2 * REQUESTS, refused: 0 });
  });

  it("counts in the store of the database in use: PostgreSQL's rate_limit table on a server, memory when embedded", async () => {
    const { client, id } = await keyWith(s, { requests: 3 });
    await client.data(LEADS, { first: 1 });
    const rows: Array<{ points: number }> = await s.t.app.context(null).db.query(`SELECT points FROM rate_limit WHERE key = $1`, [`qualify:requests:60:${id}`]);
    expect(rows.map((r) => r.points)).toEqual(testDatabase() === "postgres" ? [1] : []);
  });

  it("charges each operation its cost: the cost budget refuses an operation that costs more than what is left, charging it nothing", async () => {
    const BUDGET = 60;
    const { client } = await keyWith(s, { requests: 0, cost: BUDGET });
    let passed = 0;
    let refused: Response<unknown> | null = null;
    while (!refused && passed <= BUDGET) {
      const res = await client.request(PAGE, {});
      if (res.status === 200) {
        expect(res.errors).toBeUndefined();
        passed++;
      } else refused = res;
    }
    expect(refused).not.toBeNull();
    const extensions = expectRefused(refused as Response<unknown>, "COST", BUDGET, 60);
    // The operation's cost, as computed before it ran; as many passed as the budget pays for.
    const cost = extensions.cost as number;
    expect(cost).toBeGreaterThanOrEqual(1);
    expect(passed).toBe(Math.floor(BUDGET / Math.ceil(cost)));
    expect(refused?.errors?.[0].message).toMatch(/more than what is left of this API key's budget of 60 per 60 s/);
  });

  it("charges costs exactly, refunds what it refuses, and refuses what no window could pay for", async () => {
    const limits = await rateLimitsOf(s, s.t.config);
    try {
      const caller = callerWith({ requests: null, cost: 20, windowSeconds: null });
      const refusal = (cost: number) =>
        limits.chargeCost(caller, cost).then(
          () => null,
          (err: unknown) => domainErrorOf(err)?.details.rateLimit,
        );
      expect(await refusal(7)).toBeNull();
      expect(await refusal(7)).toBeNull();
      expect(await refusal(7)).toMatchObject({ limit: "COST", budget: 20, cost: 7, windowSeconds: 60 });
      // The refused 7 was not charged: 6 of the 20 are left, and they are spent.
      expect(await refusal(6)).toBeNull();
      expect(await refusal(1)).toMatchObject({ limit: "COST", cost: 1 });
      // More than the whole budget: refused on a fresh key too, with the window as its retry.
      const fresh = callerWith({ requests: null, cost: 20, windowSeconds: 5 });
      await expect(limits.chargeCost(fresh, 21)).rejects.toMatchObject({ details: { rateLimit: { limit: "COST", cost: 21, budget: 20, retryAfter: 5 } } });
      await expect(limits.chargeCost(fresh, 20)).resolves.toBeUndefined();
      // No limit (0), and QUALIFY_ADMIN_KEY (no key id), are never refused.
      const unlimited = callerWith({ requests: 0, cost: 0, windowSeconds: null });
      for (let i = 0; i < 30; i++) await limits.chargeRequest(unlimited);
      await limits.chargeCost({ keyId: null, name: "QUALIFY_ADMIN_KEY", scopes: new Set(["admin"]) }, 1e12);
    } finally {
      await limits.close();
    }
  });

  it("lets an admin set a key's own budgets (createApiKey, setApiKeyRateLimit), shown on ApiKey; what the key spent still counts", async () => {
    const { client, id, rateLimit } = await keyWith(s, { requests: 3 });
    expect(rateLimit).toEqual({ requests: 3, cost: 1_000_000, windowSeconds: 60, custom: true });
    expect((await s.api.data(KEYS, {})).apiKeys.find((k) => k.id === id)?.rateLimit).toEqual(rateLimit);
    expect(statuses(await burst([client], 4))).toEqual({ ok: 3, refused: 1 });
    // Raised to 5: the 3 requests that passed in this window still count (a refused one does not), so two more pass.
    const raised = await s.api.data(SET_RATE_LIMIT, { id, rateLimit: { requests: 5 } });
    expect(raised.setApiKeyRateLimit.rateLimit).toEqual({ requests: 5, cost: 1_000_000, windowSeconds: 60, custom: true });
    expect(statuses(await burst([client], 3))).toEqual({ ok: 2, refused: 1 });
    expectRefused(await client.request(LEADS, { first: 1 }), "REQUESTS", 5, 60);
    // No limit (0): nothing is counted; then back to the service's settings (null): 5 of the 20 spent.
    await s.api.data(SET_RATE_LIMIT, { id, rateLimit: { requests: 0 } });
    expect(statuses(await burst([client], 30))).toEqual({ ok: 30, refused: 0 });
    const reset = await s.api.data(SET_RATE_LIMIT, { id, rateLimit: null });
    expect(reset.setApiKeyRateLimit.rateLimit).toEqual({ requests: REQUESTS, cost: 1_000_000, windowSeconds: 60, custom: false });
    expect(statuses(await burst([client], REQUESTS))).toEqual({ ok: REQUESTS - 5, refused: 5 });
  });

  it("refuses invalid budgets per field, an unknown key, and any caller but an admin", async () => {
    const { id } = await keyWith(s, null);
    const invalid = await s.api.request(SET_RATE_LIMIT, { id, rateLimit: { requests: -1, cost: 1_000_000_001, windowSeconds: 0 } });
    expect(codeOf(invalid)).toBe("BAD_USER_INPUT");
    expect(invalid.errors?.[0].extensions?.fields?.map((f) => f.field)).toEqual(["rateLimit.requests", "rateLimit.cost", "rateLimit.windowSeconds"]);
    const created = await s.api.request(CREATE_KEY, { name: "bad budget", scopes: ["READ"], rateLimit: { windowSeconds: 86_401 } });
    expect(created.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "rateLimit.windowSeconds" });
    expect((await s.api.data(KEYS, {})).apiKeys.find((k) => k.id === id)?.rateLimit.custom).toBe(false);
    expect(codeOf(await s.api.request(SET_RATE_LIMIT, { id: randomUUID(), rateLimit: { requests: 1 } }))).toBe("NOT_FOUND");
    // Not an id at all: refused at the edge, like every ID argument.
    expect(codeOf(await s.api.request(SET_RATE_LIMIT, { id: "not-a-uuid", rateLimit: { requests: 1 } }))).toBe("BAD_USER_INPUT");
    const notAdmin = await (await s.t.client(["read", "ingest", "sales"])).request(SET_RATE_LIMIT, { id, rateLimit: { requests: 1 } });
    expect({ status: notAdmin.status, code: codeOf(notAdmin) }).toEqual({ status: 403, code: "FORBIDDEN" });
  });

  it("gives the budget back when the key's window ends (real time)", async () => {
    const { client } = await keyWith(s, { requests: 2, windowSeconds: 1 });
    expect(statuses(await burst([client], 3))).toEqual({ ok: 2, refused: 1 });
    const refused = expectRefused(await client.request(LEADS, { first: 1 }), "REQUESTS", 2, 1);
    await sleep((refused.retryAfter as number) * 1000 + 100);
    expect(statuses(await burst([client], 3))).toEqual({ ok: 2, refused: 1 });
  });

  it("charges subscribe operations over WebSocket too, refusing them with the same code", async () => {
    const { client } = await keyWith(s, { requests: 1 }, ["READ"]);
    const ws = client.subscriptions();
    try {
      const events: unknown[] = [];
      const errors: unknown[] = [];
      ws.subscribe({ query: `subscription { leadScored { score } }` }, { next: (m) => void events.push(m), error: (e) => void errors.push(e), complete: () => undefined });
      // The subscription is live: it receives the next score change.
      for (let i = 0; i < 100 && events.length === 0; i++) {
        await s.api.data(RECORD_INTERACTION, { input: { email: uniqueEmail("ws"), type: "visit", target: "/pricing" } });
        await sleep(50);
      }
      expect(events.length).toBeGreaterThan(0);
      expect(errors).toEqual([]);
      const refused = await new Promise<Array<{ message: string; extensions?: Record<string, unknown> }>>((resolve) => {
        ws.subscribe({ query: `subscription { leadScored { score } }` }, { next: () => undefined, error: (e) => resolve(e as never), complete: () => undefined });
      });
      expect(refused).toHaveLength(1);
      expect(refused[0].extensions).toMatchObject({ code: "RATE_LIMITED", limit: "REQUESTS", budget: 1, windowSeconds: 60 });
      expect(refused[0].extensions?.retryAfter).toBeGreaterThanOrEqual(1);
      // The budget is the key's, whatever the transport: HTTP is refused as well.
      expectRefused(await client.request(LEADS, { first: 1 }), "REQUESTS", 1, 60);
    } finally {
      await ws.dispose();
    }
  });

  onPostgres("shares each key's budget between two instances on one PostgreSQL database", async () => {
    const { client } = await keyWith(s, { requests: 10 });
    const other = await s.t.another();
    try {
      const elsewhere = other.admin.as(client.key);
      expect(statuses(await burst([client, elsewhere], 25))).toEqual({ ok: 10, refused: 15 });
      expectRefused(await elsewhere.request(LEADS, { first: 1 }), "REQUESTS", 10, 60);
    } finally {
      await other.app.close();
    }
  });

  it("keeps serving when the store fails, counting in memory meanwhile (Redis out of reach)", async () => {
    const lines: string[] = [];
    const limits = await RateLimits.create(
      { ...s.t.config, redisUrl: "redis://127.0.0.1:1" },
      createLogger("warn", { write: (line) => void lines.push(line) }),
      null,
    );
    try {
      expect(limits.store).toBe("redis");
      const caller = callerWith({ requests: 3, cost: null, windowSeconds: null });
      const answers = await Promise.all(Array.from({ length: 5 }, () => limits.chargeRequest(caller).then(() => "ok", (err: unknown) => domainErrorOf(err)?.code)));
      expect(answers.sort()).toEqual(["RATE_LIMITED", "RATE_LIMITED", "ok", "ok", "ok"]);
      expect(lines.filter((l) => l.includes("rate limits: the store failed"))).toHaveLength(1);
    } finally {
      await limits.close();
    }
  });
});

describe(`rate limits in Redis [${testDatabase()}]`, () => {
  const s = useTestApp({ REDIS_URL: REDIS_URL, QUALIFY_RATE_LIMIT_REQUESTS: "20" });

  it("counts each key in Redis: exactly the budget of concurrent requests passes", async () => {
    const { client, id } = await keyWith(s, null);
    expect(statuses(await burst([client], 50))).toEqual({ ok: 20, refused: 30 });
    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.get(`qualify:requests:60:${id}`)).toBe("20");
    } finally {
      redis.disconnect();
    }
  });

  it("shares the budget between instances", async () => {
    const caller = callerWith({ requests: 10, cost: null, windowSeconds: null });
    const one = await rateLimitsOf(s, s.t.config);
    const two = await rateLimitsOf(s, s.t.config);
    try {
      const answers = await Promise.all(
        Array.from({ length: 25 }, (_, i) => (i % 2 ? one : two).chargeRequest(caller).then(() => "ok", (err: unknown) => domainErrorOf(err)?.code)),
      );
      expect(answers.filter((a) => a === "ok")).toHaveLength(10);
      expect(answers.filter((a) => a === "RATE_LIMITED")).toHaveLength(15);
    } finally {
      await one.close();
      await two.close();
    }
  });

  onPostgres("shares the budget between two service instances", async () => {
    const { client } = await keyWith(s, { requests: 10 });
    const other = await s.t.another({ REDIS_URL: REDIS_URL });
    try {
      expect(statuses(await burst([client, other.admin.as(client.key)], 25))).toEqual({ ok: 10, refused: 15 });
    } finally {
      await other.app.close();
    }
  });
});

describe(`requests without a valid key [${testDatabase()}]`, () => {
  const s = useTestApp();

  /** Sends `head` and `body` on a raw connection; resolves with what the server answered once it closes or `until` matches. */
  function exchange(head: string, body: string, until: RegExp = /$^/): Promise<{ answer: string; socket: net.Socket }> {
    const { hostname, port } = new URL(s.t.app.url);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), hostname, () => socket.write(head + body));
      let answer = "";
      socket.on("data", (chunk) => {
        answer += chunk.toString("latin1");
        if (until.test(answer)) resolve({ answer, socket });
      });
      socket.on("close", () => resolve({ answer, socket }));
      socket.on("error", reject);
    });
  }
  const headOf = (length: number, extra: string[] = []) =>
    [`POST /graphql HTTP/1.1`, `Host: 127.0.0.1`, `Content-Type: application/json`, `Content-Length: ${length}`, ...extra, "", ""].join("\r\n");
  const MEGABYTE = 1024 * 1024;

  it("answers 401 to a 1 MB body before it has been sent, without reading it, and closes the connection", async () => {
    // Only the first kilobyte of the declared megabyte is sent: a body parser would wait for the rest.
    const { answer, socket } = await exchange(headOf(MEGABYTE), "x".repeat(1024));
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer.toLowerCase()).toContain("connection: close");
    expect(JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4))).toEqual({
      errors: [{ message: "A valid API key is required", extensions: { code: "UNAUTHENTICATED" } }],
    });
  });

  it("refuses the same way a key over its request budget", async () => {
    const { createApiKey } = await s.api.data(CREATE_KEY, { name: "spent", scopes: ["READ"], rateLimit: { requests: 1 } });
    await s.api.as(createApiKey.key).data(LEADS, { first: 1 });
    const { answer, socket } = await exchange(headOf(MEGABYTE, [`Authorization: Bearer ${createApiKey.key}`]), "x".repeat(1024));
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 429 /);
    expect(answer.toLowerCase()).toMatch(/retry-after: \d+/);
    expect(answer).toContain(`"code":"RATE_LIMITED"`);
  });

  it("asks for the body (100 Continue) only once the key is accepted", async () => {
    const refused = await exchange(headOf(MEGABYTE, ["Expect: 100-continue"]), "");
    refused.socket.destroy();
    expect(refused.answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(refused.answer).not.toContain("100 Continue");
    const body = JSON.stringify({ query: "query Ping { __typename }", padding: "x".repeat(MEGABYTE - 100) });
    const accepted = await exchange(headOf(Buffer.byteLength(body), ["Expect: 100-continue", `Authorization: Bearer ${s.api.key}`]), "", /100 Continue\r\n\r\n/);
    try {
      expect(accepted.answer).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\n$/);
      const answered = await new Promise<string>((resolve) => {
        let rest = "";
        accepted.socket.on("data", (chunk) => {
          rest += chunk.toString("latin1");
          if (rest.includes(`"__typename":"Query"`)) resolve(rest);
        });
        accepted.socket.write(body);
      });
      // A key's body is read and parsed up to the body limit, as before.
      expect(answered).toMatch(/^HTTP\/1\.1 200 /);
    } finally {
      accepted.socket.destroy();
    }
  });

  it("reads a small refused body to its end and keeps the connection for the next request", async () => {
    const body = JSON.stringify({ query: "{ __typename }" });
    const head = headOf(Buffer.byteLength(body));
    const { answer, socket } = await exchange(head + body + head + body, "", /HTTP\/1\.1 401 [\s\S]*HTTP\/1\.1 401 [\s\S]*"UNAUTHENTICATED"\}\}\]\}/);
    socket.destroy();
    expect(answer.match(/HTTP\/1\.1 401 /g)).toHaveLength(2);
    expect(answer.toLowerCase()).not.toContain("connection: close");
  });
});
