/**
 * What clients read about a lead's score, as of now: computed at read time from its ledger with
 * the compiled model of the ledger's version, so that a decaying award shows its value today
 * without waiting for a sweep. Each award's value and next decay step, each group's points, the
 * breakdown per rule, and the stage outlook (the DSL's `stageOutlook`: the one explainer, shared
 * with `qualify test`). Pure: the loaders bring the rows
 * (`resolvers/loaders/ledger-by-lead.loader.ts`, `awards-by-interaction.loader.ts`).
 */
import type { Condition } from "../dsl/ast";
import { CompiledRules } from "../dsl/compiler";
import { stageOutlook, type StageOutlook } from "../dsl/explain";
import type { Award, CompiledModel, GroupTotals, InteractionFacts, LeadFields, RuleContribution, ScoreCategory } from "../dsl/model";
import { saturate } from "../dsl/runtime/totals";
import { counting } from "./ledger-rows";

/** A lead's ledger as of a read: its awards still counting (by expiry) and the model that made them. */
export interface LedgerView {
  model: CompiledModel;
  /** Activity awards not expired at the read (some may have decayed to 0). */
  activity: Award[];
  /** Fit awards (one per holding fit rule). */
  fit: Award[];
}

/** One award as `ScoreAward` shows it. */
export interface AwardValue {
  rule: string;
  group: string | null;
  category: ScoreCategory;
  points: number;
  initialPoints: number;
  awardedAt: Date;
  expiresAt: Date | null;
  nextDecayAt: Date | null;
  counting: boolean;
}

/** A group's points as `GroupScore` shows them. */
export interface GroupScoreValue {
  group: string;
  category: ScoreCategory;
  points: number;
  uncappedPoints: number;
  max: number | null;
}

/** The name of the group of the rule at `ruleIndex`, or null. */
export function groupOfRule(model: CompiledModel, ruleIndex: number): string | null {
  const group = model.rules[ruleIndex]?.group ?? null;
  return group === null ? null : (model.groups.find((g) => g.index === group)?.name ?? null);
}

/**
 * An award valued at `now`. An expired award keeps the value it had at its last instant counting
 * (a v1 award that never decays keeps its points), with `counting: false`.
 */
export function awardValue(model: CompiledModel, award: Award, now: Date): AwardValue {
  const nowMs = now.getTime();
  const live = counting(award, nowMs);
  const at = live ? now : new Date(award.expiresAt!.getTime() - 1);
  const points = model.awardValue(award, at);
  return {
    rule: award.rule,
    group: groupOfRule(model, award.ruleIndex),
    category: award.category,
    points,
    initialPoints: award.points,
    awardedAt: award.awardedAt,
    expiresAt: award.expiresAt,
    nextDecayAt: live && points !== 0 ? nextDecayStep(model, award, nowMs) : null,
    counting: live && points !== 0,
  };
}

/** The next decay step of a live award worth something, unless it expires first. */
function nextDecayStep(model: CompiledModel, award: Award, nowMs: number): Date | null {
  const decay = model.rules[award.ruleIndex]?.decay ?? null;
  if (decay === null) return null;
  const awardedMs = award.awardedAt.getTime();
  const periods = nowMs <= awardedMs ? 0 : Math.floor((nowMs - awardedMs) / decay.everyMs);
  const step = awardedMs + (periods + 1) * decay.everyMs;
  // Each step shrinks a value that is not 0, so the next one changes it, unless the award is gone by then.
  return award.expiresAt !== null && award.expiresAt.getTime() <= step ? null : new Date(step);
}

/** What an interaction's awards still counting are worth now, summed (saturated like a total). */
export function pointsNow(model: CompiledModel, awards: readonly Award[], now: Date): number {
  let sum = 0;
  for (const award of awards) sum += model.awardValue(award, now);
  return saturate(sum);
}

function totalsOf(ledger: LedgerView, now: Date): GroupTotals {
  return ledger.model.totalsOf(ledger.activity, ledger.fit, now);
}

/** Every (non-empty) group of the ledger's model, in model order, with the lead's points now. */
export function groupScores(ledger: LedgerView, now: Date, totals: GroupTotals = totalsOf(ledger, now)): GroupScoreValue[] {
  return totals.groups.map((g) => ({
    group: g.name,
    category: g.category,
    points: g.points,
    uncappedPoints: g.uncapped,
    max: ledger.model.groups.find((declared) => declared.index === g.index)?.max ?? null,
  }));
}

/** Per rule, in rule order, the values now of its awards still counting (awards worth 0 left out). */
export function breakdownNow(ledger: LedgerView, now: Date): RuleContribution[] {
  return ledger.model
    .breakdownOf(ledger.activity, ledger.fit, now)
    .map((c) => ({ rule: c.rule, group: c.group ?? null, category: c.category, points: saturate(c.points), count: c.count }));
}

/** Whether any stage rule of the model reads `has …` (the outlook then needs the lead's interactions). */
export function stageRulesReadInteractions(model: CompiledModel): boolean {
  const reads = (c: Condition): boolean =>
    c.kind === "Has" || ((c.kind === "And" || c.kind === "Or") && c.operands.some(reads)) || (c.kind === "Not" && reads(c.operand));
  return model.funnel.stages.some((stage) => {
    const condition = stageConditionOf(model, stage);
    return condition !== null && reads(condition);
  });
}

function stageConditionOf(model: CompiledModel, stage: string): Condition | null {
  return model instanceof CompiledRules ? (model.stageRuleOf(stage)?.condition ?? null) : null;
}

/**
 * Each stage ahead of `stage` on the model's path that has a rule, furthest last: whether it
 * holds with the lead's totals as of now, and condition by condition, why not. Empty for a lead
 * off the path, or in a stage the model's funnel lacks (rules never move such a lead), and for a
 * lead at the last stage. `interactions` need only their type and target (`has`).
 */
export function outlookNow(
  ledger: LedgerView,
  stage: string,
  lead: LeadFields,
  interactions: readonly InteractionFacts[],
  now: Date,
): StageOutlook[] {
  const totals = totalsOf(ledger, now);
  return stageOutlook(ledger.model, stage, { ...totals, lead, interactions, groups: totals.groups });
}
