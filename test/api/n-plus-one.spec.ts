/**
 * No N+1: a page of leads with their last 10 interactions (points and awards), score breakdown and
 * stage history costs a constant number of statements.
 */
import { LEADS_DEEP } from "./helpers/documents";
import { gql } from "./helpers/graphql-client";
import { testDatabase, useTestApp } from "./helpers/test-app";

describe(`statement count [${testDatabase()}]`, () => {
  // No background job (the sweeper, the webhook dispatcher's poll) adds to the statements counted.
  const s = useTestApp({ QUALIFY_EXPIRY_SWEEP_SECONDS: "0", QUALIFY_WEBHOOK_POLL_MS: "60000" });

  beforeAll(async () => {
    const db = s.t.app.context(null).db;
    // Setup straight in SQL (fast); what is measured is the read path.
    await db.query(`
      INSERT INTO lead (email, stage, created_at, updated_at)
      SELECT 'nplus' || lpad(n::text, 3, '0') || '@example.com', 'Subscriber', now(), now() FROM generate_series(1, 120) n`);
    await db.query(`
      INSERT INTO interaction (lead_id, type, target, occurred_at, received_at)
      SELECT l.id, 'visit', '/page/' || k, now() - (k || ' minutes')::interval, now()
        FROM lead l CROSS JOIN generate_series(1, 12) k`);
    await db.query(`
      INSERT INTO stage_transition (lead_id, from_stage, to_stage, at, cause)
      SELECT id, NULL, 'Subscriber', created_at, 'RULE' FROM lead`);
    await db.query(`
      INSERT INTO score_award (lead_id, interaction_id, rule, rule_index, category, points, awarded_at, model_version)
      SELECT lead_id, id, 'visit => +1', 0, 'ENGAGEMENT', 1, occurred_at, 1 FROM interaction`);
  });

  const statementsFor = async (first: number) => {
    const before = s.t.app.queries.count;
    const data = await s.t.admin.data(LEADS_DEEP, { first });
    const used = s.t.app.queries.count - before;
    expect(data.leads.edges).toHaveLength(first);
    for (const edge of data.leads.edges) {
      expect(edge.node.interactions.edges).toHaveLength(10);
      for (const { node } of edge.node.interactions.edges) expect([node.points, node.awards.length]).toEqual([1, 1]);
      expect(edge.node.scoreBreakdown).toEqual([{ rule: "visit => +1", category: "ENGAGEMENT", points: 12, count: 12 }]);
      expect(edge.node.stageHistory).toHaveLength(1);
    }
    return used;
  };

  it("uses the same small number of statements for 10 and for 100 leads", async () => {
    const ten = await statementsFor(10);
    const hundred = await statementsFor(100);
    expect(hundred).toBe(ten);
    // Leads, interactions with their awards (which `points` sums too), score breakdowns, stage histories.
    expect(hundred).toBeLessThanOrEqual(4);
  });

  it("reads a page's awards with it only when they are asked, and answers a page asked both ways", async () => {
    const query = `query Both($first: Int!) { leads(first: $first) { edges { node {
      plain: interactions(first: 3) { edges { cursor node { type target } } }
      scored: interactions(first: 3) { edges { cursor node { type points awards { rule points } } } }
      next: interactions(first: 3, after: $after) { edges { node { target points } } }
    } } } }`;
    type Pages = { leads: { edges: Array<{ node: Record<string, { edges: Array<{ cursor: string; node: Record<string, unknown> }> }> }> } };
    const first = await s.t.admin.data(gql<Pages, { first: number }>(query.replace("$after", "null")), { first: 5 });
    for (const { node } of first.leads.edges) {
      expect(node.plain.edges.map((e) => e.cursor)).toEqual(node.scored.edges.map((e) => e.cursor));
      for (const { node: interaction } of node.scored.edges) expect(interaction).toEqual({ type: "visit", points: 1, awards: [{ rule: "visit => +1", points: 1 }] });
      expect(node.plain.edges.every((e) => !("points" in e.node))).toBe(true);
    }
    // The page after the third interaction of the first lead: its 4th to 6th, with their points.
    const lead = first.leads.edges[0].node;
    const after = lead.plain.edges[2].cursor;
    const before = s.t.app.queries.count;
    const second = await s.t.admin.data(gql<Pages, { first: number }>(query.replace("$after", JSON.stringify(after))), { first: 1 });
    const next = second.leads.edges[0].node.next.edges.map((e) => e.node);
    expect(next.map((n) => n.target)).toEqual(["/page/4", "/page/5", "/page/6"]);
    expect(next.every((n) => n.points === 1)).toBe(true);
    // Leads; the three pages (each its own statement: with awards, without, after the cursor); breakdowns are not asked.
    expect(s.t.app.queries.count - before).toBeLessThanOrEqual(4);
  });

  it("reads an interaction's source, external id, properties and receipt time only for a page asking for them", async () => {
    const db = s.t.app.context(null).db;
    const [{ id }] = await db.query(`INSERT INTO lead (email, stage, created_at, updated_at) VALUES ('details@example.com', 'Subscriber', now(), now()) RETURNING id`);
    await db.query(
      `INSERT INTO interaction (lead_id, type, target, source, external_id, properties, occurred_at, received_at) VALUES
         ($1, 'demo', 'call', 'crm', 'crm-1', '{"plan": "pro", "seats": 12}', '2026-11-02T10:00:00Z', '2026-11-02T10:00:05.250Z'),
         ($1, 'visit', '/pricing', NULL, NULL, '{}', '2026-11-01T09:00:00Z', '2026-11-01T09:00:01Z')`,
      [id],
    );
    type Pages = { leadByEmail: Record<string, { edges: Array<{ node: Record<string, unknown> }> }> };
    const query = gql<Pages, Record<string, never>>(`{ leadByEmail(email: "details@example.com") {
      brief: interactions { edges { node { type target occurredAt } } }
      detailed: interactions { edges { node { type source externalId properties receivedAt } } }
    } }`);
    const { leadByEmail } = await s.t.admin.data(query, {});
    expect(leadByEmail.brief.edges.map((e) => e.node)).toEqual([
      { type: "demo", target: "call", occurredAt: "2026-11-02T10:00:00.000Z" },
      { type: "visit", target: "/pricing", occurredAt: "2026-11-01T09:00:00.000Z" },
    ]);
    expect(leadByEmail.detailed.edges.map((e) => e.node)).toEqual([
      { type: "demo", source: "crm", externalId: "crm-1", properties: { plan: "pro", seats: 12 }, receivedAt: "2026-11-02T10:00:05.250Z" },
      { type: "visit", source: null, externalId: null, properties: {}, receivedAt: "2026-11-01T09:00:01.000Z" },
    ]);
  });
});
