/**
 * What clients read about v2 scores, end to end over HTTP: a model with groups (a cap, a fit
 * group, an empty one), decay and an off-path stage, published through publishModel; a lead whose
 * interactions are backdated so that its awards have decayed some steps (values as of now are
 * computed at read time: no sweep). Awards (points, initialPoints, nextDecayAt, counting, group),
 * `Interaction.points`, the breakdown (awards worth 0 left out, the cap applied to the group only),
 * `Lead.groups`, the model's groups and off-path stages, the stage outlook's reasons, and a page of
 * leads reading all of it in a constant number of statements.
 */
import { SET_LEAD_STAGE } from "./helpers/documents";
import { gql } from "./helpers/graphql-client";
import { DAY, scoringCalls } from "./helpers/scoring";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

const MODEL = `funnel Subscriber > Lead > MQL > SQL | Lost
group "Product A" max 20 {
  visit "/product-a/*"   => +10
  download "product-a-*" => +5 decays 50% every 30 days
}
group "Decision makers" {
  role contains "Director" => +20
}
group "Later" {}
visit "/pricing" => +15 decays 10% every 30 days
visit "/careers" => -10 decays 50% every 1 week
stage MQL when score >= 30
stage SQL when score >= 100 and group "Product A" >= 20 and has demo_request
`;

interface AwardRead {
  rule: string;
  group: string | null;
  category: string;
  points: number;
  initialPoints: number;
  expiresAt: string | null;
  nextDecayAt: string | null;
  counting: boolean;
}

interface StageCheckRead {
  stage: string;
  rule: string;
  holds: boolean;
  conditions: Array<{ condition: string; holds: boolean; detail: string | null }>;
}

interface LeadRead {
  id: string;
  stage: string;
  score: number;
  fit: number;
  engagement: number;
  groups: Array<{ group: string; category: string; points: number; uncappedPoints: number; max: number | null }>;
  scoreBreakdown: Array<{ rule: string; group: string | null; category: string; points: number; count: number }>;
  stageOutlook: StageCheckRead[];
  interactions: { edges: Array<{ node: { type: string; target: string | null; occurredAt: string; points: number; awards: AwardRead[] } }> };
}

const LEAD_FIELDS = `
  id stage score fit engagement
  groups { group category points uncappedPoints max }
  scoreBreakdown { rule group category points count }
  stageOutlook { stage rule holds conditions { condition holds detail } }
  interactions(first: 20) { edges { node { type target occurredAt points
    awards { rule group category points initialPoints expiresAt nextDecayAt counting } } } }`;

const READ_LEAD = gql<{ lead: LeadRead | null }, { id: string }>(`query ReadLead($id: ID!) { lead(id: $id) { ${LEAD_FIELDS} } }`);

const MODEL_GROUPS = gql<
  {
    activeModel: { version: number; groups: Array<{ name: string; category: string; max: number | null }>; offPath: string[] };
    models: { edges: Array<{ node: { version: number; groups: Array<{ name: string }>; offPath: string[] } }> };
  },
  Record<string, never>
>(`query ModelGroups {
  activeModel { version groups { name category max } offPath }
  models(first: 5) { edges { node { version groups { name } offPath } } }
}`);

/** A page of leads with all of it (fewer fields than `LEAD_FIELDS`: 100 leads stay within the cost budget). */
const LEADS_V2 = gql<{ leads: { edges: Array<{ node: LeadRead }> } }, { first: number }>(`
  query LeadsV2($first: Int) {
    leads(first: $first, orderBy: { field: EMAIL, direction: ASC }, filter: { search: "v2page" }) { edges { node {
      id
      groups { group points uncappedPoints }
      scoreBreakdown { group points }
      stageOutlook { stage holds conditions { holds detail } }
      interactions(first: 3) { edges { node { points awards { points nextDecayAt } } } }
    } } }
  }`);

const at = (ms: number) => new Date(ms).toISOString();

describe(`reading v2 scores [${testDatabase()}]`, () => {
  // No background job (the sweeper, the webhook dispatcher's poll) adds to the statements counted.
  const s = useTestApp({ QUALIFY_EXPIRY_SWEEP_SECONDS: "0", QUALIFY_WEBHOOK_POLL_MS: "60000" });
  const calls = () => scoringCalls(s.api);
  const read = async (id: string): Promise<LeadRead> => {
    const { lead } = await s.api.data(READ_LEAD, { id });
    if (!lead) throw new Error(`lead ${id} not found`);
    return lead;
  };
  const byTarget = (lead: LeadRead, target: string) => lead.interactions.edges.map((e) => e.node).find((n) => n.target === target)!;

  let leadId = "";
  const email = uniqueEmail("v2read");
  /** When the backdated interactions occurred. */
  const times: Record<string, number> = {};

  beforeAll(async () => {
    await calls().publish(MODEL);
    const now = Date.now();
    Object.assign(times, {
      a1: now - 3 * DAY,
      a2: now - 2 * DAY,
      guide: now - 35 * DAY, // one 30-day step: 5 → 2
      pricing: now - 65 * DAY, // two steps: 15 → 13 → 11
      careers: now - 5 * 7 * DAY, // five weekly steps: −10 → −5 → −2 → −1 → 0
    });
    const visits: Array<[string, string, number]> = [
      ["visit", "/product-a/one", times.a1],
      ["visit", "/product-a/two", times.a2],
      ["download", "product-a-guide.pdf", times.guide],
      ["visit", "/pricing", times.pricing],
      ["visit", "/careers", times.careers],
    ];
    for (const [type, target, ms] of visits) {
      const recorded = await calls().record({ email, type, target, occurredAt: at(ms), lead: { email, role: "Marketing Director" } });
      leadId = recorded.lead.id;
    }
  });

  it("values each award as of now: decayed points, initial points, next decay step, counting", async () => {
    const lead = await read(leadId);
    const award = (target: string) => byTarget(lead, target).awards[0];
    expect(award("/pricing")).toEqual({
      rule: 'visit "/pricing" => +15 decays 10% every 30 days',
      group: null,
      category: "ENGAGEMENT",
      points: 11,
      initialPoints: 15,
      expiresAt: null,
      nextDecayAt: at(times.pricing + 90 * DAY),
      counting: true,
    });
    expect(award("product-a-guide.pdf")).toMatchObject({ group: "Product A", points: 2, initialPoints: 5, nextDecayAt: at(times.guide + 60 * DAY), counting: true });
    // Decayed to 0: listed on its interaction, no longer counting, no further step.
    expect(award("/careers")).toMatchObject({ group: null, points: 0, initialPoints: -10, nextDecayAt: null, counting: false });
    // A rule that does not decay has no step.
    expect(award("/product-a/one")).toMatchObject({ group: "Product A", points: 10, initialPoints: 10, nextDecayAt: null, counting: true });
    expect(["/pricing", "product-a-guide.pdf", "/careers", "/product-a/one"].map((t) => byTarget(lead, t).points)).toEqual([11, 2, 0, 10]);
  });

  it("groups: capped points and the uncapped sum, in model order; the empty group is left out", async () => {
    const lead = await read(leadId);
    expect(lead.groups).toEqual([
      { group: "Product A", category: "ENGAGEMENT", points: 20, uncappedPoints: 22, max: 20 },
      { group: "Decision makers", category: "FIT", points: 20, uncappedPoints: 20, max: null },
    ]);
  });

  it("the breakdown names each rule's group, leaves out awards worth 0, and shows rules before their group's cap", async () => {
    const lead = await read(leadId);
    expect(lead.scoreBreakdown).toEqual([
      { rule: 'visit "/product-a/*" => +10', group: "Product A", category: "ENGAGEMENT", points: 20, count: 2 },
      { rule: 'download "product-a-*" => +5 decays 50% every 30 days', group: "Product A", category: "ENGAGEMENT", points: 2, count: 1 },
      { rule: 'role contains "Director" => +20', group: "Decision makers", category: "FIT", points: 20, count: 1 },
      { rule: 'visit "/pricing" => +15 decays 10% every 30 days', group: null, category: "ENGAGEMENT", points: 11, count: 1 },
    ]);
    // The cap holds Product A back by 2: the rules add up to more than the score as of now (51:
    // fit 20 in its group; engagement: Product A capped at 20, pricing 11, careers 0).
    expect(lead.scoreBreakdown.reduce((sum, c) => sum + c.points, 0)).toBe(51 + 2);
    expect(lead.groups[0].uncappedPoints - lead.groups[0].points).toBe(2);
  });

  it("the model lists its groups (with rules) and its off-path stages", async () => {
    const data = await s.api.data(MODEL_GROUPS, {});
    expect(data.activeModel.groups).toEqual([
      { name: "Product A", category: "ENGAGEMENT", max: 20 },
      { name: "Decision makers", category: "FIT", max: null },
    ]);
    expect(data.activeModel.offPath).toEqual(["Lost"]);
    // Every version answers from its own source: the seed model has no group.
    const versions = data.models.edges.map((e) => e.node);
    expect(versions[0]).toEqual({ version: data.activeModel.version, groups: [{ name: "Product A" }, { name: "Decision makers" }], offPath: ["Lost"] });
    expect(versions[versions.length - 1]).toEqual({ version: 1, groups: [], offPath: ["Other"] });
  });

  it("the outlook says, condition by condition, why the lead is not yet SQL, and follows what it does", async () => {
    const sqlRule = 'stage SQL when score >= 100 and group "Product A" >= 20 and has demo_request';
    expect((await read(leadId)).stageOutlook).toEqual([
      {
        stage: "SQL",
        rule: sqlRule,
        holds: false,
        conditions: [
          { condition: "score >= 100", holds: false, detail: "score is 51" },
          { condition: 'group "Product A" >= 20', holds: true, detail: 'group "Product A" is 20' },
          { condition: "has demo_request", holds: false, detail: "no demo_request interaction" },
        ],
      },
    ]);
    await calls().record({ email, type: "demo_request" });
    const [sql] = (await read(leadId)).stageOutlook;
    expect(sql.conditions[2]).toEqual({ condition: "has demo_request", holds: true, detail: "has had demo_request" });
    expect(sql.holds).toBe(false);
  });

  it("a new lead sees every stage ahead that has a rule; a lead off the path or at the last stage sees none", async () => {
    const fresh = await calls().record({ email: uniqueEmail("v2fresh"), type: "visit", target: "/product-a/x" });
    const outlook = (await read(fresh.lead.id)).stageOutlook;
    expect(outlook.map((c) => [c.stage, c.holds])).toEqual([
      ["MQL", false],
      ["SQL", false],
    ]);
    expect(outlook[0].conditions).toEqual([{ condition: "score >= 30", holds: false, detail: "score is 10" }]);

    await s.api.data(SET_LEAD_STAGE, { leadId: fresh.lead.id, stage: "Lost", reason: "not a fit" });
    expect((await read(fresh.lead.id)).stageOutlook).toEqual([]);
    await s.api.data(SET_LEAD_STAGE, { leadId: fresh.lead.id, stage: "SQL" });
    expect((await read(fresh.lead.id)).stageOutlook).toEqual([]);
  });

  it("a page of leads reads awards, groups, breakdown and outlook in a constant number of statements", async () => {
    const db = s.t.app.context(null).db;
    await db.query(`
      INSERT INTO lead (email, role, stage, created_at, updated_at)
      SELECT 'v2page' || lpad(n::text, 3, '0') || '@example.com', 'Director', 'Subscriber', now(), now() FROM generate_series(1, 110) n`);
    await db.query(`
      INSERT INTO interaction (lead_id, type, target, occurred_at, received_at)
      SELECT l.id, t.type, t.target, now() - (k || ' days')::interval, now()
        FROM lead l CROSS JOIN generate_series(1, 4) k
        CROSS JOIN (VALUES ('visit', '/pricing'), ('download', 'product-a-sheet.pdf'), ('visit', '/product-a/p')) AS t (type, target)
       WHERE l.email LIKE 'v2page%'`);
    // Publishing again rescores every lead: their ledgers are the model's.
    await calls().publish(`${MODEL}\n# again`);

    const statementsFor = async (first: number) => {
      const before = s.t.app.queries.count;
      const { leads } = await s.api.data(LEADS_V2, { first });
      const used = s.t.app.queries.count - before;
      expect(leads.edges).toHaveLength(first);
      for (const { node } of leads.edges) {
        expect(node.groups.map((g) => [g.group, g.points, g.uncappedPoints])).toEqual([
          ["Product A", 20, 60],
          ["Decision makers", 20, 20],
        ]);
        expect(node.scoreBreakdown.map((c) => c.group)).toEqual(["Product A", "Product A", "Decision makers", null]);
        expect(node.stageOutlook.map((c) => c.stage)).toEqual(["SQL"]);
        expect(node.interactions.edges).toHaveLength(3);
      }
      return used;
    };
    // Once first: the first read after a publish compiles the new version (one statement, once per process).
    await statementsFor(10);
    const ten = await statementsFor(10);
    const hundred = await statementsFor(100);
    expect(hundred).toBe(ten);
    // Leads (+ count), interactions, their awards, the ledgers, the interactions `has` reads, stage histories.
    expect(hundred).toBeLessThanOrEqual(6);
  });
});
