/**
 * The language reference's "A whole model" (docs/language.md), compiled from its source text and
 * run end to end.
 */
import { compile } from "../../src/dsl/compiler";
import type { Award, CompiledModel, InteractionFacts } from "../../src/dsl/model";
import { at, DAY, ix, lead } from "./helpers/checked-models";
import { wholeModelExample } from "./helpers/project-files";

const SOURCE = wholeModelExample();

let model: CompiledModel;
beforeAll(() => {
  const result = compile(SOURCE);
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  model = result.model!;
});

const ann = lead({ firstName: "Ann", role: " marketing DIRECTOR ", companySize: 120, industry: "software", email: "ann@gmail.com" });

function story(): InteractionFacts[] {
  return [
    ix("visit", "https://acme.com/pricing?utm_source=ads", 0),
    ix("visit", "/pricing/", 2 * DAY),
    ix("visit", "/PRICING", 5 * DAY),
    ...Array.from({ length: 7 }, (_, i) => ix("visit", `/blog/post-${i}`, 6 * DAY + i)),
    ix("webinar", null, 10 * DAY, { properties: { minutes: "45" } }),
    ix("demo_request", null, 11 * DAY),
  ];
}

test("the rules are named by their source text, or their rule name", () => {
  expect(model.rules.map((r) => r.name)).toContain('visit "/pricing" at least 3 times within 7 days => +20 once');
  expect(model.rules.map((r) => r.name)).toContain("Demo request");
  expect(model.funnel).toEqual({ stages: ["Subscriber", "Lead", "MQL", "SQL", "Opportunity", "Customer", "Evangelist"], offPath: ["Other"] });
});

test("fit, engagement, score, breakdown; the lead reaches SQL", () => {
  const interactions = story();
  const e = model.replay(ann, interactions, at(20 * DAY));
  expect(e.fit).toBe(20 + 10 + 10 - 15);
  expect(e.engagement).toBe(3 * 15 + 20 + 5 * 2 + 10 + 30);
  expect(e.score).toBe(140);
  expect(e.breakdown).toEqual([
    { rule: 'visit "/pricing" => +15', category: "ENGAGEMENT", points: 45, count: 3 },
    { rule: 'visit "/blog/*" => +2 max 5', category: "ENGAGEMENT", points: 10, count: 5 },
    { rule: "Demo request", category: "ENGAGEMENT", points: 30, count: 1 },
    { rule: 'visit "/pricing" at least 3 times within 7 days => +20 once', category: "ENGAGEMENT", points: 20, count: 1 },
    { rule: "webinar where properties.minutes >= 30 => +10 expires after 90 days", category: "ENGAGEMENT", points: 10, count: 1 },
    { rule: 'role "Marketing Director" => +20', category: "FIT", points: 20, count: 1 },
    { rule: 'role contains "Director" and companySize >= 50 => +10', category: "FIT", points: 10, count: 1 },
    { rule: 'industry in ["SaaS", "Software"] => +10', category: "FIT", points: 10, count: 1 },
    { rule: 'email endsWith "@gmail.com" => -15', category: "FIT", points: -15, count: 1 },
  ]);
  expect(model.nextStage("Subscriber", { ...e, lead: ann, interactions })).toEqual({
    from: "Subscriber",
    to: "SQL",
    rule: "stage SQL when score >= 100 and fit >= 20 and has demo_request",
  });
});

test("the webinar's points leave the score when they expire", () => {
  expect(model.replay(ann, story(), at(100 * DAY - 1)).score).toBe(140);
  expect(model.replay(ann, story(), at(100 * DAY)).score).toBe(130);
});

test("interactions fed one by one, the late ones too, give the replay's ledger", () => {
  const interactions = story();
  const arrival = [...interactions].reverse();
  let ledger: Award[] = [];
  const recorded: InteractionFacts[] = [];
  for (const next of arrival) {
    const r = model.incremental({ lead: ann, interactions: recorded, awards: ledger }, next, at(20 * DAY));
    ledger = ledger.filter((a) => !r.removed.includes(a)).concat(r.added);
    recorded.push(next);
  }
  const replay = model.replay(ann, interactions, at(20 * DAY));
  const key = (a: Award) => `${a.interactionId}#${a.ruleIndex}`;
  expect(ledger.map(key).sort()).toEqual(replay.awards.map(key).sort());
});

test("a lead without a first name and a low score stays a Subscriber; rules never move it back", () => {
  const e = model.replay(lead(), [ix("download", "x.pdf", 0)], at(DAY));
  expect(model.nextStage("Subscriber", { ...e, lead: lead(), interactions: [] })).toBeNull();
  expect(model.nextStage("SQL", { ...e, lead: ann, interactions: [] })).toBeNull();
  expect(model.nextStage("Other", { ...e, score: 1000, lead: ann, interactions: story() })).toBeNull();
});
