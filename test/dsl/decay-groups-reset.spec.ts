/**
 * Version 2 of the language at run time (docs/language.md, "Decay", "Groups", "Recycling"): the
 * spec's worked examples, and each decision the spec leaves open, on models written as text.
 */
import { compile } from "../../src/dsl/compiler";
import type { Award, CompiledModel, InteractionFacts, LeadFields } from "../../src/dsl/model";
import { decaySteps } from "../../src/dsl/runtime/decay";
import { at, DAY, HOUR, ix, lead } from "./helpers/checked-models";

function model(source: string): CompiledModel {
  const { model, diagnostics } = compile(source);
  if (model === null) throw new Error(JSON.stringify(diagnostics));
  return model;
}

/** Incremental scoring of `interactions` in the order given, as the service does, with `now` per arrival. */
function feed(m: CompiledModel, who: LeadFields, interactions: InteractionFacts[], now: Date, resetAt: Date | null = null) {
  let awards: Award[] = [];
  const recorded: InteractionFacts[] = [];
  let last = null;
  for (const facts of interactions) {
    last = m.incremental({ lead: who, interactions: [...recorded], awards, resetAt }, facts, now);
    awards = awards.filter((a) => !last!.removed.includes(a)).concat(last.added);
    recorded.push(facts);
  }
  return { awards, last };
}

describe("decay: the spec's worked examples", () => {
  test("+15 at 10% every 30 days is worth 15, 13, 11, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0", () => {
    expect(decaySteps(15, 10)).toEqual([15, 13, 11, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const m = model('visit "/pricing" => +15 decays 10% every 30 days');
    const visits = [ix("visit", "/pricing", 0)];
    const values = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13].map((k) => m.replay(lead(), visits, at(k * 30 * DAY)).score);
    expect(values).toEqual([15, 13, 11, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0]);
  });

  test("−10 at 50% is −10, −5, −2, −1, 0 (rounded toward zero)", () => {
    expect(decaySteps(-10, 50)).toEqual([-10, -5, -2, -1, 0]);
    const m = model('visit "/careers" => -10 decays 50% every 1 week');
    const values = [0, 1, 2, 3, 4].map((k) => m.replay(lead(), [ix("visit", "/careers", 0)], at(k * 7 * DAY)).score);
    expect(values).toEqual([-10, -5, -2, -1, 0]);
  });

  test("a step happens at each full period: one millisecond before it, the value is the previous one", () => {
    const m = model("webinar => +10 decays 50% every 1 day");
    const w = [ix("webinar", null, 0)];
    expect(m.replay(lead(), w, at(DAY - 1)).score).toBe(10);
    expect(m.replay(lead(), w, at(DAY)).score).toBe(5);
    // Before its own time (an interaction up to 5 minutes in the future), an award is worth its points.
    expect(m.replay(lead(), [ix("webinar", null, HOUR)], at(0)).score).toBe(10);
  });

  test("expires after ends an award at its instant, decayed or not", () => {
    const m = model("webinar => +10 decays 25% every 2 weeks expires after 20 days");
    const w = [ix("webinar", null, 0)];
    expect(m.replay(lead(), w, at(14 * DAY)).score).toBe(7);
    expect(m.replay(lead(), w, at(20 * DAY - 1)).score).toBe(7);
    expect(m.replay(lead(), w, at(20 * DAY)).score).toBe(0);
  });

  test("an award at 0 no longer counts for once / max: the rule awards again", () => {
    const m = model("demo_request => +1 once decays 50% every 1 day");
    const twice = [ix("demo_request", null, 0), ix("demo_request", null, 2 * DAY)];
    const e = m.replay(lead(), twice, at(2 * DAY));
    expect(e.awards.map((a) => a.interactionId)).toEqual(twice.map((i) => i.id));
    expect(e.score).toBe(1);
    // Still worth something: the second visit is capped.
    const m2 = model("demo_request => +4 once decays 50% every 1 day");
    expect(m2.replay(lead(), twice, at(2 * DAY)).awards).toHaveLength(1);
    expect(m2.replay(lead(), twice, at(2 * DAY)).score).toBe(1);
  });

  test("the breakdown shows values as of now and leaves out awards at 0", () => {
    const m = model('visit "/pricing" => +15 decays 10% every 30 days\nvisit => +1');
    const e = m.replay(lead(), [ix("visit", "/pricing", 0), ix("visit", "/pricing", 350 * DAY)], at(365 * DAY));
    expect(e.breakdown).toEqual([
      { rule: 'visit "/pricing" => +15 decays 10% every 30 days', category: "ENGAGEMENT", points: 15, count: 1 },
      { rule: "visit => +1", category: "ENGAGEMENT", points: 2, count: 2 },
    ]);
    expect(e.score).toBe(17);
    expect(m.awardValue(e.awards[0], at(365 * DAY))).toBe(0);
    expect(m.awardValue(e.awards[0], at(30 * DAY))).toBe(13);
  });

  test("nextChange: the next decay step or expiry, null once nothing will change", () => {
    const m = model("webinar => +4 decays 50% every 1 day expires after 36 hours\nvisit => +1 expires after 3 days\ndownload => +1");
    const e = m.replay(lead(), [ix("webinar", null, 0), ix("visit", null, 0), ix("download", null, 0)], at(0));
    expect(m.nextChange(e.awards, at(0))).toEqual(at(DAY)); // 4 → 2
    expect(m.nextChange(e.awards, at(DAY))).toEqual(at(36 * HOUR)); // the webinar expires
    expect(m.nextChange(e.awards, at(36 * HOUR))).toEqual(at(3 * DAY)); // the visit expires
    expect(m.nextChange(e.awards, at(3 * DAY))).toBeNull();
    const down = model("webinar => +2 decays 50% every 1 day");
    const w = down.replay(lead(), [ix("webinar", null, 0)], at(0)).awards;
    expect(down.nextChange(w, at(0))).toEqual(at(DAY)); // 2 → 1
    expect(down.nextChange(w, at(DAY))).toEqual(at(2 * DAY)); // 1 → 0
    expect(down.nextChange(w, at(2 * DAY))).toBeNull();
  });
});

describe("groups", () => {
  const source = `
group "Product A" max 60 decays 50% every 30 days {
  visit "/product-a/*"    => +10
  download "product-a-*"  => +5 decays 10% every 30 days
}
group "Decision makers" max 30 {
  role contains "Director" => +20
  role contains "VP"       => +25
}
group "Empty" {}
visit => +1
role is set => +3
stage MQL when group "product a " >= 30 and group "Empty" = 0
`;

  test("a group's points are the sum of its rules' values as of now, capped by max; engagement and fit take the capped sums", () => {
    const m = model(source);
    const visits = Array.from({ length: 8 }, (_, i) => ix("visit", `/product-a/${i}`, 0));
    const who = lead({ role: "VP and Director" });
    const e = m.replay(who, [...visits, ix("download", "product-a-1", 0)], at(0));
    expect(e.groups.map(({ name, points, uncapped, category }) => ({ name, points, uncapped, category }))).toEqual([
      { name: "Product A", points: 60, uncapped: 85, category: "ENGAGEMENT" },
      { name: "Decision makers", points: 30, uncapped: 45, category: "FIT" },
    ]);
    expect(e.engagement).toBe(60 + 8);
    expect(e.fit).toBe(30 + 3);
    expect(e.score).toBe(e.fit + e.engagement);
    // The cap is on the sum, never on single awards: all eight visits are in the ledger.
    expect(e.awards.filter((a) => a.rule.startsWith('visit "/product-a/*"'))).toHaveLength(8);
    expect(e.breakdown.find((b) => b.rule.startsWith("download"))).toMatchObject({ group: "Product A", points: 5 });
    // With a binding cap, the breakdown lists the rules' own values: they add up to more than the group.
    const productA = e.breakdown.filter((b) => b.group === "Product A").reduce((n, b) => n + b.points, 0);
    expect(productA).toBe(85);
    expect(e.breakdown.find((b) => b.rule === "visit => +1")?.group).toBeUndefined();
    // The group's decay applies to its rules without their own: after 30 days 10 → 5 each, 5 → 4.
    const later = m.replay(who, [...visits, ix("download", "product-a-1", 0)], at(30 * DAY));
    expect(later.groups[0]).toMatchObject({ points: 44, uncapped: 44 });
    expect(m.fit(who, at(0)).fit).toBe(33);
  });

  test("no floor: a group's sum may be negative; an empty group is left out", () => {
    const m = model('group "Noise" max 5 { visit "/careers" => -10 }\ngroup "Empty" {}');
    const e = m.replay(lead(), [ix("visit", "/careers", 0), ix("visit", "/careers", 0)], at(0));
    expect(e.groups).toEqual([{ index: 0, name: "Noise", category: "ENGAGEMENT", points: -20, uncapped: -20 }]);
    expect(m.groups.map((g) => g.name)).toEqual(["Noise"]);
    expect(e.engagement).toBe(-20);
  });

  test("the group metric in a stage condition reads the capped points, by name ignoring case and spaces", () => {
    const m = model(source);
    const visits = [ix("visit", "/product-a/1", 0), ix("visit", "/product-a/2", 0), ix("visit", "/product-a/3", 0)];
    const e = m.replay(lead(), visits, at(0));
    const facts = { ...e, lead: lead(), interactions: visits };
    expect(m.nextStage("Subscriber", facts)?.to).toBe("MQL");
    const decayed = m.replay(lead(), visits, at(30 * DAY));
    expect(m.nextStage("Subscriber", { ...decayed, lead: lead(), interactions: visits })).toBeNull();
    expect(() => m.nextStage("Subscriber", { fit: 0, engagement: 0, score: 0, lead: lead(), interactions: visits })).toThrow(/StageFacts.groups/);
  });

  test("totalsOf and breakdownOf give what the replay gives, for a ledger the service holds", () => {
    const m = model(source);
    const who = lead({ role: "Director" });
    const history = [ix("visit", "/product-a/1", 0), ix("download", "product-a-2", DAY), ix("visit", "/x", 2 * DAY)];
    const e = m.replay(who, history, at(40 * DAY));
    const { awards, fitAwards, breakdown, ...totals } = e;
    expect(m.totalsOf(awards, fitAwards, at(40 * DAY))).toEqual(totals);
    expect(m.breakdownOf(awards, fitAwards, at(40 * DAY))).toEqual(breakdown);
  });
});

describe("recycling: an engagement reset", () => {
  const m = model('visit "/pricing" => +15\nvisit at least 2 times within 7 days => +5 once\nrole is set => +10\nstage SQL when has demo_request and score >= 10');

  test("interactions dated before the reset earn nothing, not in caps or windows; fit is unaffected", () => {
    const who = lead({ role: "CEO" });
    const history = [ix("visit", "/pricing", 0), ix("visit", "/pricing", 2 * DAY), ix("visit", "/pricing", 3 * DAY)];
    const before = m.replay(who, history, at(4 * DAY));
    expect(before.score).toBe(10 + 45 + 5);
    const reset = at(2 * DAY + HOUR);
    const after = m.replay(who, history, at(4 * DAY), reset);
    // Only the visit at day 3 counts, and it is alone in its window: no +5.
    expect(after.awards.map((a) => a.interactionId)).toEqual([history[2].id]);
    expect(after.score).toBe(10 + 15);
    // An interaction at the reset's very instant counts.
    expect(m.replay(who, [ix("visit", "/pricing", 2 * DAY + HOUR)], at(4 * DAY), reset).engagement).toBe(15);
  });

  test("a late delivery of earlier activity never earns; incremental equals the replay", () => {
    const who = lead();
    const reset = at(5 * DAY);
    const arrivals = [ix("visit", "/pricing", 6 * DAY), ix("visit", "/pricing", 4 * DAY), ix("visit", "/pricing", 5 * DAY + HOUR)];
    const { awards, last } = feed(m, who, arrivals, at(7 * DAY), reset);
    const replay = m.replay(who, arrivals, at(7 * DAY), reset);
    expect(awards.map((a) => `${a.interactionId}:${a.ruleIndex}`).sort()).toEqual(replay.awards.map((a) => `${a.interactionId}:${a.ruleIndex}`).sort());
    expect(last!.engagement).toBe(replay.engagement);
    expect(replay.engagement).toBe(15 + 15 + 5);
  });

  test("has still sees interactions before the reset", () => {
    const who = lead({ role: "CEO" });
    const history = [ix("demo_request", null, 0)];
    const e = m.replay(who, history, at(DAY), at(HOUR));
    expect(m.nextStage("Subscriber", { ...e, lead: who, interactions: history })?.to).toBe("SQL");
  });
});
