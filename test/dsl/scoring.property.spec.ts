/**
 * Incremental scoring always equals the canonical replay: random models (patterns, `where`,
 * caps, `once`, expiries, windows, fit rules; v2: decay, groups with and without a cap, an
 * engagement reset) and random histories arriving in random order (out-of-order arrivals, equal
 * timestamps, expiries and decay steps crossing `now`, window edges, arrivals before the reset).
 */
import fc from "fast-check";
import { compileChecked } from "../../src/dsl/compiler";
import type { Award, CheckedScoreRule, InteractionFacts, LeadFields } from "../../src/dsl/model";
import { activity, checkedModel, cond, fitRule, group, HOUR, lead, T0 } from "./helpers/checked-models";

const TYPES = ["visit", "download", "webinar"];
const PATTERNS = [null, "/pricing", "/blog/*", "*", "case*", "https://acme.com/pricing/"];
const TARGETS = [null, "/pricing", "https://acme.com/pricing?x=1", "/blog/a", "/blog", "case-study.pdf", "/pricing/", " "];
const SOURCES = [null, "ads", "ADS ", "email"];
const WHERES = [
  null,
  cond.cmp("source", "=", "ads"),
  cond.cmp("properties.minutes", ">=", 30),
  cond.cmp("target", "contains", "pric"),
  cond.bare("lead.attributes.plan", "pro"),
  cond.or(cond.isSet("source", true), cond.in("properties.minutes", [10, "45"])),
];
// Small steps on a small range make equal timestamps and exact window/expiry edges common.
const STEP = HOUR;
const DURATIONS = [STEP, 2 * STEP, 3 * STEP, 5 * STEP];

const activityArb: fc.Arbitrary<CheckedScoreRule> = fc
  .record({
    type: fc.constantFrom(...TYPES),
    pattern: fc.constantFrom(...PATTERNS),
    where: fc.constantFrom(...WHERES),
    points: fc.integer({ min: -5, max: 20 }).filter((p) => p !== 0),
    max: fc.option(fc.integer({ min: 1, max: 3 })),
    expiresMs: fc.option(fc.constantFrom(...DURATIONS)),
    atLeast: fc.option(fc.record({ count: fc.integer({ min: 1, max: 3 }), withinMs: fc.constantFrom(...DURATIONS) })),
    decay: fc.option(fc.record({ percent: fc.constantFrom(1, 10, 50, 90, 99), everyMs: fc.constantFrom(...DURATIONS) })),
    // Group 0 gathers activity rules, group 1 fit rules.
    group: fc.option(fc.constant(0)),
  })
  .map((spec) => activity(spec));

const fitArb: fc.Arbitrary<CheckedScoreRule> = fc
  .record({
    condition: fc.constantFrom(
      cond.cmp("role", "contains", "director"),
      cond.isSet("firstName"),
      cond.cmp("attributes.seats", ">=", 10),
      cond.in("industry", ["SaaS", "Software"], true),
    ),
    points: fc.integer({ min: -10, max: 20 }),
    group: fc.option(fc.constant(1)),
  })
  .map(({ condition, points, group: g }) => fitRule(condition, points, `fit rule ${points}`, g));

const modelArb = fc
  .tuple(
    fc.array(activityArb, { minLength: 1, maxLength: 6 }),
    fc.array(fitArb, { maxLength: 2 }),
    fc.option(fc.integer({ min: 1, max: 40 })),
    fc.option(fc.integer({ min: 1, max: 25 })),
  )
  .chain(([a, f, ...caps]) =>
    fc.shuffledSubarray([...a, ...f], { minLength: a.length + f.length }).map((rules) => ({ rules, caps })),
  )
  .map(({ rules, caps: [activityCap, fitCap] }) =>
    compileChecked(checkedModel(rules, [], undefined, [group(0, "Activity", "ENGAGEMENT", activityCap), group(1, "Fit", "FIT", fitCap)])),
  );

/** An engagement reset, or none (most runs). */
const resetArb = fc.option(fc.integer({ min: 0, max: 12 }).map((step) => new Date(T0 + step * STEP)), { freq: 2 });

const leadArb: fc.Arbitrary<LeadFields> = fc
  .record({
    role: fc.constantFrom(null, "Marketing Director", "CEO"),
    firstName: fc.constantFrom(null, "Ann", " "),
    industry: fc.constantFrom(null, "saas"),
    plan: fc.constantFrom(undefined, "pro", "PRO ", "free"),
    seats: fc.constantFrom(undefined, 12, "9", "many"),
  })
  .map(({ plan, seats, ...fields }) => lead({ ...fields, attributes: { plan, seats } }));

interface Arrival {
  facts: InteractionFacts;
  /** `now` when it arrives. */
  now: Date;
}

const historyArb: fc.Arbitrary<Arrival[]> = fc
  .array(
    fc.record({
      type: fc.constantFrom(...TYPES, "email_open"),
      target: fc.constantFrom(...TARGETS),
      source: fc.constantFrom(...SOURCES),
      minutes: fc.constantFrom(undefined, 10, 45, "45", "soon"),
      step: fc.integer({ min: 0, max: 12 }),
      nowStep: fc.integer({ min: 0, max: 20 }),
    }),
    { maxLength: 24 },
  )
  .chain((items) => fc.shuffledSubarray(items, { minLength: items.length, maxLength: items.length }))
  .map((items) =>
    items.map((item, arrival) => ({
      facts: {
        id: `i${arrival}`,
        seq: arrival + 1,
        type: item.type,
        target: item.target,
        source: item.source,
        properties: item.minutes === undefined ? {} : { minutes: item.minutes },
        occurredAt: new Date(T0 + item.step * STEP),
      },
      now: new Date(T0 + item.nowStep * STEP),
    })),
  );

const key = (a: Award) => `${a.interactionId}#${a.ruleIndex}`;
const canonical = (awards: readonly Award[]) => [...awards].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

describe("incremental scoring equals the replay", () => {
  test("interactions fed one at a time in arrival order", () => {
    fc.assert(
      fc.property(modelArb, leadArb, historyArb, resetArb, (model, who, arrivals, resetAt) => {
        let ledger: Award[] = [];
        const recorded: InteractionFacts[] = [];
        for (const { facts, now } of arrivals) {
          const result = model.incremental({ lead: who, interactions: [...recorded], awards: [...ledger], resetAt }, facts, now);
          for (const gone of result.removed) expect(ledger).toContain(gone);
          ledger = ledger.filter((a) => !result.removed.includes(a)).concat(result.added);
          recorded.push(facts);
          const replay = model.replay(who, recorded, now, resetAt);
          expect(canonical(ledger)).toEqual(canonical(replay.awards));
          expect({ fit: result.fit, engagement: result.engagement, score: result.score, groups: result.groups }).toEqual({
            fit: replay.fit,
            engagement: replay.engagement,
            score: replay.score,
            groups: replay.groups,
          });
          // What the service would compute from the ledger it keeps.
          const { groups, fit, engagement, score } = model.totalsOf(ledger, replay.fitAwards, now);
          expect({ groups, fit, engagement, score }).toEqual({ groups: replay.groups, fit: replay.fit, engagement: replay.engagement, score: replay.score });
        }
      }),
      { numRuns: 400 },
    );
  });

  test("the replay does not depend on the order interactions are given in", () => {
    fc.assert(
      fc.property(modelArb, leadArb, historyArb, fc.integer({ min: 0, max: 30 }), resetArb, (model, who, arrivals, nowStep, resetAt) => {
        const facts = arrivals.map((a) => a.facts);
        const now = new Date(T0 + nowStep * STEP);
        const a = model.replay(who, facts, now, resetAt);
        const b = model.replay(who, [...facts].reverse(), now, resetAt);
        expect(b).toEqual(a);
        expect(a.score).toBe(a.fit + a.engagement);
        // Without caps binding, the breakdown adds up to the score.
        if (a.groups.every((g) => g.points === g.uncapped)) expect(a.breakdown.reduce((n, c) => n + c.points, 0)).toBe(a.score);
        // Nothing before the reset earns.
        if (resetAt) for (const award of a.awards) expect(award.awardedAt.getTime()).toBeGreaterThanOrEqual(resetAt.getTime());
        // The value of every award only changes at the instant nextChange announces.
        const next = model.nextChange(a.awards, now);
        const probe = next === null ? new Date(now.getTime() + 100 * STEP) : new Date(next.getTime() - 1);
        expect(a.awards.map((w) => model.awardValue(w, probe))).toEqual(a.awards.map((w) => model.awardValue(w, now)));
        if (next !== null) expect(a.awards.map((w) => model.awardValue(w, next))).not.toEqual(a.awards.map((w) => model.awardValue(w, now)));
      }),
      { numRuns: 200 },
    );
  });
});
