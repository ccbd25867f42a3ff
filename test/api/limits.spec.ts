/** Limits and error hygiene: depth, aliases and fields through fragments; body size; masking. */
import { codeOf, gql } from "./helpers/graphql-client";
import { LEADS } from "./helpers/documents";
import { testDatabase, useTestApp } from "./helpers/test-app";

const DEEP_VIA_FRAGMENTS = gql<unknown, Record<string, never>>(`
  query Deep { leads { edges { node { ...L1 } } } }
  fragment L1 on Lead { interactions { edges { node { lead { ...L2 } } } } }
  fragment L2 on Lead { interactions { edges { node { ... on Interaction { lead { id } } } } } }
`);

const SHALLOW_VIA_FRAGMENTS = gql<unknown, Record<string, never>>(`
  query Shallow { leads { edges { node { ...L1 } } } }
  fragment L1 on Lead { interactions { edges { node { lead { id } } } } }
`);

const ALIASES_VIA_FRAGMENTS = gql<unknown, Record<string, never>>(`
  query Aliases { a: leads { ...Many } b: leads { ...Many } c: leads { ...Many } d: leads { ...Many } }
  fragment Many on LeadConnection { t1: totalCount t2: totalCount t3: totalCount t4: totalCount ... on LeadConnection { t5: totalCount t6: totalCount t7: totalCount } }
`);

const FEW_ALIASES = gql<unknown, Record<string, never>>(`
  query FewAliases { a: leads { ...Few } b: leads { ...Few } }
  fragment Few on LeadConnection { t1: totalCount t2: totalCount }
`);

// Each fragment spreads the previous one twice: 2^20 fields once expanded.
const EXPONENTIAL = gql<unknown, Record<string, never>>(
  `query Bomb { leads { ...F20 } }\nfragment F0 on LeadConnection { totalCount }\n` +
    Array.from({ length: 20 }, (_, i) => `fragment F${i + 1} on LeadConnection { ...F${i} ...F${i} }`).join("\n"),
);

const BROKEN = gql<{ leads: unknown }, Record<string, never>>(`query Broken { leads { totalCount }`);

describe(`limits [${testDatabase()}]`, () => {
  const s = useTestApp({ NODE_ENV: "production" });

  it("refuses a query deeper than the limit, counting through fragments and inline fragments", async () => {
    const res = await s.api.request(DEEP_VIA_FRAGMENTS, {});
    expect(res.status).toBe(400);
    expect(codeOf(res)).toBe("BAD_USER_INPUT");
    expect(res.errors?.[0].message).toMatch(/depth exceeds 10/);
    expect((await s.api.request(SHALLOW_VIA_FRAGMENTS, {})).errors).toBeUndefined();
  });

  it("refuses too many aliases, counting through fragments and inline fragments", async () => {
    const res = await s.api.request(ALIASES_VIA_FRAGMENTS, {});
    expect(codeOf(res)).toBe("BAD_USER_INPUT");
    expect(res.errors?.[0].message).toMatch(/more than 30 aliases/);
    expect((await s.api.request(FEW_ALIASES, {})).errors).toBeUndefined();
  });

  it("refuses an exponential fragment expansion quickly", async () => {
    const start = Date.now();
    const res = await s.api.request(EXPONENTIAL, {});
    expect(codeOf(res)).toBe("BAD_USER_INPUT");
    expect(res.errors?.[0].message).toMatch(/more than 1000 fields/);
    expect(Date.now() - start).toBeLessThan(2000);
  });

  it("applies the same limits to subscriptions over graphql-ws", async () => {
    const ws = s.api.subscriptions();
    try {
      const errors = await new Promise<unknown>((resolve) => {
        ws.subscribe(
          {
            query: `subscription Deep { leadStageChanged { lead { ...L1 } } }
              fragment L1 on Lead { interactions { edges { node { lead { interactions { edges { node { lead { interactions { edges { node { id } } } } } } } } } } } }`,
          },
          { next: () => resolve("event"), error: resolve, complete: () => resolve("complete") },
        );
      });
      expect(JSON.stringify(errors)).toMatch(/depth exceeds 10/);
    } finally {
      await ws.dispose();
    }
  });

  it("answers 413 for a body over the limit", async () => {
    const body = JSON.stringify({ query: LEADS.query, variables: { filter: { search: "x".repeat(1024 * 1024 + 10) } } });
    const res = await fetch(s.t.app.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${s.api.key}` },
      body,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ errors: [expect.objectContaining({ extensions: { code: "BAD_USER_INPUT" } })] });
  });

  it("reports a syntax error as BAD_USER_INPUT without internals", async () => {
    const res = await s.api.request(BROKEN, {});
    expect(res.status).toBe(400);
    expect(codeOf(res)).toBe("BAD_USER_INPUT");
    expect(JSON.stringify(res.errors)).not.toMatch(/stacktrace|node_modules/);
  });

  it("masks unexpected errors outside development: no stack trace, no SQL", async () => {
    const db = s.t.app.context(null).db;
    await db.query("ALTER TABLE lead RENAME TO lead_hidden");
    try {
      const res = await s.api.request(LEADS, { first: 1 });
      expect(codeOf(res)).toBe("INTERNAL_SERVER_ERROR");
      expect(res.errors?.[0].message).toBe("Internal server error");
      const text = JSON.stringify(res.errors);
      expect(text).not.toMatch(/stacktrace|relation|SELECT|lead_hidden|at /);
    } finally {
      await db.query("ALTER TABLE lead_hidden RENAME TO lead");
    }
  });
});
