/**
 * `node(id)` end to end, on both databases: every type that implements `Node` (a lead, an
 * interaction, a scoring model, an API key, a webhook, a webhook delivery) answered field for
 * field as its own operation answers it, nested fields included; an id of nothing is null, an id
 * that is no UUID BAD_USER_INPUT; and each kind of key finds only what it may read: anything else
 * is null, the same answer as for an id of nothing. Two statements find an object, one finds none.
 */
import { randomUUID } from "node:crypto";
import type { GraphQLInterfaceType } from "graphql";
import type { Scope } from "../../src/entities/api-key.entity";
import { createLocalPubSub } from "../../src/events/local-pub-sub";
import { buildQualifySchema } from "../../src/schema/build-schema";
import { NODE_TYPES } from "../../src/services/node.service";
import { RECORD_INTERACTION } from "./helpers/documents";
import { codeOf, gql, type GraphQLTestClient } from "./helpers/graphql-client";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

type Row = Record<string, unknown>;

// Every field of each type (nested ones included): the same fragment in `node` and in the type's own operation.
const FRAGMENTS: Record<string, string> = {
  Interaction: `fragment InteractionAll on Interaction {
    id type target source externalId properties occurredAt receivedAt points
    awards { rule group category points initialPoints awardedAt expiresAt nextDecayAt counting }
    lead { id email score }
  }`,
  Lead: `fragment LeadAll on Lead {
    id email firstName lastName role company industry companySize country source attributes
    score fit engagement engagementSince stage createdAt updatedAt
    interactions(first: 5) { totalCount edges { cursor node { ...InteractionAll } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }
    scoreBreakdown { rule group category points count }
    groups { group category points uncappedPoints max }
    stageOutlook { stage rule holds conditions { condition holds detail } }
    stageHistory { from to at cause rule actor reason }
    scoreHistory(first: 5) { totalCount edges { cursor node { at score fit engagement cause interactionId } } }
    scoreAt(at: $at) { at score cause }
  }`,
  ScoringModel: `fragment ScoringModelAll on ScoringModel {
    id version source active publishedAt funnel offPath groups { name category max } publishedBy publishedById comment republishedFrom
  }`,
  ApiKey: `fragment ApiKeyAll on ApiKey {
    id name prefix scopes createdAt createdBy revokedAt revokedBy lastUsedAt rateLimit { requests cost windowSeconds custom }
  }`,
  WebhookDelivery: `fragment WebhookDeliveryAll on WebhookDelivery {
    id eventId event leadId status attempts lastStatusCode lastError nextAttemptAt createdAt deliveredAt
  }`,
  Webhook: `fragment WebhookAll on Webhook {
    id url events stages active description createdAt deactivatedAt deactivatedReason
    deliveries(first: 5) { totalCount edges { cursor node { ...WebhookDeliveryAll } } pageInfo { hasNextPage endCursor } }
  }`,
};

/** The fragments `type`'s fragment spreads, its own first. */
const fragmentsOf = (type: string): string => [type, ...({ Lead: ["Interaction"], Webhook: ["WebhookDelivery"] }[type] ?? [])].map((t) => FRAGMENTS[t]).join("\n");

/** `node(id)` asking for every field of `type` (`at`: the instant of `Lead.scoreAt`). */
const nodeOf = (type: string) =>
  gql<{ node: Row | null }, { id: string; at: string }>(`
    query Node${type}($id: ID!${type === "Lead" ? ", $at: DateTime!" : ""}) { node(id: $id) { __typename ...${type}All } }
    ${fragmentsOf(type)}`);

/** What each type's own operations answer, for the fixtures' ids. */
const OWN = gql<
  {
    lead: Row & { interactions: { edges: Array<{ node: Row }> } };
    activeModel: Row;
    apiKeys: Row[];
    webhooks: Array<Row & { deliveries: { edges: Array<{ node: Row }> } }>;
  },
  { leadId: string; at: string }
>(`
  query Own($leadId: ID!, $at: DateTime!) {
    lead(id: $leadId) { ...LeadAll }
    activeModel { ...ScoringModelAll }
    apiKeys { ...ApiKeyAll }
    webhooks { ...WebhookAll }
  }
  ${Object.values(FRAGMENTS).join("\n")}`);

const JUST_NODE = gql<{ node: { __typename: string; id: string } | null }, { id: string }>(`query ($id: ID!) { node(id: $id) { __typename id } }`);

const CREATE_WEBHOOK = gql<{ createWebhook: { webhook: { id: string } } }, { input: { url: string; events: string[] } }>(
  `mutation ($input: WebhookInput!) { createWebhook(input: $input) { webhook { id } } }`,
);

/** Where the suite's webhooks point: nothing listens there, and the dispatcher is stopped. */
const HOOK = "http://127.0.0.1:9/node";

/** The types, with the scope a key needs to find one (as their fields need in field-scopes.ts). */
const TYPES: Record<string, Scope> = { Lead: "read", Interaction: "read", ScoringModel: "read", ApiKey: "admin", Webhook: "admin", WebhookDelivery: "admin" };

/** One id of each type. */
type Ids = Record<keyof typeof TYPES, string>;

describe(`node(id) [${testDatabase()}]`, () => {
  // No background job (the sweeper, the dispatcher's poll) adds to the statements counted.
  const s = useTestApp({ QUALIFY_WEBHOOK_ALLOW_PRIVATE: "true", QUALIFY_EXPIRY_SWEEP_SECONDS: "0", QUALIFY_WEBHOOK_POLL_MS: "60000" });
  let ids: Ids;
  const at = () => new Date().toISOString();
  /** `node(id)` of `type`'s id asking for all of `type`'s fields. */
  const node = (type: string, id: string, client: GraphQLTestClient = s.api) => client.request(nodeOf(type), { id, at: at() });

  beforeAll(async () => {
    // Deliveries stay pending as they were stored (nothing listens at HOOK anyway), so that nothing changes while the tests read.
    await s.t.app.services.webhookDispatcher.stop();
    // Two webhooks, each with a delivery of its own: a webhook's `deliveries` through node are its own.
    const created = (await s.api.data(CREATE_WEBHOOK, { input: { url: `${HOOK}/created`, events: ["LEAD_CREATED"] } })).createWebhook.webhook;
    await s.api.data(CREATE_WEBHOOK, { input: { url: `${HOOK}/scored`, events: ["LEAD_SCORED"] } });
    const email = uniqueEmail("node");
    const { recordInteraction } = await s.api.data(RECORD_INTERACTION, {
      input: {
        email,
        type: "demo_request",
        target: "/demo",
        source: "node-spec",
        externalId: randomUUID(),
        properties: { plan: "team" },
        lead: { email, firstName: "Ada", role: "Marketing Director" },
      },
    });
    const [delivery]: Array<{ id: string }> = await s.t.app.context(null).db.query(`SELECT id FROM webhook_delivery WHERE webhook_id = $1`, [created.id]);
    const { record } = await s.t.app.services.apiKeys.create(s.t.app.context(null), "found by node", ["read", "ingest"]);
    const { activeModel } = await s.api.data(gql<{ activeModel: { id: string } }>(`{ activeModel { id } }`));
    ids = {
      Lead: recordInteraction.lead.id,
      Interaction: recordInteraction.interaction.id,
      ScoringModel: activeModel.id,
      ApiKey: record.id,
      Webhook: created.id,
      WebhookDelivery: delivery.id,
    };
  });

  it("is implemented by exactly the types tried here, and the service looks in each one's table", async () => {
    const schema = await buildQualifySchema(createLocalPubSub(), { maxJsonBytes: 16 * 1024 });
    const implementations = schema.getPossibleTypes(schema.getType("Node") as GraphQLInterfaceType).map((type) => type.name);
    expect(implementations.sort()).toEqual(Object.keys(TYPES).sort());
    expect([...NODE_TYPES].sort()).toEqual(implementations);
  });

  it("answers each type with every field as the type's own operation does", async () => {
    const own = await s.api.data(OWN, { leadId: ids.Lead, at: at() });
    const webhook = own.webhooks.find((w) => w.id === ids.Webhook);
    const expected: Record<string, Row | undefined> = {
      Lead: own.lead,
      Interaction: own.lead.interactions.edges.find((e) => e.node.id === ids.Interaction)?.node,
      ScoringModel: own.activeModel,
      ApiKey: own.apiKeys.find((k) => k.id === ids.ApiKey),
      Webhook: webhook,
      WebhookDelivery: webhook?.deliveries.edges.find((e) => e.node.id === ids.WebhookDelivery)?.node,
    };
    for (const [type, id] of Object.entries(ids)) {
      const res = await node(type, id);
      expect({ type, errors: res.errors, node: res.data?.node }).toEqual({ type, errors: undefined, node: { __typename: type, ...expected[type] } });
    }
    // The fixtures hold what makes the comparison worth something.
    expect(own.lead.interactions.edges.length).toBeGreaterThan(0);
    expect(webhook?.deliveries.edges.map((e) => e.node.event)).toEqual(["LEAD_CREATED"]);
  });

  it("finds an id written in upper case, as every id argument is taken", async () => {
    const res = await s.api.request(JUST_NODE, { id: ids.Lead.toUpperCase() });
    expect(res.data).toEqual({ node: { __typename: "Lead", id: ids.Lead } });
  });

  it("answers null for an id of nothing, and for what was deleted", async () => {
    const { webhook } = (await s.api.data(CREATE_WEBHOOK, { input: { url: `${HOOK}/deleted`, events: ["LEAD_DELETED"] } })).createWebhook;
    expect((await s.api.data(JUST_NODE, { id: webhook.id })).node).toEqual({ __typename: "Webhook", id: webhook.id });
    await s.api.data(gql<unknown, { id: string }>(`mutation ($id: ID!) { deleteWebhook(id: $id) }`), { id: webhook.id });
    for (const id of [randomUUID(), webhook.id]) {
      const res = await s.api.request(JUST_NODE, { id });
      expect({ status: res.status, errors: res.errors, data: res.data }).toEqual({ status: 200, errors: undefined, data: { node: null } });
    }
  });

  it.each(["nope", "", "3f2504e0-4f89-41d3-9a0c-0305e82c330", "' OR 1=1 --"])("an id that is no UUID (%j) is BAD_USER_INPUT on id", async (id) => {
    const res = await s.api.request(JUST_NODE, { id });
    expect({ status: res.status, code: codeOf(res), field: res.errors?.[0]?.extensions?.field, node: res.data?.node ?? null }).toEqual({
      status: 200,
      code: "BAD_USER_INPUT",
      field: "id",
      node: null,
    });
  });

  const KEYS: Array<[string, Scope[]]> = [
    ["read", ["read"]],
    ["ingest", ["ingest"]],
    ["sales", ["sales"]],
    ["ingest+read", ["ingest", "read"]],
    ["ingest+sales", ["ingest", "sales"]],
    ["admin", ["admin"]],
  ];

  it.each(KEYS)("%s key: finds what it may read; anything else is null, as an id of nothing", async (_kind, scopes) => {
    const client = await s.t.client(scopes);
    const nothing = await node("Lead", randomUUID(), client);
    expect({ status: nothing.status, errors: nothing.errors, data: nothing.data }).toEqual({ status: 200, errors: undefined, data: { node: null } });
    const found: Record<string, string | null> = {};
    for (const [type, id] of Object.entries(ids)) {
      // Every field of every type asked for: a key finds an object only when it may read all of it.
      const res = await node(type, id, client);
      expect({ type, status: res.status, errors: res.errors }).toEqual({ type, status: 200, errors: undefined });
      found[type] = (res.data?.node?.__typename as string | undefined) ?? null;
    }
    const may = (need: Scope) => scopes.includes(need) || scopes.includes("admin");
    expect(found).toEqual(Object.fromEntries(Object.entries(TYPES).map(([type, need]) => [type, may(need) ? type : null])));
  });

  it("an ingest key's own writes: null through node, though their ids are in its answers", async () => {
    const ingest = await s.t.client(["ingest"]);
    const { recordInteraction } = await ingest.data(
      gql<{ recordInteraction: { lead: { id: string }; interaction: { id: string } } }, { input: unknown }>(
        `mutation ($input: InteractionInput!) { recordInteraction(input: $input) { lead { id } interaction { id } } }`,
      ),
      { input: { email: uniqueEmail("node-ingest"), type: "visit", target: "/pricing" } },
    );
    for (const id of [recordInteraction.lead.id, recordInteraction.interaction.id]) {
      expect(await ingest.request(JUST_NODE, { id })).toMatchObject({ status: 200, data: { node: null } });
    }
  });

  it("reads in two statements when found, one when not, none for a key that may read no type", async () => {
    const counted = async (id: string, client: GraphQLTestClient) => {
      const before = s.t.app.queries.count;
      const res = await client.request(JUST_NODE, { id });
      expect(res.errors).toBeUndefined();
      return { found: res.data?.node?.__typename ?? null, statements: s.t.app.queries.count - before };
    };
    // The environment's admin key is checked without a statement; a stored key is trusted for a second once verified.
    expect(await counted(ids.WebhookDelivery, s.api)).toEqual({ found: "WebhookDelivery", statements: 2 });
    expect(await counted(ids.Lead, s.api)).toEqual({ found: "Lead", statements: 2 });
    expect(await counted(randomUUID(), s.api)).toEqual({ found: null, statements: 1 });
    // No type allowed (a key without read or admin): nothing to look in. (Over HTTP a stored key's verification would count too.)
    const before = s.t.app.queries.count;
    expect(await s.t.app.services.nodes.find(s.t.app.context(null), ids.Lead, [])).toBeNull();
    expect(s.t.app.queries.count - before).toBe(0);
  });

  it("several in one request, each its own type", async () => {
    const res = await s.api.request(
      gql<Record<string, { __typename: string; id: string } | null>, { lead: string; hook: string; key: string; none: string }>(`
        query ($lead: ID!, $hook: ID!, $key: ID!, $none: ID!) {
          lead: node(id: $lead) { __typename id }
          hook: node(id: $hook) { __typename id ... on Webhook { url } }
          key: node(id: $key) { __typename ... on ApiKey { name } }
          none: node(id: $none) { __typename id }
        }`),
      { lead: ids.Lead, hook: ids.Webhook, key: ids.ApiKey, none: randomUUID() },
    );
    expect({ errors: res.errors, data: res.data }).toEqual({
      errors: undefined,
      data: {
        lead: { __typename: "Lead", id: ids.Lead },
        hook: { __typename: "Webhook", id: ids.Webhook, url: `${HOOK}/created` },
        key: { __typename: "ApiKey", name: "found by node" },
        none: null,
      },
    });
  });
});
