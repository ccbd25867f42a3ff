/**
 * The 40 rules of `BENCH_MODEL` for json-rules-engine 7.3.1, the usual way: one engine for the
 * activity rules run on each interaction's facts, one for the fit rules run on the lead's, custom
 * operators for the language's comparisons (trimmed, case-insensitive text; untyped numbers; target
 * patterns). json-rules-engine has no notion of caps, windows or expiry, so those are kept
 * around it exactly as the compiled model keeps them.
 */
import { Engine, type RuleProperties, type TopLevelCondition } from "json-rules-engine";
import type { Award, InteractionFacts, LeadFields } from "../src/dsl/model";
import { counts, RuleLimiter, type RuleLimits } from "../src/dsl/runtime/ledger";
import { compilePattern, normaliseTarget, type TargetMatcher } from "../src/dsl/runtime/targets";
import { isSet, numericValue, textValue } from "../src/dsl/runtime/values";
import type { BenchResult } from "./hand-written";

const DAY = 86_400_000;

type Leaf = { fact: string; operator: string; value: unknown; path?: string };
const is = (type: string): Leaf => ({ fact: "type", operator: "equal", value: type });
const target = (pattern: string): Leaf => ({ fact: "target", operator: "glob", value: pattern });
const text = (fact: string, operator: string, value: unknown, path?: string): Leaf => ({ fact, operator, value, ...(path ? { path } : {}) });

interface ActivitySpec {
  points: number;
  all: Leaf[];
  limits?: RuleLimits;
  expiresMs?: number;
}

const once: RuleLimits = { frequency: null, max: 1 };
const max = (n: number): RuleLimits => ({ frequency: null, max: n });

/** Rules 0–29, in the model's order. */
const ACTIVITY: ActivitySpec[] = [
  { points: 15, all: [is("visit"), target("/pricing")] },
  { points: 20, all: [is("visit"), target("/pricing")], limits: { frequency: { count: 3, withinMs: 7 * DAY }, max: 1 } },
  { points: -10, all: [is("visit"), target("/careers")] },
  { points: -5, all: [is("visit"), target("/careers/*")], limits: max(3) },
  { points: 2, all: [is("visit"), target("/blog/*")], limits: max(5) },
  { points: 1, all: [is("visit"), target("/docs/*")], limits: max(10), expiresMs: 30 * DAY },
  { points: 3, all: [is("visit"), target("/integrations/*")], limits: max(3) },
  { points: 4, all: [is("visit"), target("/customers/*")], limits: max(2) },
  { points: 6, all: [is("visit"), target("/security")], limits: once },
  { points: 8, all: [is("visit"), target("/compare/*")], limits: max(2), expiresMs: 60 * DAY },
  { points: 1, all: [is("visit"), text("source", "textEquals", "ads")], limits: max(20) },
  { points: 10, all: [is("visit"), target("/pricing"), text("properties", "textEquals", "enterprise", "$.plan")], limits: once },
  { points: 1, all: [is("download")] },
  { points: 10, all: [is("download"), target("case-study*")] },
  { points: 3, all: [is("download"), target("*.pdf"), text("properties", "numberAtLeast", 20, "$.pages")] },
  { points: 5, all: [is("download"), target("whitepaper*")], limits: max(3) },
  { points: 5, all: [is("subscribe"), target("newsletter")], limits: once },
  { points: 2, all: [is("email_open"), target("newsletter")], limits: max(10), expiresMs: 90 * DAY },
  { points: 3, all: [is("email_click")], limits: max(10) },
  { points: 5, all: [is("email_click"), text("target", "textContains", "pricing")] },
  { points: 10, all: [is("webinar"), text("properties", "numberAtLeast", 30, "$.minutes")], expiresMs: 90 * DAY },
  { points: 4, all: [is("webinar_registration")] },
  { points: 30, all: [is("demo_request")] },
  { points: 25, all: [is("contact_request")], limits: once },
  { points: 10, all: [is("form_submit"), target("/contact*")] },
  { points: 40, all: [is("trial_signup")], limits: once },
  { points: 2, all: [is("product_usage"), text("properties", "textIn", ["reports", "api"], "$.feature")], limits: max(15) },
  { points: 1, all: [is("ad_click"), text("source", "textIn", ["linkedin", "google"])], limits: max(10) },
  { points: 6, all: [is("event_registration")] },
  { points: -20, all: [is("unsubscribe")] },
];

/** Rules 30–39. */
const FIT: { points: number; conditions: TopLevelCondition }[] = [
  { points: 15, conditions: { all: [text("role", "textContains", "director")] } },
  { points: 12, conditions: { any: [text("role", "textContains", "vp"), text("role", "textContains", "head")] } },
  { points: 20, conditions: { all: [text("role", "textIn", ["ceo", "cto", "cmo"])] } },
  { points: 10, conditions: { all: [text("companySize", "numberAtLeast", 50)] } },
  { points: 10, conditions: { all: [text("companySize", "numberAtLeast", 1000)] } },
  { points: 10, conditions: { all: [text("industry", "textIn", ["saas", "software"])] } },
  { points: 5, conditions: { all: [text("country", "textIn", ["us", "gb", "de", "fr"])] } },
  { points: -15, conditions: { all: [text("email", "textEndsWith", "@gmail.com")] } },
  { points: 8, conditions: { all: [text("attributes", "textEquals", "enterprise", "$.plan")] } },
  { points: 7, conditions: { all: [text("source", "textEquals", "referral")] } },
];

function addOperators(engine: Engine): void {
  const patterns = new Map<string, TargetMatcher>();
  engine.addOperator<string | null, string>("glob", (t, pattern) => {
    if (t === null) return false;
    let matches = patterns.get(pattern);
    if (matches === undefined) patterns.set(pattern, (matches = compilePattern(pattern)));
    return matches(t);
  });
  engine.addOperator<unknown, string>("textEquals", (v, lit) => isSet(v) && textValue(v) === lit);
  engine.addOperator<unknown, string>("textContains", (v, lit) => isSet(v) && (textValue(v)?.includes(lit) ?? false));
  engine.addOperator<unknown, string>("textEndsWith", (v, lit) => isSet(v) && (textValue(v)?.endsWith(lit) ?? false));
  engine.addOperator<unknown, string[]>("textIn", (v, list) => isSet(v) && list.includes(textValue(v) ?? "\u0000"));
  engine.addOperator<unknown, number>("numberAtLeast", (v, n) => {
    const x = numericValue(v);
    return x !== null && x >= n;
  });
}

function engineOf(rules: RuleProperties[]): Engine {
  const engine = new Engine([], { allowUndefinedFacts: true });
  addOperators(engine);
  for (const rule of rules) engine.addRule(rule);
  return engine;
}

/** A scorer backed by json-rules-engine. `names[i]` is rule i's name. */
export function jsonRulesScorer(names: readonly string[]) {
  const activity = engineOf(ACTIVITY.map((r, i) => ({ conditions: { all: r.all }, event: { type: "award", params: { rule: i } } })));
  const fit = engineOf(FIT.map((r, i) => ({ conditions: r.conditions, event: { type: "fit", params: { rule: 30 + i } } })));

  return async function score(lead: LeadFields, interactions: readonly InteractionFacts[], now: Date): Promise<BenchResult> {
    const sorted = [...interactions].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || a.seq - b.seq);
    const limiters = new Map<number, RuleLimiter>();
    const awards: Award[] = [];
    for (const ix of sorted) {
      const t = normaliseTarget(ix.target);
      const { events } = await activity.run({ type: ix.type, target: t === null ? null : t.toLowerCase(), source: ix.source, properties: ix.properties });
      const matched = events.map((e) => (e.params as { rule: number }).rule).sort((a, b) => a - b);
      const at = ix.occurredAt.getTime();
      for (const rule of matched) {
        const spec = ACTIVITY[rule];
        const expiresAt = spec.expiresMs === undefined ? Infinity : at + spec.expiresMs;
        if (spec.limits !== undefined) {
          let limiter = limiters.get(rule);
          if (limiter === undefined) limiters.set(rule, (limiter = new RuleLimiter(spec.limits)));
          if (!limiter.admit(at, expiresAt)) continue;
        }
        awards.push({
          ruleIndex: rule,
          rule: names[rule],
          category: "ENGAGEMENT",
          points: spec.points,
          interactionId: ix.id,
          awardedAt: ix.occurredAt,
          expiresAt: expiresAt === Infinity ? null : new Date(expiresAt),
        });
      }
    }
    const nowMs = now.getTime();
    const engagement = awards.reduce((sum, a) => (counts(a, nowMs) ? sum + a.points : sum), 0);
    const { events } = await fit.run({ ...lead });
    const fitPoints = events.reduce((sum, e) => sum + FIT[(e.params as { rule: number }).rule - 30].points, 0);
    return { fit: fitPoints, engagement, score: fitPoints + engagement, awards };
  };
}
