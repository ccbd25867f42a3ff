/**
 * `interactionTypes`: the types seen in the data, by name, each with its count and latest
 * `occurredAt`, from single and batched recordings, narrowed by `since`, cut by `first`; erased
 * leads no longer counted; `read` needed (FORBIDDEN otherwise); bad arguments BAD_USER_INPUT.
 */
import { DELETE_LEAD, RECORD_INTERACTION, RECORD_INTERACTIONS } from "./helpers/documents";
import { codeOf, gql } from "./helpers/graphql-client";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

interface TypeStats {
  type: string;
  interactions: number;
  lastSeenAt: string;
}

const INTERACTION_TYPES = gql<{ interactionTypes: TypeStats[] }, { since?: string; first?: number }>(`
  query Types($since: DateTime, $first: Int) { interactionTypes(since: $since, first: $first) { type interactions lastSeenAt } }`);

/** An instant `minutesAgo` minutes before now, as the API takes it. */
const ago = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();

describe(`interactionTypes [${testDatabase()}]`, () => {
  const s = useTestApp();
  const times = { old: ago(600), middle: ago(120), recent: ago(5) };

  beforeAll(async () => {
    const ada = uniqueEmail("types-ada");
    const bob = uniqueEmail("types-bob");
    for (const [email, type, occurredAt] of [
      [ada, "page_view", times.old],
      [ada, "page_view", times.recent],
      [bob, "page_view", times.middle],
      [bob, "webinar", times.old],
    ]) {
      await s.api.data(RECORD_INTERACTION, { input: { email, type, occurredAt } });
    }
    await s.api.data(RECORD_INTERACTIONS, {
      inputs: [
        { email: ada, type: "demo_request", occurredAt: times.middle },
        { email: bob, type: "demo_request", occurredAt: times.old },
      ],
    });
  });

  it("lists every type seen, by name, with its count and latest occurrence", async () => {
    expect((await s.api.data(INTERACTION_TYPES, {})).interactionTypes).toEqual([
      { type: "demo_request", interactions: 2, lastSeenAt: times.middle },
      { type: "page_view", interactions: 3, lastSeenAt: times.recent },
      { type: "webinar", interactions: 1, lastSeenAt: times.old },
    ]);
  });

  it("since: counts only what occurred from then on, leaving out types with nothing since", async () => {
    expect((await s.api.data(INTERACTION_TYPES, { since: times.middle })).interactionTypes).toEqual([
      { type: "demo_request", interactions: 1, lastSeenAt: times.middle },
      { type: "page_view", interactions: 2, lastSeenAt: times.recent },
    ]);
    expect((await s.api.data(INTERACTION_TYPES, { since: new Date(Date.now() + 60_000).toISOString() })).interactionTypes).toEqual([]);
  });

  it("first: the first types by name", async () => {
    expect((await s.api.data(INTERACTION_TYPES, { first: 2 })).interactionTypes.map((t) => t.type)).toEqual(["demo_request", "page_view"]);
    expect((await s.api.data(INTERACTION_TYPES, { first: 0 })).interactionTypes).toEqual([]);
  });

  it("follows new interactions, and forgets those of an erased lead", async () => {
    const carol = uniqueEmail("types-carol");
    const recorded = await s.api.data(RECORD_INTERACTION, { input: { email: carol, type: "zoom_call", occurredAt: times.recent } });
    expect((await s.api.data(INTERACTION_TYPES, {})).interactionTypes.find((t) => t.type === "zoom_call")).toEqual({
      type: "zoom_call",
      interactions: 1,
      lastSeenAt: times.recent,
    });
    await s.api.data(DELETE_LEAD, { id: recorded.recordInteraction.lead.id });
    expect((await s.api.data(INTERACTION_TYPES, {})).interactionTypes.map((t) => t.type)).toEqual(["demo_request", "page_view", "webinar"]);
  });

  it.each([-1, 1001])("first: %d is BAD_USER_INPUT", async (first) => {
    const res = await s.api.request(INTERACTION_TYPES, { first });
    // An error of the operation's own field: HTTP 200, as for every argument a resolver refuses.
    expect({ status: res.status, code: codeOf(res), field: res.errors?.[0]?.extensions?.fields?.[0]?.field, data: res.data }).toEqual({
      status: 200,
      code: "BAD_USER_INPUT",
      field: "first",
      data: null,
    });
  });

  it.each([["ingest"], ["sales"], ["ingest", "sales"]] as const)("a key without read (%s) is FORBIDDEN", async (...scopes) => {
    const res = await (await s.t.client([...scopes])).request(INTERACTION_TYPES, {});
    expect({ status: res.status, code: codeOf(res), data: res.data }).toEqual({ status: 403, code: "FORBIDDEN", data: null });
  });

  it("a read key may ask", async () => {
    const res = await (await s.t.client(["read"])).request(INTERACTION_TYPES, {});
    expect(res.errors).toBeUndefined();
    expect(res.data?.interactionTypes.map((t) => t.type)).toEqual(["demo_request", "page_view", "webinar"]);
  });
});
