/**
 * Score history and time travel, end to end over HTTP: a point for every change of a lead's
 * stored totals (created, interactions, profile, publishes, expiry through the sweeper at the
 * expiry instant, expiry folded into a later write), `scoreHistory` pages and windows, `scoreAt`,
 * `funnel(asOf:)`, and the retention through real time.
 */
import { RECORD_INTERACTIONS, SET_LEAD_STAGE, UPSERT_LEAD } from "./helpers/documents";
import { codeOf, gql } from "./helpers/graphql-client";
import { ago, expectEveryLeadMatchesReplay, scoringCalls } from "./helpers/scoring";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

interface PointShape {
  at: string;
  score: number;
  fit: number;
  engagement: number;
  cause: string;
  interactionId: string | null;
}

const POINT = "at score fit engagement cause interactionId";

const HISTORY = gql<
  {
    lead: {
      createdAt: string;
      score: number;
      scoreHistory: {
        totalCount: number;
        edges: Array<{ cursor: string; node: PointShape }>;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    } | null;
  },
  { id: string; since?: string; until?: string; first?: number; after?: string }
>(`
  query History($id: ID!, $since: DateTime, $until: DateTime, $first: Int, $after: String) {
    lead(id: $id) {
      createdAt score
      scoreHistory(since: $since, until: $until, first: $first, after: $after) {
        totalCount edges { cursor node { ${POINT} } } pageInfo { hasNextPage endCursor }
      }
    }
  }`);

const SCORE_AT = gql<{ lead: { scoreAt: PointShape | null } | null }, { id: string; at: string }>(`
  query ScoreAt($id: ID!, $at: DateTime!) { lead(id: $id) { scoreAt(at: $at) { ${POINT} } } }`);

const FUNNEL_AS_OF = gql<{ funnel: Array<{ stage: string; leads: number; reached: number }> }, { asOf?: string; since?: string }>(`
  query FunnelAsOf($asOf: DateTime, $since: DateTime) { funnel(asOf: $asOf, since: $since) { stage leads reached } }`);

const ACTIVE_SOURCE = gql<{ models: { edges: Array<{ node: { source: string } }> } }, Record<string, never>>(`
  query ActiveSource { models(first: 1) { edges { node { source } } } }`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SECOND = 1000;

describe(`score history [${testDatabase()}]`, () => {
  // No sweeper of its own: the tests sweep when they mean to.
  const s = useTestApp({ QUALIFY_EXPIRY_SWEEP_SECONDS: "0" });
  const history = async (id: string, vars: { since?: string; until?: string; first?: number; after?: string } = {}) => {
    const { lead } = await s.api.data(HISTORY, { id, first: 100, ...vars });
    if (!lead) throw new Error(`no lead ${id}`);
    return lead;
  };
  const causes = async (id: string) => (await history(id)).scoreHistory.edges.map((e) => [e.node.cause, e.node.score]);

  const MODEL = `visit "/pricing" => +10\nvisit "/short" => +7 expires after 1 hour\ndownload => +5\nrole contains "VP" => +20\nstage MQL when score >= 30`;
  beforeEach(async () => {
    const { models } = await s.api.data(ACTIVE_SOURCE);
    if (models.edges[0]?.node.source !== MODEL) await scoringCalls(s.api).publish(MODEL);
  });

  it("writes a point for every change of the stored totals, none for a change that leaves them", async () => {
    const calls = scoringCalls(s.api);
    const email = uniqueEmail("history");
    const first = await calls.record({ email, type: "visit", target: "/pricing" });
    const leadId = first.lead.id;
    // Earns nothing: no point.
    await calls.record({ leadId, type: "webinar" });
    await s.api.data(UPSERT_LEAD, { input: { email, role: "VP Sales" } });
    // A batch: each item is its own change, each its own point.
    await s.api.data(RECORD_INTERACTIONS, { inputs: [{ leadId, type: "download" }, { leadId, type: "download" }] });
    await calls.publish(`visit "/pricing" => +11\ndownload => +5\nrole contains "VP" => +20\nstage MQL when score >= 30`);

    expect(await causes(leadId)).toEqual([
      ["CREATED", 0],
      ["INTERACTION", 10],
      ["PROFILE", 30],
      ["INTERACTION", 35],
      ["INTERACTION", 40],
      ["MODEL", 41],
    ]);
    const lead = await history(leadId);
    const points = lead.scoreHistory.edges.map((e) => e.node);
    expect(points[0]).toMatchObject({ at: lead.createdAt, fit: 0, engagement: 0, interactionId: null });
    expect(points[1]).toMatchObject({ fit: 0, engagement: 10, interactionId: first.interaction.id });
    expect(points[2]).toMatchObject({ fit: 20, engagement: 10, interactionId: null });
    // Oldest first, never back in time.
    const times = points.map((p) => Date.parse(p.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(lead.scoreHistory.totalCount).toBe(6);
    await expectEveryLeadMatchesReplay(s.t);
  });

  it("pages, windows and refuses what it cannot answer", async () => {
    const calls = scoringCalls(s.api);
    const first = await calls.record({ email: uniqueEmail("pages"), type: "visit", target: "/pricing" });
    const leadId = first.lead.id;
    for (let i = 0; i < 4; i++) await calls.record({ leadId, type: "download" });
    const all = (await history(leadId)).scoreHistory.edges.map((e) => e.node);
    expect(all.map((p) => p.score)).toEqual([0, 10, 15, 20, 25, 30]);

    // Pages of 4 then the rest, then past the end: empty, no next page.
    const page1 = (await history(leadId, { first: 4 })).scoreHistory;
    expect(page1.edges.map((e) => e.node.score)).toEqual([0, 10, 15, 20]);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = (await history(leadId, { first: 4, after: page1.pageInfo.endCursor as string })).scoreHistory;
    expect(page2.edges.map((e) => e.node.score)).toEqual([25, 30]);
    expect(page2.pageInfo.hasNextPage).toBe(false);
    const past = (await history(leadId, { first: 4, after: page2.pageInfo.endCursor as string })).scoreHistory;
    expect(past.edges).toEqual([]);
    expect(past.pageInfo.hasNextPage).toBe(false);

    // A window [since, until], both ends included, with its own totalCount.
    const windowed = (await history(leadId, { since: all[2].at, until: all[4].at })).scoreHistory;
    expect(windowed.edges.map((e) => e.node.score)).toEqual(all.filter((p) => p.at >= all[2].at && p.at <= all[4].at).map((p) => p.score));
    expect(windowed.totalCount).toBe(windowed.edges.length);

    const bad = [
      await s.api.request(HISTORY, { id: leadId, since: all[4].at, until: all[2].at }),
      await s.api.request(HISTORY, { id: leadId, after: "not-a-cursor" }),
      await s.api.request(HISTORY, { id: leadId, first: 101 }),
      await s.api.request(SCORE_AT, { id: leadId, at: new Date(Date.now() + 60 * SECOND).toISOString() }),
    ];
    expect(bad.map(codeOf)).toEqual(["BAD_USER_INPUT", "BAD_USER_INPUT", "BAD_USER_INPUT", "BAD_USER_INPUT"]);
    expect(bad.map((r) => r.errors?.[0]?.extensions?.fields)).toEqual([
      [{ field: "until", message: "must not be before since" }],
      [{ field: "after", message: "is not a valid cursor" }],
      [{ field: "first", message: "must be from 0 to 100" }],
      [{ field: "at", message: "must not be in the future" }],
    ]);
  });

  it("stamps an expiry at its own instant, through the sweeper or folded into a later write, and scoreAt answers across it", async () => {
    const calls = scoringCalls(s.api);
    // Counts for 2 more seconds; no sweeper runs; the next write records the expiry first, at its instant.
    const a = await calls.record({ email: uniqueEmail("expiry"), type: "visit", target: "/short", occurredAt: ago(3600 * SECOND - 2 * SECOND) });
    const expiredAt = new Date(Date.parse(a.interaction.occurredAt) + 3600 * SECOND);
    await sleep(2500);
    const next = await calls.record({ leadId: a.lead.id, type: "download" });
    const folded = (await history(a.lead.id)).scoreHistory.edges.map((e) => e.node);
    expect(folded.map((p) => [p.cause, p.score, p.interactionId])).toEqual([
      ["CREATED", 0, null],
      ["INTERACTION", 7, a.interaction.id],
      ["EXPIRY", 0, null],
      ["INTERACTION", 5, next.interaction.id],
    ]);
    expect(folded[2].at).toBe(expiredAt.toISOString());

    // Through the sweeper: points that expired a minute ago, swept now, stamped a minute ago.
    const b = await calls.record({ email: uniqueEmail("swept"), type: "visit", target: "/short", occurredAt: ago(3600 * SECOND - 2 * SECOND) });
    await sleep(2500);
    const expiry = new Date(Date.parse(b.interaction.occurredAt) + 3600 * SECOND);
    expect(await s.t.app.services.sweeper.sweepOnce()).toBeGreaterThanOrEqual(1);
    const swept = (await history(b.lead.id)).scoreHistory.edges.map((e) => e.node);
    expect(swept.map((p) => [p.cause, p.score])).toEqual([
      ["CREATED", 0],
      ["INTERACTION", 7],
      ["EXPIRY", 0],
    ]);
    expect(swept[2].at).toBe(expiry.toISOString());

    // scoreAt: before the lead existed, between its points, at a point's instant, now.
    const at = (t: Date | string) => s.api.data(SCORE_AT, { id: b.lead.id, at: typeof t === "string" ? t : t.toISOString() });
    expect((await at(new Date(Date.parse(swept[0].at) - 1))).lead?.scoreAt).toBeNull();
    expect((await at(new Date(expiry.getTime() - 1))).lead?.scoreAt).toMatchObject({ score: 7, cause: "INTERACTION" });
    expect((await at(expiry)).lead?.scoreAt).toMatchObject({ score: 0, cause: "EXPIRY" });
    expect((await at(new Date())).lead?.scoreAt).toMatchObject({ score: 0 });
    await expectEveryLeadMatchesReplay(s.t);
  });

  it("funnel(asOf:) shows each lead in the stage it was in then", async () => {
    const calls = scoringCalls(s.api);
    const since = new Date().toISOString();
    await sleep(5);
    const first = await calls.record({ email: uniqueEmail("funnel"), type: "visit", target: "/pricing" });
    await sleep(20);
    const beforeMql = new Date().toISOString();
    await sleep(20);
    // 10 + 20 (fit) → MQL.
    await s.api.data(UPSERT_LEAD, { input: { email: first.lead.email, role: "VP Marketing" } });
    await sleep(20);
    const mql = new Date().toISOString();
    await sleep(20);
    await s.api.data(SET_LEAD_STAGE, { leadId: first.lead.id, stage: "Lead", reason: "recycled" });
    const count = async (asOf: string | undefined, stage: string) =>
      (await s.api.data(FUNNEL_AS_OF, { asOf, since })).funnel.find((r) => r.stage === stage) as { leads: number; reached: number };
    expect(await count(since, "Subscriber")).toMatchObject({ leads: 0, reached: 0 });
    expect(await count(beforeMql, "Subscriber")).toMatchObject({ leads: 1, reached: 1 });
    expect(await count(beforeMql, "MQL")).toMatchObject({ leads: 0, reached: 0 });
    expect(await count(mql, "MQL")).toMatchObject({ leads: 1, reached: 1 });
    expect(await count(undefined, "MQL")).toMatchObject({ leads: 0, reached: 1 });
    expect(await count(undefined, "Lead")).toMatchObject({ leads: 1 });
    const future = await s.api.request(FUNNEL_AS_OF, { asOf: new Date(Date.now() + 60 * SECOND).toISOString() });
    expect(codeOf(future)).toBe("BAD_USER_INPUT");
  });
});

describe(`score history retention through real time [${testDatabase()}]`, () => {
  const s = useTestApp({ QUALIFY_SCORE_HISTORY_RETENTION: "3s" });

  it("deletes points past the retention on its own, keeping the one that still answers scoreAt", async () => {
    const calls = scoringCalls(s.api);
    await calls.publish(`download => +5`);
    const first = await calls.record({ email: uniqueEmail("retention"), type: "download" });
    const leadId = first.lead.id;
    await calls.record({ leadId, type: "download" });
    const kept = new Date().toISOString();
    // Past the retention (3 s; pruned every second), then one more change.
    await sleep(4500);
    await calls.record({ leadId, type: "download" });
    const { lead } = await s.api.data(HISTORY, { id: leadId, first: 100 });
    const points = lead?.scoreHistory.edges.map((e) => [e.node.cause, e.node.score]);
    // CREATED and the first +5 are gone; the last point before the cutoff (10) stays.
    expect(points).toEqual([
      ["INTERACTION", 10],
      ["INTERACTION", 15],
    ]);
    expect((await s.api.data(SCORE_AT, { id: leadId, at: kept })).lead?.scoreAt).toMatchObject({ score: 10 });
    expect((await s.api.data(SCORE_AT, { id: leadId, at: lead?.createdAt as string })).lead?.scoreAt).toBeNull();
    await expectEveryLeadMatchesReplay(s.t);
  }, 30_000);
});
