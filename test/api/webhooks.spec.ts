/**
 * Webhooks end to end, on both databases, with a real HTTP receiver on localhost: the admin API
 * and its bad input, signed deliveries, retries, 410, ordering per lead under concurrent writes,
 * a rolled-back write sending nothing, deleteLead's erasure, redelivery, the retry window through
 * real time, two instances (PostgreSQL), and private addresses refused without the setting.
 */
import { createHmac } from "node:crypto";
import { inTransaction } from "../../src/database/transaction";
import { WebhookSender } from "../../src/webhooks/sender";
import { DELETE_LEAD, RECORD_INTERACTION, SET_LEAD_STAGE, UPSERT_LEAD } from "./helpers/documents";
import { codeOf, gql, type GraphQLTestClient } from "./helpers/graphql-client";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";
import { drained, eventually, type Received, WebhookReceiver } from "./helpers/webhook-receiver";

const WEBHOOK_FIELDS = "id url events stages active description createdAt deactivatedAt deactivatedReason";
interface WebhookShape {
  id: string;
  url: string;
  events: string[];
  stages: string[] | null;
  active: boolean;
  description: string | null;
  createdAt: string;
  deactivatedAt: string | null;
  deactivatedReason: string | null;
}
interface WebhookInputVars {
  url: string;
  events: string[];
  stages?: string[] | null;
  active?: boolean;
  description?: string | null;
}
interface DeliveryShape {
  id: string;
  eventId: string;
  event: string;
  leadId: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}
const DELIVERY_FIELDS = "id eventId event leadId status attempts lastStatusCode lastError nextAttemptAt createdAt deliveredAt";

const CREATE_WEBHOOK = gql<{ createWebhook: { secret: string; webhook: WebhookShape } }, { input: WebhookInputVars }>(
  `mutation ($input: WebhookInput!) { createWebhook(input: $input) { secret webhook { ${WEBHOOK_FIELDS} } } }`,
);
const UPDATE_WEBHOOK = gql<{ updateWebhook: WebhookShape }, { id: string; input: WebhookInputVars }>(
  `mutation ($id: ID!, $input: WebhookInput!) { updateWebhook(id: $id, input: $input) { ${WEBHOOK_FIELDS} } }`,
);
const DELETE_WEBHOOK = gql<{ deleteWebhook: boolean }, { id: string }>(`mutation ($id: ID!) { deleteWebhook(id: $id) }`);
const WEBHOOKS = gql<{ webhooks: WebhookShape[] }>(`query { webhooks { ${WEBHOOK_FIELDS} } }`);
type DeliveriesData = {
  webhooks: Array<{ id: string; deliveries: { totalCount: number; edges: Array<{ cursor: string; node: DeliveryShape }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>;
};
type DeliveriesVars = { first?: number; after?: string | null; status?: string | null };
const DELIVERIES = gql<DeliveriesData, DeliveriesVars>(
  `query ($first: Int, $after: String, $status: DeliveryStatus) { webhooks { id deliveries(first: $first, after: $after, status: $status) {
     totalCount edges { cursor node { ${DELIVERY_FIELDS} } } pageInfo { hasNextPage endCursor } } } }`,
);
const REDELIVER = gql<{ redeliverWebhookDelivery: DeliveryShape }, { id: string }>(
  `mutation ($id: ID!) { redeliverWebhookDelivery(id: $id) { ${DELIVERY_FIELDS} } }`,
);

const visit = (email: string, target = "/pricing") => ({ input: { email, type: "visit", target } });

/** Every delivery of the webhook `id` (newest first), all pages. */
async function deliveriesOf(api: GraphQLTestClient, id: string, status: string | null = null): Promise<DeliveryShape[]> {
  const all: DeliveryShape[] = [];
  let after: string | null = null;
  for (;;) {
    const { webhooks }: Awaited<ReturnType<typeof api.data<DeliveriesData, DeliveriesVars>>> = await api.data(DELIVERIES, { first: 100, after, status });
    const page: DeliveriesData["webhooks"][number]["deliveries"] = webhooks.find((w) => w.id === id)!.deliveries;
    all.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage) return all;
    after = page.pageInfo.endCursor;
  }
}

/** Every delivery of the webhook `id` once none is pending (an outcome is recorded just after the receiver's answer). */
const settled = (api: GraphQLTestClient, id: string): Promise<DeliveryShape[]> =>
  eventually("no delivery pending", async () => {
    const all = await deliveriesOf(api, id);
    return all.every((d) => d.status !== "PENDING") ? all : null;
  });

const verify = (secret: string, r: Received) =>
  r.headers["qualify-signature"] === `v1=${createHmac("sha256", secret).update(`${r.headers["qualify-timestamp"]}.${r.body}`).digest("hex")}`;

/** Where a webhook's deliveries stand, for the message of a wait that timed out. */
async function deliveryState(sql: (text: string, parameters?: unknown[]) => Promise<Array<Record<string, unknown>>>, webhookId: string): Promise<string> {
  const rows = await sql(
    `SELECT status, count(*)::int AS n, max(attempts) AS "maxAttempts", count(claimed_by)::int AS claimed, string_agg(DISTINCT last_error, ', ') AS errors
     FROM webhook_delivery WHERE webhook_id = $1 GROUP BY status ORDER BY status`,
    [webhookId],
  );
  return `deliveries: ${JSON.stringify(rows)}`;
}

/** The suite's service and receiver; `create` makes a webhook to `receiver.url + path`. */
function useWebhookApp(env: Record<string, string>) {
  const s = useTestApp({ QUALIFY_WEBHOOK_ALLOW_PRIVATE: "true", QUALIFY_WEBHOOK_RETRY_BASE_MS: "50", QUALIFY_WEBHOOK_POLL_MS: "100", ...env });
  const h = {
    s,
    receiver: null as unknown as WebhookReceiver,
    create: async (path: string, events: string[], extra: Partial<WebhookInputVars> = {}) =>
      (await s.api.data(CREATE_WEBHOOK, { input: { url: `${h.receiver.url}${path}`, events, ...extra } })).createWebhook,
    sql: (text: string, parameters: unknown[] = []): Promise<Array<Record<string, unknown>>> => s.t.app.context(null).db.query(text, parameters),
  };
  beforeAll(async () => {
    h.receiver = await WebhookReceiver.start();
  });
  afterAll(() => h.receiver.close());
  return h;
}

// The retry window is the default (24 hours) here: a lead's deliveries are sent one after another,
// and a short window would close on the last ones while they wait their turn on a busy machine
// (each would then fail on its first refusal). The window itself is tested below, on its own.
// Concurrent writes to one lead wait their turn for up to a minute (not 5 s), so that a busy
// machine slows them rather than refusing them (LEAD_BUSY, which a client would retry).
describe(`webhooks [${testDatabase()}]`, () => {
  const h = useWebhookApp({ QUALIFY_LEAD_QUEUE_TIMEOUT_MS: "60000" });
  const { s, create, sql } = h;
  let receiver: WebhookReceiver;
  beforeAll(() => {
    receiver = h.receiver;
  });

  it("creates a webhook (the secret once), lists it without the secret, and delivers signed events in order", async () => {
    const { secret, webhook } = await create("/signed", ["LEAD_CREATED", "LEAD_SCORED"], { description: "  CRM  " });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(webhook).toMatchObject({ url: `${receiver.url}/signed`, events: ["LEAD_CREATED", "LEAD_SCORED"], stages: null, active: true, description: "CRM" });
    const listed = (await s.api.data(WEBHOOKS)).webhooks.find((w) => w.id === webhook.id);
    expect(listed).toEqual(webhook);
    expect(JSON.stringify(await s.api.request(gql(`query { webhooks { id } }`)))).not.toContain(secret);

    const email = uniqueEmail("signed");
    const { recordInteraction } = await s.api.data(RECORD_INTERACTION, visit(email));
    const leadId = recordInteraction.lead!.id;
    await eventually("two deliveries", () => receiver.accepted("/signed").length >= 2);
    const got = receiver.accepted("/signed").filter((r) => r.json.data.lead.id === leadId);
    expect(got.map((r) => r.json.type)).toEqual(["LEAD_CREATED", "LEAD_SCORED"]);
    for (const r of got) {
      expect(verify(secret, r)).toBe(true);
      expect(verify("whsec_wrong", r)).toBe(false);
      expect(r.headers["content-type"]).toBe("application/json");
      expect(r.headers["qualify-event-id"]).toBe(r.json.id);
      expect(Math.abs(Number(r.headers["qualify-timestamp"]) - Date.now() / 1000)).toBeLessThan(600);
      expect(r.json.data.lead).toMatchObject({ id: leadId, email, stage: expect.any(String), score: expect.any(Number) });
      expect(r.body).not.toMatch(/qk_|test-admin-/);
    }
    expect(got[1].json.data).toMatchObject({ interactionId: recordInteraction.interaction!.id, pointsAwarded: expect.any(Number), score: expect.any(Number) });
    const deliveries = await settled(s.api, webhook.id);
    expect(deliveries.map((d) => [d.event, d.status, d.attempts, d.lastStatusCode])).toEqual([
      ["LEAD_SCORED", "DELIVERED", 1, 200],
      ["LEAD_CREATED", "DELIVERED", 1, 200],
    ]);
    expect(deliveries[0].eventId).toBe(got[1].json.id);
    expect(deliveries[0]).toMatchObject({ leadId, nextAttemptAt: null, lastError: null, deliveredAt: expect.any(String) });
    await s.api.data(DELETE_WEBHOOK, { id: webhook.id });
  });

  it("retries a receiver that fails twice, then succeeds: the same event id each time", async () => {
    receiver.respond("/flaky", ({ count }) => (count <= 2 ? 500 : 200));
    const { webhook } = await create("/flaky", ["LEAD_CREATED"]);
    await s.api.data(UPSERT_LEAD, { input: { email: uniqueEmail("flaky") } });
    await eventually("the third attempt", () => receiver.accepted("/flaky").length === 1);
    const requests = receiver.received.filter((r) => r.path === "/flaky");
    expect(requests.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(new Set(requests.map((r) => r.headers["qualify-event-id"])).size).toBe(1);
    const [delivery] = await settled(s.api, webhook.id);
    expect(delivery).toMatchObject({ status: "DELIVERED", attempts: 3, lastStatusCode: 200, lastError: null });
    await s.api.data(DELETE_WEBHOOK, { id: webhook.id });
  });

  it("410 Gone deactivates the webhook: the delivery FAILED, nothing more is stored or sent", async () => {
    receiver.respond("/gone", () => 410);
    const { webhook } = await create("/gone", ["LEAD_CREATED"]);
    await s.api.data(UPSERT_LEAD, { input: { email: uniqueEmail("gone") } });
    const updated = await eventually("deactivated", async () => (await s.api.data(WEBHOOKS)).webhooks.find((w) => w.id === webhook.id && !w.active));
    expect(updated.deactivatedReason).toMatch(/410/);
    const [delivery] = await deliveriesOf(s.api, webhook.id);
    expect(delivery).toMatchObject({ status: "FAILED", attempts: 1, lastStatusCode: 410 });
    await s.api.data(UPSERT_LEAD, { input: { email: uniqueEmail("gone-later") } });
    await s.api.data(UPSERT_LEAD, { input: { email: uniqueEmail("gone-later") } });
    expect(await deliveriesOf(s.api, webhook.id)).toHaveLength(1);
    expect(receiver.received.filter((r) => r.path === "/gone")).toHaveLength(1);
    await s.api.data(DELETE_WEBHOOK, { id: webhook.id });
  });

  it("a rolled-back write stores and sends nothing", async () => {
    const { webhook } = await create("/rollback", ["LEAD_CREATED", "LEAD_SCORED"]);
    const ghost = uniqueEmail("ghost");
    const { services } = s.t.app;
    await expect(
      inTransaction(s.t.app.context(null), async (tx) => {
        await services.leads.upsert(tx, { email: ghost, company: "Nowhere" });
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    const marker = uniqueEmail("marker");
    await s.api.data(UPSERT_LEAD, { input: { email: marker } });
    await eventually("the marker", () => receiver.accepted("/rollback").some((r) => r.json.data.lead.email === marker));
    const [{ n }] = await sql(`SELECT count(*)::int AS n FROM webhook_delivery WHERE payload -> 'data' -> 'lead' ->> 'email' = $1`, [ghost]);
    expect(n).toBe(0);
    expect(receiver.received.some((r) => r.json.data.lead.email === ghost)).toBe(false);
    await s.api.data(DELETE_WEBHOOK, { id: webhook.id });
  });

  it("keeps each lead's events in order under concurrent writes and a receiver that fails at random", async () => {
    let n = 0;
    receiver.respond("/order", () => (++n % 3 === 0 ? 500 : 200));
    const { webhook } = await create("/order", ["LEAD_SCORED", "LEAD_CREATED"]);
    const emails = [uniqueEmail("order-a"), uniqueEmail("order-b"), uniqueEmail("order-c")];
    await Promise.all(emails.flatMap((email) => Array.from({ length: 12 }, (_, i) => s.api.data(RECORD_INTERACTION, visit(email, `/page-${i}`)))));
    const rows = (await sql(`SELECT lead_id, event_id FROM webhook_delivery WHERE webhook_id = $1 ORDER BY seq`, [webhook.id])) as Array<{ lead_id: string; event_id: string }>;
    expect(rows).toHaveLength(3 * 13);
    await drained(
      "every delivery",
      () => rows.length - new Set(receiver.accepted("/order").map((r) => r.json.id)).size,
      () => deliveryState(sql, webhook.id),
    );
    for (const leadId of new Set(rows.map((r) => r.lead_id))) {
      const stored = rows.filter((r) => r.lead_id === leadId).map((r) => r.event_id);
      const firstReceipts = [...new Set(receiver.accepted("/order").filter((r) => r.json.data.lead.id === leadId).map((r) => r.json.id))];
      expect(firstReceipts).toEqual(stored);
      // Nothing of a lead is sent before its previous event was accepted.
      const attempts = receiver.received.filter((r) => r.path === "/order" && r.json.data.lead.id === leadId).map((r) => r.json.id);
      expect(attempts.filter((id, i) => i > 0 && id !== attempts[i - 1] && stored.indexOf(id) !== stored.indexOf(attempts[i - 1]) + 1)).toEqual([]);
    }
    await s.api.data(DELETE_WEBHOOK, { id: webhook.id });
  }, 120_000);

  it("narrows LEAD_STAGE_CHANGED by stages (ignoring case)", async () => {
    const { webhook } = await create("/stages", ["LEAD_STAGE_CHANGED"], { stages: ["sql"] });
    expect(webhook.stages).toEqual(["SQL"]);
    const lead = (await s.api.data(UPSERT_LEAD, { input: { email: uniqueEmail("stages") } })).upsertLead;
    await s.api.data(SET_LEAD_STAGE, { leadId: lead.id, stage: "Opportunity" });
    await s.api.data(SET_LEAD_STAGE, { leadId: lead.id, stage: "SQL", reason: "call booked" });
    await eventually("the move into SQL", () => receiver.accepted("/stages").length > 0);
    const [got] = receiver.accepted("/stages");
    expect(got.json.type).toBe("LEAD_STAGE_CHANGED");
    expect(got.json.data.transition).toMatchObject({ fromStage: "Opportunity", toStage: "SQL", cause: "MANUAL", reason: "call booked" });
    expect(await deliveriesOf(s.api, webhook.id)).toHaveLength(1);
    await s.api.data(DELETE_WEBHOOK, { id: webhook.id });
  });

  it("deleteLead erases the lead's pending payloads; its LEAD_DELETED carries only its id and email", async () => {
    let open = false;
    receiver.respond("/erase", () => (open ? 200 : 503));
    const { webhook } = await create("/erase", ["LEAD_CREATED", "LEAD_SCORED", "LEAD_DELETED"]);
    const email = uniqueEmail("erase");
    const lead = (await s.api.data(RECORD_INTERACTION, visit(email))).recordInteraction.lead!;
    expect((await deliveriesOf(s.api, webhook.id, "PENDING")).length).toBe(2);
    expect((await s.api.data(DELETE_LEAD, { id: lead.id })).deleteLead).toBe(true);
    const left = await deliveriesOf(s.api, webhook.id);
    expect(left.map((d) => [d.event, d.status])).toEqual([["LEAD_DELETED", "PENDING"]]);
    open = true;
    await drained("LEAD_DELETED", () => 1 - receiver.accepted("/erase").length, () => deliveryState(sql, webhook.id));
    const [got] = receiver.accepted("/erase");
    expect(got.json.type).toBe("LEAD_DELETED");
    expect(got.json.data).toEqual({ lead: { id: lead.id, email } });
    await s.api.data(DELETE_WEBHOOK, { id: webhook.id });
  });

  it("updates and deletes webhooks; an inactive one stores nothing", async () => {
    const { webhook } = await create("/updated", ["LEAD_CREATED"]);
    const updated = (await s.api.data(UPDATE_WEBHOOK, { id: webhook.id, input: { url: `${receiver.url}/updated-2`, events: ["LEAD_SCORED"], active: false } })).updateWebhook;
    expect(updated).toMatchObject({ id: webhook.id, url: `${receiver.url}/updated-2`, events: ["LEAD_SCORED"], active: false, deactivatedReason: "updateWebhook" });
    await s.api.data(RECORD_INTERACTION, visit(uniqueEmail("inactive")));
    expect(await deliveriesOf(s.api, webhook.id)).toHaveLength(0);
    const unknown = "00000000-0000-4000-8000-000000000000";
    expect(codeOf(await s.api.request(UPDATE_WEBHOOK, { id: unknown, input: { url: receiver.url, events: ["LEAD_SCORED"] } }))).toBe("NOT_FOUND");
    expect((await s.api.data(DELETE_WEBHOOK, { id: webhook.id })).deleteWebhook).toBe(true);
    expect((await s.api.data(DELETE_WEBHOOK, { id: webhook.id })).deleteWebhook).toBe(false);
  });

  it.each([
    ["a URL that is not http(s)", { url: "ftp://example.com/hook", events: ["LEAD_SCORED"] }, "input.url", /http or https/],
    ["a URL that is no URL", { url: "not a url", events: ["LEAD_SCORED"] }, "input.url", /not a URL/],
    ["a URL too long", { url: `http://localhost/${"a".repeat(2100)}`, events: ["LEAD_SCORED"] }, "input.url", /2048/],
    ["credentials in the URL", { url: "https://user:pw@localhost/hook", events: ["LEAD_SCORED"] }, "input.url", /credentials/],
    ["an unresolvable host", { url: "https://no-such-host.invalid/hook", events: ["LEAD_SCORED"] }, "input.url", /does not resolve/],
    ["an empty event list", { url: "http://localhost/hook", events: [] }, "input.events", /at least one/],
    ["an unknown stage", { url: "http://localhost/hook", events: ["LEAD_STAGE_CHANGED"], stages: ["SQLL"] }, "input.stages.0", /did you mean SQL\?/],
    ["stages without LEAD_STAGE_CHANGED", { url: "http://localhost/hook", events: ["LEAD_SCORED"], stages: ["SQL"] }, "input.stages", /LEAD_STAGE_CHANGED/],
    ["an empty stage list", { url: "http://localhost/hook", events: ["LEAD_STAGE_CHANGED"], stages: [] }, "input.stages", /at least one/],
  ])("refuses %s: BAD_USER_INPUT on its field", async (_, input, field, message) => {
    const res = await s.api.request(CREATE_WEBHOOK, { input });
    expect(codeOf(res)).toBe("BAD_USER_INPUT");
    const fields = res.errors![0].extensions!.fields as Array<{ field: string; message: string }>;
    expect(fields.map((f) => f.field)).toEqual([field]);
    expect(fields[0].message).toMatch(message);
  });

  it("refuses non-admin keys", async () => {
    const reader = await s.t.client(["read", "ingest", "sales"]);
    expect(codeOf(await reader.request(WEBHOOKS))).toBe("FORBIDDEN");
    expect(codeOf(await reader.request(CREATE_WEBHOOK, { input: { url: "http://localhost/", events: ["LEAD_SCORED"] } }))).toBe("FORBIDDEN");
    expect((await s.api.data(WEBHOOKS)).webhooks.map((w) => w.url)).not.toContain("http://localhost/");
  });

  if (testDatabase() === "postgres") {
    it("two instances deliver every event, none twice", async () => {
      const other = await s.t.another({ QUALIFY_WEBHOOK_ALLOW_PRIVATE: "true", QUALIFY_WEBHOOK_POLL_MS: "50" });
      try {
        const { webhook } = await create("/two", ["LEAD_CREATED", "LEAD_SCORED"]);
        await eventually("the other instance hears the new webhook", async () => {
          await other.app.services.webhookOutbox.refresh();
          return true;
        });
        const writes = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? s.api : other.admin).data(RECORD_INTERACTION, visit(uniqueEmail("two"))));
        await Promise.all(writes);
        const [{ n }] = await sql(`SELECT count(*)::int AS n FROM webhook_delivery WHERE webhook_id = $1`, [webhook.id]);
        expect(n).toBe(80);
        await drained("every delivery", () => 80 - new Set(receiver.accepted("/two").map((r) => r.json.id)).size, () => deliveryState(sql, webhook.id));
        const ids = receiver.received.filter((r) => r.path === "/two").map((r) => r.json.id);
        expect(new Set(ids).size).toBe(80);
        expect(ids).toHaveLength(80);
        await s.api.data(DELETE_WEBHOOK, { id: webhook.id });
      } finally {
        await other.app.close();
      }
    }, 120_000);
  }
});

describe(`webhooks: the retry window [${testDatabase()}]`, () => {
  const h = useWebhookApp({ QUALIFY_WEBHOOK_RETRY_FOR: "3s" });
  const { s, create } = h;
  let receiver: WebhookReceiver;
  beforeAll(() => {
    receiver = h.receiver;
  });

  it("a receiver that never succeeds: retried with growing delays until the retry window closes, then FAILED and redeliverable", async () => {
    let down = true;
    receiver.respond("/down", () => (down ? 503 : 200));
    const { webhook } = await create("/down", ["LEAD_CREATED"]);
    await s.api.data(UPSERT_LEAD, { input: { email: uniqueEmail("down") } });
    await eventually("FAILED", async () => (await deliveriesOf(s.api, webhook.id, "FAILED")).length === 1, 30_000);
    const [failed] = await deliveriesOf(s.api, webhook.id);
    expect(failed).toMatchObject({ status: "FAILED", lastStatusCode: 503, lastError: "HTTP 503", nextAttemptAt: null, deliveredAt: null });
    expect(receiver.received.filter((r) => r.path === "/down")).toHaveLength(failed.attempts);
    expect(failed.attempts).toBeGreaterThanOrEqual(3);
    down = false;
    const redelivered = (await s.api.data(REDELIVER, { id: failed.id })).redeliverWebhookDelivery;
    expect(redelivered).toMatchObject({ id: failed.id, eventId: failed.eventId, status: "PENDING", attempts: 0 });
    await eventually("the redelivery", () => receiver.accepted("/down").length === 1);
    expect(receiver.accepted("/down")[0].headers["qualify-event-id"]).toBe(failed.eventId);
    await eventually("DELIVERED", async () => (await deliveriesOf(s.api, webhook.id, "DELIVERED")).length === 1);
    const [after] = await deliveriesOf(s.api, webhook.id);
    expect(after).toMatchObject({ id: failed.id, attempts: 1, lastStatusCode: 200 });
    // A pending or delivered one again: answered as it is / sent again.
    expect(codeOf(await s.api.request(REDELIVER, { id: "00000000-0000-4000-8000-000000000000" }))).toBe("NOT_FOUND");
    await s.api.data(DELETE_WEBHOOK, { id: webhook.id });
  });

});

describe(`webhooks: the dispatcher's poll [${testDatabase()}]`, () => {
  // Polling every 50 ms, and no other background job on the database.
  const s = useTestApp({ QUALIFY_WEBHOOK_ALLOW_PRIVATE: "true", QUALIFY_WEBHOOK_POLL_MS: "50", QUALIFY_EXPIRY_SWEEP_SECONDS: "0" });
  /** Statements the service sends in 600 ms without a request. */
  const statementsWhileIdle = async () => {
    const before = s.t.app.queries.count;
    await new Promise((resolve) => setTimeout(resolve, 600));
    return s.t.app.queries.count - before;
  };

  it("looks for deliveries while a webhook is active, and sends no statement once none is", async () => {
    const input = { url: "http://127.0.0.1:9/poll", events: ["LEAD_SCORED"] };
    const { webhook } = (await s.api.data(CREATE_WEBHOOK, { input })).createWebhook;
    expect(await statementsWhileIdle()).toBeGreaterThan(0);
    await s.api.data(UPDATE_WEBHOOK, { id: webhook.id, input: { ...input, active: false } });
    // A look that started before the update ends first.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await statementsWhileIdle()).toBe(0);
  });
});

describe(`webhooks without QUALIFY_WEBHOOK_ALLOW_PRIVATE [${testDatabase()}]`, () => {
  const s = useTestApp();
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterAll(() => receiver.close());

  it.each(["http://127.0.0.1:9/hook", "http://localhost:9/hook", "http://[::1]:9/hook", "http://169.254.169.254/latest", "http://10.0.0.1/", "http://[::ffff:192.168.0.1]/"])(
    "refuses %s when saved",
    async (url) => {
      const res = await s.api.request(CREATE_WEBHOOK, { input: { url, events: ["LEAD_SCORED"] } });
      expect(codeOf(res)).toBe("BAD_USER_INPUT");
      expect((res.errors![0].extensions!.fields as Array<{ field: string; message: string }>)[0]).toMatchObject({ field: "input.url", message: expect.stringMatching(/private/) });
    },
  );

  it("refuses a private address at connect time: a name resolving to loopback gets no request", async () => {
    const sender = new WebhookSender(false);
    try {
      const port = new URL(receiver.url).port;
      const viaName = await sender.send({ url: `http://localhost:${port}/x`, secret: "s", eventId: "e", body: "{}" });
      expect(viaName).toEqual({ error: expect.stringMatching(/private, loopback or link-local/) });
      const viaLiteral = await sender.send({ url: `http://127.0.0.1:${port}/x`, secret: "s", eventId: "e", body: "{}" });
      expect(viaLiteral).toEqual({ error: expect.stringMatching(/private, loopback or link-local/) });
      expect(receiver.received).toHaveLength(0);
      // Allowed, the same request arrives.
      const allowed = new WebhookSender(true);
      expect(await allowed.send({ url: `http://localhost:${port}/x`, secret: "s", eventId: "e", body: "{}" })).toEqual({ statusCode: 200 });
      allowed.close();
      expect(receiver.received).toHaveLength(1);
    } finally {
      sender.close();
    }
  });
});
