/**
 * The scoring rules the service benchmark's baselines implement by hand: the seed model
 * (`examples/seed-model.rules`, active by default) and a changed version of it that section (c)
 * publishes. The baselines never run the compiler; it is used here only to check that the
 * hand-written tables still say what the model text says (a changed seed model fails the run
 * instead of benchmarking different rules) and to take the rules' names, which are labels.
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
}

/** A fit rule: a condition on the lead's columns, in SQL over `l` (`lead l`). */
export interface FitRule {
  index: number;
  points: number;
  sql: string;
}

export interface HandModel {
  source: string;
  activity: ActivityRule[];
  fit: FitRule[];
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

const SEED_ACTIVITY: ActivityRule[] = [
  { index: 0, type: "download", like: null, points: 1, max: null },
  { index: 1, type: "subscribe", like: "newsletter", points: 5, max: 1 },
  { index: 2, type: "email_open", like: "newsletter", points: 2, max: null },
  { index: 3, type: "visit", like: "/pricing", points: 15, max: null },
  { index: 4, type: "visit", like: "/careers", points: -10, max: null },
  { index: 5, type: "demo_request", like: null, points: 30, max: null },
  { index: 6, type: "download", like: "case-study%", points: 10, max: null },
];

/**
 * The seed with `visit "/pricing"` raised from +15 to +20 and a new capped rule, `webinar => +10
 * max 3`, after `download "case-study*"`: what section (c) publishes.
 */
export function changedSource(seed: string): string {
  const pricing = /^visit "\/pricing"(\s+)=> \+15/m;
  const caseStudy = /^(download "case-study\*".*)$/m;
  if (!pricing.test(seed) || !caseStudy.test(seed)) throw new Error("the seed model changed: update bench/service-rules.ts");
  return seed.replace(pricing, 'visit "/pricing"$1=> +20').replace(caseStudy, '$1\nwebinar                      => +10    max 3');
}

/** The seed model, by hand. */
export const seedModel = (): HandModel =>
  described(seedModelSource(), SEED_ACTIVITY, [
    { index: 7, points: 20, sql: ROLE_FIT },
    { index: 8, points: 10, sql: INDUSTRY_FIT },
  ]);

/** The changed model, by hand. */
export const changedModel = (): HandModel =>
  described(
    changedSource(seedModelSource()),
    [
      ...SEED_ACTIVITY.map((r) => (r.index === 3 ? { ...r, points: 20 } : r)),
      { index: 7, type: "webinar", like: null, points: 10, max: 3 },
    ],
    [
      { index: 8, points: 20, sql: ROLE_FIT },
      { index: 9, points: 10, sql: INDUSTRY_FIT },
    ],
  );

/** Checks the hand-written rules against the model text and takes the names from it. */
function described(source: string, activity: ActivityRule[], fit: FitRule[]): HandModel {
  const checked = check(parse(source).ast, source).checked;
  if (!checked) throw new Error("a benchmark model does not compile");
  const rules = checked.scoreRules;
  const problems: string[] = [];
  if (rules.length !== activity.length + fit.length) problems.push(`${rules.length} rules, ${activity.length + fit.length} by hand`);
  for (const hand of activity) {
    const r = rules[hand.index];
    const like = r?.activity?.pattern == null ? null : r.activity.pattern.toLowerCase().replace(/\*$/, "%");
    if (!r || r.activity?.type !== hand.type || like !== hand.like || r.points !== hand.points || r.max !== hand.max || r.where || r.frequency || r.expiresMs !== null) {
      problems.push(`rule ${hand.index} is not ${JSON.stringify(hand)}`);
    }
  }
  for (const hand of fit) {
    const r = rules[hand.index];
    if (!r || r.category !== "FIT" || r.points !== hand.points) problems.push(`rule ${hand.index} is not a fit rule of ${hand.points}`);
  }
  const stages = checked.stageRules.map((s) => s.text).join("; ");
  const expected = [/^stage Lead when firstName is set$/, new RegExp(`^stage MQL when score >= ${MQL_SCORE}$`), new RegExp(`^stage SQL when score >= ${SQL_SCORE} and has demo_request$`)];
  const stagesMatch = checked.stageRules.length === expected.length && checked.stageRules.every((s, i) => expected[i].test(s.text));
  if (checked.funnel.stages.join(",") !== FUNNEL.join(",") || !stagesMatch) problems.push(`funnel or stage rules changed (${stages})`);
  if (problems.length > 0) throw new Error(`the hand-written rules no longer match the model: ${problems.join("; ")}`);
  return {
    source,
    activity,
    fit,
    names: rules.map((r) => r.name),
    stageRules: new Map(checked.stageRules.map((s) => [s.stage, s.text])),
  };
}
