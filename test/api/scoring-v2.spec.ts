/**
 * The rule language v2 in the scoring pipeline, end to end over HTTP: decay steps reaching the
 * stored score through the time sweeper at their real instants (the spec's worked examples),
 * group caps hit and freed by decay, a group metric moving a stage, recycling (an engagement
 * reset, then a late arrival from before it), the score history across an expiry and a decay
 * step, and leads filtered and ordered by a group's points (with its errors). Every test ends with
 * the oracle: each lead equals its replay, group points included.
 */
import { codeOf, gql } from "./helpers/graphql-client";
import { LEADS } from "./helpers/documents";
import { expectEveryLeadMatchesReplay, scoringCalls } from "./helpers/scoring";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface PointShape {
  at: string;
  score: number;
  cause: string;
}

const HISTORY = gql<{ lead: { score: number; stage: string; scoreHistory: { edges: Array<{ node: PointShape }> } } | null }, { id: string }>(`
  query V2History($id: ID!) { lead(id: $id) { score stage scoreHistory(first: 100) { edges { node { at score cause } } } } }`);

const SCORE_AT = gql<{ lead: { scoreAt: PointShape | null } | null }, { id: string; at: string }>(`
  query V2ScoreAt($id: ID!, $at: DateTime!) { lead(id: $id) { scoreAt(at: $at) { at score cause } } }`);

const RESET = gql<
  { setLeadStage: { id: string; stage: string; score: number; engagement: number; engagementSince: string | null } },
  { leadId: string; stage: string; resetEngagement?: boolean }
>(`
  mutation Recycle($leadId: ID!, $stage: String!, $resetEngagement: Boolean) {
    setLeadStage(leadId: $leadId, stage: $stage, resetEngagement: $resetEngagement) { id stage score engagement engagementSince }
  }`);

describe(`scoring with the rule language v2 [${testDatabase()}]`, () => {
  // A sweep every second: a step reaches the stored score within about a second of its instant.
  const s = useTestApp({ QUALIFY_EXPIRY_SWEEP_SECONDS: "1" });
  const calls = () => scoringCalls(s.api);
  const history = async (id: string) => {
    const { lead } = await s.api.data(HISTORY, { id });
    if (!lead) throw new Error(`no lead ${id}`);
    return lead;
  };
  /** Waits (at most 20 s) until the lead's stored score is `score`. */
  const untilScore = async (id: string, score: number) => {
    const deadline = Date.now() + 20 * SECOND;
    let now = (await history(id)).score;
    while (now !== score && Date.now() < deadline) {
      await sleep(200);
      now = (await history(id)).score;
    }
    expect(now).toBe(score);
  };

  it("decays through the sweeper at the real step instants: 15, 13, 11, 9 at 10% and -10, -5, -2 at 50%", async () => {
    await calls().publish(`visit => +15 decays 10% every 1 minute\ndownload => -10 decays 50% every 1 minute\nstage MQL when score >= 1000`);
    // Dated so that the next step falls 4 s ahead: two steps (15 → 13 → 11) and one (-10 → -5) already passed.
    const visitAt = Date.now() - 3 * MINUTE + 4 * SECOND;
    const a = await calls().record({ email: uniqueEmail("decay-a"), type: "visit", occurredAt: new Date(visitAt).toISOString() });
    const downloadAt = Date.now() - 2 * MINUTE + 4 * SECOND;
    const b = await calls().record({ email: uniqueEmail("decay-b"), type: "download", occurredAt: new Date(downloadAt).toISOString() });
    expect([a.lead.score, b.lead.score]).toEqual([11, -5]);

    await untilScore(a.lead.id, 9);
    await untilScore(b.lead.id, -2);
    // Stamped at the decay instant itself, not when the sweeper applied it.
    const lastOf = async (id: string) => (await history(id)).scoreHistory.edges.at(-1)?.node;
    expect(await lastOf(a.lead.id)).toEqual({ at: new Date(visitAt + 3 * MINUTE).toISOString(), score: 9, cause: "DECAY" });
    expect(await lastOf(b.lead.id)).toEqual({ at: new Date(downloadAt + 2 * MINUTE).toISOString(), score: -2, cause: "DECAY" });
    // Time alone never moves a stage.
    expect((await history(a.lead.id)).stage).toBe("Subscriber");
    await expectEveryLeadMatchesReplay(s.t);
  }, 60_000);

  it("caps a group, moves a stage on the group's points, and frees the cap when its points decay", async () => {
    await calls().publish(`group "Product A" max 20 {\n  download => +15 decays 50% every 1 minute\n}\nvisit => +1\nstage MQL when group "Product A" >= 20`);
    const email = uniqueEmail("group-cap");
    const at = new Date(Date.now() - MINUTE + 4 * SECOND).toISOString();
    await calls().record({ email, type: "download", occurredAt: at });
    const second = await calls().record({ email, type: "download", occurredAt: at });
    // 30 points in the group, capped at 20: the group metric moves the lead.
    expect(second).toMatchObject({ pointsAwarded: 5, lead: { score: 20, stage: "MQL" } });
    const id = second.lead.id;
    const inGroup = async (min: number) =>
      (await s.api.data(LEADS, { filter: { groups: [{ group: "product a", min }] }, first: 100 })).leads.edges.map((e) => e.node.id);
    expect(await inGroup(20)).toContain(id);
    await expectEveryLeadMatchesReplay(s.t);

    // Both awards step to 7: 14 points, under the cap.
    await untilScore(id, 14);
    expect(await inGroup(20)).not.toContain(id);
    expect(await inGroup(14)).toContain(id);
    expect((await history(id)).stage).toBe("MQL");
    await expectEveryLeadMatchesReplay(s.t);
  }, 60_000);

  it("records an expiry and a decay step in the history at their instants, and scoreAt answers between them", async () => {
    await calls().publish(`visit => +5 expires after 1 minute\ndownload => +8 decays 50% every 1 minute`);
    const email = uniqueEmail("history-v2");
    const visitAt = Date.now() - MINUTE + 3 * SECOND;
    const downloadAt = Date.now() - MINUTE + 6 * SECOND;
    await calls().record({ email, type: "visit", occurredAt: new Date(visitAt).toISOString() });
    const recorded = await calls().record({ email, type: "download", occurredAt: new Date(downloadAt).toISOString() });
    expect(recorded.lead.score).toBe(13);
    const id = recorded.lead.id;
    await untilScore(id, 4);
    const points = (await history(id)).scoreHistory.edges.map((e) => e.node);
    expect(points.slice(-2)).toEqual([
      { at: new Date(visitAt + MINUTE).toISOString(), score: 8, cause: "EXPIRY" },
      { at: new Date(downloadAt + MINUTE).toISOString(), score: 4, cause: "DECAY" },
    ]);
    const scoreAt = async (ms: number) => (await s.api.data(SCORE_AT, { id, at: new Date(ms).toISOString() })).lead?.scoreAt?.score;
    expect([await scoreAt(visitAt + MINUTE - 1), await scoreAt(visitAt + MINUTE + 1000), await scoreAt(downloadAt + MINUTE)]).toEqual([13, 8, 4]);
    await expectEveryLeadMatchesReplay(s.t);
  }, 60_000);

  it("recycles a lead: its engagement restarts, a late arrival from before the reset earns nothing, the timeline keeps it", async () => {
    await calls().publish(`download => +10\nstage MQL when score >= 10`);
    const email = uniqueEmail("recycle");
    const first = await calls().record({ email, type: "download", occurredAt: new Date(Date.now() - 60 * MINUTE).toISOString() });
    expect(first.lead).toMatchObject({ score: 10, stage: "MQL" });
    const id = first.lead.id;

    const reset = (await s.api.data(RESET, { leadId: id, stage: "Lead", resetEngagement: true })).setLeadStage;
    expect(reset).toMatchObject({ stage: "Lead", score: 0, engagement: 0 });
    expect(reset.engagementSince).not.toBeNull();
    expect((await history(id)).scoreHistory.edges.at(-1)?.node).toMatchObject({ score: 0, cause: "RESET", at: reset.engagementSince });

    // Dated before the reset: recorded, worth nothing, no stage move.
    const late = await calls().record({ email, type: "download", occurredAt: new Date(Date.now() - 30 * MINUTE).toISOString() });
    expect(late).toMatchObject({ pointsAwarded: 0, lead: { score: 0, stage: "Lead" } });
    expect((await calls().explain(id)).interactions.edges).toHaveLength(2);
    // After it: counts, and the stage rules run again.
    const fresh = await calls().record({ email, type: "download" });
    expect(fresh).toMatchObject({ pointsAwarded: 10, lead: { score: 10, stage: "MQL" } });
    await expectEveryLeadMatchesReplay(s.t);
  });

  it("orders leads by a group's points with keyset cursors, and refuses unknown groups and GROUP without its group", async () => {
    await calls().publish(`group "Webinars" {\n  webinar => +3\n}\ngroup "Docs" {\n  download => +1\n}`);
    const ids: string[] = [];
    for (let n = 1; n <= 4; n++) {
      const email = uniqueEmail(`group-order-${n}`);
      let last = null;
      for (let k = 0; k < n; k++) last = await calls().record({ email, type: "webinar" });
      ids.push(last?.lead.id as string);
    }
    const page = async (after: string | null) =>
      (await s.api.data(LEADS, { orderBy: { field: "GROUP", group: "webinars", direction: "DESC" }, first: 2, after })).leads;
    const one = await page(null);
    const two = await page(one.pageInfo.endCursor);
    expect([...one.edges, ...two.edges].map((e) => e.node.id)).toEqual([...ids].reverse());
    expect(one.pageInfo.hasNextPage).toBe(true);

    const refused = await s.api.request(LEADS, { filter: { groups: [{ group: "Webinar", min: 1 }] } });
    expect(codeOf(refused)).toBe("BAD_USER_INPUT");
    expect(refused.errors?.[0].message).toContain('unknown group "Webinar" (the groups are "Webinars", "Docs"). Did you mean "Webinars"?');
    const noGroup = await s.api.request(LEADS, { orderBy: { field: "GROUP" } });
    expect([codeOf(noGroup), noGroup.errors?.[0].extensions?.fields?.[0].field]).toEqual(["BAD_USER_INPUT", "orderBy.group"]);
    const groupWithoutOrder = await s.api.request(LEADS, { orderBy: { field: "SCORE", group: "Docs" } });
    expect([codeOf(groupWithoutOrder), groupWithoutOrder.errors?.[0].extensions?.fields?.[0].field]).toEqual(["BAD_USER_INPUT", "orderBy.group"]);
    const unknownOrder = await s.api.request(LEADS, { orderBy: { field: "GROUP", group: "Blog" } });
    expect(codeOf(unknownOrder)).toBe("BAD_USER_INPUT");
    await expectEveryLeadMatchesReplay(s.t);
  });
});
