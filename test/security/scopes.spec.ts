/**
 * Scopes on every field, generated from the schema: for each kind of key and each operation, a
 * request for every field reachable from it (over HTTP, against real data; the subscriptions'
 * over WebSocket), answered or refused as `DECISIONS` says. `DECISIONS` is the table of what
 * each field needs, written by hand: a field of the schema missing from it (or one it names that
 * the schema lacks) fails the suite, so no field is added without deciding who may read it.
 * `node(id)` is tried with an id of each type that implements `Node`: every field of it answered,
 * or null where `NODE_FINDS` (by hand too) says the key may not find that type.
 */
import { randomUUID } from "node:crypto";
import {
  getNamedType,
  type GraphQLField,
  GraphQLError,
  type GraphQLInterfaceType,
  type GraphQLNamedType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  isObjectType,
} from "graphql";
import type { Caller } from "../../src/context";
import type { Scope } from "../../src/entities/api-key.entity";
import { createLocalPubSub } from "../../src/events/local-pub-sub";
import { buildQualifySchema } from "../../src/schema/build-schema";
import { gql, type GraphQLTestClient, type Response } from "../api/helpers/graphql-client";
import { testDatabase, uniqueEmail, useTestApp } from "../api/helpers/test-app";

type Need = "any" | Scope;

/**
 * Who may read each field, by type; space-separated field names per need. Root fields: the scope
 * of the operation. Lead data needs `read` everywhere; a key with `ingest` alone reads only ids,
 * `duplicate` and `pointsAwarded` of what it writes; API keys need `admin`.
 */
const DECISIONS: Record<string, Partial<Record<Need, string>>> = {
  Query: { any: "node viewer", read: "activeModel checkModel funnel interactionTypes lead leadByEmail leads models rescoreStatus", admin: "apiKeys webhooks" },
  Mutation: {
    ingest: "recordInteraction recordInteractions upsertLead",
    sales: "setLeadStage",
    admin:
      "createApiKey createWebhook deleteLead deleteWebhook previewModel publishModel redeliverWebhookDelivery republishModel revokeApiKey " +
      "setApiKeyRateLimit updateWebhook",
  },
  Subscription: { read: "leadScored leadStageChanged" },
  RecordInteractionPayload: { any: "duplicate interaction lead pointsAwarded", read: "stageChange" },
  Interaction: { any: "id", read: "awards externalId lead occurredAt points properties receivedAt source target type" },
  Lead: {
    any: "id",
    read:
      "attributes company companySize country createdAt email engagement engagementSince firstName fit groups industry interactions lastName role score " +
      "scoreAt scoreBreakdown scoreHistory source stage stageHistory stageOutlook updatedAt",
  },
  LeadConnection: { read: "edges pageInfo totalCount" },
  LeadEdge: { read: "cursor node" },
  InteractionConnection: { read: "edges pageInfo totalCount" },
  InteractionEdge: { read: "cursor node" },
  PageInfo: { read: "endCursor hasNextPage hasPreviousPage startCursor" },
  ScoreAward: { read: "awardedAt category counting expiresAt group initialPoints nextDecayAt points rule" },
  RuleContribution: { read: "category count group points rule" },
  GroupScore: { read: "category group max points uncappedPoints" },
  StageCheck: { read: "conditions holds rule stage" },
  ConditionCheck: { read: "condition detail holds" },
  ModelGroup: { read: "category max name" },
  StageTransition: { read: "actor at cause from reason rule to" },
  FunnelStageStats: { read: "conversionToNext leads reached stage" },
  LeadScored: { read: "interaction lead leadId pointsAwarded score" },
  LeadStageChanged: { read: "lead leadId transition" },
  ScoringModel: { read: "active comment funnel groups id offPath publishedAt publishedBy publishedById republishedFrom source version" },
  ScoringModelConnection: { read: "edges pageInfo totalCount" },
  ScoringModelEdge: { read: "cursor node" },
  Diagnostic: { read: "code column endColumn endLine line message severity" },
  PublishModelPayload: { read: "leadsRescored model stageChanges" },
  ModelPreview: { read: "diagnostics leadsChanged stages topMovers" },
  StagePreview: { read: "fromScratch now stage withModel" },
  RescoreStatus: { read: "done finishedAt startedAt state total version" },
  LeadScoreChange: { read: "change lead rulesChanged scoreNow scoreWithModel stageNow stageWithModel" },
  ApiKey: { admin: "createdAt createdBy id lastUsedAt name prefix rateLimit revokedAt revokedBy scopes" },
  RateLimit: { any: "cost custom requests windowSeconds" },
  Viewer: { any: "createdAt effectiveScopes id name prefix rateLimit scopes" },
  InteractionTypeStats: { read: "interactions lastSeenAt type" },
  ScorePoint: { read: "at cause engagement fit interactionId score" },
  ScorePointConnection: { read: "edges pageInfo totalCount" },
  ScorePointEdge: { read: "cursor node" },
  CreatedApiKey: { admin: "apiKey key" },
  Webhook: { admin: "active createdAt deactivatedAt deactivatedReason deliveries description events id stages url" },
  WebhookDelivery: { admin: "attempts createdAt deliveredAt event eventId id lastError lastStatusCode leadId nextAttemptAt status" },
  WebhookDeliveryConnection: { admin: "edges pageInfo totalCount" },
  WebhookDeliveryEdge: { admin: "cursor node" },
  CreatedWebhook: { admin: "secret webhook" },
};

/**
 * What a key needs for `node(id)` to find an object of each type that implements `Node`: the
 * scope its fields need (a key that may not read it gets null, as for an id of nothing).
 */
const NODE_FINDS: Record<string, Need> = { Lead: "read", Interaction: "read", ScoringModel: "read", ApiKey: "admin", Webhook: "admin", WebhookDelivery: "admin" };

const needOf = (type: string, field: string): Need | undefined =>
  (Object.entries(DECISIONS[type] ?? {}) as Array<[Need, string]>).find(([, names]) => names.split(" ").includes(field))?.[0];

/** The kinds of key tried: each scope alone and the usual pairs. */
const KEYS: Record<string, Scope[]> = {
  read: ["read"],
  ingest: ["ingest"],
  sales: ["sales"],
  admin: ["admin"],
  "ingest+read": ["ingest", "read"],
  "sales+read": ["sales", "read"],
  "ingest+sales": ["ingest", "sales"],
};

const may = (scopes: Scope[], need: Need): boolean => need === "any" || scopes.includes(need) || scopes.includes("admin");

/** The data the operations' arguments name, made in `beforeAll`. */
interface Fixtures {
  leadId: string;
  interactionId: string;
  modelId: string;
  email: string;
  source: string;
  previewSource: string;
  spareKeyId: string;
  webhookId: string;
  deliveryId: string;
}

/** A new lead (with a first name) and its demo request: awards, a breakdown, two stage moves. */
const demoRequest = (email = uniqueEmail("scopes")) => ({ email, type: "demo_request", lead: { email, firstName: "Ada", role: "Marketing Director" } });

/** Where the suite's webhook points: nothing listens there (its deliveries stay pending). */
const SCOPES_HOOK = "http://127.0.0.1:9/scopes";

/** Each operation's variables, typed as declared, and the values a request passes (fresh ones per call). */
const ARGUMENTS: Record<string, { declare: string; pass: string; values: (f: Fixtures) => Record<string, unknown> }> = {
  "Query.lead": { declare: "$id: ID!", pass: "id: $id", values: (f) => ({ id: f.leadId }) },
  // Tried with an id of each type that implements Node, in its own describe (`nodeIds`).
  "Query.node": { declare: "$id: ID!", pass: "id: $id", values: (f) => ({ id: f.leadId }) },
  "Query.leadByEmail": { declare: "$email: String!", pass: "email: $email", values: (f) => ({ email: f.email }) },
  "Query.leads": { declare: "$first: Int", pass: "first: $first", values: () => ({ first: 1 }) },
  "Query.funnel": { declare: "", pass: "", values: () => ({}) },
  "Query.activeModel": { declare: "", pass: "", values: () => ({}) },
  "Query.models": { declare: "$first: Int", pass: "first: $first", values: () => ({ first: 1 }) },
  "Query.rescoreStatus": { declare: "", pass: "", values: () => ({}) },
  "Query.checkModel": { declare: "$source: String!", pass: "source: $source", values: () => ({ source: "visit =>" }) },
  "Query.apiKeys": { declare: "", pass: "", values: () => ({}) },
  "Query.viewer": { declare: "", pass: "", values: () => ({}) },
  "Query.interactionTypes": { declare: "$first: Int", pass: "first: $first", values: () => ({ first: 5 }) },
  "Mutation.upsertLead": { declare: "$input: LeadInput!", pass: "input: $input", values: (f) => ({ input: { email: f.email, company: "Scopes Ltd" } }) },
  "Mutation.recordInteraction": { declare: "$input: InteractionInput!", pass: "input: $input", values: () => ({ input: demoRequest() }) },
  "Mutation.recordInteractions": { declare: "$inputs: [InteractionInput!]!", pass: "inputs: $inputs", values: () => ({ inputs: [demoRequest()] }) },
  "Mutation.setLeadStage": { declare: "$leadId: ID!, $stage: String!", pass: "leadId: $leadId, stage: $stage", values: (f) => ({ leadId: f.leadId, stage: "SQL" }) },
  "Mutation.publishModel": { declare: "$source: String!", pass: "source: $source", values: (f) => ({ source: f.source }) },
  "Mutation.previewModel": { declare: "$source: String!", pass: "source: $source", values: (f) => ({ source: f.previewSource }) },
  "Mutation.deleteLead": { declare: "$id: ID!", pass: "id: $id", values: () => ({ id: randomUUID() }) },
  "Mutation.createApiKey": { declare: "$name: String!, $scopes: [Scope!]!", pass: "name: $name, scopes: $scopes", values: () => ({ name: "made by the scopes suite", scopes: ["READ"] }) },
  "Mutation.revokeApiKey": { declare: "$id: ID!", pass: "id: $id", values: (f) => ({ id: f.spareKeyId }) },
  "Mutation.republishModel": { declare: "$version: Int!", pass: "version: $version", values: () => ({ version: 2 }) },
  "Mutation.setApiKeyRateLimit": { declare: "$id: ID!", pass: "id: $id", values: (f) => ({ id: f.spareKeyId }) },
  "Query.webhooks": { declare: "", pass: "", values: () => ({}) },
  "Mutation.createWebhook": { declare: "$input: WebhookInput!", pass: "input: $input", values: () => ({ input: { url: SCOPES_HOOK, events: ["LEAD_DELETED"] } }) },
  "Mutation.updateWebhook": { declare: "$id: ID!, $input: WebhookInput!", pass: "id: $id, input: $input", values: (f) => ({ id: f.webhookId, input: { url: SCOPES_HOOK, events: ["LEAD_DELETED"] } }) },
  "Mutation.deleteWebhook": { declare: "$id: ID!", pass: "id: $id", values: () => ({ id: randomUUID() }) },
  "Mutation.redeliverWebhookDelivery": { declare: "$id: ID!", pass: "id: $id", values: (f) => ({ id: f.deliveryId }) },
  "Subscription.leadScored": { declare: "$leadId: ID", pass: "leadId: $leadId", values: (f) => ({ leadId: f.leadId }) },
  "Subscription.leadStageChanged": { declare: "", pass: "", values: () => ({}) },
};

/** The arguments a field with required ones is selected with, by field name (evaluated when a document is made). */
const FIELD_ARGUMENTS: Record<string, () => string> = {
  scoreAt: () => `at: "${new Date().toISOString()}"`,
};

/**
 * Fields whose type is reached through another path: `scoreAt` answers null for a lead created by
 * the very mutation that asks (the instant is chosen before it runs), so `ScorePoint` is reached
 * through `scoreHistory`, which always holds the lead's first point.
 */
const THROUGH_ELSEWHERE = new Set(["Lead.scoreAt"]);

/** Fields of one operation whose type is reached elsewhere: a webhook just created has no deliveries yet. */
const EMPTY_IN: Readonly<Record<string, readonly string[]>> = { createWebhook: ["Webhook.deliveries"] };

/** A field reachable from an operation: its type and name, the response path to it (the operation's field first). */
interface Reached {
  type: string;
  field: string;
  path: string[];
  /** The type and field of each step of the path after the operation's field. */
  steps: Array<{ type: string; field: string }>;
  /** Whether it holds an object (selected as `{ __typename }` when it is the end of a selection). */
  object: boolean;
}

/**
 * Every field reachable from the root field `op` of `rootType`, each once, by its shortest path;
 * for a root field of an interface type (`node`), those of its object type `as`.
 */
function reachable(schema: GraphQLSchema, rootType: string, op: string, as?: string): Reached[] {
  const root = schema.getType(rootType);
  if (!isObjectType(root)) throw new Error(`no type ${rootType}`);
  const start = as ? (schema.getType(as) as GraphQLNamedType) : getNamedType(root.getFields()[op].type);
  const found: Reached[] = [];
  const seen = new Set([start.name]);
  const queue: Array<{ type: typeof start; path: string[]; steps: Reached["steps"] }> = [{ type: start, path: [op], steps: [] }];
  for (let next = queue.shift(); next; next = queue.shift()) {
    if (!isObjectType(next.type)) continue;
    for (const field of Object.values(next.type.getFields())) {
      const type = getNamedType(field.type);
      const path = [...next.path, field.name];
      const steps = [...next.steps, { type: next.type.name, field: field.name }];
      found.push({ type: next.type.name, field: field.name, path, steps, object: isObjectType(type) });
      const step = `${next.type.name}.${field.name}`;
      if (isObjectType(type) && !seen.has(type.name) && !THROUGH_ELSEWHERE.has(step) && !EMPTY_IN[op]?.includes(step)) {
        seen.add(type.name);
        queue.push({ type, path, steps });
      }
    }
  }
  return found;
}

interface Tree {
  [key: string]: Tree;
}

/** The selection of every path (objects at their end get `__typename`), as GraphQL text. */
function selection(paths: Array<{ path: string[]; object: boolean }>): string {
  const tree: Tree = {};
  for (const { path, object } of paths) {
    let at = tree;
    for (const key of [...path, ...(object ? ["__typename"] : [])]) at = at[key] ??= {};
  }
  const print = (node: Tree): string =>
    Object.entries(node)
      .map(([key, below]) => {
        const field = FIELD_ARGUMENTS[key] ? `${key}(${FIELD_ARGUMENTS[key]()})` : key;
        return Object.keys(below).length ? `${field} { ${print(below)} }` : field;
      })
      .join(" ");
  return print(tree);
}

/** The operation `kind` asking for `paths` under its field `op` (no paths: the field alone). */
function document(kind: "query" | "mutation" | "subscription", op: string, rootType: string, paths: Array<{ path: string[]; object: boolean }>, leaf: boolean): string {
  const args = ARGUMENTS[`${rootType}.${op}`];
  const inner = paths.length ? selection(paths.map((p) => ({ ...p, path: p.path.slice(1) }))) : leaf ? "" : "__typename";
  const declared = args.declare ? `(${args.declare})` : "";
  return `${kind}${declared} { ${op}${args.pass ? `(${args.pass})` : ""}${inner ? ` { ${inner} }` : ""} }`;
}

/** Whether `data` holds the field at `path` (through every list: in at least one item). */
function reaches(value: unknown, path: readonly string[]): boolean {
  if (Array.isArray(value)) return value.some((item) => reaches(item, path));
  if (value === null || typeof value !== "object") return false;
  const [key, ...rest] = path;
  if (!(key in value)) return false;
  return rest.length === 0 || reaches((value as Record<string, unknown>)[key], rest);
}

/** The fields (dotted selection paths) a FORBIDDEN answer names. */
const forbiddenFields = (res: Pick<Response<unknown>, "errors">): string[] =>
  (res.errors ?? []).filter((e) => e.extensions?.code === "FORBIDDEN").flatMap((e) => (e.extensions?.fields ?? []).map((f) => f.field));

describe(`scopes on every field [${testDatabase()}]`, () => {
  const s = useTestApp({ QUALIFY_WEBHOOK_ALLOW_PRIVATE: "true" });
  let schema: GraphQLSchema;
  let fixtures: Fixtures;

  beforeAll(async () => {
    schema = await buildQualifySchema(createLocalPubSub(), { maxJsonBytes: 16 * 1024 });
    // Version 2: the seed model, a group, and a rule for a stage past SQL, so that every lead and
    // model has a group to show and a lead at SQL a stage ahead (lists reach their fields).
    const { activeModel: seed } = await s.api.data(gql<{ activeModel: { source: string } }>(`{ activeModel { source } }`));
    await s.api.data(gql<unknown, { source: string }>(`mutation ($source: String!) { publishModel(source: $source) { leadsRescored } }`), {
      source: `${seed.source}\ngroup "Product" { visit "/product/*" => +1 }\nstage Opportunity when has meeting\n`,
    });
    const lead = await s.api.data(
      gql<{ recordInteraction: { interaction: { id: string }; lead: { id: string; email: string } } }, { input: unknown }>(
        `mutation ($input: InteractionInput!) { recordInteraction(input: $input) { interaction { id } lead { id email } } }`,
      ),
      { input: demoRequest() },
    );
    const { activeModel } = await s.api.data(gql<{ activeModel: { id: string; source: string } }>(`{ activeModel { id source } }`));
    const { record } = await s.t.app.services.apiKeys.create(s.t.app.context(null), "to be revoked", ["read"]);
    // A webhook with a delivery: of a lead deleted.
    const { webhook } = await s.t.app.services.webhooks.create(s.t.app.context(null), { url: SCOPES_HOOK, events: ["LEAD_DELETED"] });
    const deleted = (await s.t.app.services.leads.upsert(s.t.app.context(null), { email: uniqueEmail("scopes-deleted") })).id;
    await s.t.app.services.leads.delete(s.t.app.context(null), deleted);
    const [delivery] = await s.t.app.context(null).db.query(`SELECT id FROM webhook_delivery WHERE lead_id = $1`, [deleted]);
    fixtures = {
      leadId: lead.recordInteraction.lead.id,
      interactionId: lead.recordInteraction.interaction.id,
      modelId: activeModel.id,
      email: lead.recordInteraction.lead.email,
      source: activeModel.source,
      // Scores change (so there are movers) and a rule awarding nothing warns (so there are diagnostics).
      previewSource: `${activeModel.source.replace("demo_request => +30", "demo_request => +31")}\nvisit "/nothing" => +0\n`,
      spareKeyId: record.id,
      webhookId: webhook.id,
      deliveryId: delivery.id,
    };
    expect(fixtures.previewSource).not.toBe(activeModel.source);
  });

  it("has decided who may read every field of the schema, and names no field the schema lacks", () => {
    const undecided: string[] = [];
    const inSchema = new Set<string>();
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith("__")) continue;
      for (const field of Object.keys(type.getFields())) {
        inSchema.add(`${type.name}.${field}`);
        if (!needOf(type.name, field)) undecided.push(`${type.name}.${field}`);
      }
    }
    const stale = Object.entries(DECISIONS).flatMap(([type, needs]) =>
      Object.values(needs).flatMap((names) => (names as string).split(" ").map((field) => `${type}.${field}`)).filter((name) => !inSchema.has(name)),
    );
    // Every operation needs its arguments here to be tried.
    const untried = [...inSchema].filter((name) => /^(Query|Mutation|Subscription)\./.test(name) && !ARGUMENTS[name]);
    expect({ undecided, stale, untried }).toEqual({ undecided: [], stale: [], untried: [] });
  });

  it("has decided what finds each type through node(id), and a key that may find one may read all of it", () => {
    const nodes = schema.getPossibleTypes(schema.getType("Node") as GraphQLInterfaceType).map((type) => type.name);
    expect(nodes.sort()).toEqual(Object.keys(NODE_FINDS).sort());
    // node answers an object whole or not at all: never one with FORBIDDEN fields.
    const partly = Object.entries(KEYS).flatMap(([key, scopes]) =>
      nodes
        .filter((type) => may(scopes, NODE_FINDS[type]))
        .flatMap((type) => reachable(schema, "Query", "node", type).filter((f) => f.steps.some((step) => !may(scopes, needOf(step.type, step.field) as Need))))
        .map((f) => `${key}: ${f.path.join(".")}`),
    );
    expect(partly).toEqual([]);
  });

  describe("every field resolver of the built schema, called by a key without the scope it needs", () => {
    const info = (field: string) => ({ path: { prev: undefined, key: field, typename: undefined } }) as unknown as GraphQLResolveInfo;
    const caller = (scopes: Scope[]): Caller => ({ keyId: null, name: "direct", scopes: new Set(scopes) });

    // Every kind but admin, which may read every field.
    it.each(Object.keys(KEYS).filter((kind) => !KEYS[kind].includes("admin")))("%s: FORBIDDEN on every field it may not read", (kind) => {
      const wrong: string[] = [];
      for (const type of Object.values(schema.getTypeMap())) {
        if (!isObjectType(type) || type.name.startsWith("__") || ["Query", "Mutation", "Subscription"].includes(type.name)) continue;
        for (const field of Object.values(type.getFields()) as Array<GraphQLField<unknown, unknown>>) {
          const need = needOf(type.name, field.name) as Need;
          // A field the key may read is not called here (its resolver needs the services): the HTTP cases cover it.
          if (may(KEYS[kind], need)) continue;
          let thrown: unknown = null;
          try {
            field.resolve?.({ [field.name]: "a value" }, {}, { caller: caller(KEYS[kind]) }, info(field.name));
          } catch (err) {
            thrown = err;
          }
          const code = thrown instanceof GraphQLError ? thrown.extensions.code : thrown;
          if (code !== "FORBIDDEN") wrong.push(`${type.name}.${field.name}: ${String(code)}`);
        }
      }
      expect(wrong).toEqual([]);
    });

    it("leaves the fields any key may read as they are (no guard to pass)", () => {
      // Roots (`viewer`) are their resolvers' to authorise (`@Authorized`), tried over HTTP below.
      const open = Object.entries(DECISIONS)
        .filter(([type]) => !["Query", "Mutation", "Subscription"].includes(type))
        .flatMap(([type, needs]) => (needs.any ?? "").split(" ").filter(Boolean).map((field) => [type, field]));
      expect(open.length).toBeGreaterThan(0);
      for (const [type, field] of open) {
        const resolve = (schema.getType(type) as { getFields(): Record<string, GraphQLField<unknown, unknown>> }).getFields()[field].resolve;
        expect({ field: `${type}.${field}`, value: resolve?.({ [field]: "a value" }, {}, { caller: caller([]) }, info(field)) ?? "a value" }).toEqual({
          field: `${type}.${field}`,
          value: "a value",
        });
      }
    });
  });

  describe.each(["Query", "Mutation"] as const)("over HTTP, %s", (rootType) => {
    const kind = rootType === "Query" ? "query" : "mutation";
    const ops = Object.entries(DECISIONS[rootType])
      .flatMap(([need, names]) => (names as string).split(" ").map((op) => [op, need as Need] as const))
      // `node` answers one type per id: below, each type by itself.
      .filter(([op]) => op !== "node");
    const cases = ops.flatMap(([op, need]) => Object.keys(KEYS).map((key) => [key, op, need] as const));

    it.each(cases)("%s key, %s: each field answered or FORBIDDEN as decided", async (key, op, need) => {
      // A key of its own per case: whatever limits apply to one key, this suite stays far from them.
      const client = await s.t.client(KEYS[key]);
      const fields = reachable(schema, rootType, op);
      const leaf = fields.length === 0;
      const send = (paths: Reached[]) => client.request(gql<Record<string, unknown>, Record<string, unknown>>(document(kind, op, rootType, paths, leaf)), ARGUMENTS[`${rootType}.${op}`].values(fixtures));
      if (!may(KEYS[key], need)) {
        const res = await send(fields.slice(0, 1));
        expect({ status: res.status, code: res.errors?.[0]?.extensions?.code, path: res.errors?.[0]?.path }).toEqual({ status: 403, code: "FORBIDDEN", path: [op] });
        return;
      }
      // The first step of its path the key may not read (-1: none), which a refusal names.
      const refusedAt = (f: Reached) => f.steps.findIndex((step) => !may(KEYS[key], needOf(step.type, step.field) as Need));
      const readable = fields.filter((f) => refusedAt(f) === -1);
      if (readable.length === fields.length) {
        // Everything at once: no error, every field in the answer.
        const res = await send(fields);
        expect({ status: res.status, errors: res.errors }).toEqual({ status: 200, errors: undefined });
        expect(res.data).toHaveProperty([op]);
        expect(fields.filter((f) => !reaches(res.data, f.path)).map((f) => f.path.join("."))).toEqual([]);
        return;
      }
      // Field by field: the readable ones answered, the others FORBIDDEN naming them (or the step above them refused).
      const wrong: string[] = [];
      for (const field of fields) {
        const res = await send([field]);
        const at = field.path.join(".");
        if (readable.includes(field)) {
          if (res.errors || !reaches(res.data, field.path)) wrong.push(`${at}: expected an answer, got ${res.status} ${JSON.stringify(res.errors)}`);
          continue;
        }
        const named = field.path.slice(0, refusedAt(field) + 2).join(".");
        if (res.status !== 403 || JSON.stringify(forbiddenFields(res)) !== JSON.stringify([named]) || reaches(res.data, field.path)) {
          wrong.push(`${at}: expected 403 FORBIDDEN naming ${named}, got ${res.status} ${JSON.stringify(res.errors)}`);
        }
      }
      expect(wrong).toEqual([]);
    });
  });

  describe("over HTTP, node(id) of each type", () => {
    const nodeIds = (f: Fixtures): Record<string, string> => ({
      Lead: f.leadId,
      Interaction: f.interactionId,
      ScoringModel: f.modelId,
      ApiKey: f.spareKeyId,
      Webhook: f.webhookId,
      WebhookDelivery: f.deliveryId,
    });
    const cases = Object.keys(NODE_FINDS).flatMap((type) => Object.keys(KEYS).map((key) => [key, type] as const));

    it.each(cases)("%s key, a %s's id: every field answered, or null when the key may not find it", async (key, type) => {
      const client = await s.t.client(KEYS[key]);
      const fields = reachable(schema, "Query", "node", type);
      const query = `query ($id: ID!) { node(id: $id) { __typename ... on ${type} { ${selection(fields.map((f) => ({ ...f, path: f.path.slice(1) })))} } } }`;
      const res = await client.request(gql<Record<string, unknown>, { id: string }>(query), { id: nodeIds(fixtures)[type] });
      expect({ status: res.status, errors: res.errors }).toEqual({ status: 200, errors: undefined });
      if (!may(KEYS[key], NODE_FINDS[type])) {
        expect(res.data).toEqual({ node: null });
        return;
      }
      expect(res.data).toHaveProperty(["node", "__typename"], type);
      expect(fields.filter((f) => !reaches(res.data, f.path)).map((f) => f.path.join("."))).toEqual([]);
    });
  });

  describe("over WebSocket, Subscription", () => {
    const cases = Object.entries(DECISIONS.Subscription).flatMap(([need, names]) =>
      (names as string).split(" ").flatMap((op) => Object.keys(KEYS).map((key) => [key, op, need as Need] as const)),
    );
    // What makes each subscription fire: a visit of the fixtures' lead; a new lead moving stages.
    const trigger = (op: string) =>
      s.api.data(gql<unknown, { input: unknown }>(`mutation ($input: InteractionInput!) { recordInteraction(input: $input) { duplicate } }`), {
        input: op === "leadScored" ? { leadId: fixtures.leadId, type: "visit", target: "/pricing" } : demoRequest(),
      });

    it.each(cases)("%s key, %s: every field of the events, or refused", async (key, op, need) => {
      const client = await s.t.client(KEYS[key]);
      const fields = reachable(schema, "Subscription", op);
      const ws = client.subscriptions();
      const messages: Array<Pick<Response<unknown>, "errors"> & { data?: unknown }> = [];
      let refused: unknown = null;
      ws.on("closed", (event) => (refused ??= (event as { code: number }).code));
      ws.subscribe(
        { query: document("subscription", op, "Subscription", fields, false), variables: ARGUMENTS[`Subscription.${op}`].values(fixtures) },
        { next: (message) => void messages.push(message as never), error: (err) => (refused ??= err), complete: () => undefined },
      );
      try {
        // The server registers a subscription asynchronously: write until an event (or the refusal) arrives.
        for (let attempt = 0; attempt < 20 && messages.length === 0 && refused === null; attempt++) {
          await trigger(op);
          for (let waited = 0; waited < 500 && messages.length === 0 && refused === null; waited += 20) await new Promise((r) => setTimeout(r, 20));
        }
        if (may(KEYS[key], need)) {
          expect({ refused, errors: messages[0]?.errors }).toEqual({ refused: null, errors: undefined });
          expect(fields.filter((f) => !reaches(messages[0].data, f.path)).map((f) => f.path.join("."))).toEqual([]);
        } else {
          // Refused at the connection (4403, graphql-ws's Forbidden) or by the operation's scope: no event either way.
          const code = refused instanceof Array ? (refused[0] as { extensions?: { code?: string } }).extensions?.code : refused;
          expect({ data: messages.filter((m) => m.data), refused: [4403, "FORBIDDEN"].includes(code as never) }).toEqual({ data: [], refused: true });
        }
      } finally {
        await ws.dispose();
      }
    });
  });

  describe("a write whose answer the key may not read", () => {
    const LEAD_BY_EMAIL = gql<{ leadByEmail: { id: string; stage: string } | null }, { email: string }>(
      `query ($email: String!) { leadByEmail(email: $email) { id stage } }`,
    );
    const stored = async (email: string) => (await s.api.data(LEAD_BY_EMAIL, { email })).leadByEmail;

    it("is refused before it writes: FORBIDDEN naming each field in extensions.fields, nothing changed", async () => {
      const ingest = await s.t.client(["ingest"]);
      const email = uniqueEmail("refused");
      const res = await ingest.request(
        gql<unknown, { input: unknown }>(`mutation ($input: InteractionInput!) { recordInteraction(input: $input) { duplicate lead { id email score } } }`),
        { input: demoRequest(email) },
      );
      expect(res.status).toBe(403);
      expect(res.data).toBeNull();
      expect(res.errors).toHaveLength(1);
      expect(res.errors?.[0]).toMatchObject({
        path: ["recordInteraction"],
        message: "Nothing was done: this API key may not read recordInteraction.lead.email, recordInteraction.lead.score",
        extensions: {
          code: "FORBIDDEN",
          field: "recordInteraction.lead.email",
          fields: [
            { field: "recordInteraction.lead.email", message: "This API key lacks the read scope needed to read Lead.email" },
            { field: "recordInteraction.lead.score", message: "This API key lacks the read scope needed to read Lead.score" },
          ],
        },
      });
      expect(await stored(email)).toBeNull();

      const upserted = uniqueEmail("refused");
      const upsert = await ingest.request(gql<unknown, { email: string }>(`mutation ($email: String!) { upsertLead(input: { email: $email }) { id stage } }`), { email: upserted });
      expect(forbiddenFields(upsert)).toEqual(["upsertLead.stage"]);
      expect(await stored(upserted)).toBeNull();
    });

    it("a sales key alone moves a lead and reads its id; asking for its stage too moves nothing", async () => {
      const sales = await s.t.client(["sales"]);
      const email = uniqueEmail("moved");
      const { upsertLead } = await s.api.data(gql<{ upsertLead: { id: string } }, { email: string }>(`mutation ($email: String!) { upsertLead(input: { email: $email }) { id } }`), { email });
      const MOVE = (selection: string) =>
        gql<{ setLeadStage: { id: string } }, { leadId: string; stage: string }>(`mutation ($leadId: ID!, $stage: String!) { setLeadStage(leadId: $leadId, stage: $stage) { ${selection} } }`);
      const refused = await sales.request(MOVE("id stage stageHistory { to }"), { leadId: upsertLead.id, stage: "SQL" });
      expect(forbiddenFields(refused)).toEqual(["setLeadStage.stage", "setLeadStage.stageHistory"]);
      expect((await stored(email))?.stage).toBe("Subscriber");
      expect(await sales.data(MOVE("id"), { leadId: upsertLead.id, stage: "SQL" })).toEqual({ setLeadStage: { id: upsertLead.id } });
      expect((await stored(email))?.stage).toBe("SQL");
    });

    it("fragments, inline fragments, aliases and @include do not get around it; @skip leaves out what it skips", async () => {
      const ingest = await s.t.client(["ingest"]);
      const DOC = gql<{ recordInteraction: unknown }, { input: unknown; show: boolean; hide: boolean }>(`
        mutation ($input: InteractionInput!, $show: Boolean!, $hide: Boolean!) { recordInteraction(input: $input) { ...Payload } }
        fragment Payload on RecordInteractionPayload {
          done: duplicate
          who: lead { __typename id ... on Lead { mail: email @skip(if: $hide) } }
          interaction { id type @include(if: $show) }
        }`);
      const email = uniqueEmail("evasive");
      const res = await ingest.request(DOC, { input: demoRequest(email), show: true, hide: false });
      expect(forbiddenFields(res)).toEqual(["recordInteraction.who.mail", "recordInteraction.interaction.type"]);
      expect(await stored(email)).toBeNull();
      const done = await ingest.request(DOC, { input: demoRequest(email), show: false, hide: true });
      expect(done.errors).toBeUndefined();
      expect(done.data?.recordInteraction).toEqual({ done: false, who: { __typename: "Lead", id: (await stored(email))?.id }, interaction: { id: expect.any(String) } });
    });

    it("in any root field of the operation refuses all of it, before the first one writes", async () => {
      const ingest = await s.t.client(["ingest"]);
      const [first, second] = [uniqueEmail("first"), uniqueEmail("second")];
      const res = await ingest.request(
        gql<unknown, { a: unknown; b: unknown }>(`mutation ($a: InteractionInput!, $b: InteractionInput!) {
          a: recordInteraction(input: $a) { duplicate }
          b: recordInteraction(input: $b) { lead { score } }
        }`),
        { a: demoRequest(first), b: demoRequest(second) },
      );
      expect(res.status).toBe(403);
      expect(forbiddenFields(res)).toEqual(["b.lead.score"]);
      expect([await stored(first), await stored(second)]).toEqual([null, null]);
    });
  });
});
