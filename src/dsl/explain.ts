/**
 * Why a lead has the score it has, rule by rule, in words a marketer reads: what each rule
 * matched, what it awarded, and for a rule that gave nothing, the first reason why.
 *
 * Also each stage ahead of a lead and how far its conditions are from holding (`stageOutlook`),
 * for a failing stage expectation in `qualify test` and for the service's "stage outlook".
 *
 * @example
 *   explainRules(model, lead, interactions, now).map(formatExplanation)
 *   // 'visit "/pricing" => +15   matched 2 interactions: +30'
 *   // 'download "case-study*" => +10   no match: target "whitepaper.pdf" does not match "case-study*"'
 */
import type { Condition } from "./ast";
import { CompiledRules } from "./compiler";
import type { CheckedScoreRule, CompiledModel, Evaluation, InteractionFacts, LeadFields, StageFacts } from "./model";
import { printCondition, printMetric } from "./printer";
import { compileCondition, conditionPaths, pathText, readPath, scopeFor, type ConditionContext, type Scope } from "./runtime/conditions";
import { counts } from "./runtime/ledger";
import { compilePattern } from "./runtime/targets";
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
  const now = new Date(nowMs);
  const unexpired = awards.filter((a) => counts(a, nowMs));
  const counting = model.decaysRule(rule.index) ? unexpired.filter((a) => model.awardValue(a, now) !== 0) : unexpired;
  const points = counting.reduce((sum, a) => sum + model.awardValue(a, now), 0);
  let summary = `matched ${plural(matched.length, "interaction")}`;
  if (awards.length < matched.length) {
    const limits: string[] = [];
    if (rule.frequency !== null) limits.push(`needs ${rule.frequency.count} within its window`);
    if (rule.max !== null) limits.push(rule.max === 1 ? "once" : `max ${rule.max}`);
    summary += `, awarded ${awards.length}${limits.length > 0 ? ` (${limits.join(", ")})` : ""}`;
  }
  const expired = awards.length - unexpired.length;
  if (expired > 0) summary += `, ${expired} expired`;
  const decayedAway = unexpired.length - counting.length;
  if (decayedAway > 0) summary += `, ${decayedAway} decayed to 0`;
  const full = counting.reduce((sum, a) => sum + a.points, 0);
  if (full !== points) summary += `, decayed from ${signed(full)}`;
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
  resetAt: Date | null = null,
): RuleExplanation[] {
  if (!(model instanceof CompiledRules)) throw new Error("explainRules needs a model built by compileChecked");
  const evaluation = model.replay(lead, interactions, now, resetAt);
  // Interactions before a reset earn nothing: they are explained as if absent.
  if (resetAt !== null) interactions = interactions.filter((ix) => ix.occurredAt.getTime() >= resetAt.getTime());
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

/** One condition of a stage rule (one operand of its top-level `and`) for a lead. */
export interface ConditionOutlook {
  /** The condition's canonical text: `score >= 100`, `group "Product A" >= 30`. */
  condition: string;
  holds: boolean;
  /** What it reads, with the lead's values: `score is 85`, `role is not set`, `no demo_request interaction`. */
  detail: string;
}

/** A stage ahead of the lead that has a rule, and where each of its conditions stands. */
export interface StageOutlook {
  stage: string;
  /** The stage rule's canonical text. */
  rule: string;
  holds: boolean;
  conditions: ConditionOutlook[];
}

function conjuncts(condition: Condition): Condition[] {
  return condition.kind === "And" ? condition.operands : [condition];
}

/** Every metric, path and `has` a condition reads, described with the lead's values, each once. */
function describeStageReads(model: CompiledRules, condition: Condition, scope: Scope, parts: Map<string, string>): void {
  switch (condition.kind) {
    case "Or":
    case "And":
      for (const operand of condition.operands) describeStageReads(model, operand, scope, parts);
      return;
    case "Not":
      describeStageReads(model, condition.operand, scope, parts);
      return;
    case "Has": {
      const type = condition.type.value;
      const pattern = condition.target?.value ?? null;
      const text = pattern === null ? type : `${type} ${JSON.stringify(pattern)}`;
      const matches = pattern === null ? null : compilePattern(pattern);
      const found = scope.interactions.some((ix) => {
        if (ix.type.trim().toLowerCase() !== type.toLowerCase()) return false;
        const target = normaliseTarget(ix.target);
        return matches === null || (target !== null && matches(target.toLowerCase()));
      });
      parts.set(`has ${text}`, found ? `has had ${text}` : `no ${text} interaction`);
      return;
    }
    case "Compare":
      if (condition.left.kind === "Metric") {
        const metric = condition.left;
        const name = printMetric(metric);
        const lookup = metric.name === "group" ? model.groupLookup(metric.group?.value ?? "") : undefined;
        const value =
          metric.name !== "group" ? scope.totals[metric.name] : lookup === undefined || lookup < 0 ? 0 : (scope.totals.groups?.[lookup]?.points ?? 0);
        parts.set(name, `${name} is ${value}`);
        return;
      }
      parts.set(pathText(condition.left), `${pathText(condition.left)} is ${describeValue(readPath(condition.left, "stage", scope))}`);
      return;
    case "In":
    case "IsSet":
    case "Bare":
      parts.set(pathText(condition.path), `${pathText(condition.path)} is ${describeValue(readPath(condition.path, "stage", scope))}`);
  }
}

/**
 * For each stage ahead of `current` on the funnel's path that has a rule, furthest last: whether
 * its rule holds for these facts, and each of its conditions (the operands of a top-level `and`)
 * with what it reads. Empty when `current` is off the path or not in the funnel (rules never move
 * such a lead). `facts` are what `nextStage` takes (with `groups` when a rule reads a group).
 *
 * @example
 *   stageOutlook(model, "MQL", { ...evaluation, lead, interactions })
 *   // [{ stage: "SQL", rule: "stage SQL when score >= 100 and has demo_request", holds: false,
 *   //    conditions: [{ condition: "score >= 100", holds: false, detail: "score is 85" }, …] }]
 */
export function stageOutlook(model: CompiledModel, current: string, facts: StageFacts): StageOutlook[] {
  if (!(model instanceof CompiledRules)) throw new Error("stageOutlook needs a model built by compileChecked");
  const stages = model.funnel.stages;
  const from = stages.findIndex((s) => s.toLowerCase() === current.trim().toLowerCase());
  if (from < 0) return [];
  const scope: Scope = { lead: facts.lead, ix: null, target: null, totals: facts, interactions: facts.interactions };
  const outlook: StageOutlook[] = [];
  for (const stage of stages.slice(from + 1)) {
    const rule = model.stageRuleOf(stage);
    if (rule === undefined) continue;
    const conditions = conjuncts(rule.condition).map((condition): ConditionOutlook => {
      const parts = new Map<string, string>();
      describeStageReads(model, condition, scope, parts);
      return {
        condition: printCondition(condition),
        holds: compileCondition(condition, "stage", model.groupLookup)(scope),
        detail: [...parts.values()].join(", "),
      };
    });
    outlook.push({ stage, rule: rule.text, holds: conditions.every((c) => c.holds), conditions });
  }
  return outlook;
}

/** An outlook as lines: `SQL: not yet (stage SQL when …)`, then `  ✓ score >= 100 (score is 120)`. */
export function formatStageOutlook(outlook: readonly StageOutlook[]): string[] {
  return outlook.flatMap((s) => [
    `${s.stage}: ${s.holds ? "its rule holds" : "not yet"} (${s.rule})`,
    ...s.conditions.map((c) => `  ${c.holds ? "✓" : "✗"} ${c.condition}${c.detail ? ` (${c.detail})` : ""}`),
  ]);
}
