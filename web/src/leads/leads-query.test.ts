import { describe, expect, it } from "vitest";
import type { LeadRowFragment } from "../gql/graphql";
import { DEFAULT_QUERY, leadsQueryParams, leadsVariables, mayMatch, parseLeadsQuery } from "./leads-query";

const parse = (search: string) => parseLeadsQuery(new URLSearchParams(search));

describe("the leads table's URL", () => {
  it("round-trips every filter, the sort, the page size and the cursor", () => {
    const search = "stage=MQL&stage=SQL&q=acme&source=web&role=CTO&industry=SaaS&minScore=10&maxScore=90&minFit=0&maxEngagement=40&group=Product+A%3D5..&sort=group%3AProduct+A&dir=asc&size=50&after=abc&page=3";
    const { query, problems } = parse(search);
    expect(problems).toEqual([]);
    expect(query.stages).toEqual(["MQL", "SQL"]);
    expect(query.groups).toEqual([{ group: "Product A", min: 5, max: null }]);
    expect(query.sort).toEqual({ field: "GROUP", group: "Product A" });
    expect(query.page).toBe(3);
    expect(parse(leadsQueryParams(query).toString()).query).toEqual(query);
  });

  it("writes nothing for the default table", () => {
    expect(leadsQueryParams(DEFAULT_QUERY).toString()).toBe("");
  });

  it("names what it cannot read and keeps the rest", () => {
    const { query, problems } = parse("minScore=ten&maxFit=5&minFit=9&sort=colour&size=7&group=nonsense&q=x");
    expect(problems).toEqual([
      "Score: the minimum must be a whole number.",
      "Fit: the minimum 9 is above the maximum 5.",
      'The group filter "nonsense" is not Name=min..max.',
      'Leads cannot be sorted by "colour": by score, fit, engagement, created, updated, email or group:Name.',
      'A page has 25, 50 or 100 leads, not "7".',
    ]);
    expect(query.search).toBe("x");
    expect(query.size).toBe(25);
    expect(query.score.min).toBeNull();
  });

  it("becomes the leads query's variables", () => {
    const { query } = parse("stage=MQL&minScore=30&sort=fit&size=100");
    expect(leadsVariables(query, false)).toEqual({
      filter: { stage: ["MQL"], minScore: 30 },
      orderBy: { field: "FIT", direction: "DESC" },
      first: 100,
      after: null,
      withGroups: false,
    });
    expect(leadsVariables(DEFAULT_QUERY, true).filter).toBeNull();
  });
});

describe("mayMatch", () => {
  const lead: LeadRowFragment = {
    id: "1",
    email: "ada@acme.example",
    firstName: "Ada",
    lastName: "Lovelace",
    company: "Acme",
    role: "CTO",
    industry: "SaaS",
    source: "web",
    stage: "MQL",
    score: 40,
    fit: 10,
    engagement: 30,
    updatedAt: "2026-03-01T00:00:00.000Z",
  };

  it("follows the service's filter semantics", () => {
    expect(mayMatch(parse("stage=mql&role=cto&q=lace%20acme").query, lead)).toBe(true);
    expect(mayMatch(parse("stage=SQL").query, lead)).toBe(false);
    expect(mayMatch(parse("minScore=41").query, lead)).toBe(false);
    expect(mayMatch(parse("source=Web").query, lead)).toBe(false);
    expect(mayMatch(parse("q=bob").query, lead)).toBe(false);
  });
});
