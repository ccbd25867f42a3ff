/**
 * No N+1: a page of leads with their last 10 interactions (points and awards), score breakdown and
 * stage history costs a constant number of statements.
 */
import { LEADS_DEEP } from "./helpers/documents";
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
    // Leads, interactions, their awards (which `points` sums too), score breakdowns, stage histories.
    expect(hundred).toBeLessThanOrEqual(5);
  });
});
