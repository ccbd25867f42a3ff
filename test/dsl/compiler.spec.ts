/**
 * The meaning of a compiled model, point by point as the language reference states it
 * (docs/language.md, "What a model means"), on hand-made checked models so that only the back
 * end is under test.
 */
import { compileChecked } from "../../src/dsl/compiler";
import type { Award, CheckedScoreRule, InteractionFacts, LeadFields } from "../../src/dsl/model";
import {
  activity,
  at,
  checkedModel,
  cond,
  DAY,
  fitRule,
  HOUR,
  ix,
  lead,
  MINUTE,
  stageRule,
  type ActivitySpec,
} from "./helpers/checked-models";

const NOW = at(30 * DAY);

function engagementOf(rules: CheckedScoreRule[], interactions: InteractionFacts[], now = NOW, who: LeadFields = lead()) {
  return compileChecked(checkedModel(rules)).replay(who, interactions, now);
}

/** The points of one activity rule over these interactions. */
function pointsOf(spec: ActivitySpec, interactions: InteractionFacts[], now = NOW, who?: LeadFields): number {
  return engagementOf([activity(spec)], interactions, now, who).engagement;
}

const awardedIds = (awards: readonly Award[]) => awards.map((a) => a.interactionId);

describe("activity rules", () => {
  test("the type must match; every matching rule applies (rules are not first-match)", () => {
    const e = engagementOf(
      [activity({ type: "visit", pattern: "/pricing", points: 15 }), activity({ type: "visit", points: 1 }), activity({ type: "download", points: 3 })],
      [ix("visit", "/pricing", 0)],
    );
    expect(e.engagement).toBe(16);
    expect(e.awards.map((a) => a.ruleIndex)).toEqual([0, 1]);
  });

  test("no pattern matches any target, a missing one included", () => {
    expect(pointsOf({ type: "demo_request", points: 30 }, [ix("demo_request", null, 0), ix("demo_request", "x", 1)])).toBe(60);
  });

  test("a pattern never matches an interaction without a target", () => {
    expect(pointsOf({ type: "visit", pattern: "*", points: 1 }, [ix("visit", null, 0), ix("visit", "  ", 1)])).toBe(0);
    expect(pointsOf({ type: "visit", pattern: "*", points: 1 }, [ix("visit", "/", 0)])).toBe(1);
  });

  test("targets are normalised before matching", () => {
    const visits = [
      ix("visit", "https://acme.com/pricing/?utm_source=ads#plans", 0),
      ix("visit", "/PRICING/", 1),
      ix("visit", "/pricing-old", 2),
    ];
    expect(pointsOf({ type: "visit", pattern: "/pricing", points: 15 }, visits)).toBe(30);
  });

  test("/blog/* matches pages under /blog/, not /blog", () => {
    const visits = [ix("visit", "/blog", 0), ix("visit", "/blog/", 1), ix("visit", "/blog/a", 2), ix("visit", "/blog/a/b", 3)];
    expect(pointsOf({ type: "visit", pattern: "/blog/*", points: 2 }, visits)).toBe(4);
  });

  test("interaction types match whatever their case", () => {
    expect(pointsOf({ type: "Visit", points: 1 }, [ix("visit", "/", 0), ix("VISIT", "/", 1)])).toBe(2);
  });

  test("where sees the normalised target, the source and properties", () => {
    const rule = { type: "visit", where: cond.cmp("target", "=", "/pricing"), points: 5 };
    expect(pointsOf(rule, [ix("visit", "https://acme.com/Pricing/?x=1", 0)])).toBe(5);
    const bySource = { type: "download", where: cond.bare("source", "LinkedIn"), points: 5 };
    expect(pointsOf(bySource, [ix("download", "a.pdf", 0, { source: " linkedin " }), ix("download", "a.pdf", 1, { source: null })])).toBe(5);
    const webinar = { type: "webinar", where: cond.cmp("properties.minutes", ">=", 30), points: 10 };
    const webinars = [
      ix("webinar", null, 0, { properties: { minutes: 45 } }),
      ix("webinar", null, 1, { properties: { minutes: "30" } }),
      ix("webinar", null, 2, { properties: { minutes: "29.5" } }),
      ix("webinar", null, 3, { properties: { minutes: "lots" } }),
      ix("webinar", null, 4, { properties: {} }),
    ];
    expect(pointsOf(webinar, webinars)).toBe(20);
  });

  test("where lead.<field> sees the lead's current fields, and the model says so", () => {
    const spec = { type: "visit", where: cond.cmp("lead.attributes.plan", "=", "pro"), points: 4 };
    const model = compileChecked(checkedModel([activity(spec)]));
    expect(model.engagementReadsLead).toBe(true);
    const visits = [ix("visit", "/", 0)];
    expect(model.replay(lead({ attributes: { plan: "PRO" } }), visits, NOW).engagement).toBe(4);
    expect(model.replay(lead({ attributes: { plan: "free" } }), visits, NOW).engagement).toBe(0);
    expect(compileChecked(checkedModel([activity({ type: "visit", points: 1 })])).engagementReadsLead).toBe(false);
  });

  test("points may be negative, and so may the score", () => {
    const e = engagementOf([activity({ type: "visit", pattern: "/careers", points: -10 })], [ix("visit", "/careers", 0)]);
    expect(e).toMatchObject({ engagement: -10, score: -10 });
  });
});

describe("modifiers", () => {
  test("max N: at most N awards per lead", () => {
    const visits = Array.from({ length: 8 }, (_, i) => ix("visit", `/blog/${i}`, i * HOUR));
    expect(pointsOf({ type: "visit", pattern: "/blog/*", points: 2, max: 5 }, visits)).toBe(10);
  });

  test("once is max 1", () => {
    expect(pointsOf({ type: "subscribe", points: 5, max: 1 }, [ix("subscribe", "newsletter", 0), ix("subscribe", "newsletter", DAY)])).toBe(5);
  });

  test("max counts only the awards still counting at the interaction's time", () => {
    const spec = { type: "visit", points: 1, max: 1, expiresMs: 2 * DAY };
    const visits = [ix("visit", "/", 0), ix("visit", "/", DAY), ix("visit", "/", 2 * DAY), ix("visit", "/", 3 * DAY)];
    // The first award expires at exactly 2 days: the third visit awards again.
    const e = engagementOf([activity(spec)], visits, at(3 * DAY));
    expect(awardedIds(e.awards)).toEqual([visits[0].id, visits[2].id]);
    expect(e.engagement).toBe(1);
  });

  test("expires after D: counts while now < occurredAt + D", () => {
    const spec = { type: "webinar", points: 10, expiresMs: 90 * DAY };
    const webinar = [ix("webinar", null, 0)];
    expect(pointsOf(spec, webinar, at(90 * DAY - 1))).toBe(10);
    expect(pointsOf(spec, webinar, at(90 * DAY))).toBe(0);
    const e = engagementOf([activity(spec)], webinar, at(90 * DAY));
    expect(e.awards).toHaveLength(1); // the ledger keeps it
    expect(e.awards[0].expiresAt).toEqual(at(90 * DAY));
    expect(e.breakdown).toEqual([]);
  });

  test("an award already expired by now never counts", () => {
    expect(pointsOf({ type: "visit", points: 3, expiresMs: HOUR }, [ix("visit", "/", 0)], at(2 * HOUR))).toBe(0);
  });

  describe("at least K times within D: the window is (t − D, t]", () => {
    const spec = { type: "visit", pattern: "/pricing", points: 20, atLeast: { count: 3, withinMs: 7 * DAY } };

    test("awards on the K-th match and after, inside the window", () => {
      const visits = [0, DAY, 2 * DAY, 3 * DAY].map((t) => ix("visit", "/pricing", t));
      expect(awardedIds(engagementOf([activity(spec)], visits).awards)).toEqual([visits[2].id, visits[3].id]);
    });

    test("a match exactly D before is outside the window", () => {
      const visits = [0, DAY, 7 * DAY].map((t) => ix("visit", "/pricing", t));
      expect(pointsOf(spec, visits)).toBe(0);
      const inside = [1, DAY, 7 * DAY].map((t) => ix("visit", "/pricing", t));
      expect(pointsOf(spec, inside)).toBe(20);
    });

    test("interactions at the same instant count in arrival (seq) order", () => {
      const same = [3, 1, 2].map((seq) => ix("visit", "/pricing", DAY, { seq, id: `s${seq}` }));
      const e = engagementOf([activity(spec)], same);
      expect(awardedIds(e.awards)).toEqual(["s3"]);
    });

    test("the count is of interactions matching the whole head, where included", () => {
      const wide = { ...spec, where: cond.cmp("source", "=", "ads") };
      const visits = [
        ix("visit", "/pricing", 0, { source: "ads" }),
        ix("visit", "/pricing", 1, { source: "email" }),
        ix("visit", "/pricing", 2, { source: "ads" }),
        ix("visit", "/careers", 3, { source: "ads" }),
      ];
      expect(pointsOf(wide, visits)).toBe(0);
      visits.push(ix("visit", "/pricing", 4, { source: "ADS" }));
      expect(pointsOf(wide, visits)).toBe(20);
    });

    test("with once: one award, again only after it expires", () => {
      const capped = { ...spec, max: 1, expiresMs: 10 * DAY };
      const visits = [0, 1, 2, 3, 10 * DAY + 1, 10 * DAY + 2, 10 * DAY + 3].map((t) => ix("visit", "/pricing", t));
      const e = engagementOf([activity(capped)], visits, at(11 * DAY));
      expect(awardedIds(e.awards)).toEqual([visits[2].id, visits[6].id]);
    });
  });
});

describe("fit rules", () => {
  const fitOf = (condition: Parameters<typeof fitRule>[0], who: LeadFields) =>
    compileChecked(checkedModel([fitRule(condition, 10)])).fit(who, NOW).fit;

  test("a holding fit rule counts once; fit + engagement = score", () => {
    const model = compileChecked(
      checkedModel([
        fitRule(cond.cmp("role", "contains", "Director"), 20),
        fitRule(cond.in("industry", ["SaaS", "Software"]), 10),
        fitRule(cond.cmp("email", "endsWith", "@gmail.com"), -15),
        activity({ type: "visit", points: 1 }),
      ]),
    );
    const who = lead({ role: "Marketing Director", industry: "saas", email: "ann@acme.com" });
    const e = model.replay(who, [ix("visit", "/", 0)], NOW);
    expect(e).toMatchObject({ fit: 30, engagement: 1, score: 31 });
    expect(e.fitAwards.map((a) => [a.ruleIndex, a.points, a.interactionId, a.expiresAt])).toEqual([
      [0, 20, null, null],
      [1, 10, null, null],
    ]);
  });

  test("strings compare case-insensitively, trimmed", () => {
    expect(fitOf(cond.bare("role", "Marketing Director"), lead({ role: "  marketing DIRECTOR " }))).toBe(10);
    expect(fitOf(cond.cmp("country", "startsWith", " fr"), lead({ country: "France" }))).toBe(10);
  });

  test("a missing field satisfies only is not set, != and not in", () => {
    const blank = lead({ role: "   ", industry: null });
    expect(fitOf(cond.isSet("role", true), blank)).toBe(10);
    expect(fitOf(cond.cmp("role", "!=", "CEO"), blank)).toBe(10);
    expect(fitOf(cond.in("industry", ["SaaS"], true), blank)).toBe(10);
    expect(fitOf(cond.isSet("role"), blank)).toBe(0);
    expect(fitOf(cond.cmp("role", "=", ""), blank)).toBe(0);
    expect(fitOf(cond.cmp("companySize", "<", 50), blank)).toBe(0);
    expect(fitOf(cond.cmp("role", "contains", ""), blank)).toBe(0);
    expect(fitOf(cond.in("industry", ["SaaS"]), blank)).toBe(0);
    expect(fitOf(cond.bare("attributes.plan", "pro"), blank)).toBe(0);
  });

  test("a set field: != and not in are the negations", () => {
    const ceo = lead({ role: "CEO", industry: "SaaS" });
    expect(fitOf(cond.cmp("role", "!=", "ceo"), ceo)).toBe(0);
    expect(fitOf(cond.in("industry", ["saas"], true), ceo)).toBe(0);
    expect(fitOf(cond.not(cond.cmp("role", "=", "CTO")), ceo)).toBe(10);
  });

  test("numbers compare numerically", () => {
    expect(fitOf(cond.cmp("companySize", ">=", 50), lead({ companySize: 50 }))).toBe(10);
    expect(fitOf(cond.cmp("companySize", ">", 50), lead({ companySize: 50 }))).toBe(0);
    expect(fitOf(cond.cmp("companySize", "=", 50), lead({ companySize: 50 }))).toBe(10);
  });

  test("untyped attributes: ordering only on numeric values; = by number or by text", () => {
    const seats = (v: unknown) => lead({ attributes: { seats: v } });
    expect(fitOf(cond.cmp("attributes.seats", ">", 10), seats(12))).toBe(10);
    expect(fitOf(cond.cmp("attributes.seats", ">", 10), seats(" 12 "))).toBe(10);
    expect(fitOf(cond.cmp("attributes.seats", ">", 10), seats("twelve"))).toBe(0);
    expect(fitOf(cond.cmp("attributes.seats", ">", 10), seats(true))).toBe(0);
    expect(fitOf(cond.cmp("attributes.seats", "=", 12), seats("12.0"))).toBe(10);
    expect(fitOf(cond.cmp("attributes.seats", "=", 12), seats("twelve"))).toBe(0);
    expect(fitOf(cond.cmp("attributes.seats", "=", "12"), seats(12))).toBe(10);
    expect(fitOf(cond.cmp("attributes.seats", "=", "12.0"), seats(12))).toBe(0);
    expect(fitOf(cond.cmp("attributes.seats", "!=", 12), seats("twelve"))).toBe(10);
    expect(fitOf(cond.in("attributes.seats", ["a", 12]), seats("12"))).toBe(10);
  });

  test("nested attributes are read as own properties", () => {
    expect(fitOf(cond.bare("attributes.plan.tier", "gold"), lead({ attributes: { plan: { tier: "Gold" } } }))).toBe(10);
    expect(fitOf(cond.isSet("attributes.plan.tier"), lead({ attributes: { plan: "gold" } }))).toBe(0);
  });

  test("and, or, not combine", () => {
    const c = cond.or(cond.and(cond.cmp("role", "contains", "director"), cond.cmp("companySize", ">=", 50)), cond.not(cond.isSet("email")));
    expect(fitOf(c, lead({ role: "Director", companySize: 60 }))).toBe(10);
    expect(fitOf(c, lead({ role: "Director", companySize: 10 }))).toBe(0);
    expect(fitOf(c, lead({ email: " " }))).toBe(10);
  });
});

describe("replay", () => {
  test("orders interactions by (occurredAt, seq) whatever the order given", () => {
    const model = compileChecked(checkedModel([activity({ type: "subscribe", points: 5, max: 1 })]));
    const late = ix("subscribe", null, DAY, { id: "late", seq: 1 });
    const early = ix("subscribe", null, 0, { id: "early", seq: 2 });
    expect(awardedIds(model.replay(lead(), [late, early], NOW).awards)).toEqual(["early"]);
  });

  test("the breakdown lists rules with awards still counting, summed", () => {
    const model = compileChecked(
      checkedModel([
        activity({ type: "visit", pattern: "/pricing", points: 15 }),
        activity({ type: "visit", points: 1, expiresMs: DAY }),
        fitRule(cond.isSet("firstName"), 5),
      ]),
    );
    const e = model.replay(lead({ firstName: "Ann" }), [ix("visit", "/pricing", 0), ix("visit", "/pricing", HOUR)], at(2 * DAY));
    expect(e.breakdown).toEqual([
      { rule: model.rules[0].name, category: "ENGAGEMENT", points: 30, count: 2 },
      { rule: model.rules[2].name, category: "FIT", points: 5, count: 1 },
    ]);
    expect(e.score).toBe(35);
  });

  test("awards carry the rule, the interaction and the expiry", () => {
    const model = compileChecked(checkedModel([activity({ type: "webinar", points: 10, expiresMs: 90 * DAY, name: "Webinar" })]));
    const w = ix("webinar", null, 5 * MINUTE);
    expect(model.replay(lead(), [w], NOW).awards).toEqual([
      {
        ruleIndex: 0,
        rule: "#0 Webinar",
        category: "ENGAGEMENT",
        points: 10,
        interactionId: w.id,
        awardedAt: w.occurredAt,
        expiresAt: new Date(w.occurredAt.getTime() + 90 * DAY),
      },
    ]);
  });
});

describe("incremental", () => {
  const rules = [
    activity({ type: "visit", pattern: "/pricing", points: 15 }),
    activity({ type: "visit", pattern: "/pricing", points: 20, max: 1, atLeast: { count: 2, withinMs: 7 * DAY } }),
    activity({ type: "visit", points: 1, max: 2 }),
  ];
  const model = compileChecked(checkedModel(rules));

  test("an in-order arrival adds its own awards", () => {
    const history = [ix("visit", "/pricing", 0)];
    const awards = model.replay(lead(), history, NOW).awards;
    const next = ix("visit", "/pricing", DAY);
    const r = model.incremental({ lead: lead(), interactions: history, awards }, next, NOW);
    expect(r.removed).toEqual([]);
    expect(r.added.map((a) => [a.ruleIndex, a.interactionId])).toEqual([
      [0, next.id],
      [1, next.id],
      [2, next.id],
    ]);
    expect(r).toMatchObject({ engagement: 15 + 15 + 20 + 1 + 1, score: 52 });
  });

  test("an out-of-order arrival moves capped awards to it", () => {
    const history = [ix("visit", "/pricing", 2 * DAY), ix("visit", "/pricing", 3 * DAY)];
    const awards = model.replay(lead(), history, NOW).awards;
    const early = ix("visit", "/pricing", DAY);
    const r = model.incremental({ lead: lead(), interactions: history, awards }, early, NOW);
    const key = (a: Award) => `${a.ruleIndex}:${a.interactionId}`;
    // `max 2` now goes to the first two visits; the window of 2 is first reached at the second.
    expect(r.removed.map(key).sort()).toEqual([`1:${history[1].id}`, `2:${history[1].id}`].sort());
    expect(r.added.map(key).sort()).toEqual([`0:${early.id}`, `1:${history[0].id}`, `2:${early.id}`].sort());
    expect(r.score).toBe(model.replay(lead(), [...history, early], NOW).score);
  });
});

describe("stages", () => {
  const model = compileChecked(
    checkedModel(
      [fitRule(cond.isSet("role"), 10)],
      [
        stageRule("Lead", cond.isSet("firstName")),
        stageRule("MQL", cond.cmp("score", ">=", 30)),
        stageRule("SQL", cond.and(cond.cmp("score", ">=", 60), cond.has("demo_request"))),
        stageRule("Customer", cond.has("visit", "/welcome/*")),
      ],
    ),
  );
  const facts = (over: { score?: number; fields?: Partial<LeadFields>; interactions?: InteractionFacts[] } = {}) => ({
    fit: 0,
    engagement: over.score ?? 0,
    score: over.score ?? 0,
    lead: lead(over.fields),
    interactions: over.interactions ?? [],
  });

  test("moves forward to the furthest stage whose condition holds", () => {
    expect(model.nextStage("Subscriber", facts({ fields: { firstName: "Ann" } }))).toEqual({
      from: "Subscriber",
      to: "Lead",
      rule: "stage Lead when …",
    });
    expect(model.nextStage("Subscriber", facts({ score: 70, fields: { firstName: "Ann" } }))?.to).toBe("MQL");
    expect(model.nextStage("Lead", facts({ score: 70, interactions: [ix("demo_request", null, 0)] }))?.to).toBe("SQL");
  });

  test("never moves backwards, nor to where it is", () => {
    expect(model.nextStage("SQL", facts({ fields: { firstName: "Ann" } }))).toBeNull();
    expect(model.nextStage("MQL", facts({ score: 40 }))).toBeNull();
  });

  test("a stage without a `stage … when` never holds by itself", () => {
    expect(model.nextStage("Subscriber", facts({ score: 1000 }))?.to).toBe("MQL");
  });

  test("has type pattern looks at the interactions' normalised targets", () => {
    expect(model.nextStage("SQL", facts({ interactions: [ix("visit", "https://acme.com/welcome/ann?x", 0)] }))?.to).toBe("Customer");
    expect(model.nextStage("SQL", facts({ interactions: [ix("visit", "/welcome", 0)] }))).toBeNull();
    expect(model.nextStage("SQL", facts({ interactions: [ix("visit", null, 0)] }))).toBeNull();
  });

  test("off-path and unknown stages stay until a person moves the lead", () => {
    expect(model.nextStage("Other", facts({ score: 100, fields: { firstName: "Ann" } }))).toBeNull();
    expect(model.nextStage("Prospect", facts({ score: 100, fields: { firstName: "Ann" } }))).toBeNull();
  });

  test("stage names match whatever their case", () => {
    expect(model.nextStage("subscriber", facts({ fields: { firstName: "Ann" } }))).toMatchObject({ from: "Subscriber", to: "Lead" });
  });
});
