/**
 * Scoring on write with published models: `max`, expiry (and the sweeper), `at least K times
 * within D` with out-of-order arrivals, and profile changes (fit, and engagement that reads
 * `lead.<field>`). Each test publishes its model first; expected values are derived by hand from
 * the rules, and every lead is compared with the replay.
 */
import { type InteractionInputVars, UPSERT_LEAD } from "./helpers/documents";
import {
  ago,
  compileModel,
  DAY,
  expectEveryLeadMatchesReplay,
  HOUR,
  ruleNamed,
  scoringCalls,
} from "./helpers/scoring";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

describe(`scoring rules [${testDatabase()}]`, () => {
  const s = useTestApp();

  const record = (input: InteractionInputVars) => scoringCalls(s.api).record(input);
  const explain = (id: string) => scoringCalls(s.api).explain(id);
  const publish = (source: string) => scoringCalls(s.api).publish(source);

  it("max N: a rule awards at most N times per lead", async () => {
    await publish(`visit "/blog/*" => +2 max 3\nvisit "/blog" => +1`);
    const email = uniqueEmail("max");
    const points: number[] = [];
    for (const page of ["/blog/a", "/blog/b", "/blog", "/blog/c", "/blog/d/", "/blog/e?x=1"]) {
      points.push((await record({ email, type: "visit", target: page })).pointsAwarded);
    }
    // `/blog/*` matches pages under /blog/, not /blog itself (the second rule's).
    expect(points).toEqual([2, 2, 1, 2, 0, 0]);
    await expectEveryLeadMatchesReplay(s.t);
  });

  it("expiry: points count until they expire; the sweeper takes them out, the stage stays", async () => {
    const model = compileModel(`webinar => +10 expires after 1 day\nstage MQL when score >= 10`);
    await publish(`webinar => +10 expires after 1 day\nstage MQL when score >= 10`);
    const email = uniqueEmail("expiry");
    // Already expired when it arrives: never counts, not even for a moment.
    const old = await record({ email, type: "webinar", occurredAt: ago(2 * DAY) });
    expect(old).toMatchObject({ pointsAwarded: 0, stageChange: null, lead: { score: 0, stage: "Subscriber" } });
    expect(old.interaction.points).toBe(0);

    const recent = await record({ email, type: "webinar", occurredAt: ago(23 * HOUR) });
    expect(recent).toMatchObject({ pointsAwarded: 10, lead: { score: 10, stage: "MQL" } });
    const leadId = recent.lead.id;
    const before = await explain(leadId);
    const awards = before.interactions.edges.map((e) => e.node.awards[0]);
    const rule = ruleNamed(model, "webinar");
    expect(awards.map((a) => [a.rule, a.points, a.counting])).toEqual([
      [rule, 10, true],
      [rule, 10, false],
    ]);
    // expiresAt = occurredAt + 1 day.
    const [newest] = before.interactions.edges;
    expect(Date.parse(awards[0].expiresAt!) - Date.parse(newest.node.occurredAt)).toBe(DAY);

    // Nothing is due yet; two hours later it is.
    expect(await s.t.app.services.sweeper.sweepOnce(new Date())).toBe(0);
    const later = new Date(Date.now() + 2 * HOUR);
    expect(await s.t.app.services.sweeper.sweepOnce(later)).toBeGreaterThanOrEqual(1);
    const after = await explain(leadId);
    expect(after).toMatchObject({ score: 0, engagement: 0, stage: "MQL" });
    const [{ next_expiry_at }] = await s.t.app.context(null).db.query(`SELECT next_expiry_at FROM lead WHERE id = $1`, [leadId]);
    expect(next_expiry_at).toBeNull();
    await expectEveryLeadMatchesReplay(s.t, later);
  });

  it("windows: at least 3 times within 7 days, and an out-of-order arrival moves the award", async () => {
    const model = compileModel(`visit "/pricing" at least 3 times within 7 days => +20 once\nvisit "/pricing" => +1`);
    await publish(`visit "/pricing" at least 3 times within 7 days => +20 once\nvisit "/pricing" => +1`);
    const email = uniqueEmail("window");
    const visit = (daysAgo: number) => record({ email, type: "visit", target: "/pricing", occurredAt: ago(daysAgo * DAY) });
    // Day −20 and −10 are too far apart; −3 and −2 make two in the window.
    expect((await visit(20)).pointsAwarded).toBe(1);
    expect((await visit(10)).pointsAwarded).toBe(1);
    expect((await visit(3)).pointsAwarded).toBe(1);
    expect((await visit(2)).pointsAwarded).toBe(1);
    // The third within 7 days: −3, −2, −1.
    const third = await visit(1);
    expect(third.pointsAwarded).toBe(21);
    expect(third.interaction.points).toBe(21);

    // Arriving late at −2.5: the window closes at −2 now (−3, −2.5, −2), so `once` goes there and
    // the award of −1 is withdrawn. The score only gains this visit's own point.
    const late = await visit(2.5);
    expect(late).toMatchObject({ pointsAwarded: 1, lead: { score: 26 } });
    const lead = await explain(late.lead.id);
    const windowRule = ruleNamed(model, 'visit "/pricing" at least');
    const winners = lead.interactions.edges.map((e) => e.node).filter((n) => n.awards.some((a) => a.rule === windowRule));
    expect(winners).toHaveLength(1);
    expect(Date.parse(winners[0].occurredAt)).toBeLessThan(Date.now() - 2 * DAY + 60_000);
    expect(Date.parse(winners[0].occurredAt)).toBeGreaterThan(Date.now() - 2 * DAY - 60_000);
    await expectEveryLeadMatchesReplay(s.t);
  });

  it("field changes: fit is recomputed, and engagement that reads lead fields is replayed", async () => {
    await publish(
      [
        `role contains "Director" => +10`,
        `industry in ["SaaS", "Software"] => +5`,
        `visit "/pricing" where lead.role contains "Director" => +7`,
        `visit "/pricing" => +1`,
        `stage MQL when fit >= 15`,
      ].join("\n"),
    );
    const email = uniqueEmail("fields");
    await record({ email, type: "visit", target: "/pricing" });
    const second = await record({ email, type: "visit", target: "/pricing" });
    expect(second.lead).toMatchObject({ score: 2 });

    const director = await s.api.data(UPSERT_LEAD, { input: { email, role: "Marketing Director" } });
    // Fit 10; both visits now also earn the `where lead.role` rule: 2 × (1 + 7).
    expect(director.upsertLead).toMatchObject({ score: 26, stage: "Subscriber" });
    let lead = await explain(second.lead.id);
    expect(lead).toMatchObject({ fit: 10, engagement: 16 });
    expect(lead.interactions.edges.map((e) => e.node.points)).toEqual([8, 8]);

    // Industry with the next interaction: fit 15 reaches MQL, in the same change.
    const saas = await record({ email, lead: { email, industry: "software" }, type: "visit", target: "/pricing" });
    expect(saas).toMatchObject({ pointsAwarded: 5 + 8, lead: { score: 39, stage: "MQL" } });
    expect(saas.stageChange).toMatchObject({ from: "Subscriber", to: "MQL", rule: "stage MQL when fit >= 15" });

    // Clearing the role takes fit and the `where` awards away; the stage stays.
    const cleared = await s.api.data(UPSERT_LEAD, { input: { email, role: null } });
    expect(cleared.upsertLead).toMatchObject({ score: 5 + 3, stage: "MQL" });
    lead = await explain(second.lead.id);
    // In the model's rule order.
    expect(lead.scoreBreakdown.map((c) => [c.category, c.points, c.count])).toEqual([
      ["FIT", 5, 1],
      ["ENGAGEMENT", 3, 3],
    ]);
    await expectEveryLeadMatchesReplay(s.t);
  });

  it("a re-sent externalId awards nothing, whatever it carries", async () => {
    await publish(`visit => +3`);
    const email = uniqueEmail("resend");
    const first = await record({ email, type: "visit", source: "web", externalId: `r-${email}` });
    const again = await record({ email, type: "visit", target: "/other", source: "web", externalId: `r-${email}` });
    expect([first.pointsAwarded, again.pointsAwarded, again.duplicate]).toEqual([3, 0, true]);
    expect(again.lead.score).toBe(3);
  });
});
