/**
 * The contract between the rule language and the rest of Qualify.
 *
 * - The checker (`checker.ts`) turns a parsed `Model` into a `CheckedModel`: every rule classified
 *   (activity or fit), named, with its modifiers resolved to numbers. Nothing here is executable.
 * - The compiler (`compiler.ts`) turns a `CheckedModel` into a `CompiledModel`: plain functions
 *   the service calls for every interaction. Field access is resolved at compile time from the
 *   allow-list below; user text never becomes code or a dynamic property name.
 *
 * Times are `Date`s (UTC instants); durations are milliseconds.
 */
import type { Condition, GroupStatement, ScoreRule, StageRule } from "./ast";

/** The Lead's own fields, as in the GraphQL API. `companySize` is a number; the rest are strings. */
export const LEAD_FIELDS = [
  "email",
  "firstName",
  "lastName",
  "role",
  "company",
  "industry",
  "companySize",
  "country",
  "source",
] as const;
export type LeadField = (typeof LEAD_FIELDS)[number];
export const NUMBER_LEAD_FIELDS: ReadonlySet<LeadField> = new Set<LeadField>(["companySize"]);

/** The funnel used when a model has no `funnel` statement. */
export const DEFAULT_FUNNEL: Funnel = {
  stages: ["Subscriber", "Lead", "MQL", "SQL", "Opportunity", "Customer", "Evangelist"],
  offPath: ["Other"],
};

/** A lead as the rules see it. */
export interface LeadFields {
  email: string;
  firstName?: string | null;
  lastName?: string | null;
  role?: string | null;
  company?: string | null;
  industry?: string | null;
  companySize?: number | null;
  country?: string | null;
  source?: string | null;
  attributes: Record<string, unknown>;
}

/** One recorded interaction as the rules see it. */
export interface InteractionFacts {
  id: string;
  /** Arrival order (monotonic per service); breaks ties between equal `occurredAt`. */
  seq: number;
  type: string;
  target: string | null;
  source: string | null;
  properties: Record<string, unknown>;
  occurredAt: Date;
}

export type ScoreCategory = "FIT" | "ENGAGEMENT";

export interface Funnel {
  /** The ordered path; a new lead starts at `stages[0]`. */
  stages: string[];
  /** Stages set only by hand (after `|`). */
  offPath: string[];
}

/**
 * One award of one rule. An activity rule awards at most once per interaction, so
 * `(interactionId, ruleIndex)` identifies an activity award; a fit award has `interactionId: null`.
 */
export interface Award {
  ruleIndex: number;
  /** The rule's name: its `rule "…":` name, or its source text with whitespace collapsed. */
  rule: string;
  category: ScoreCategory;
  points: number;
  interactionId: string | null;
  /** The interaction's `occurredAt`; for a fit award, the time it was evaluated. */
  awardedAt: Date;
  /** `null`: never expires. An award counts while `now < expiresAt`. */
  expiresAt: Date | null;
}

export interface Totals {
  fit: number;
  engagement: number;
  score: number;
}

/**
 * Why the score is what it is, per rule: the values as of now of its awards still counting (not
 * expired, not decayed to 0); a holding fit rule counts once.
 */
export interface RuleContribution {
  rule: string;
  category: ScoreCategory;
  points: number;
  count: number;
  /** The rule's group's name; null (or absent) when the rule is in none. */
  group?: string | null;
}

/** A group's points for a lead as of now. */
export interface GroupPoints {
  /** The group's place in `CheckedModel.groups`. */
  index: number;
  name: string;
  category: ScoreCategory;
  /** The sum of its rules' contributions, capped by its `max` (no floor). */
  points: number;
  /** The same sum without the cap. */
  uncapped: number;
}

/** Totals with each (non-empty) group's points, in the order of `CompiledModel.groups`. */
export interface GroupTotals extends Totals {
  groups: GroupPoints[];
}

/** The canonical replay of a lead. */
export interface Evaluation extends GroupTotals {
  /**
   * Every activity award of every interaction (dated at or after the reset, if any), in replay
   * order, including those expired or decayed to 0 by `now` (the ledger).
   */
  awards: Award[];
  /** One award per holding fit rule. */
  fitAwards: Award[];
  breakdown: RuleContribution[];
}

/** What the service holds for a lead before a new interaction is scored. */
export interface LeadHistory {
  lead: LeadFields;
  /** The lead's recorded interactions, in any order. */
  interactions: InteractionFacts[];
  /** Their current activity awards (the ledger rows of this model version). */
  awards: Award[];
  /**
   * The lead's engagement reset (recycling), if any: interactions dated before it earn nothing.
   * `awards` must already be the ledger of that reset (the replay with the same `resetAt`).
   */
  resetAt?: Date | null;
}

/** The effect of one new interaction: ledger rows to add and remove, and the new totals as of `now`. */
export interface IncrementalResult extends GroupTotals {
  added: Award[];
  /** Existing awards (of other interactions) that no longer hold: out-of-order arrivals can cause this. */
  removed: Award[];
}

/** What stage conditions can see. */
export interface StageFacts extends Totals {
  lead: LeadFields;
  /** The lead's interactions (for `has type ["pattern"]`), all of them: a reset does not hide them. */
  interactions: readonly InteractionFacts[];
  /**
   * The groups' points (`Evaluation.groups`, `IncrementalResult.groups` or `totalsOf(…).groups`).
   * Required when a stage rule reads `group "Name"`: without it that rule throws.
   */
  groups?: readonly GroupPoints[];
}

export interface StageMove {
  from: string;
  to: string;
  /** The stage rule that moved the lead, as canonical text: `stage MQL when score >= 50`. */
  rule: string;
}

/** A rule with everything the compiler needs resolved. */
export interface CheckedScoreRule {
  index: number;
  name: string;
  category: ScoreCategory;
  points: number;
  /** For an activity rule: the interaction type and the target pattern (null: any target). */
  activity: { type: string; pattern: string | null } | null;
  /** For a fit rule: its condition (paths are lead fields / `attributes.<key>`). */
  condition: Condition | null;
  /** For an activity rule: the `where` condition (`target`, `source`, `properties.<key>`, `lead.<field>`). */
  where: Condition | null;
  /** `at least K times within D`. */
  frequency: { count: number; withinMs: number } | null;
  /** `max N` (`once` is 1); null: uncapped. */
  max: number | null;
  /** `expires after D`; null: never. */
  expiresMs: number | null;
  /** The decay of its awards: its own `decays`, else its group's; null: none (always null for a fit rule). */
  decay: DecaySpec | null;
  /** Its group's place in `CheckedModel.groups`; null when the rule is in no group. */
  group: number | null;
  node: ScoreRule;
}

/** `decays r% every D`, resolved. */
export interface DecaySpec {
  /** 1 to 99. */
  percent: number;
  everyMs: number;
}

/** A `group "Name" … { … }`. */
export interface CheckedGroup {
  /** Its place in `CheckedModel.groups` (source order). */
  index: number;
  /** The name as written, without surrounding spaces. */
  name: string;
  /** The kind of all its rules; null for an empty group. */
  category: ScoreCategory | null;
  /** `max N`; null: uncapped. */
  max: number | null;
  /** The group's own `decays` (also copied into each of its activity rules without one). */
  decay: DecaySpec | null;
  node: GroupStatement;
}

export interface CheckedStageRule {
  stage: string;
  /** Canonical text, used as `StageTransition.rule`. */
  text: string;
  condition: Condition;
  node: StageRule;
}

/** A model that passed the checker with no error. */
export interface CheckedModel {
  funnel: Funnel;
  /** Every score rule, grouped or not, numbered in source order. */
  scoreRules: CheckedScoreRule[];
  stageRules: CheckedStageRule[];
  /** Every group declared, empty ones included (absent: none). */
  groups?: CheckedGroup[];
}

/** Options of the checker and compiler. */
export interface CheckOptions {
  /** Known interaction types; a type outside it gets a warning with a suggestion. */
  catalog?: readonly string[];
}

/** The executable model. Every function is pure. */
export interface CompiledModel {
  readonly funnel: Funnel;
  readonly rules: readonly CheckedScoreRule[];
  /** True when some `where` reads `lead.<field>`: a field change then needs an engagement replay. */
  readonly engagementReadsLead: boolean;
  /** The groups that have rules, in source order (an empty group is left out). */
  readonly groups: readonly CheckedGroup[];
  /** True when some rule decays: award values then change with time (see `nextChange`). */
  readonly decays: boolean;

  /**
   * The canonical replay: interactions in `(occurredAt, seq)` order, evaluated as of `now`.
   * With `resetAt` (an engagement reset), interactions dated before it are left out of the
   * scoring: no awards, no place in caps or windows.
   */
  replay(lead: LeadFields, interactions: readonly InteractionFacts[], now: Date, resetAt?: Date | null): Evaluation;

  /**
   * Scores one new interaction against the lead's history; touches only the awards that can
   * change (the new one's, and for an out-of-order arrival the later ones of capped or windowed
   * rules). Always agrees with `replay`.
   */
  incremental(history: LeadHistory, interaction: InteractionFacts, now: Date): IncrementalResult;

  /**
   * The fit rules that hold for these fields. `fit` is the sum of their points with the groups'
   * caps applied (the same as `totalsOf([], awards, now).fit`).
   */
  fit(lead: LeadFields, now: Date): { fit: number; awards: Award[] };

  /**
   * The totals, as of `now`, of a ledger (activity awards: decayed values, expired and 0-valued
   * awards left out) and fit awards, with each group's points and cap.
   */
  totalsOf(activity: Iterable<Award>, fit: Iterable<Award>, now: Date): GroupTotals;

  /** What one award is worth as of `now`: its points decayed, 0 once expired or decayed away. */
  awardValue(award: Award, now: Date): number;

  /**
   * The next instant after `now` at which the value of one of these awards changes (a decay step
   * or an expiry); null when none ever will. A sweeper rescores a lead at that instant.
   */
  nextChange(awards: Iterable<Award>, now: Date): Date | null;

  /** Per rule, in rule order, what the awards contribute as of `now` (as in `Evaluation.breakdown`). */
  breakdownOf(activity: Iterable<Award>, fit: Iterable<Award>, now: Date): RuleContribution[];

  /**
   * The stage to move to: the furthest stage on the path whose condition holds, if it is ahead of
   * `current`. Null when there is no move, or when `current` is off-path or not in the funnel.
   */
  nextStage(current: string, facts: StageFacts): StageMove | null;
}
