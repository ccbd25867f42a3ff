/** No N+1: a page of leads with their last 10 interactions and stage history costs a constant number of statements. */
import { LEADS_DEEP } from "./helpers/documents";
import { startTestApp, type TestApp, testDatabase } from "./helpers/test-app";

describe(`statement count [${testDatabase()}]`, () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
    const db = t.app.context(null).db;
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
  });
  afterAll(() => t?.close());

  const statementsFor = async (first: number) => {
    const before = t.app.queries.count;
    const data = await t.admin.data(LEADS_DEEP, { first });
    const used = t.app.queries.count - before;
    expect(data.leads.edges).toHaveLength(first);
    for (const edge of data.leads.edges) {
      expect(edge.node.interactions.edges).toHaveLength(10);
      expect(edge.node.stageHistory).toHaveLength(1);
    }
    return used;
  };

  it("uses the same small number of statements for 10 and for 100 leads", async () => {
    const ten = await statementsFor(10);
    const hundred = await statementsFor(100);
    expect(hundred).toBe(ten);
    expect(hundred).toBeLessThanOrEqual(3);
  });
});
