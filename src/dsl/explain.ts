/**
 * Why a lead has the score it has, rule by rule, in words a marketer reads: what each rule
 * matched, what it awarded, and for a rule that gave nothing, the first reason why.
 *
 * @example
 *   explainRules(model, lead, interactions, now).map(formatExplanation)
 *   // 'visit "/pricing" => +15   matched 2 interactions: +30'
 *   // 'download "case-study*" => +10   no match: target "whitepaper.pdf" does not match "case-study*"'
 */
import { CompiledRules } from "./compiler";
import type { CheckedScoreRule, CompiledModel, Evaluation, InteractionFacts, LeadFields } from "./model";
import { conditionPaths, pathText, readPath, scopeFor, type ConditionContext, type Scope } from "./runtime/conditions";
import { counts } from "./runtime/ledger";
import { normaliseTarget } from "./runtime/targets";
import { isSet } from "./runtime/values";

/** One rule's part in an evaluation. */
export interface RuleExplanation {
  rule: CheckedScoreRule;
  /** Points of its awards still counting (a holding fit rule: its points). */
  points: number;
  /** How many of its awards still count. */
  count: number;
  /** One line: what it matched and gave, or why it gave nothing. */
  summary: string;
}

const MAX_LISTED = 3;

/** A value as the explanation shows it: `"text"`, `45`, or `not set`. */
export function describeValue(value: unknown): string {
  if (!isSet(value)) return "not set";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value) ?? String(value);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function signed(points: number): string {
  return points < 0 ? `${points}` : `+${points}`;
}

/** `role is "CEO", companySize is not set`: the fields a condition reads, with their values. */
function describeReads(rule: CheckedScoreRule, context: ConditionContext, scope: Scope): string {
  const condition = context === "fit" ? rule.condition : rule.where;
  if (condition === null) return "";
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const path of conditionPaths(condition)) {
    const text = pathText(path);
    if (seen.has(text)) continue;
    seen.add(text);
    const value = readPath(path, context, scope);
    parts.push(isSet(value) ? `${text} is ${describeValue(value)}` : `${text} is not set`);
  }
  return parts.join(", ");
}

function explainFit(model: CompiledRules, rule: CheckedScoreRule, lead: LeadFields): RuleExplanation {
  const holds = model.fitHolds(rule.index, lead) === true;
  const reads = describeReads(rule, "fit", scopeFor(lead));
  return {
    rule,
    points: holds ? rule.points : 0,
    count: holds ? 1 : 0,
    summary: holds ? `holds: ${signed(rule.points)}` : `does not hold${reads ? `: ${reads}` : ""}`,
  };
}

function whyNoMatch(model: CompiledRules, rule: CheckedScoreRule, lead: LeadFields, ofType: InteractionFacts[]): string {
  const activity = rule.activity!;
  if (ofType.length === 0) return `no match: no ${activity.type} interaction`;
  const outcomes = ofType.map((ix) => ({ ix, outcome: model.matchOutcome(rule.index, lead, ix) }));
  const whereMiss = outcomes.find((o) => o.outcome === "where");
  if (whereMiss !== undefined) {
    const reads = describeReads(rule, "where", scopeFor(lead, whereMiss.ix));
    return `no match: its where does not hold${reads ? ` (${reads})` : ""}`;
  }
  const targets = [...new Set(ofType.map((ix) => normaliseTarget(ix.target)))];
  const listed = targets.slice(0, MAX_LISTED).map((t) => (t === null ? "no target" : `target ${JSON.stringify(t)}`));
  const more = targets.length > MAX_LISTED ? ` (and ${targets.length - MAX_LISTED} more)` : "";
  return `no match: ${listed.join(", ")}${more} ${listed.length === 1 ? "does" : "do"} not match ${JSON.stringify(activity.pattern)}`;
}

function explainActivity(
  model: CompiledRules,
  rule: CheckedScoreRule,
  lead: LeadFields,
  interactions: readonly InteractionFacts[],
  evaluation: Evaluation,
  nowMs: number,
): RuleExplanation {
  const ofType = interactions.filter((ix) => model.matchOutcome(rule.index, lead, ix) !== "type");
  const matched = ofType.filter((ix) => model.matchOutcome(rule.index, lead, ix) === "match");
  if (matched.length === 0) return { rule, points: 0, count: 0, summary: whyNoMatch(model, rule, lead, ofType) };

  const awards = evaluation.awards.filter((a) => a.ruleIndex === rule.index);
  const counting = awards.filter((a) => counts(a, nowMs));
  const points = counting.reduce((sum, a) => sum + a.points, 0);
  let summary = `matched ${plural(matched.length, "interaction")}`;
  if (awards.length < matched.length) {
    const limits: string[] = [];
    if (rule.frequency !== null) limits.push(`needs ${rule.frequency.count} within its window`);
    if (rule.max !== null) limits.push(rule.max === 1 ? "once" : `max ${rule.max}`);
    summary += `, awarded ${awards.length} (${limits.join(", ")})`;
  }
  const expired = awards.length - counting.length;
  if (expired > 0) summary += `, ${expired} expired`;
  return { rule, points, count: counting.length, summary: `${summary}: ${signed(points)}` };
}

/**
 * Explains every score rule of a model for a lead, as of `now` (the same evaluation as
 * `model.replay(lead, interactions, now)`).
 *
 * @throws Error when `model` was not built by `compileChecked`.
 */
export function explainRules(
  model: CompiledModel,
  lead: LeadFields,
  interactions: readonly InteractionFacts[],
  now: Date,
): RuleExplanation[] {
  if (!(model instanceof CompiledRules)) throw new Error("explainRules needs a model built by compileChecked");
  const evaluation = model.replay(lead, interactions, now);
  return model.rules.map((rule) =>
    rule.activity === null
      ? explainFit(model, rule, lead)
      : explainActivity(model, rule, lead, interactions, evaluation, now.getTime()),
  );
}

/**
 * Formats explanations one per line, the rule names padded to a column:
 * `visit "/pricing" => +15   matched 2 interactions: +30`.
 */
export function formatExplanations(explanations: readonly RuleExplanation[]): string[] {
  const width = Math.min(48, Math.max(0, ...explanations.map((e) => e.rule.name.length)));
  return explanations.map((e) => `${e.rule.name.padEnd(width)}   ${e.summary}`);
}
