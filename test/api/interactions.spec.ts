/** Recording interactions: validation per field, batches, idempotency under concurrency. */
import { codeOf, gql } from "./helpers/graphql-client";
import { LEAD_BY_EMAIL, LEAD_INTERACTIONS, LEADS, RECORD_INTERACTION, RECORD_INTERACTIONS, UPSERT_LEAD } from "./helpers/documents";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

describe(`interactions [${testDatabase()}]`, () => {
  const s = useTestApp();

  const countRows = async (sql: string, params: unknown[]) =>
    Number((await s.t.app.context(null).db.query(sql, params))[0].n);

  describe("recordInteraction", () => {
    it("stores the interaction with defaults and creates an unknown lead at the first stage", async () => {
      const email = uniqueEmail();
      const before = Date.now();
      const { recordInteraction: r } = await s.api.data(RECORD_INTERACTION, {
        input: { email, type: "download", target: "/case-study-acme.pdf", source: "website", properties: { size: 3 } },
      });
      // The seed model: `download => +1` (its `download "case-study*"` pattern needs the target to start with it).
      expect(r).toMatchObject({ duplicate: false, pointsAwarded: 1, stageChange: null });
      expect(r.interaction).toMatchObject({ type: "download", target: "/case-study-acme.pdf", source: "website", properties: { size: 3 }, points: 1 });
      expect(Date.parse(r.interaction.occurredAt)).toBeGreaterThanOrEqual(before - 1000);
      expect(r.interaction.lead.id).toBe(r.lead.id);
      expect(r.lead).toMatchObject({ email, stage: "Subscriber" });
    });

    it("merges profile fields given with the interaction", async () => {
      const email = uniqueEmail();
      await s.api.data(UPSERT_LEAD, { input: { email, firstName: "Kept", company: "Old" } });
      const { recordInteraction: r } = await s.api.data(RECORD_INTERACTION, {
        input: { lead: { email, company: "New", attributes: { formId: "fb-1" } }, type: "subscribe", source: "facebook" },
      });
      expect(r.lead).toMatchObject({ firstName: "Kept", company: "New", attributes: { formId: "fb-1" } });
    });

    it("accepts a lead by id, and NOT_FOUND for an unknown id", async () => {
      const { upsertLead } = await s.api.data(UPSERT_LEAD, { input: { email: uniqueEmail() } });
      const ok = await s.api.data(RECORD_INTERACTION, { input: { leadId: upsertLead.id, type: "visit" } });
      expect(ok.recordInteraction.lead.id).toBe(upsertLead.id);
      const missing = await s.api.request(RECORD_INTERACTION, { input: { leadId: "00000000-0000-4000-8000-000000000000", type: "visit" } });
      expect(codeOf(missing)).toBe("NOT_FOUND");
    });

    it.each([
      ["email", { email: "nope", type: "visit" }, "input.email"],
      ["type not lowercase", { email: "a@b.io", type: "Visit" }, "input.type"],
      ["type with a dash", { email: "a@b.io", type: "page-view" }, "input.type"],
      ["type too long", { email: "a@b.io", type: "v".repeat(65) }, "input.type"],
      ["target too long", { email: "a@b.io", type: "visit", target: `/${"x".repeat(2048)}` }, "input.target"],
      ["source too long", { email: "a@b.io", type: "visit", source: "s".repeat(101) }, "input.source"],
      ["externalId too long", { email: "a@b.io", type: "visit", externalId: "e".repeat(256) }, "input.externalId"],
      ["properties too large", { email: "a@b.io", type: "visit", properties: { x: "y".repeat(17_000) } }, "input.properties"],
      ["occurredAt in the future", { email: "a@b.io", type: "visit", occurredAt: new Date(Date.now() + 6 * 60_000).toISOString() }, "input.occurredAt"],
      ["no lead at all", { type: "visit" }, "input.leadId"],
      ["lead profile email", { lead: { email: "bad" }, type: "visit" }, "input.lead.email"],
    ])("refuses %s with BAD_USER_INPUT on the field", async (_name, input, field) => {
      const res = await s.api.request(RECORD_INTERACTION, { input });
      expect(codeOf(res)).toBe("BAD_USER_INPUT");
      expect(res.errors?.[0].extensions?.fields?.map((f) => f.field)).toContain(field);
      expect(res.data).toBeNull();
    });

    it("accepts occurredAt a little ahead (clock skew) and in the past", async () => {
      const email = uniqueEmail();
      for (const occurredAt of [new Date(Date.now() + 60_000), new Date("2020-01-01T00:00:00Z")]) {
        const res = await s.api.data(RECORD_INTERACTION, { input: { email, type: "visit", occurredAt: occurredAt.toISOString() } });
        expect(res.recordInteraction.interaction.occurredAt).toBe(occurredAt.toISOString());
      }
    });

    it("reports every invalid field at once", async () => {
      const res = await s.api.request(RECORD_INTERACTION, { input: { email: "x", type: "BAD", source: "s".repeat(101) } });
      expect(res.errors?.[0].extensions?.fields?.map((f) => f.field).sort()).toEqual(["input.email", "input.source", "input.type"]);
    });
  });

  describe("idempotency", () => {
    it("a re-sent (source, externalId) returns the original, changes nothing, even with other content", async () => {
      const email = uniqueEmail();
      const input = { email, type: "visit", source: "website", externalId: `ext-${email}`, target: "/pricing" };
      const first = await s.api.data(RECORD_INTERACTION, { input });
      const again = await s.api.data(RECORD_INTERACTION, {
        input: { ...input, email: uniqueEmail("other"), type: "download", target: "/other", lead: undefined },
      });
      expect(again.recordInteraction).toMatchObject({ duplicate: true, pointsAwarded: 0, stageChange: null });
      expect(again.recordInteraction.interaction).toMatchObject({ id: first.recordInteraction.interaction.id, type: "visit", target: "/pricing" });
      expect(again.recordInteraction.lead.id).toBe(first.recordInteraction.lead.id);
      // The other email was not created.
      expect(await countRows("SELECT count(*) AS n FROM lead WHERE email LIKE 'other-%'", [])).toBe(0);
    });

    it("the same externalId from another source, or with no source, is another interaction", async () => {
      const email = uniqueEmail();
      const externalId = `shared-${email}`;
      const a = await s.api.data(RECORD_INTERACTION, { input: { email, type: "visit", source: "linkedin", externalId } });
      const b = await s.api.data(RECORD_INTERACTION, { input: { email, type: "visit", source: "facebook", externalId } });
      const c = await s.api.data(RECORD_INTERACTION, { input: { email, type: "visit", externalId } });
      const d = await s.api.data(RECORD_INTERACTION, { input: { email, type: "visit", externalId } });
      expect(new Set([a, b, c].map((r) => r.recordInteraction.interaction.id)).size).toBe(3);
      expect(d.recordInteraction).toMatchObject({ duplicate: true });
      expect(d.recordInteraction.interaction.id).toBe(c.recordInteraction.interaction.id);
    });

    it("20 concurrent copies of one externalId record exactly one row", async () => {
      const email = uniqueEmail();
      const externalId = `burst-${email}`;
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          s.api.data(RECORD_INTERACTION, { input: { email, type: "webinar", source: "webinar", externalId, properties: { copy: i } } }),
        ),
      );
      const payloads = results.map((r) => r.recordInteraction);
      expect(payloads.filter((p) => !p.duplicate)).toHaveLength(1);
      expect(new Set(payloads.map((p) => p.interaction.id)).size).toBe(1);
      expect(payloads.filter((p) => p.duplicate).every((p) => p.pointsAwarded === 0)).toBe(true);
      expect(await countRows("SELECT count(*) AS n FROM interaction WHERE external_id = $1", [externalId])).toBe(1);
      expect(await countRows("SELECT count(*) AS n FROM lead WHERE email = $1", [email])).toBe(1);
    });

    it("concurrent interactions of new and existing leads neither interleave nor lose writes", async () => {
      const emails = Array.from({ length: 5 }, () => uniqueEmail("par"));
      const inputs = emails.flatMap((email) =>
        Array.from({ length: 8 }, (_, i) => ({ email, type: "email_open", source: "newsletter", externalId: `${email}-${i}` })),
      );
      const results = await Promise.all(inputs.map((input) => s.api.request(RECORD_INTERACTION, { input })));
      expect(results.every((r) => !r.errors)).toBe(true);
      for (const email of emails) {
        expect(await countRows("SELECT count(*) AS n FROM interaction i JOIN lead l ON l.id = i.lead_id WHERE l.email = $1", [email])).toBe(8);
        expect(await countRows("SELECT count(*) AS n FROM stage_transition t JOIN lead l ON l.id = t.lead_id WHERE l.email = $1", [email])).toBe(1);
      }
    });
  });

  describe("recordInteractions", () => {
    it("processes in array order; an invalid item is null with an error at its index; the others are recorded", async () => {
      const email = uniqueEmail();
      const { recordInteractions } = await s.api.request(RECORD_INTERACTIONS, {
        inputs: [
          { email, type: "visit", target: "/a", occurredAt: "2026-01-01T10:00:00.000Z" },
          { email, type: "Not Valid" },
          { email, type: "visit", target: "/b", occurredAt: "2026-01-01T10:00:00.000Z" },
          { email, type: "visit", target: "/a", externalId: "dup-in-batch", source: "website" },
          { email, type: "visit", target: "/a", externalId: "dup-in-batch", source: "website" },
        ],
      }).then((res) => {
        expect(res.errors).toHaveLength(1);
        expect(res.errors?.[0].path).toEqual(["recordInteractions", 1]);
        expect(res.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "inputs.1.type" });
        return res.data as NonNullable<typeof res.data>;
      });
      expect(recordInteractions[1]).toBeNull();
      expect(recordInteractions.map((p) => p?.duplicate ?? null)).toEqual([false, null, false, false, true]);
      // Equal occurredAt: arrival order breaks the tie, newest first in the lead's timeline.
      const leadId = recordInteractions[0]?.lead.id as string;
      const timeline = await s.api.data(LEAD_INTERACTIONS, { id: leadId, first: 10 });
      const ids = timeline.lead?.interactions.edges.map((e) => e.node.id);
      expect(ids?.slice(-2)).toEqual([recordInteractions[2]?.interaction.id, recordInteractions[0]?.interaction.id]);
    });

    it("refuses text holding U+0000 (PostgreSQL stores none) as bad input, the item alone, in every field", async () => {
      const email = uniqueEmail();
      const res = await s.api.request(RECORD_INTERACTIONS, {
        inputs: [
          { email, type: "visit", target: "/ok" },
          { email, type: "visit", target: "/a\u0000b" },
          { email, type: "visit", properties: { note: "a\u0000b" } },
          { email, type: "visit", properties: { ["k\u0000"]: 1 } },
          { email: `x\u0000${email}`, type: "visit" },
          { lead: { email, firstName: "A\u0000" }, type: "visit" },
          { email, type: "visit", properties: { note: "a backslash then u0000: \\u0000" } },
        ],
      });
      expect(res.errors?.map((e) => [e.path?.[1], e.extensions?.code, e.extensions?.field ?? e.extensions?.fields?.[0]?.field])).toEqual([
        [1, "BAD_USER_INPUT", "inputs.1.target"],
        [2, "BAD_USER_INPUT", "inputs.2.properties"],
        [3, "BAD_USER_INPUT", "inputs.3.properties"],
        [4, "BAD_USER_INPUT", "inputs.4.email"],
        [5, "BAD_USER_INPUT", "inputs.5.lead.firstName"],
      ]);
      expect(res.errors?.[0].message).toMatch(/U\+0000/);
      expect(res.data?.recordInteractions.map((r) => r !== null)).toEqual([true, false, false, false, false, false, true]);
      // Nor a number JSON cannot hold (it would be stored as null; the rules would see Infinity).
      const tooLarge = await s.api.request(
        gql<unknown, Record<string, never>>(`mutation { recordInteraction(input: { email: "${email}", type: "webinar", properties: { minutes: 1e400, list: [1, null] } }) { duplicate } }`),
        {},
      );
      expect(tooLarge.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT" });
      expect(tooLarge.errors?.[0].extensions?.fields?.[0]).toMatchObject({ field: "input.properties", message: expect.stringMatching(/finite/) });
      const upsert = await s.api.request(UPSERT_LEAD, { input: { email, attributes: { plan: "\u0000" } } });
      expect(upsert.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.attributes" });
      const search = await s.api.request(LEADS, { filter: { search: "a\u0000" } });
      expect(codeOf(search)).toBe("BAD_USER_INPUT");
      const byEmail = await s.api.request(LEAD_BY_EMAIL, { email: `${email}\u0000` });
      expect(byEmail.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "email" });
    });

    it("refuses more than 1,000 items", async () => {
      const inputs = Array.from({ length: 1001 }, () => ({ email: "a@b.io", type: "visit" }));
      // A lean selection: the whole payload of 1,001 items is past the cost budget, refused before this rule.
      const lean = gql<unknown, { inputs: unknown[] }>(`mutation ($inputs: [InteractionInput!]!) { recordInteractions(inputs: $inputs) { duplicate } }`);
      const res = await s.api.request(lean, { inputs });
      expect(codeOf(res)).toBe("BAD_USER_INPUT");
      expect(res.errors?.[0].extensions?.field).toBe("inputs");
      const costly = await s.api.request(RECORD_INTERACTIONS, { inputs });
      expect(costly.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", maxCost: 100_000 });
    });
  });

  describe("Lead.interactions", () => {
    it("pages newest first with cursors and a total", async () => {
      const email = uniqueEmail();
      const times = [5, 1, 4, 2, 3].map((d) => new Date(Date.UTC(2026, 0, d)).toISOString());
      let leadId = "";
      for (const occurredAt of times) {
        leadId = (await s.api.data(RECORD_INTERACTION, { input: { email, type: "visit", occurredAt } })).recordInteraction.lead.id;
      }
      const first = await s.api.data(LEAD_INTERACTIONS, { id: leadId, first: 2 });
      expect(first.lead?.interactions.totalCount).toBe(5);
      const second = await s.api.data(LEAD_INTERACTIONS, { id: leadId, first: 10, after: first.lead?.interactions.pageInfo.endCursor });
      const order = [...(first.lead?.interactions.edges ?? []), ...(second.lead?.interactions.edges ?? [])].map((e) => e.node.occurredAt);
      expect(order).toEqual([...times].sort().reverse());
      expect(second.lead?.interactions.pageInfo.hasNextPage).toBe(false);
    });
  });
});
