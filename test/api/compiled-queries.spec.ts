/**
 * Queries over HTTP run as functions compiled from their documents (graphql-jit,
 * `QUALIFY_COMPILED_QUERIES`, on by default): every answer must be the one graphql-js gives, byte
 * for byte, status included: data, field errors with their codes, paths and locations, refused
 * variables in graphql-js's words, input defaults, fragments, directives and aliases. The same
 * requests are sent with the setting on, then after a restart with it off, on the same data.
 * The model has no decay or expiry, so nothing changes between the two. An admin key may read
 * every field the documents name, so its queries run on the schema without the field guard; a
 * key with `read` alone may not (a webhook's `url` needs `admin`), so its run on the guarded one:
 * both must answer as graphql-js does.
 */
import { MAX_COMPILED_FIELDS } from "../../src/app/compiled-execution";
import { CREATE_API_KEY, RECORD_INTERACTIONS, SET_LEAD_STAGE } from "./helpers/documents";
import { scrape } from "./helpers/prometheus";
import { scoringCalls } from "./helpers/scoring";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

const MODEL = `group "Webinars" max 10 {
  webinar => +4
}
group "Docs" {
  download "guide*" => +2 max 3
}
visit "/pricing" => +5
role = "CTO" => +10
stage MQL when score >= 15
stage SQL when score >= 25 and group "Webinars" >= 8`;

const LEAD_FIELDS = `id email firstName role score fit engagement stage engagementSince
  groups { group category points uncappedPoints max }
  interactions(first: 3) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id type target occurredAt points awards { rule group points initialPoints expiresAt counting } } } }
  stageHistory { from to cause rule actor reason }
  scoreBreakdown { rule category points count }
  stageOutlook { stage holds conditions { condition holds detail } }
  scoreHistory(first: 5) { edges { node { score fit engagement cause } } }`;

/** Each request: a document and its variables (`{}`: none). */
const REQUESTS: Array<[string, string, Record<string, unknown>]> = [
  ["a page of leads with everything", `query Page($first: Int!) { leads(first: $first) { totalCount edges { node { ${LEAD_FIELDS} } } } }`, { first: 10 }],
  [
    "filters, an order with its direction defaulted, aliases, fragments and directives",
    `query Filtered($order: LeadOrder, $withHistory: Boolean!, $skipFit: Boolean = true) {
       top: leads(orderBy: $order, first: 3) { edges { node { ...Brief } } pageInfo { hasNextPage endCursor } }
       mql: leads(filter: { stage: "mql", minScore: 1 }) { totalCount edges { node { ...Brief stageHistory @include(if: $withHistory) { to } } } }
       docs: leads(filter: { groups: [{ group: "Docs", min: 1 }] }, orderBy: { field: GROUP, group: "Docs" }) { edges { node { email } } }
     }
     fragment Brief on Lead { email score fit @skip(if: $skipFit) ... on Lead { __typename stage } }`,
    { order: { field: "SCORE" }, withHistory: true },
  ],
  ["the funnel and the models", `{ funnel { stage leads reached conversionToNext } models(first: 2) { edges { node { version active groups { name max } } } } activeModel { version offPath } }`, {}],
  ["one lead by email", `query One($email: String!) { leadByEmail(email: $email) { ${LEAD_FIELDS} } }`, { email: "cto@compiled.example" }],
  ["an unknown lead: null", `query One($id: ID!) { lead(id: $id) { email } }`, { id: "00000000-0000-4000-8000-000000000000" }],
  ["a field error with its code (an unknown group)", `{ leads(orderBy: { field: GROUP, group: "Blog" }) { edges { node { email } } } }`, {}],
  ["a variable input without a field its default does not cover", `query L($o: LeadOrder) { leads(orderBy: $o) { totalCount } }`, { o: { field: "GROUP" } }],
  ["a misspelt enum value in a variable", `query L($o: LeadOrder) { leads(orderBy: $o) { totalCount } }`, { o: { field: "SCOR" } }],
  ["a variable of the wrong type", `query P($first: Int!) { leads(first: $first) { totalCount } }`, { first: "ten" }],
  ["a missing required variable", `query P($first: Int!) { leads(first: $first) { totalCount } }`, {}],
  ["an argument refused by the guard (not a UUID)", `{ lead(id: "nope") { email } }`, {}],
  ["a forged cursor", `{ leads(first: 2, after: "bm90LWEtY3Vyc29y") { totalCount } }`, {}],
  ["two operations, the second named", `query A { funnel { stage } } query B { activeModel { version } }`, {}],
  ["a node of an interface (the lead, found by id)", `query N($id: ID!) { node(id: $id) { __typename id ... on Lead { email score } ... on Webhook { url } } }`, { id: "" }],
];

describe(`compiled queries answer as graphql-js does [${testDatabase()}]`, () => {
  const s = useTestApp();

  const send = async (query: string, variables: Record<string, unknown>, operationName?: string, key = s.api.key) => {
    const res = await fetch(s.t.app.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables, operationName }),
    });
    return { status: res.status, body: await res.text() };
  };
  const sendAll = async (key = s.api.key) => {
    const answers: Record<string, { status: number; body: string }> = {};
    for (const [name, query, variables] of REQUESTS) answers[name] = await send(query, variables, name.startsWith("two operations") ? "B" : undefined, key);
    return answers;
  };
  const executions = async () => {
    const exposition = await scrape(s.t.app.metricsUrl as string);
    const of = (executor: string, guard: string) => exposition.value("qualify_graphql_executions_total", { executor, guard }) ?? 0;
    return {
      compiled: of("compiled", "none") + of("compiled", "fields"),
      interpreted: of("graphql-js", "none") + of("graphql-js", "fields"),
      guarded: of("compiled", "fields") + of("graphql-js", "fields"),
    };
  };

  it("gives the same status and body for every request, with the setting on and off", async () => {
    await scoringCalls(s.api).publish(MODEL);
    const emails = ["cto@compiled.example", uniqueEmail("a"), uniqueEmail("b"), uniqueEmail("c")];
    const at = (minutes: number) => new Date(Date.UTC(2026, 10, 1, 9, minutes)).toISOString();
    const inputs = emails.flatMap((email, i) => [
      { lead: { email, role: i === 0 ? "CTO" : "Engineer", firstName: `Lead ${i}` }, type: "webinar", occurredAt: at(i) },
      { email, type: "visit", target: "/pricing", occurredAt: at(10 + i) },
      ...Array.from({ length: i + 1 }, (_, k) => ({ email, type: "download", target: `guide-${k}.pdf`, occurredAt: at(20 + i * 5 + k) })),
      ...(i < 2 ? [{ email, type: "webinar", occurredAt: at(40 + i) }] : []),
    ]);
    const recorded = (await s.api.data(RECORD_INTERACTIONS, { inputs })).recordInteractions;
    expect(recorded.every((r) => r !== null)).toBe(true);
    const last = recorded.at(-1)!.lead.id;
    REQUESTS.find(([name]) => name.startsWith("a node"))![2].id = recorded[0]!.lead.id;
    await s.api.data(SET_LEAD_STAGE, { leadId: last, stage: "Other", reason: "not a fit" });

    expect(s.t.config.compiledQueries).toBe(true);
    const reader = (await s.api.data(CREATE_API_KEY, { name: "reader", scopes: ["READ"] })).createApiKey.key;
    // A query is compiled the second time it comes: the first answers are graphql-js's.
    const before = await executions();
    const first = await sendAll();
    const compiled = await sendAll();
    const afterAdmin = await executions();
    const readerFirst = await sendAll(reader);
    const readerCompiled = await sendAll(reader);
    const afterReader = await executions();
    // The admin's ran unguarded; the reader's only the documents not naming a webhook's field.
    expect(afterAdmin.guarded - before.guarded).toBe(0);
    expect(afterReader.guarded - afterAdmin.guarded).toBe(2);
    await s.t.restart({ QUALIFY_COMPILED_QUERIES: "false" });
    expect(s.t.config.compiledQueries).toBe(false);
    const interpreted = await sendAll();

    // The requests mean what their names say (so that the comparison covers those cases).
    const json = (name: string) => JSON.parse(interpreted[name].body);
    expect(json("a page of leads with everything").data.leads.edges.length).toBe(4);
    expect(json("a page of leads with everything").data.leads.edges.some((e: { node: { stage: string } }) => e.node.stage === "SQL")).toBe(true);
    expect(json("one lead by email").data.leadByEmail.scoreBreakdown.length).toBeGreaterThan(2);
    expect(json("the funnel and the models").errors).toBeUndefined();
    expect(json("filters, an order with its direction defaulted, aliases, fragments and directives").errors).toBeUndefined();
    expect(json("a field error with its code (an unknown group)").errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(json("a variable input without a field its default does not cover").errors[0].extensions.fields[0].field).toBe("orderBy.group");
    expect(interpreted["a misspelt enum value in a variable"].status).toBe(400);
    expect(json("a forged cursor").errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(json("two operations, the second named").data).toEqual({ activeModel: { version: expect.any(Number) } });
    expect(json("a node of an interface (the lead, found by id)").data.node).toMatchObject({ __typename: "Lead", email: "cto@compiled.example" });

    for (const [name] of REQUESTS) {
      expect({ name, ...compiled[name] }).toEqual({ name, ...interpreted[name] });
      expect({ name, ...first[name] }).toEqual({ name, ...interpreted[name] });
      expect({ name, ...readerCompiled[name] }).toEqual({ name, ...interpreted[name] });
      expect({ name, ...readerFirst[name] }).toEqual({ name, ...interpreted[name] });
    }
  });

  it("compiles a query the second time it comes, not a mutation, and not a document selecting over 100 fields", async () => {
    const before = await executions();
    await s.t.restart({});
    const small = `{ funnel { stage leads } } # ${Math.random()}`;
    for (let i = 0; i < 3; i++) expect((await send(small, {})).status).toBe(200);
    const afterSmall = await executions();
    expect([afterSmall.compiled - before.compiled, afterSmall.interpreted - before.interpreted]).toEqual([2, 1]);

    const big = `{ leads(first: 1) { edges { node { ${"email ".repeat(MAX_COMPILED_FIELDS)} } } } }`;
    for (let i = 0; i < 3; i++) expect((await send(big, {})).status).toBe(200);
    const afterBig = await executions();
    expect([afterBig.compiled - afterSmall.compiled, afterBig.interpreted - afterSmall.interpreted]).toEqual([0, 3]);

    const mutation = `mutation { upsertLead(input: { email: "${uniqueEmail("m")}" }) { id } }`;
    for (let i = 0; i < 2; i++) expect((await send(mutation, {})).status).toBe(200);
    const afterMutation = await executions();
    expect([afterMutation.compiled - afterBig.compiled, afterMutation.interpreted - afterBig.interpreted]).toEqual([0, 2]);
  });
});
