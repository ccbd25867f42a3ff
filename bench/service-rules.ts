/**
 * The scoring rules the service benchmark's baselines implement by hand: the seed model
 * (`examples/seed-model.rules`, active by default) and a changed version of it that section (c)
 * publishes (model v1), and the same two with version 2's groups and decay (model v2: `V2_SEED`).
 * The baselines never run the compiler; it is used here only to check that the hand-written
 * tables still say what the model text says (a changed seed model fails the run instead of
 * benchmarking different rules) and to take the rules' names, which are labels.
 */
import { check } from "../src/dsl/checker";
import { parse } from "../src/dsl/parse";
import { seedModelSource } from "../src/scoring/model-versions";

/** An activity rule: an interaction type, a target pattern, points, a cap. */
export interface ActivityRule {
  /** The rule's place in its model (`score_award.rule_index`). */
  index: number;
  type: string;
  /** A lowercase SQL `LIKE` pattern over the normalised target (`%` only at the end); null: any target. */
  like: string | null;
  points: number;
  /** `max N` (`once`: 1); null: uncapped. */
  max: number | null;
  /** `decays r% every D` (its own or its group's); null: its awards keep their points. */
  decay: HandDecay | null;
  /** Its group's key (the name trimmed, lower-cased); null: in no group. */
  group: string | null;
}

/** A fit rule: a condition on the lead's columns, in SQL over `l` (`lead l`). */
export interface FitRule {
  index: number;
  points: number;
  sql: string;
  group: string | null;
}

/** A rule's decay, with the values of its points after 0, 1, 2 … periods (the last is 0). */
export interface HandDecay {
  percent: number;
  everyMs: number;
  steps: number[];
}

/** A group: its key (as `lead_group_points.group_key`), its cap, the kind of its rules. */
export interface HandGroup {
  key: string;
  max: number | null;
  category: "FIT" | "ENGAGEMENT";
}

export interface HandModel {
  source: string;
  activity: ActivityRule[];
  fit: FitRule[];
  /** In the model's order; empty for a v1 model. */
  groups: HandGroup[];
  /** Rule names by index, and each stage rule's canonical text by stage (labels in the ledger). */
  names: string[];
  stageRules: Map<string, string>;
}

/** The funnel of both models (the seed's). */
export const FUNNEL = ["Subscriber", "Lead", "MQL", "SQL", "Opportunity", "Customer", "Evangelist"];

// The seed's stage rules, by hand: the furthest stage whose condition holds, forward only.
export const MQL_SCORE = 30;
export const SQL_SCORE = 60;

/** What the seed's stage rules read. */
export interface StageFacts {
  score: number;
  /** `firstName is set` */
  named: boolean;
  /** `has demo_request` */
  hasDemo: boolean;
}

/** The stage the seed's stage rules move a lead in `current` to, or null (no move; off-path stages never move). */
export function nextStage(current: string, facts: StageFacts): string | null {
  const at = FUNNEL.indexOf(current);
  if (at < 0) return null;
  const reach =
    facts.score >= SQL_SCORE && facts.hasDemo ? FUNNEL.indexOf("SQL") : facts.score >= MQL_SCORE ? FUNNEL.indexOf("MQL") : facts.named ? FUNNEL.indexOf("Lead") : -1;
  return reach > at ? FUNNEL[reach] : null;
}

/** Whether a lowercase `like` pattern (see `ActivityRule`) matches a normalised target. */
export function likeMatches(like: string | null, target: string | null): boolean {
  if (like === null) return true;
  if (target === null) return false;
  const t = target.toLowerCase();
  return like.endsWith("%") ? t.startsWith(like.slice(0, -1)) : t === like;
}

const ROLE_FIT = `lower(btrim(l.role)) LIKE '%marketing director%'`;
const INDUSTRY_FIT = `lower(btrim(l.industry)) IN ('saas', 'software')`;

const DAY_MS = 86_400_000;

/** The values of `points` decaying by `percent` each period, rounded toward zero, down to 0. */
function steps(points: number, percent: number): number[] {
  const values = [points];
  for (let v = points; v !== 0; values.push(v)) v = Math.trunc((v * (100 - percent)) / 100) || 0;
  return values;
}

const decay = (points: number, percent: number, days: number): HandDecay => ({ percent, everyMs: days * DAY_MS, steps: steps(points, percent) });

const activity = (index: number, type: string, like: string | null, points: number, max: number | null = null, more: Partial<ActivityRule> = {}): ActivityRule => ({
  index,
  type,
  like,
  points,
  max,
  decay: null,
  group: null,
  ...more,
});

const SEED_ACTIVITY: ActivityRule[] = [
  activity(0, "download", null, 1),
  activity(1, "subscribe", "newsletter", 5, 1),
  activity(2, "email_open", "newsletter", 2),
  activity(3, "visit", "/pricing", 15),
  activity(4, "visit", "/careers", -10),
  activity(5, "demo_request", null, 30),
  activity(6, "download", "case-study%", 10),
];

/**
 * The seed with `visit "/pricing"` raised from +15 to +20 and a new capped rule, `webinar => +10
 * max 3`, after `download "case-study*"`: what section (c) publishes (for either model).
 */
export function changedSource(seed: string): string {
  const pricing = /^(\s*visit "\/pricing"\s+)=> \+15/m;
  const caseStudy = /^(\s*download "case-study\*".*)$/m;
  if (!pricing.test(seed) || !caseStudy.test(seed)) throw new Error("the seed model changed: update bench/service-rules.ts");
  return seed.replace(pricing, "$1=> +20").replace(caseStudy, "$1\nwebinar                      => +10    max 3");
}

/** The changed activity rules: pricing +20, and the webinar rule inserted as rule 7. */
const changedActivity = (seed: ActivityRule[]): ActivityRule[] => [
  ...seed.map((r) =>
    r.index === 3 ? { ...r, points: 20, decay: r.decay && { ...r.decay, steps: steps(20, r.decay.percent) } } : r,
  ),
  activity(7, "webinar", null, 10, 3),
];

/** The seed model, by hand. */
export const seedModel = (): HandModel =>
  described(seedModelSource(), SEED_ACTIVITY, [
    { index: 7, points: 20, sql: ROLE_FIT, group: null },
    { index: 8, points: 10, sql: INDUSTRY_FIT, group: null },
  ]);

/** The changed model, by hand. */
export const changedModel = (): HandModel =>
  described(changedSource(seedModelSource()), changedActivity(SEED_ACTIVITY), [
    { index: 8, points: 20, sql: ROLE_FIT, group: null },
    { index: 9, points: 10, sql: INDUSTRY_FIT, group: null },
  ]);

/**
 * Model v2: the seed's rules and stages with version 2's constructs: the visit rules in a capped
 * group that decays (`Web`, max 40, 50% every 30 days: +15 is worth 15, 7, 3, 1, 0), two more
 * decaying engagement rules, and the fit rules in a capped group (`Profile`, max 25). No capped
 * rule decays: a decayed-to-0 award frees its place under `max`, which the baselines' caps (a
 * count in (a)/(b), `row_number()` in (c)) do not model; `described` refuses such a rule.
 */
export const V2_SEED = `# The seed model with version 2's groups and decay (the service benchmark's model v2).
funnel Subscriber > Lead > MQL > SQL > Opportunity > Customer > Evangelist | Other

# Engagement
download => +1
subscribe "newsletter" => +5 once
email_open "newsletter" => +2 decays 50% every 7 days
group "Web" max 40 decays 50% every 30 days {
  visit "/pricing" => +15
  visit "/careers" => -10
}
demo_request => +30
download "case-study*" => +10 decays 25% every 2 weeks

# Fit, at most 25 together
group "Profile" max 25 {
  role contains "Marketing Director" => +20
  industry in ["SaaS", "Software"] => +10
}

# Stages
stage Lead when firstName is set
stage MQL when score >= 30
stage SQL when score >= 60 and has demo_request
`;

const V2_GROUPS: HandGroup[] = [
  { key: "web", max: 40, category: "ENGAGEMENT" },
  { key: "profile", max: 25, category: "FIT" },
];

const V2_ACTIVITY: ActivityRule[] = [
  activity(0, "download", null, 1),
  activity(1, "subscribe", "newsletter", 5, 1),
  activity(2, "email_open", "newsletter", 2, null, { decay: decay(2, 50, 7) }),
  activity(3, "visit", "/pricing", 15, null, { decay: decay(15, 50, 30), group: "web" }),
  activity(4, "visit", "/careers", -10, null, { decay: decay(-10, 50, 30), group: "web" }),
  activity(5, "demo_request", null, 30),
  activity(6, "download", "case-study%", 10, null, { decay: decay(10, 25, 14) }),
];

/** Model v2's seed, by hand. */
export const v2SeedModel = (): HandModel =>
  described(
    V2_SEED,
    V2_ACTIVITY,
    [
      { index: 7, points: 20, sql: ROLE_FIT, group: "profile" },
      { index: 8, points: 10, sql: INDUSTRY_FIT, group: "profile" },
    ],
    V2_GROUPS,
  );

/** Model v2's changed version (the same change as v1's), by hand. */
export const v2ChangedModel = (): HandModel =>
  described(
    changedSource(V2_SEED),
    changedActivity(V2_ACTIVITY),
    [
      { index: 8, points: 20, sql: ROLE_FIT, group: "profile" },
      { index: 9, points: 10, sql: INDUSTRY_FIT, group: "profile" },
    ],
    V2_GROUPS,
  );

/** A model the benchmark runs (a)–(c) with: its seed (active while interactions are recorded) and its changed version ((c)). */
export interface BenchModel {
  name: "v1" | "v2";
  description: string;
  seed: () => HandModel;
  changed: () => HandModel;
}

export const BENCH_MODELS: readonly BenchModel[] = [
  { name: "v1", description: "the seed model", seed: seedModel, changed: changedModel },
  { name: "v2", description: "the seed with a capped group that decays, two more decaying rules and a capped fit group", seed: v2SeedModel, changed: v2ChangedModel },
];

/** `BENCH_MODELS` (default `v1,v2`): the models (a)–(c) run with, in that order. */
export function benchModels(): BenchModel[] {
  const raw = (process.env.BENCH_MODELS || "v1,v2").toLowerCase().split(",").map((m) => m.trim());
  const unknown = raw.filter((m) => !BENCH_MODELS.some((b) => b.name === m));
  if (unknown.length > 0 || raw.length === 0) throw new Error(`BENCH_MODELS must list models of "v1,v2" (got "${process.env.BENCH_MODELS}")`);
  return BENCH_MODELS.filter((b) => raw.includes(b.name));
}

/** Checks the hand-written rules against the model text and takes the names from it. */
function described(source: string, activity: ActivityRule[], fit: FitRule[], groups: HandGroup[] = []): HandModel {
  const checked = check(parse(source).ast, source).checked;
  if (!checked) throw new Error("a benchmark model does not compile");
  const rules = checked.scoreRules;
  const problems: string[] = [];
  const groupOf = (r: (typeof rules)[number]) => (r.group === null ? null : (checked.groups?.[r.group]?.name.trim().toLowerCase() ?? "?"));
  const sameDecay = (a: HandDecay | null, b: { percent: number; everyMs: number } | null) =>
    a === null ? b === null : b !== null && a.percent === b.percent && a.everyMs === b.everyMs;
  if (rules.length !== activity.length + fit.length) problems.push(`${rules.length} rules, ${activity.length + fit.length} by hand`);
  for (const hand of activity) {
    const r = rules[hand.index];
    const like = r?.activity?.pattern == null ? null : r.activity.pattern.toLowerCase().replace(/\*$/, "%");
    if (
      !r ||
      r.activity?.type !== hand.type ||
      like !== hand.like ||
      r.points !== hand.points ||
      r.max !== hand.max ||
      r.where ||
      r.frequency ||
      r.expiresMs !== null ||
      !sameDecay(hand.decay, r.decay) ||
      (hand.decay !== null && hand.decay.steps[0] !== hand.points) ||
      groupOf(r) !== hand.group
    ) {
      problems.push(`rule ${hand.index} is not ${JSON.stringify(hand)}`);
    }
    if (hand.max !== null && hand.decay !== null) problems.push(`rule ${hand.index} is capped and decays: the baselines cannot free a decayed award's place`);
  }
  for (const hand of fit) {
    const r = rules[hand.index];
    if (!r || r.category !== "FIT" || r.points !== hand.points || groupOf(r) !== hand.group) problems.push(`rule ${hand.index} is not a fit rule of ${hand.points} in ${hand.group}`);
  }
  const declared = (checked.groups ?? []).map((g) => ({ key: g.name.trim().toLowerCase(), max: g.max, category: g.category }));
  if (JSON.stringify(declared) !== JSON.stringify(groups)) problems.push(`groups ${JSON.stringify(declared)}, by hand ${JSON.stringify(groups)}`);
  const stages = checked.stageRules.map((s) => s.text).join("; ");
  const expected = [/^stage Lead when firstName is set$/, new RegExp(`^stage MQL when score >= ${MQL_SCORE}$`), new RegExp(`^stage SQL when score >= ${SQL_SCORE} and has demo_request$`)];
  const stagesMatch = checked.stageRules.length === expected.length && checked.stageRules.every((s, i) => expected[i].test(s.text));
  if (checked.funnel.stages.join(",") !== FUNNEL.join(",") || !stagesMatch) problems.push(`funnel or stage rules changed (${stages})`);
  if (problems.length > 0) throw new Error(`the hand-written rules no longer match the model: ${problems.join("; ")}`);
  return {
    source,
    activity,
    fit,
    groups,
    names: rules.map((r) => r.name),
    stageRules: new Map(checked.stageRules.map((s) => [s.stage, s.text])),
  };
}

/** Whether `model` is the seed model the service publishes on its first start (else a bench run publishes it). */
export const isServiceSeed = (model: HandModel): boolean => model.source === seedModelSource();

/** Whether a model uses version 2's groups or decay (the baselines then write group points and next changes). */
export const usesV2 = (model: HandModel): boolean => model.groups.length > 0 || model.activity.some((r) => r.decay !== null);
