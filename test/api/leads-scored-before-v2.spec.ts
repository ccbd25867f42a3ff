/**
 * Leads scored with a version 2 model before the service stored version 2's outcomes (migration
 * `LeadsScoredBeforeV21764850000000`). The old state is made in the database as that service left
 * it: no group rows, points neither decayed nor capped in the totals, no next change for a decay
 * step. A restart runs the migration (its row in `migrations` removed, as on a database upgraded
 * from then) and the start's rescore: every lead then equals its replay (group points, totals,
 * ledger, history), the order by a group finds them, their next change is the decay step, and a
 * lead the old service could not have left wrong is not rescored (its ledger rows are the same).
 * Before that: a lead scored under a v1 model has its group points right after a grouped model is
 * published (the publish rescores every lead).
 */
import { gql } from "./helpers/graphql-client";
import { LEADS } from "./helpers/documents";
import { ago, DAY, expectEveryLeadMatchesReplay, scoringCalls } from "./helpers/scoring";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

const MIGRATION = "LeadsScoredBeforeV21764850000000";

const GROUPS = gql<{ lead: { score: number; engagement: number; groups: Array<{ group: string; points: number }> } | null }, { id: string }>(`
  query LeadGroups($id: ID!) { lead(id: $id) { score engagement groups { group points } } }`);

const MODEL = `group "Web" max 20 {
  visit "/pricing" => +15
}
download => +8 decays 50% every 7 days
webinar => +3
`;

describe(`leads scored before lead_group_points [${testDatabase()}]`, () => {
  const s = useTestApp();
  const calls = () => scoringCalls(s.api);
  const db = () => s.t.app.context(null).db;

  it("a lead scored under a v1 model has its group points right after a grouped model is published", async () => {
    await calls().publish(`visit "/pricing" => +15\nwebinar => +3`);
    const before = await calls().record({ email: uniqueEmail("v1"), type: "visit", target: "/pricing" });
    expect(await db().query(`SELECT count(*)::int AS n FROM lead_group_points WHERE lead_id = $1`, [before.lead.id])).toEqual([{ n: 0 }]);
    await calls().publish(MODEL);
    const { lead } = await s.api.data(GROUPS, { id: before.lead.id });
    expect(lead?.groups).toEqual([{ group: "Web", points: 15 }]);
    await expectEveryLeadMatchesReplay(s.t);
  });

  it("the migration puts leads left without group points or decay steps back for the start's rescore, and no other", async () => {
    const record = (email: string, type: string, target: string | null, at: string) => calls().record({ email, type, target, occurredAt: at });
    // Capped: two pricing visits are 30 points in "Web", capped at 20; a download 10 days ago is worth 4.
    const capped = uniqueEmail("capped");
    await record(capped, "visit", "/pricing", ago(2 * DAY));
    await record(capped, "visit", "/pricing", ago(DAY));
    const downloadAt = Date.now() - 10 * DAY;
    const a = (await record(capped, "download", null, new Date(downloadAt).toISOString())).lead;
    // Decaying only: a download 3 days ago, worth 8 until its first step.
    const decayAt = Date.now() - 3 * DAY;
    const b = (await record(uniqueEmail("decaying"), "download", null, new Date(decayAt).toISOString())).lead;
    // Left as the current writer wrote it: a group row, nothing that decays.
    const c = (await record(uniqueEmail("healthy"), "webinar", null, ago(DAY))).lead;
    await record(c.email, "visit", "/pricing", ago(DAY / 2));
    expect([a.score, b.score]).toEqual([20 + 4, 8]);
    await expectEveryLeadMatchesReplay(s.t);
    const ledgerOf = async (id: string) => (await db().query(`SELECT id FROM score_award WHERE lead_id = $1 ORDER BY id`, [id])) as Array<{ id: string }>;
    const healthyLedger = await ledgerOf(c.id);

    // The old service's state: no group rows, points summed undecayed and uncapped, no next change
    // (it knew expiries only), its last history point with those totals; the migration not yet run.
    await db().query(`DELETE FROM lead_group_points WHERE lead_id = ANY($1::uuid[])`, [[a.id, b.id]]);
    await db().query(
      `UPDATE lead l SET engagement = s.sum, score = l.fit + s.sum, next_expiry_at = NULL
         FROM (SELECT lead_id, sum(points)::int AS sum FROM score_award GROUP BY lead_id) s
        WHERE l.id = s.lead_id AND l.id = ANY($1::uuid[])`,
      [[a.id, b.id]],
    );
    await db().query(
      `INSERT INTO score_point (lead_id, at, score, fit, engagement, cause) SELECT id, now(), score, fit, engagement, 'INTERACTION' FROM lead WHERE id = ANY($1::uuid[])`,
      [[a.id, b.id]],
    );
    await db().query(`DELETE FROM migrations WHERE name = $1`, [MIGRATION]);
    const byWeb = async () => (await s.api.data(LEADS, { orderBy: { field: "GROUP", group: "Web", direction: "DESC" }, first: 10 })).leads.edges.map((e) => e.node.id);
    expect(await byWeb()).not.toContain(a.id);
    expect((await db().query(`SELECT score FROM lead WHERE id = $1`, [a.id]))[0].score).toBe(30 + 8);

    await s.t.restart();
    expect(await db().query(`SELECT count(*)::int AS n FROM migrations WHERE name = $1`, [MIGRATION])).toEqual([{ n: 1 }]);
    // The start's rescore brings them back to the active version.
    const deadline = Date.now() + 20_000;
    const behind = async () =>
      (await db().query(`SELECT count(*)::int AS n FROM lead WHERE model_version < (SELECT version FROM scoring_model WHERE active)`))[0].n as number;
    while ((await behind()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await behind()).toBe(0);

    await expectEveryLeadMatchesReplay(s.t);
    expect((await s.api.data(GROUPS, { id: a.id })).lead).toEqual({ score: 24, engagement: 24, groups: [{ group: "Web", points: 20 }] });
    expect(await byWeb()).toContain(a.id);
    // Their next change is the download's next decay step (10 days ago: the second step, at 14 days; 3 days ago: at 7).
    const next = async (id: string) => ((await db().query(`SELECT next_expiry_at FROM lead WHERE id = $1`, [id]))[0].next_expiry_at as Date | null)?.getTime();
    expect(await next(a.id)).toBe(downloadAt + 14 * DAY);
    expect(await next(b.id)).toBe(decayAt + 7 * DAY);
    // The rescore's point of history holds the corrected totals.
    const [last] = await db().query(`SELECT score, cause FROM score_point WHERE lead_id = $1 ORDER BY at DESC, seq DESC LIMIT 1`, [a.id]);
    expect(last).toEqual({ score: 24, cause: "MODEL" });
    // The healthy lead was not rescored: its ledger rows are the same rows.
    expect(await ledgerOf(c.id)).toEqual(healthyLedger);
  });
});
