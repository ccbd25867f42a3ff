/**
 * Bad input is bad input: every hostile or careless value the issue lists (and more), through every
 * operation that takes it, answers BAD_USER_INPUT on the field that holds it (never a 5xx or
 * INTERNAL_SERVER_ERROR), is logged at most at `info`, and changes nothing in the database. Then
 * the things that are not errors: ids in any case, totals past the 32-bit range, subscriptions.
 */
import { gql, type GraphQLErrorShape } from "../api/helpers/graphql-client";
import { testDatabase, uniqueEmail, useTestApp } from "../api/helpers/test-app";

type Entry = { level?: string; message?: string; stack?: unknown };

/**
 * What the service logged above info about a request, but "slow sql": that warning says the
 * machine was slow (a loaded embedded database can take a second over `SELECT version FROM
 * scoring_model`), not that the input was handled badly.
 */
const complaints = (lines: readonly string[]): Entry[] =>
  lines.map((line) => JSON.parse(line) as Entry).filter((e) => e.level !== "info" && e.level !== "debug" && e.message !== "slow sql");

const logs: string[] = [];
const s = useTestApp({ QUALIFY_LOG_LEVEL: "info" }, { log: (line) => logs.push(line) });

/** A digest of every table a write could touch: equal before and after means nothing changed. */
async function snapshot(): Promise<string> {
  const tables = ["lead", "interaction", "score_award", "stage_transition", "scoring_model", "api_key"];
  const parts = tables.map((t) => `(SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) FROM ${t} r)`);
  const [row] = await s.t.app.context(null).db.query(`SELECT ${parts.join(" || ")} AS digest`);
  return row.digest as string;
}

/** Sends a raw JSON body (a value JSON.stringify could not even build, such as 5,000 levels deep). */
async function send(body: string): Promise<{ status: number; errors: GraphQLErrorShape[]; data: unknown }> {
  const res = await fetch(s.t.app.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${s.api.key}` },
    body,
  });
  const json = (await res.json()) as { errors?: GraphQLErrorShape[]; data?: unknown };
  return { status: res.status, errors: json.errors ?? [], data: json.data ?? null };
}

const request = (query: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query, variables });

const deepJson = (levels: number) => '{"a":'.repeat(levels - 1) + "{}" + "}".repeat(levels - 1);
const UUID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
const cursor = (raw: string) => Buffer.from(raw, "utf8").toString("base64url");

const UPSERT = "mutation($input: LeadInput!) { upsertLead(input: $input) { id } }";
const RECORD = "mutation($input: InteractionInput!) { recordInteraction(input: $input) { duplicate lead { id } } }";
const RECORD_MANY = "mutation($inputs: [InteractionInput!]!) { recordInteractions(inputs: $inputs) { duplicate } }";
const LEADS = "query($filter: LeadFilter, $after: String, $orderBy: LeadOrder) { leads(filter: $filter, after: $after, orderBy: $orderBy) { totalCount } }";
const SET_STAGE = "mutation($leadId: ID!, $stage: String!, $reason: String) { setLeadStage(leadId: $leadId, stage: $stage, reason: $reason) { id } }";

/** The kinds of unstorable text, each in a value and (for JSON) in a key. */
const BAD_TEXTS: Array<[string, string]> = [
  ["U+0000", "a\u0000b"],
  ["a lone high surrogate", "a\ud800b"],
  ["a lone low surrogate", "\udc00"],
  ["a high surrogate at the end", "ab\udbff"],
];

interface Case {
  name: string;
  body: () => string;
  /** The `extensions.field` expected (or, for a whole-request refusal, its `reason`). */
  field?: string;
  reason?: string;
  /** The error's path, when not the first root field's. */
  path?: Array<string | number>;
}

function textCases(): Case[] {
  const cases: Case[] = [];
  for (const [kind, bad] of BAD_TEXTS) {
    const email = uniqueEmail("bad-text");
    const add = (name: string, query: string, variables: Record<string, unknown>, field: string, path?: Array<string | number>) =>
      cases.push({ name: `${kind} in ${name}`, body: () => request(query, variables), field, path });
    add("upsertLead email", UPSERT, { input: { email: `${bad}${email}` } }, "input.email");
    for (const f of ["firstName", "lastName", "role", "company", "industry", "country", "source"]) {
      add(`upsertLead ${f}`, UPSERT, { input: { email, [f]: bad } }, `input.${f}`);
    }
    add("upsertLead attributes (value)", UPSERT, { input: { email, attributes: { plan: bad } } }, "input.attributes");
    add("upsertLead attributes (key)", UPSERT, { input: { email, attributes: { [bad]: 1 } } }, "input.attributes");
    add("upsertLead attributes (nested)", UPSERT, { input: { email, attributes: { a: [{ b: bad }] } } }, "input.attributes");
    add("recordInteraction email", RECORD, { input: { email: `${email}${bad}`, type: "visit" } }, "input.email");
    add("recordInteraction type", RECORD, { input: { email, type: `visit${bad}` } }, "input.type");
    for (const f of ["target", "source", "externalId"]) add(`recordInteraction ${f}`, RECORD, { input: { email, type: "visit", [f]: bad } }, `input.${f}`);
    add("recordInteraction properties (value)", RECORD, { input: { email, type: "visit", properties: { note: bad } } }, "input.properties");
    add("recordInteraction properties (key)", RECORD, { input: { email, type: "visit", properties: { [bad]: true } } }, "input.properties");
    add("recordInteraction lead.company", RECORD, { input: { type: "visit", lead: { email, company: bad } } }, "input.lead.company");
    add("recordInteractions item", RECORD_MANY, { inputs: [{ email, type: "visit", target: bad }] }, "inputs.0.target", ["recordInteractions", 0]);
    add("leadByEmail", "query($email: String!) { leadByEmail(email: $email) { id } }", { email: `${email}${bad}` }, "email");
    add("leads filter.stage", LEADS, { filter: { stage: ["MQL", bad] } }, "filter.stage.1");
    add("leads filter.source", LEADS, { filter: { source: bad } }, "filter.source");
    add("leads filter.search", LEADS, { filter: { search: bad } }, "filter.search");
    add("setLeadStage stage", SET_STAGE, { leadId: UUID, stage: bad }, "stage");
    add("setLeadStage reason", SET_STAGE, { leadId: UUID, stage: "MQL", reason: bad }, "reason");
    for (const op of ["checkModel", "previewModel", "publishModel"]) {
      const kindOf = op === "checkModel" ? "query" : "mutation";
      add(`${op} source`, `${kindOf}($source: String!) { ${op}(source: $source) { __typename } }`, { source: `visit "${bad}" => +1` }, "source");
    }
    add("createApiKey name", "mutation($name: String!) { createApiKey(name: $name, scopes: [READ]) { key } }", { name: bad }, "name");
  }
  return cases;
}

const NOT_IDS = ["nope", "", "3f2504e0-4f89-41d3-9a0c-0305e82c330", "3f2504e0-4f89-41d3-9a0c-0305e82c3301 ", "' OR 1=1 --", "\u0000"];

function idCases(): Case[] {
  return NOT_IDS.flatMap((id): Case[] => [
    { name: `lead(id: ${JSON.stringify(id)})`, body: () => request("query($id: ID!) { lead(id: $id) { id } }", { id }), field: "id" },
    { name: `node(id: ${JSON.stringify(id)})`, body: () => request("query($id: ID!) { node(id: $id) { id } }", { id }), field: "id" },
    { name: `deleteLead(id: ${JSON.stringify(id)})`, body: () => request("mutation($id: ID!) { deleteLead(id: $id) }", { id }), field: "id" },
    { name: `setLeadStage(leadId: ${JSON.stringify(id)})`, body: () => request(SET_STAGE, { leadId: id, stage: "MQL" }), field: "leadId" },
    { name: `revokeApiKey(id: ${JSON.stringify(id)})`, body: () => request("mutation($id: ID!) { revokeApiKey(id: $id) { id } }", { id }), field: "id" },
    {
      name: `recordInteraction(input.leadId: ${JSON.stringify(id)})`,
      body: () => request(RECORD, { input: { leadId: id, type: "visit" } }),
      field: "input.leadId",
    },
    {
      name: `recordInteractions(inputs.0.leadId: ${JSON.stringify(id)})`,
      body: () => request(RECORD_MANY, { inputs: [{ leadId: id, type: "visit" }] }),
      field: "inputs.0.leadId",
      path: ["recordInteractions", 0],
    },
  ]);
}

const FORGED_CURSORS: Array<[string, string]> = [
  ["a key past 2^53", `[99999999999999999999,"${UUID}"]`],
  ["a key past 32 bits", `[2147483648,"${UUID}"]`],
  ["a fractional key", `[1.5,"${UUID}"]`],
  ["NUL in a text key", `["a\\u0000","${UUID}"]`],
  ["a lone surrogate in a text key", `["\\ud800","${UUID}"]`],
  ["an id that is no UUID", `[1,"------------------------------------"]`],
  ["an object", `{"a":1}`],
  ["three elements", `[1,"${UUID}",3]`],
  ["a nested array", `[[1],"${UUID}"]`],
  ["not JSON", "[1,"],
  ["a time before year 1", `["-000100-01-01T00:00:00.000Z","${UUID}"]`],
];

function cursorCases(): Case[] {
  const cases: Case[] = [];
  for (const [name, raw] of FORGED_CURSORS) {
    const after = cursor(raw);
    cases.push({ name: `leads(after: ${name})`, body: () => request(LEADS, { after }), field: "after" });
    // A text key is an EMAIL order's: a time is text there.
    if (!name.startsWith("a time")) {
      cases.push({
        name: `leads(orderBy: EMAIL, after: ${name})`,
        body: () => request(LEADS, { after, orderBy: { field: "EMAIL", direction: "ASC" } }),
        field: "after",
      });
    }
    cases.push({
      name: `leads(orderBy: CREATED_AT, after: ${name})`,
      body: () => request(LEADS, { after, orderBy: { field: "CREATED_AT", direction: "ASC" } }),
      field: "after",
    });
    cases.push({
      name: `Lead.interactions(after: ${name})`,
      body: () => request("query($after: String) { leads(first: 1) { edges { node { interactions(after: $after) { totalCount } } } } }", { after }),
      field: "after",
      path: ["leads", "edges", 0, "node", "interactions"],
    });
    cases.push({ name: `models(after: ${name})`, body: () => request("query($after: String) { models(after: $after) { totalCount } }", { after }), field: "after" });
  }
  cases.push({ name: "leads(after: a huge string)", body: () => request(LEADS, { after: "A".repeat(100_000) }), field: "after" });
  cases.push({ name: "leads(after: not base64)", body: () => request(LEADS, { after: "%%%" }), field: "after" });
  return cases;
}

function jsonCases(): Case[] {
  const email = uniqueEmail("deep");
  const deep = (levels: number) => `{"query":${JSON.stringify(RECORD)},"variables":{"input":{"email":"${email}","type":"visit","properties":${deepJson(levels)}}}}`;
  return [
    { name: "properties nested 5,000 deep", body: () => deep(5000), field: "input.properties" },
    { name: "properties nested 33 deep", body: () => deep(33), field: "input.properties" },
    {
      name: "attributes nested 5,000 deep",
      body: () => `{"query":${JSON.stringify(UPSERT)},"variables":{"input":{"email":"${email}","attributes":${deepJson(5000)}}}}`,
      field: "input.attributes",
    },
    {
      name: "a batch item's properties nested 5,000 deep",
      body: () => `{"query":${JSON.stringify(RECORD_MANY)},"variables":{"inputs":[{"email":"${email}","type":"visit","properties":${deepJson(5000)}}]}}`,
      field: "inputs.0.properties",
      path: ["recordInteractions", 0],
    },
    {
      name: "properties of 20,000 keys",
      body: () => request(RECORD, { input: { email, type: "visit", properties: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, 0])) } }),
      field: "input.properties",
    },
  ];
}

function requestCases(): Case[] {
  return [
    {
      name: "10,000 invalid items in one list (graphql-js stops at 50 errors)",
      body: () => request(RECORD_MANY, { inputs: Array.from({ length: 10_000 }, () => ({ email: "x@example.com" })) }),
      reason: "TOO_MANY_ERRORS",
    },
    {
      name: "10,000 valid-looking items (over the batch limit of 1,000)",
      body: () => request(RECORD_MANY, { inputs: Array.from({ length: 10_000 }, (_, i) => ({ email: `batch-${i}@example.com`, type: "visit" })) }),
      field: "inputs",
    },
    {
      name: "a persisted-query hash that does not match the query",
      body: () => JSON.stringify({ query: "{ activeModel { version } }", extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } }),
      reason: "PERSISTED_QUERY_NOT_SUPPORTED",
    },
    {
      name: "a persisted-query hash alone",
      body: () => JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } }),
    },
  ];
}

describe(`bad input is BAD_USER_INPUT on its field, logged at most at info, and changes nothing [${testDatabase()}]`, () => {
  let before = "";
  beforeAll(async () => {
    // Something to change: a lead with an interaction and a move.
    const { data } = await send(request(RECORD, { input: { email: uniqueEmail("existing"), type: "visit", target: "/pricing" } }));
    const leadId = (data as { recordInteraction: { lead: { id: string } } }).recordInteraction.lead.id;
    await send(request(SET_STAGE, { leadId, stage: "MQL" }));
    before = await snapshot();
  });

  const all = [...textCases(), ...idCases(), ...cursorCases(), ...jsonCases(), ...requestCases()];
  it.each(all.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    logs.splice(0);
    const res = await send(c.body());
    expect(res.status).toBeLessThan(500);
    expect(res.errors.length).toBeGreaterThan(0);
    for (const error of res.errors) expect(error.extensions?.code).toBe("BAD_USER_INPUT");
    if (c.field) {
      const fields = res.errors.flatMap((e) => (e.extensions?.fields ?? []).map((f) => f.field));
      expect(fields).toContain(c.field);
      const holding = res.errors.find((e) => e.extensions?.fields?.some((f) => f.field === c.field));
      if (c.path) expect(holding?.path).toEqual(c.path);
      else expect(holding?.path?.length).toBe(1);
    }
    if (c.reason) expect(res.errors.map((e) => e.extensions?.reason)).toContain(c.reason);
    expect(complaints(logs)).toEqual([]);
    expect(logs.map((line) => JSON.parse(line) as Entry).filter((e) => e.stack !== undefined)).toEqual([]);
    expect(await snapshot()).toBe(before);
  });
});

// ---- what is not an error -------------------------------------------------------------------

interface LeadView {
  id: string;
  stage: string;
  score: number;
  fit: number;
  engagement: number;
  interactions: { totalCount: number; edges: Array<{ node: { points: number } }> };
  scoreBreakdown: Array<{ rule: string; points: number; count: number }>;
}
const LEAD_VIEW = gql<{ lead: LeadView | null }, { id: string }>(`
  query($id: ID!) { lead(id: $id) { id stage score fit engagement interactions(first: 3) { totalCount edges { node { points } } } scoreBreakdown { rule points count } } }`);
const RECORD_BY_ID = gql<{ recordInteraction: { pointsAwarded: number; lead: { id: string; score: number } } }, { leadId: string; target: string }>(
  `mutation($leadId: ID!, $target: String) { recordInteraction(input: { leadId: $leadId, type: "visit", target: $target }) { pointsAwarded lead { id score } } }`,
);
const BATCH = gql<{ recordInteractions: Array<{ pointsAwarded: number } | null> }, { inputs: Array<{ leadId: string; type: string; target: string }> }>(
  `mutation($inputs: [InteractionInput!]!) { recordInteractions(inputs: $inputs) { pointsAwarded } }`,
);
const NEW_LEAD = gql<{ upsertLead: { id: string } }, { email: string }>(`mutation($email: String!) { upsertLead(input: { email: $email }) { id } }`);
const MOVE = gql<{ setLeadStage: { id: string; stage: string } }, { leadId: string; stage: string }>(
  `mutation($leadId: ID!, $stage: String!) { setLeadStage(leadId: $leadId, stage: $stage) { id stage } }`,
);
const DELETE = gql<{ deleteLead: boolean }, { id: string }>(`mutation($id: ID!) { deleteLead(id: $id) }`);
const PUBLISH = gql<{ publishModel: { model: { version: number } } }, { source: string }>(
  `mutation($source: String!) { publishModel(source: $source) { model { version } } }`,
);
const SEED_FUNNEL = "funnel Subscriber > Lead > MQL > SQL > Opportunity > Customer > Evangelist | Other\n";

describe(`ids in any case [${testDatabase()}]`, () => {
  it("every operation treats an upper-case id as the lead's (canonical lower case at the edge)", async () => {
    const { id } = (await s.api.data(NEW_LEAD, { email: uniqueEmail("case") })).upsertLead;
    const upper = id.toUpperCase();
    expect((await s.api.data(LEAD_VIEW, { id: upper })).lead?.id).toBe(id);
    expect((await s.api.data(RECORD_BY_ID, { leadId: upper, target: "/a" })).recordInteraction.lead.id).toBe(id);
    expect((await s.api.data(BATCH, { inputs: [{ leadId: upper, type: "visit", target: "/b" }] })).recordInteractions).toHaveLength(1);
    expect((await s.api.data(MOVE, { leadId: upper, stage: "mql" })).setLeadStage).toEqual({ id, stage: "MQL" });
    expect((await s.api.data(LEAD_VIEW, { id })).lead?.interactions.totalCount).toBe(2);
    expect((await s.api.data(DELETE, { id: upper })).deleteLead).toBe(true);
    expect((await s.api.data(LEAD_VIEW, { id: upper })).lead).toBeNull();
    expect((await s.api.data(DELETE, { id })).deleteLead).toBe(false);
  });
});

/** Subscribes over graphql-ws and resolves with the first message: an event, or the error. */
async function firstMessage(query: string, variables: Record<string, unknown>, trigger?: () => Promise<unknown>) {
  const ws = s.api.subscriptions();
  try {
    return await new Promise<{ data?: unknown; errors?: GraphQLErrorShape[] }>((resolve) => {
      ws.subscribe(
        { query, variables },
        {
          next: (msg) => resolve(msg as { data?: unknown; errors?: GraphQLErrorShape[] }),
          error: (err) => resolve({ errors: Array.isArray(err) ? (err as GraphQLErrorShape[]) : [{ message: String(err) }] }),
          complete: () => undefined,
        },
      );
      // The server acknowledges subscriptions asynchronously; give it a moment to register.
      if (trigger) setTimeout(() => void trigger(), 300);
    });
  } finally {
    await ws.dispose();
  }
}

describe(`subscriptions validate their arguments [${testDatabase()}]`, () => {
  const SCORED = "subscription($leadId: ID) { leadScored(leadId: $leadId) { leadId score } }";
  const MOVED = "subscription($stage: String) { leadStageChanged(stage: $stage) { leadId transition { to } } }";

  it.each<[string, string, Record<string, unknown>, string]>([
    ["leadScored(leadId: not-a-uuid)", SCORED, { leadId: "not-a-uuid" }, "leadId"],
    ["leadScored(leadId: NUL)", SCORED, { leadId: "\u0000" }, "leadId"],
    ["leadStageChanged(stage: NoSuchStage)", MOVED, { stage: "NoSuchStage" }, "stage"],
    ["leadStageChanged(stage: a lone surrogate)", MOVED, { stage: "\ud800" }, "stage"],
  ])("refuses %s with BAD_USER_INPUT", async (_name, query, variables, field) => {
    logs.splice(0);
    const message = await firstMessage(query, variables);
    expect(message.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    if ((variables as { stage?: string }).stage === "NoSuchStage") {
      expect(message.errors?.[0].message).toContain("Subscriber, Lead, MQL, SQL, Opportunity, Customer, Evangelist, Other");
    }
    expect(complaints(logs)).toEqual([]);
  });

  it("accepts a stage in any case, and an upper-case lead id, and delivers their events", async () => {
    const { id } = (await s.api.data(NEW_LEAD, { email: uniqueEmail("sub") })).upsertLead;
    const moved = await firstMessage(MOVED, { stage: " sql " }, () => s.api.data(MOVE, { leadId: id, stage: "SQL" }));
    expect(moved.data).toEqual({ leadStageChanged: { leadId: id, transition: { to: "SQL" } } });
    const scored = await firstMessage(SCORED, { leadId: id.toUpperCase() }, () => s.api.data(RECORD_BY_ID, { leadId: id, target: "/pricing" }));
    expect(scored.data).toMatchObject({ leadScored: { leadId: id } });
  });
});

describe(`totals past the 32-bit range saturate [${testDatabase()}]`, () => {
  const MAX = 2_147_483_647;

  it("a rule of +1,000,000 met 2,200 times: the score stops at 2,147,483,647, later writes succeed, a rescore agrees", async () => {
    await s.api.data(PUBLISH, { source: `${SEED_FUNNEL}visit "/overflow" => +1000000\nvisit "/sink" => -1000000\n` });
    const { id } = (await s.api.data(NEW_LEAD, { email: uniqueEmail("overflow") })).upsertLead;
    for (const size of [1000, 1000, 200]) {
      const inputs = Array.from({ length: size }, () => ({ leadId: id, type: "visit", target: "/overflow" }));
      const { recordInteractions } = await s.api.data(BATCH, { inputs });
      expect(recordInteractions.every((r) => r !== null)).toBe(true);
    }
    const lead = (await s.api.data(LEAD_VIEW, { id })).lead as LeadView;
    expect({ score: lead.score, engagement: lead.engagement, fit: lead.fit }).toEqual({ score: MAX, engagement: MAX, fit: 0 });
    expect(lead.scoreBreakdown).toEqual([{ rule: 'visit "/overflow" => +1000000', points: MAX, count: 2200 }]);

    // Not stuck: the next awards succeed, and a saturated score does not move.
    const next = await s.api.data(RECORD_BY_ID, { leadId: id, target: "/overflow" });
    expect(next.recordInteraction).toMatchObject({ pointsAwarded: 0, lead: { score: MAX } });
    // The exact sum is kept underneath: 2,201 awards less one is still past the range.
    const down = await s.api.data(RECORD_BY_ID, { leadId: id, target: "/sink" });
    expect(down.recordInteraction).toMatchObject({ pointsAwarded: 0, lead: { score: MAX } });

    // The canonical replay (a publish rescores every lead) stores the same totals.
    await s.api.data(PUBLISH, { source: `${SEED_FUNNEL}visit "/overflow" => +1000000\nvisit "/sink" => -1000000\n# again\n` });
    const replayed = (await s.api.data(LEAD_VIEW, { id })).lead as LeadView;
    expect({ score: replayed.score, engagement: replayed.engagement }).toEqual({ score: MAX, engagement: MAX });
  });
});
