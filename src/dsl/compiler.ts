/**
 * The rule language's back end: a checked model becomes plain closures (`CompiledModel`).
 *
 * Compile once, run many: every path, pattern and literal is resolved here, and evaluating an
 * interaction is a lookup of the rules of its type followed by a few closure calls. The replay
 * (`replay`) is the definition of a lead's score; `incremental` re-evaluates only what a new
 * interaction can change and always agrees with it.
 */
import { check } from "./checker";
import { hasErrors, type Diagnostic } from "./diagnostics";
import type {
  Award,
  CheckedModel,
  CheckOptions,
  CheckedScoreRule,
  CheckedStageRule,
  CompiledModel,
  Evaluation,
  Funnel,
  IncrementalResult,
  InteractionFacts,
  LeadFields,
  LeadHistory,
  RuleContribution,
  StageFacts,
  StageMove,
} from "./model";
import { parse } from "./parse";
import { compileCondition, conditionPaths, scopeFor, type Predicate, type Scope } from "./runtime/conditions";
import { compareInteractions, counts, inCanonicalOrder, RuleLimiter } from "./runtime/ledger";
import { compilePatternShape, normaliseTarget, type CompiledPattern } from "./runtime/targets";
import { totalsOf } from "./runtime/totals";

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
}

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

function activityRule(rule: CheckedScoreRule): ActivityRule {
  const activity = rule.activity!;
  return {
    source: rule,
    type: activity.type.trim().toLowerCase(),
    pattern: activity.pattern === null ? null : compilePatternShape(activity.pattern),
    where: rule.where === null ? null : compileCondition(rule.where, "where"),
    limited: rule.max !== null || rule.frequency !== null,
    slot: -1,
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

function expiryMs(rule: CheckedScoreRule, atMs: number): number {
  return rule.expiresMs === null ? Infinity : atMs + rule.expiresMs;
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

  private readonly activity: ActivityRule[] = [];
  private readonly fitRules: FitRule[] = [];
  /** Activity rules by lower-cased type (a Map: types such as `constructor` are plain keys). */
  private readonly byType = new Map<string, TypeRules>();
  /** How many activity rules are limited. */
  private limitedRules = 0;
  /** Interaction types as given (`Visit`, ` visit`) resolved to their rules; bounded. */
  private readonly typeCache = new Map<string, TypeRules | null>();
  private readonly stageConditions = new Map<string, { rule: CheckedStageRule; holds: Predicate }>();

  constructor(checked: CheckedModel) {
    this.funnel = { stages: [...checked.funnel.stages], offPath: [...checked.funnel.offPath] };
    this.rules = checked.scoreRules;
    let readsLead = false;
    for (const rule of checked.scoreRules) {
      if (rule.activity === null) {
        if (rule.condition === null) throw new Error(`rule "${rule.name}" has neither an activity nor a condition`);
        this.fitRules.push({ source: rule, holds: compileCondition(rule.condition, "fit") });
        continue;
      }
      const compiled = activityRule(rule);
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
    for (const stageRule of checked.stageRules) {
      this.stageConditions.set(stageRule.stage.toLowerCase(), {
        rule: stageRule,
        holds: compileCondition(stageRule.condition, "stage"),
      });
    }
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

  replay(lead: LeadFields, interactions: readonly InteractionFacts[], now: Date): Evaluation {
    const ordered = inCanonicalOrder(interactions);
    const scope = scopeFor(lead);
    const limiters: (RuleLimiter | undefined)[] = new Array(this.limitedRules);
    const awards: Award[] = [];
    for (const ix of ordered) {
      const typeRules = this.rulesOf(ix.type);
      if (typeRules === undefined) continue;
      this.enter(scope, ix, typeRules);
      const atMs = ix.occurredAt.getTime();
      for (const rule of typeRules.rules) {
        if (!this.headMatches(rule, scope)) continue;
        if (rule.limited) {
          let limiter = limiters[rule.slot];
          if (limiter === undefined) limiter = limiters[rule.slot] = new RuleLimiter(rule.source);
          if (!limiter.admit(atMs, expiryMs(rule.source, atMs))) continue;
        }
        awards.push(makeAward(rule.source, ix, atMs));
      }
    }
    const nowMs = now.getTime();
    const fit = this.fit(lead, now);
    const engagement = sumCounting(awards, nowMs);
    return {
      ...totalsOf(fit.fit, engagement),
      awards,
      fitAwards: fit.awards,
      breakdown: this.breakdown(awards, fit.awards, nowMs),
    };
  }

  /** Per rule, in rule order: the awards still counting at `nowMs`, summed. */
  private breakdown(activity: readonly Award[], fit: readonly Award[], nowMs: number): RuleContribution[] {
    const byRule: (RuleContribution | undefined)[] = []; // indexed by rule index
    const add = (a: Award) => {
      const entry = byRule[a.ruleIndex];
      if (entry === undefined) byRule[a.ruleIndex] = { rule: a.rule, category: a.category, points: a.points, count: 1 };
      else {
        entry.points += a.points;
        entry.count++;
      }
    };
    for (const a of activity) if (counts(a, nowMs)) add(a);
    for (const a of fit) add(a);
    const contributions: RuleContribution[] = [];
    for (const entry of byRule) if (entry !== undefined) contributions.push(entry);
    return contributions;
  }

  incremental(history: LeadHistory, interaction: InteractionFacts, now: Date): IncrementalResult {
    const added: Award[] = [];
    const removed: Award[] = [];
    const typeRules = this.rulesOf(interaction.type);
    if (typeRules !== undefined) {
      const scope = scopeFor(history.lead);
      this.enter(scope, interaction, typeRules);
      const atMs = interaction.occurredAt.getTime();
      // Only the rules the new interaction matches can change: the others' matches are the same.
      const matched = typeRules.rules.filter((rule) => this.headMatches(rule, scope));
      for (const rule of matched) {
        if (rule.limited) this.rewalk(rule, typeRules, history, interaction, added, removed);
        else added.push(makeAward(rule.source, interaction, atMs));
      }
    }
    const nowMs = now.getTime();
    const fit = this.fit(history.lead, now).fit;
    const engagement = sumCounting(history.awards, nowMs, new Set(removed)) + sumCounting(added, nowMs);
    return { ...totalsOf(fit, engagement), added, removed };
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
      if (h.id === ix.id || h.type.trim().toLowerCase() !== rule.type) continue;
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
      if (earlierIds.has(a.interactionId)) earlierExpiries.push(a.expiresAt === null ? Infinity : a.expiresAt.getTime());
      else existing.set(a.interactionId, a);
    }
    earlierExpiries.sort((a, b) => a - b);
    for (const e of earlierExpiries) limiter.noteEarlierAward(e);

    if (limiter.admit(atMs, expiryMs(source, atMs))) added.push(makeAward(source, ix, atMs));
    for (const h of later) {
      const hMs = h.occurredAt.getTime();
      const awards = limiter.admit(hMs, expiryMs(source, hMs));
      const had = existing.get(h.id);
      if (awards && had === undefined) added.push(makeAward(source, h, hMs));
      else if (!awards && had !== undefined) removed.push(had);
    }
  }

  fit(lead: LeadFields, now: Date): { fit: number; awards: Award[] } {
    const scope = scopeFor(lead);
    const awards: Award[] = [];
    let fit = 0;
    for (const rule of this.fitRules) {
      if (!rule.holds(scope)) continue;
      fit += rule.source.points;
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
    return { fit, awards };
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
