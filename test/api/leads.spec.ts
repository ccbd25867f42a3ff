/** Leads: upsert merge semantics, reads, filters, ordering and keyset pagination. */
import { codeOf } from "./helpers/graphql-client";
import { LEAD, LEAD_BY_EMAIL, LEADS, type LeadShape, type LeadsShape, type LeadsVars, RECORD_INTERACTION, UPSERT_LEAD } from "./helpers/documents";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

describe(`leads [${testDatabase()}]`, () => {
  const s = useTestApp();

  describe("upsertLead", () => {
    it("creates a lead at the first funnel stage, email trimmed and lowercase", async () => {
      const email = uniqueEmail("Create");
      const { upsertLead } = await s.api.data(UPSERT_LEAD, { input: { email: `  ${email.toUpperCase()} `, firstName: "Ada" } });
      // Created at the first stage, then moved on by the seed model's `stage Lead when firstName is set`.
      expect(upsertLead).toMatchObject({ email: email.toLowerCase(), firstName: "Ada", stage: "Lead", score: 0 });
      expect(upsertLead.attributes).toEqual({});
    });

    it("merges: a given field overwrites, an omitted one is kept, null clears", async () => {
      const email = uniqueEmail();
      await s.api.data(UPSERT_LEAD, {
        input: { email, firstName: "Grace", lastName: "Hopper", company: "Navy", companySize: 500, role: "Admiral" },
      });
      const { upsertLead } = await s.api.data(UPSERT_LEAD, { input: { email, company: "Univac", role: null } });
      expect(upsertLead).toMatchObject({
        firstName: "Grace",
        lastName: "Hopper",
        company: "Univac",
        companySize: 500,
        role: null,
      });
    });

    it("merges attributes key by key; a null value deletes the key; null clears all", async () => {
      const email = uniqueEmail();
      await s.api.data(UPSERT_LEAD, { input: { email, attributes: { plan: "free", seats: 3, utm: { campaign: "x" } } } });
      const merged = await s.api.data(UPSERT_LEAD, { input: { email, attributes: { plan: "pro", seats: null, region: "eu" } } });
      expect(merged.upsertLead.attributes).toEqual({ plan: "pro", utm: { campaign: "x" }, region: "eu" });
      const kept = await s.api.data(UPSERT_LEAD, { input: { email, firstName: "Z" } });
      expect(kept.upsertLead.attributes).toEqual({ plan: "pro", utm: { campaign: "x" }, region: "eu" });
      const cleared = await s.api.data(UPSERT_LEAD, { input: { email, attributes: null } });
      expect(cleared.upsertLead.attributes).toEqual({});
    });

    it("treats emails case-insensitively: one lead, found by any case", async () => {
      const email = uniqueEmail("Case");
      const first = await s.api.data(UPSERT_LEAD, { input: { email: email.toUpperCase(), firstName: "A" } });
      const second = await s.api.data(UPSERT_LEAD, { input: { email: email.toLowerCase(), lastName: "B" } });
      expect(second.upsertLead.id).toBe(first.upsertLead.id);
      const found = await s.api.data(LEAD_BY_EMAIL, { email: ` ${email.toUpperCase()}` });
      expect(found.leadByEmail).toMatchObject({ id: first.upsertLead.id, firstName: "A", lastName: "B" });
    });

    it("only bumps updatedAt when something changed", async () => {
      const email = uniqueEmail();
      const created = await s.api.data(UPSERT_LEAD, { input: { email, country: "DE" } });
      const same = await s.api.data(UPSERT_LEAD, { input: { email, country: "DE" } });
      expect(same.upsertLead.updatedAt).toBe(created.upsertLead.updatedAt);
    });

    it("reports invalid fields one by one", async () => {
      const res = await s.api.request(UPSERT_LEAD, {
        input: { email: "not-an-email", firstName: "x".repeat(201), companySize: -1 },
      });
      expect(codeOf(res)).toBe("BAD_USER_INPUT");
      const fields = res.errors?.[0].extensions?.fields?.map((f) => f.field);
      expect(fields).toEqual(expect.arrayContaining(["input.email", "input.firstName", "input.companySize"]));
    });

    it("refuses attributes larger than the JSON limit", async () => {
      const res = await s.api.request(UPSERT_LEAD, { input: { email: uniqueEmail(), attributes: { blob: "x".repeat(20_000) } } });
      expect(codeOf(res)).toBe("BAD_USER_INPUT");
      expect(res.errors?.[0].extensions?.field).toBe("input.attributes");
    });
  });

  describe("reading", () => {
    it("lead(id) returns the lead, null for an unknown id, BAD_USER_INPUT for one that is no UUID", async () => {
      const { upsertLead } = await s.api.data(UPSERT_LEAD, { input: { email: uniqueEmail() } });
      expect((await s.api.data(LEAD, { id: upsertLead.id })).lead?.email).toBe(upsertLead.email);
      expect((await s.api.data(LEAD, { id: "00000000-0000-4000-8000-000000000000" })).lead).toBeNull();
      expect((await s.api.request(LEAD, { id: "nope" })).errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "id" });
    });

    it("filters by search, source, stage and updatedSince", async () => {
      const tag = `zq${Date.now().toString(36)}`;
      const a = await s.api.data(UPSERT_LEAD, { input: { email: uniqueEmail(tag), source: "linkedin", company: "Acme" } });
      await s.api.data(UPSERT_LEAD, { input: { email: uniqueEmail("other"), company: `${tag} Corp`, source: "web" } });
      const bySearch = await s.api.data(LEADS, { filter: { search: tag.toUpperCase() }, first: 10 });
      expect(bySearch.leads.totalCount).toBe(2);
      const both = await s.api.data(LEADS, { filter: { search: tag, source: "linkedin" } });
      expect(both.leads.edges.map((e) => e.node.id)).toEqual([a.upsertLead.id]);
      const none = await s.api.data(LEADS, { filter: { search: tag, stage: ["MQL"] } });
      expect(none.leads.totalCount).toBe(0);
      const later = await s.api.data(LEADS, { filter: { search: tag, updatedSince: new Date(Date.now() + 60_000).toISOString() } });
      expect(later.leads.totalCount).toBe(0);
      const wildcard = await s.api.data(LEADS, { filter: { search: "%" } });
      expect(wildcard.leads.totalCount).toBe(0);
    });

    it("filters by profile fields ignoring case, by fit, engagement and company size ranges, by attributes, and stages ignoring case", async () => {
      const tag = `pf${Date.now().toString(36)}`;
      const lead = async (input: Record<string, unknown>) => (await s.api.data(UPSERT_LEAD, { input: { email: uniqueEmail(tag), ...input } })).upsertLead.id;
      const cto = await lead({ role: "CTO", industry: "Software", country: "FR", company: "Acme", companySize: 50, attributes: { plan: "Team", seats: 5, trial: true } });
      const vp = await lead({ role: "VP Sales", industry: "software", country: "DE", company: "Globex", companySize: 500, attributes: { plan: "enterprise" } });
      const none = await lead({});
      const ids = async (filter: LeadsVars["filter"]) =>
        (await s.api.data(LEADS, { filter: { search: tag, ...filter }, orderBy: { field: "EMAIL", direction: "ASC" }, first: 100 })).leads.edges
          .map((e) => e.node.id)
          .sort();
      const sorted = (...list: string[]) => [...list].sort();
      expect(await ids({ role: " cto " })).toEqual([cto]);
      expect(await ids({ industry: "SOFTWARE" })).toEqual(sorted(cto, vp));
      expect(await ids({ country: "de" })).toEqual([vp]);
      expect(await ids({ company: "acme" })).toEqual([cto]);
      expect(await ids({ minCompanySize: 100 })).toEqual([vp]);
      expect(await ids({ maxCompanySize: 100 })).toEqual([cto]);
      expect(await ids({ attributes: { plan: "team" } })).toEqual([cto]);
      expect(await ids({ attributes: { seats: 5, trial: true } })).toEqual([cto]);
      expect(await ids({ attributes: { plan: null } })).toEqual([none]);
      expect(await ids({ stage: ["subscriber"] })).toEqual(sorted(cto, vp, none));
      // Fit and engagement as the seed model scored them.
      const scored = await Promise.all([cto, vp, none].map(async (id) => (await s.api.data(LEAD, { id })).lead as LeadShape));
      const fits = scored.map((l) => l.fit).sort((a, b) => a - b);
      expect(fits[2]).toBeGreaterThan(fits[0]);
      expect(await ids({ minFit: fits[2] })).toEqual(sorted(...scored.filter((l) => l.fit >= fits[2]).map((l) => l.id)));
      expect(await ids({ maxFit: fits[0] })).toEqual(sorted(...scored.filter((l) => l.fit <= fits[0]).map((l) => l.id)));
      expect(await ids({ minEngagement: 0, maxEngagement: 0 })).toEqual(sorted(cto, vp, none));
      expect(await ids({ minEngagement: 1 })).toEqual([]);
      const bad = await s.api.request(LEADS, { filter: { attributes: { plan: { nested: 1 } }, role: "x".repeat(201) } });
      expect(codeOf(bad)).toBe("BAD_USER_INPUT");
      expect(bad.errors?.[0].extensions?.fields?.map((f) => f.field).sort()).toEqual(["filter.attributes.plan", "filter.role"]);
    });

    it("refuses first > 100, malformed cursors and an overlong search", async () => {
      expect(codeOf(await s.api.request(LEADS, { first: 101 }))).toBe("BAD_USER_INPUT");
      const bad = await s.api.request(LEADS, { after: "garbage" });
      expect(codeOf(bad)).toBe("BAD_USER_INPUT");
      expect(bad.errors?.[0].extensions?.field).toBe("after");
      const long = await s.api.request(LEADS, { filter: { search: "y".repeat(201) } });
      expect(long.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "filter.search" });
    });
  });

  describe("pagination", () => {
    const pageThrough = async (vars: LeadsVars, pageSize: number, between?: () => Promise<void>) => {
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const { leads }: LeadsShape = await s.api.data(LEADS, { ...vars, first: pageSize, after });
        seen.push(...leads.edges.map((e) => e.node.id));
        if (between) await between();
        if (!leads.pageInfo.hasNextPage) return seen;
        after = leads.pageInfo.endCursor;
      }
    };

    it.each(["SCORE", "FIT", "ENGAGEMENT", "CREATED_AT", "UPDATED_AT", "EMAIL"] as const)(
      "orders by %s in both directions and pages without skipping or repeating",
      async (field) => {
        const tag = `pg${field.toLowerCase().replace("_", "")}${Date.now().toString(36)}`;
        for (let i = 0; i < 7; i++) await s.api.data(UPSERT_LEAD, { input: { email: uniqueEmail(tag) } });
        const all = await s.api.data(LEADS, { filter: { search: tag }, orderBy: { field, direction: "ASC" }, first: 100 });
        expect(all.leads.totalCount).toBe(7);
        for (const direction of ["ASC", "DESC"] as const) {
          const ids = await pageThrough({ filter: { search: tag }, orderBy: { field, direction } }, 3);
          const expected = all.leads.edges.map((e) => e.node.id);
          expect(ids).toEqual(direction === "ASC" ? expected : [...expected].reverse());
        }
      },
    );

    it("neither skips nor repeats rows while leads are inserted concurrently", async () => {
      const tag = `conc${Date.now().toString(36)}`;
      const existing: string[] = [];
      for (let i = 0; i < 25; i++) {
        existing.push((await s.api.data(UPSERT_LEAD, { input: { email: uniqueEmail(tag) } })).upsertLead.id);
      }
      for (const orderBy of [
        { field: "CREATED_AT", direction: "ASC" },
        { field: "SCORE", direction: "DESC" },
        { field: "EMAIL", direction: "DESC" },
      ] as const) {
        let inserted = 0;
        const seen = await pageThrough({ filter: { search: tag }, orderBy }, 4, async () => {
          // Between pages, other clients add leads that sort anywhere.
          await Promise.all(
            Array.from({ length: 3 }, () => s.api.data(UPSERT_LEAD, { input: { email: uniqueEmail(tag) } })),
          );
          inserted += 3;
        });
        expect(new Set(seen).size).toBe(seen.length);
        for (const id of existing) expect(seen).toContain(id);
        expect(inserted).toBeGreaterThan(0);
      }
    });
  });

  it("records an interaction for a new email and makes the lead readable", async () => {
    const email = uniqueEmail();
    const { recordInteraction } = await s.api.data(RECORD_INTERACTION, { input: { email, type: "visit", target: "/pricing" } });
    expect(recordInteraction.lead.email).toBe(email);
    expect((await s.api.data(LEAD_BY_EMAIL, { email })).leadByEmail?.id).toBe(recordInteraction.lead.id);
  });
});
