/**
 * The rule language's back end: a checked model becomes plain closures (`CompiledModel`).
 *
 * Compile once, run many: every path, pattern and literal is resolved here, and evaluating an
 * interaction is a lookup of the rules of its type followed by a few closure calls. The replay
 * (`replay`) is the definition of a lead's score; `incremental` re-evaluates only what a new
 * interaction can change and always agrees with it.
 *
 * Version 2: an award's value is its points decayed as of now (`runtime/decay.ts`); an award
 * expired or decayed to 0 no longer counts, for the totals, the breakdown and `max`/`once` (its
 * "live" span, which the limiter holds, ends at the earlier of the two). Groups sum their rules'
 * values and cap the sum. A reset (recycling) leaves interactions dated before it out of the
 * scoring. A model with neither decay nor groups (every v1 model) takes the v1 paths unchanged.
 */
import { check } from "./checker";
import { hasErrors, type Diagnostic } from "./diagnostics";
import type {
  Award,
  CheckedGroup,
  CheckedModel,
  CheckOptions,
  CheckedScoreRule,
  CheckedStageRule,
  CompiledModel,
  Evaluation,
  Funnel,
  GroupPoints,
  GroupTotals,
  IncrementalResult,
  InteractionFacts,
  LeadFields,
  LeadHistory,
  RuleContribution,
  StageFacts,
  StageMove,
} from "./model";
import { parse } from "./parse";
import { compileCondition, conditionPaths, scopeFor, type GroupLookup, type Predicate, type Scope } from "./runtime/conditions";
import { decayedValue, decayTable, nextStepMs, type DecayTable } from "./runtime/decay";
import { compareInteractions, counts, inCanonicalOrder, RuleLimiter } from "./runtime/ledger";
import { compilePatternShape, normaliseTarget, type CompiledPattern } from "./runtime/targets";
import { saturate } from "./runtime/totals";

const TYPE_CACHE_SIZE = 1_024;

/** An activity rule, ready to run. */
interface ActivityRule {
  source: CheckedScoreRule;
  /** Lower-cased interaction type. */
  type: string;
  pattern: CompiledPattern | null;
  where: Predicate | null;
  /** True when the award depends on the rule's other matches (`max`, `once`, `at least`). */
  limited: boolean;
  /** For a limited rule, its place among the limited rules (replay keeps their state in an array). */
  slot: number;
  /** From an award's time, how long until it has decayed to 0 (Infinity: it does not decay). */
  zeroAfterMs: number;
}

/** What the totals need to know of each rule, by rule index. */
interface RuleValue {
  decay: DecayTable | null;
  /** Its group's place in `CompiledRules.groups`, -1 when ungrouped. */
  group: number;
}

/** A group's name as matched: case and surrounding spaces ignored. */
export const groupKey = (name: string): string => name.trim().toLowerCase();

/** The activity rules of one interaction type, in rule order. */
interface TypeRules {
  rules: ActivityRule[];
  /** True when one of them reads the target (a pattern, or `target` in a `where`). */
  readsTarget: boolean;
}

interface FitRule {
  source: CheckedScoreRule;
  holds: Predicate;
}

/** Why an activity rule does or does not match one interaction. */
export type HeadOutcome = "match" | "type" | "target" | "where";

function activityRule(rule: CheckedScoreRule, decay: DecayTable | null): ActivityRule {
  const activity = rule.activity!;
  return {
    source: rule,
    type: activity.type.trim().toLowerCase(),
    pattern: activity.pattern === null ? null : compilePatternShape(activity.pattern),
    where: rule.where === null ? null : compileCondition(rule.where, "where"),
    limited: rule.max !== null || rule.frequency !== null,
    slot: -1,
    zeroAfterMs: decay === null ? Infinity : decay.zeroAfterMs,
  };
}

/** The rule's pattern against a normalised, lower-cased target (the common shapes inline). */
function targetMatches(rule: ActivityRule, target: string | null): boolean {
  const pattern = rule.pattern;
  if (pattern === null) return true;
  if (target === null) return false;
  if (pattern.exact !== null) return target === pattern.exact;
  if (pattern.prefix !== null) return target.startsWith(pattern.prefix);
  return pattern.matches(target);
}

function makeAward(rule: CheckedScoreRule, ix: InteractionFacts, atMs: number): Award {
  return {
    ruleIndex: rule.index,
    rule: rule.name,
    category: "ENGAGEMENT",
    points: rule.points,
    interactionId: ix.id,
    awardedAt: ix.occurredAt,
    expiresAt: rule.expiresMs === null ? null : new Date(atMs + rule.expiresMs),
  };
}

/** Until when an award of `rule` made at `atMs` counts for `max`: its expiry or its decay to 0, whichever is first. */
function liveUntil(rule: ActivityRule, atMs: number): number {
  const expiry = rule.source.expiresMs === null ? Infinity : atMs + rule.source.expiresMs;
  return Math.min(expiry, atMs + rule.zeroAfterMs);
}

function sumCounting(awards: readonly Award[], nowMs: number, skip?: ReadonlySet<Award>): number {
  let sum = 0;
  for (const a of awards) if (counts(a, nowMs) && !skip?.has(a)) sum += a.points;
  return sum;
}

/** The executable form of a checked model. Build it with `compileChecked`. */
export class CompiledRules implements CompiledModel {
  readonly funnel: Funnel;
  readonly rules: readonly CheckedScoreRule[];
  readonly engagementReadsLead: boolean;
  readonly groups: readonly CheckedGroup[];
  readonly decays: boolean;

  private readonly activity: ActivityRule[] = [];
  /** By rule index. */
  private readonly values: RuleValue[] = [];
  /** Neither groups nor decay: the totals are plain sums (every v1 model). */
  private readonly plain: boolean;
  private readonly fitRules: FitRule[] = [];
  /** Activity rules by lower-cased type (a Map: types such as `constructor` are plain keys). */
  private readonly byType = new Map<string, TypeRules>();
  /** How many activity rules are limited. */
  private limitedRules = 0;
  /** Interaction types as given (`Visit`, ` visit`) resolved to their rules; bounded. */
  private readonly typeCache = new Map<string, TypeRules | null>();
  private readonly stageConditions = new Map<string, { rule: CheckedStageRule; holds: Predicate }>();
  /** Finds a group by name for stage conditions (see `GroupLookup`). */
  readonly groupLookup: GroupLookup;

  constructor(checked: CheckedModel) {
    this.funnel = { stages: [...checked.funnel.stages], offPath: [...checked.funnel.offPath] };
    this.rules = checked.scoreRules;
    const declared = checked.groups ?? [];
    const used = new Set(checked.scoreRules.map((r) => r.group));
    this.groups = declared.filter((g) => used.has(g.index));
    const position = new Map(this.groups.map((g, i) => [g.index, i]));
    const lookup = new Map<string, number>(declared.map((g) => [groupKey(g.name), position.get(g.index) ?? -1]));
    const groupLookup: GroupLookup = (name) => lookup.get(groupKey(name));
    this.groupLookup = groupLookup;
    let readsLead = false;
    let decays = false;
    for (const rule of checked.scoreRules) {
      const group = rule.group === null ? -1 : position.get(rule.group);
      if (group === undefined) throw new Error(`rule "${rule.name}" names a group the model does not declare`);
      const decay = rule.decay === null || rule.activity === null ? null : decayTable(rule.points, rule.decay);
      if (decay !== null) decays = true;
      this.values[rule.index] = { decay, group };
      if (rule.activity === null) {
        if (rule.condition === null) throw new Error(`rule "${rule.name}" has neither an activity nor a condition`);
        this.fitRules.push({ source: rule, holds: compileCondition(rule.condition, "fit") });
        continue;
      }
      const compiled = activityRule(rule, decay);
      if (compiled.limited) compiled.slot = this.limitedRules++;
      this.activity.push(compiled);
      let entry = this.byType.get(compiled.type);
      if (entry === undefined) this.byType.set(compiled.type, (entry = { rules: [], readsTarget: false }));
      entry.rules.push(compiled);
      const whereReads = new Set((rule.where === null ? [] : conditionPaths(rule.where)).map((p) => p.segments[0].value.toLowerCase()));
      if (compiled.pattern !== null || whereReads.has("target")) entry.readsTarget = true;
      if (whereReads.has("lead")) readsLead = true;
    }
    for (const entry of this.byType.values()) entry.rules.sort((a, b) => a.source.index - b.source.index);
    this.engagementReadsLead = readsLead;
    this.decays = decays;
    this.plain = !decays && this.groups.length === 0;
    for (const stageRule of checked.stageRules) {
      this.stageConditions.set(stageRule.stage.toLowerCase(), {
        rule: stageRule,
        holds: compileCondition(stageRule.condition, "stage", groupLookup),
      });
    }
  }

  // --- values and totals ----------------------------------------------------------------------

  private valueAt(award: Award, nowMs: number): number {
    if (!counts(award, nowMs)) return 0;
    const decay = this.values[award.ruleIndex]?.decay;
    return decay == null ? award.points : decayedValue(decay, award.points, award.awardedAt.getTime(), nowMs);
  }

  awardValue(award: Award, now: Date): number {
    return this.valueAt(award, now.getTime());
  }

  /** Whether an award still counts at `nowMs` (not expired, and not decayed to 0), and its value. */
  private live(award: Award, nowMs: number): number | null {
    if (!counts(award, nowMs)) return null;
    const decay = this.values[award.ruleIndex]?.decay;
    if (decay == null) return award.points;
    const value = decayedValue(decay, award.points, award.awardedAt.getTime(), nowMs);
    return value === 0 ? null : value;
  }

  /** The totals of activity and fit awards as of `nowMs`, each group summed and capped. */
  private totals(activity: Iterable<Award>, fit: Iterable<Award>, nowMs: number, skip?: ReadonlySet<Award>): GroupTotals {
    if (this.plain) {
      let engagement = 0;
      for (const a of activity) if (counts(a, nowMs) && !skip?.has(a)) engagement += a.points;
      let fitSum = 0;
      for (const a of fit) fitSum += a.points;
      // Object literals, not spreads, on this hot path.
      return { fit: saturate(fitSum), engagement: saturate(engagement), score: saturate(fitSum + engagement), groups: [] };
    }
    const sums = new Array<number>(this.groups.length).fill(0);
    const ungrouped = { FIT: 0, ENGAGEMENT: 0 };
    const add = (a: Award, value: number) => {
      const group = this.values[a.ruleIndex]?.group ?? -1;
      if (group < 0) ungrouped[a.category] += value;
      else sums[group] += value;
    };
    for (const a of activity) if (!skip?.has(a)) add(a, this.valueAt(a, nowMs));
    for (const a of fit) add(a, a.points);
    const groups = this.groups.map((g, i): GroupPoints => {
      const uncapped = sums[i];
      const points = g.max === null ? uncapped : Math.min(uncapped, g.max);
      return { index: g.index, name: g.name, category: g.category ?? "ENGAGEMENT", points, uncapped };
    });
    for (const g of groups) ungrouped[g.category] += g.points;
    // Totals saturate (runtime/totals.ts), each from the exact sums; a group's figures likewise.
    for (const g of groups) Object.assign(g, { points: saturate(g.points), uncapped: saturate(g.uncapped) });
    const { FIT: fitSum, ENGAGEMENT: engagement } = ungrouped;
    return { fit: saturate(fitSum), engagement: saturate(engagement), score: saturate(fitSum + engagement), groups };
  }

  totalsOf(activity: Iterable<Award>, fit: Iterable<Award>, now: Date): GroupTotals {
    return this.totals(activity, fit, now.getTime());
  }

  nextChange(awards: Iterable<Award>, now: Date): Date | null {
    const nowMs = now.getTime();
    let next = Infinity;
    for (const a of awards) {
      // An award expired or decayed to 0 changes no more.
      if (this.live(a, nowMs) === null) continue;
      const expiry = a.expiresAt === null ? Infinity : a.expiresAt.getTime();
      const decay = this.values[a.ruleIndex]?.decay;
      const step = decay == null ? Infinity : nextStepMs(decay, a.awardedAt.getTime(), nowMs);
      next = Math.min(next, expiry, step);
    }
    return next === Infinity ? null : new Date(next);
  }

  private rulesOf(type: string): TypeRules | undefined {
    const direct = this.byType.get(type);
    if (direct !== undefined) return direct;
    let resolved = this.typeCache.get(type);
    if (resolved === undefined) {
      resolved = this.byType.get(type.trim().toLowerCase()) ?? null;
      if (this.typeCache.size < TYPE_CACHE_SIZE) this.typeCache.set(type, resolved);
    }
    return resolved ?? undefined;
  }

  /** Points the scope at an interaction; the target is normalised only when a rule reads it. */
  private enter(scope: Scope, ix: InteractionFacts, rules: TypeRules): void {
    scope.ix = ix;
    if (rules.readsTarget) {
      const target = normaliseTarget(ix.target);
      scope.target = target === null ? null : target.toLowerCase();
    } else {
      scope.target = null;
    }
  }

  private headOutcome(rule: ActivityRule, scope: Scope): HeadOutcome {
    if (!targetMatches(rule, scope.target)) return "target";
    if (rule.where !== null && !rule.where(scope)) return "where";
    return "match";
  }

  private headMatches(rule: ActivityRule, scope: Scope): boolean {
    return targetMatches(rule, scope.target) && (rule.where === null || rule.where(scope));
  }

  replay(lead: LeadFields, interactions: readonly InteractionFacts[], now: Date, resetAt: Date | null = null): Evaluation {
    const ordered = inCanonicalOrder(interactions);
    const scope = scopeFor(lead);
    const limiters: (RuleLimiter | undefined)[] = new Array(this.limitedRules);
    const awards: Award[] = [];
    const resetMs = resetAt === null ? -Infinity : resetAt.getTime();
    for (const ix of ordered) {
      const atMs = ix.occurredAt.getTime();
      if (atMs < resetMs) continue;
      const typeRules = this.rulesOf(ix.type);
      if (typeRules === undefined) continue;
      this.enter(scope, ix, typeRules);
      for (const rule of typeRules.rules) {
        if (!this.headMatches(rule, scope)) continue;
        if (rule.limited) {
          let limiter = limiters[rule.slot];
          if (limiter === undefined) limiter = limiters[rule.slot] = new RuleLimiter(rule.source);
          if (!limiter.admit(atMs, liveUntil(rule, atMs))) continue;
        }
        awards.push(makeAward(rule.source, ix, atMs));
      }
    }
    const nowMs = now.getTime();
    const fitAwards = this.fitAwards(lead, now);
    const { fit, engagement, score, groups } = this.totals(awards, fitAwards, nowMs);
    // An object literal, not a spread: V8's spread path is much slower on this hot path.
    return { fit, engagement, score, groups, awards, fitAwards, breakdown: this.breakdown(awards, fitAwards, nowMs) };
  }

  breakdownOf(activity: Iterable<Award>, fit: Iterable<Award>, now: Date): RuleContribution[] {
    return this.breakdown(activity, fit, now.getTime());
  }

  /** Per rule, in rule order: the values of the awards still counting at `nowMs`, summed. */
  private breakdown(activity: Iterable<Award>, fit: Iterable<Award>, nowMs: number): RuleContribution[] {
    const byRule: (RuleContribution | undefined)[] = []; // indexed by rule index
    const add = (a: Award, points: number) => {
      const entry = byRule[a.ruleIndex];
      if (entry === undefined) {
        const group = this.values[a.ruleIndex]?.group ?? -1;
        const contribution: RuleContribution = { rule: a.rule, category: a.category, points, count: 1 };
        // Only a grouped rule names its group: a v1 breakdown keeps its exact shape.
        if (group >= 0) contribution.group = this.groups[group].name;
        byRule[a.ruleIndex] = contribution;
      } else {
        entry.points += points;
        entry.count++;
      }
    };
    if (this.plain) {
      for (const a of activity) if (counts(a, nowMs)) add(a, a.points);
    } else {
      for (const a of activity) {
        const value = this.live(a, nowMs);
        if (value !== null) add(a, value);
      }
    }
    for (const a of fit) add(a, a.points);
    const contributions: RuleContribution[] = [];
    for (const entry of byRule) if (entry !== undefined) contributions.push(entry);
    return contributions;
  }

  incremental(history: LeadHistory, interaction: InteractionFacts, now: Date): IncrementalResult {
    const added: Award[] = [];
    const removed: Award[] = [];
    const typeRules = this.rulesOf(interaction.type);
    const resetMs = history.resetAt == null ? -Infinity : history.resetAt.getTime();
    // Before the reset an interaction earns nothing and takes no place in caps or windows.
    if (typeRules !== undefined && interaction.occurredAt.getTime() >= resetMs) {
      const scope = scopeFor(history.lead);
      this.enter(scope, interaction, typeRules);
      const atMs = interaction.occurredAt.getTime();
      // Only the rules the new interaction matches can change: the others' matches are the same.
      const matched = typeRules.rules.filter((rule) => this.headMatches(rule, scope));
      for (const rule of matched) {
        if (rule.limited) this.rewalk(rule, typeRules, history, interaction, resetMs, added, removed);
        else added.push(makeAward(rule.source, interaction, atMs));
      }
    }
    const nowMs = now.getTime();
    const fitAwards = this.fitAwards(history.lead, now);
    if (this.plain) {
      const fit = sumCounting(fitAwards, nowMs);
      const engagement = sumCounting(history.awards, nowMs, new Set(removed)) + sumCounting(added, nowMs);
      return { fit: saturate(fit), engagement: saturate(engagement), score: saturate(fit + engagement), groups: [], added, removed };
    }
    const { fit, engagement, score, groups } = this.totals([...history.awards, ...added], fitAwards, nowMs, new Set(removed));
    return { fit, engagement, score, groups, added, removed };
  }

  /**
   * Re-decides a capped or windowed rule from the new interaction's place onward: its awards
   * before that place stand; the window and the live awards at that place are rebuilt from the
   * history, then the rule's later matches are walked again and diffed against the ledger.
   */
  private rewalk(
    rule: ActivityRule,
    typeRules: TypeRules,
    history: LeadHistory,
    ix: InteractionFacts,
    resetMs: number,
    added: Award[],
    removed: Award[],
  ): void {
    const { source } = rule;
    const atMs = ix.occurredAt.getTime();
    const windowStart = source.frequency === null ? Infinity : atMs - source.frequency.withinMs;
    const scope = scopeFor(history.lead);
    const earlier: InteractionFacts[] = [];
    const later: InteractionFacts[] = [];
    const earlierIds = new Set<string>();
    for (const h of history.interactions) {
      if (h.id === ix.id || h.type.trim().toLowerCase() !== rule.type || h.occurredAt.getTime() < resetMs) continue;
      const before = compareInteractions(h, ix) < 0;
      if (before) earlierIds.add(h.id);
      // An earlier match matters only inside the window that ends at the new interaction.
      if (before && h.occurredAt.getTime() <= windowStart) continue;
      this.enter(scope, h, typeRules);
      if (this.headMatches(rule, scope)) (before ? earlier : later).push(h);
    }
    earlier.sort(compareInteractions);
    later.sort(compareInteractions);

    const limiter = new RuleLimiter(source);
    for (const h of earlier) limiter.noteEarlierMatch(h.occurredAt.getTime());
    const existing = new Map<string, Award>();
    const earlierExpiries: number[] = [];
    for (const a of history.awards) {
      if (a.ruleIndex !== source.index || a.interactionId === null) continue;
      if (earlierIds.has(a.interactionId)) {
        const expiry = a.expiresAt === null ? Infinity : a.expiresAt.getTime();
        earlierExpiries.push(Math.min(expiry, a.awardedAt.getTime() + rule.zeroAfterMs));
      }
      else existing.set(a.interactionId, a);
    }
    earlierExpiries.sort((a, b) => a - b);
    for (const e of earlierExpiries) limiter.noteEarlierAward(e);

    if (limiter.admit(atMs, liveUntil(rule, atMs))) added.push(makeAward(source, ix, atMs));
    for (const h of later) {
      const hMs = h.occurredAt.getTime();
      const awards = limiter.admit(hMs, liveUntil(rule, hMs));
      const had = existing.get(h.id);
      if (awards && had === undefined) added.push(makeAward(source, h, hMs));
      else if (!awards && had !== undefined) removed.push(had);
    }
  }

  fit(lead: LeadFields, now: Date): { fit: number; awards: Award[] } {
    const awards = this.fitAwards(lead, now);
    if (this.plain) return { fit: sumCounting(awards, now.getTime()), awards };
    return { fit: this.totals([], awards, now.getTime()).fit, awards };
  }

  private fitAwards(lead: LeadFields, now: Date): Award[] {
    const scope = scopeFor(lead);
    const awards: Award[] = [];
    for (const rule of this.fitRules) {
      if (!rule.holds(scope)) continue;
      awards.push({
        ruleIndex: rule.source.index,
        rule: rule.source.name,
        category: "FIT",
        points: rule.source.points,
        interactionId: null,
        awardedAt: now,
        expiresAt: null,
      });
    }
    return awards;
  }

  nextStage(current: string, facts: StageFacts): StageMove | null {
    const stages = this.funnel.stages;
    const wanted = current.trim().toLowerCase();
    const from = stages.findIndex((s) => s.toLowerCase() === wanted);
    if (from < 0) return null;
    const scope: Scope = { lead: facts.lead, ix: null, target: null, totals: facts, interactions: facts.interactions };
    for (let i = stages.length - 1; i > from; i--) {
      const stage = this.stageConditions.get(stages[i].toLowerCase());
      if (stage !== undefined && stage.holds(scope)) return { from: stages[from], to: stages[i], rule: stage.rule.text };
    }
    return null;
  }

  /** The rule of a stage (by name, ignoring case), if it has one. */
  stageRuleOf(stage: string): CheckedStageRule | undefined {
    return this.stageConditions.get(stage.toLowerCase())?.rule;
  }

  /** Whether an award of the rule at `ruleIndex` decays. */
  decaysRule(ruleIndex: number): boolean {
    return this.values[ruleIndex]?.decay != null;
  }

  /**
   * Why the activity rule at `ruleIndex` does or does not match an interaction, ignoring its
   * limits (for explanations); `undefined` for a fit rule.
   */
  matchOutcome(ruleIndex: number, lead: LeadFields, ix: InteractionFacts): HeadOutcome | undefined {
    const rule = this.activity.find((r) => r.source.index === ruleIndex);
    if (rule === undefined) return undefined;
    const typeRules = this.rulesOf(ix.type);
    if (typeRules === undefined || !typeRules.rules.includes(rule)) return "type";
    const scope = scopeFor(lead);
    this.enter(scope, ix, typeRules);
    return this.headOutcome(rule, scope);
  }

  /** Whether the fit rule at `ruleIndex` holds for these fields; `undefined` for an activity rule. */
  fitHolds(ruleIndex: number, lead: LeadFields): boolean | undefined {
    const rule = this.fitRules.find((r) => r.source.index === ruleIndex);
    return rule === undefined ? undefined : rule.holds(scopeFor(lead));
  }
}

/**
 * Compiles a model the checker accepted.
 *
 * @throws Error when the model reads a path outside the allow-list or is otherwise one the
 *   checker refuses (a `CheckedModel` from `check` never does).
 * @example
 *   const model = compileChecked(check(parse(source).ast, source).checked!);
 *   model.replay(lead, interactions, new Date()).score;
 */
export function compileChecked(checked: CheckedModel): CompiledModel {
  return new CompiledRules(checked);
}

/** The result of `compile`: a model when the source has no error, and every diagnostic. */
export interface CompileResult {
  model: CompiledModel | null;
  diagnostics: Diagnostic[];
}

/**
 * Parses, checks and compiles a model's source text. A source with a syntax error is not
 * checked (a half-parsed model would only add confusing diagnostics); a source with any error
 * yields `model: null`. Warnings come back either way.
 *
 * @example
 *   const { model, diagnostics } = compile('visit "/pricing" => +15');
 *   model?.replay(lead, interactions, new Date()).score;
 */
export function compile(source: string, options: CheckOptions = {}): CompileResult {
  const parsed = parse(source);
  if (hasErrors(parsed.diagnostics)) return { model: null, diagnostics: parsed.diagnostics };
  const checked = check(parsed.ast, source, options);
  const diagnostics = [...parsed.diagnostics, ...checked.diagnostics];
  return { model: checked.checked === null ? null : compileChecked(checked.checked), diagnostics };
}
