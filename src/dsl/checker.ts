/**
 * The checker: a parsed `Model` to a `CheckedModel` (see `model.ts`), or the reasons it cannot be
 * published. Every diagnostic code is listed in `docs/language.md` ("What the checker says").
 *
 * Classification (spec, "Meaning/Heads"): a score rule whose condition is a single `Bare` on one
 * identifier that is not a lead field, with no value or a text value, is an *activity rule*; every
 * other score rule is a *fit rule*, whose paths must be lead fields or `attributes.<key…>`.
 *
 * Decisions the spec leaves open (documented in the language reference):
 * - stage names are case-sensitive identifiers; a funnel listing a stage twice (in any case) is an
 *   error (DUPLICATE_STAGE);
 * - `attributes.<key…>`, `properties.<key…>` and `lead.attributes.<key…>` may be nested
 *   (`attributes.billing.plan`); the keys `__proto__`, `constructor` and `prototype` are refused;
 * - interaction types must be lowercase identifiers (the API refuses others, so such a rule could
 *   never match): INVALID_INTERACTION_TYPE;
 * - an unnamed rule's name keeps the spaces inside its strings; two rules written the same way are
 *   duplicate names;
 * - `at least K times` on a fit rule, `where` on a fit rule, and an ordering comparison with a text
 *   value on an untyped field are errors.
 */
import type {
  CompareCondition,
  Condition,
  Decay,
  Duration,
  GroupStatement,
  HasCondition,
  Model,
  Modifier,
  Name,
  NumberLiteral,
  Path,
  ScoreRule,
  SourceRange,
  StageRule,
  StringLiteral,
  Value,
} from "./ast";
import { DEFAULT_INTERACTION_TYPES } from "./catalog";
import { diagnostic, hasErrors, type Diagnostic, type Severity } from "./diagnostics";
import { didYouMean, lexicalDistance } from "./did-you-mean";
import { MAX_COUNT, MAX_DURATION_DAYS } from "./limits";
import {
  DEFAULT_FUNNEL,
  LEAD_FIELDS,
  NUMBER_LEAD_FIELDS,
  type CheckedGroup,
  type CheckedModel,
  type CheckedScoreRule,
  type DecaySpec,
  type CheckedStageRule,
  type CheckOptions,
  type Funnel,
  type LeadField,
} from "./model";
import { printDuration, printStageRule, printString, printValue } from "./printer";
import { contradiction } from "./satisfiability";

/**
 * A machine-applicable correction of one diagnostic: replace `range` with `text`. Given for every
 * "Did you mean …?" and for each "write … instead" whose text is certain (editors offer it as a
 * quick fix).
 */
export interface Suggestion {
  range: SourceRange;
  text: string;
}

/** The result of `check`: `checked` is null when any diagnostic is an error. */
export interface CheckResult {
  diagnostics: Diagnostic[];
  checked: CheckedModel | null;
  /** The correction of each diagnostic that has one (the diagnostics themselves are unchanged). */
  suggestions: ReadonlyMap<Diagnostic, Suggestion>;
}

const MINUTE_MS = 60_000;
const UNIT_MS: Readonly<Record<Duration["unit"], number>> = {
  minute: MINUTE_MS,
  hour: 60 * MINUTE_MS,
  day: 24 * 60 * MINUTE_MS,
  week: 7 * 24 * 60 * MINUTE_MS,
};
const MAX_DURATION_MS = MAX_DURATION_DAYS * UNIT_MS.day;

/** Keys that would reach an object's prototype at run time; never valid attribute or property keys. */
const RESERVED_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);
const INTERACTION_TYPE = /^[a-z_][a-z0-9_]*$/;
/** At most this many edits from a lead field, an unknown activity head is taken for a misspelt field. */
const MAX_TYPO_DISTANCE = 2;
const LEAD_FIELD_SET: ReadonlySet<string> = new Set(LEAD_FIELDS);
const METRICS = ["score", "fit", "engagement"] as const;

/** What a path holds, for type checks. */
type ValueType = "text" | "number" | "untyped";

/** Where a condition stands: what its paths may name. */
type Scope = "fit" | "where" | "stage";

const SCOPE_FIELDS: Readonly<Record<Scope, string>> = {
  fit: `${LEAD_FIELDS.join(", ")} or attributes.<key>`,
  where: "target, source, properties.<key>, lead.<field> or lead.attributes.<key>",
  stage: `score, fit, engagement, ${LEAD_FIELDS.join(", ")} or attributes.<key>`,
};

const MODIFIER_TEXT: Readonly<Record<Modifier["kind"], string>> = {
  Once: "once",
  Max: "max",
  Expires: "expires after",
  Decays: "decays",
};

/** A group's name as matched: case and surrounding spaces ignored. */
const groupKey = (name: string): string => name.trim().toLowerCase();

function pathText(path: Path): string {
  return path.segments.map((s) => s.value).join(".");
}

function quote(text: string): string {
  return `"${text}"`;
}

function fieldType(field: string): ValueType {
  return NUMBER_LEAD_FIELDS.has(field as LeadField) ? "number" : "text";
}

/**
 * An unnamed rule's name: its source text with comments removed and every run of spaces and line
 * breaks (outside strings) collapsed to one space, e.g. `visit "/pricing" => +15`.
 */
export function ruleSourceName(source: string, range: SourceRange): string {
  const end = Math.min(range.end.offset, source.length);
  let name = "";
  let pendingSpace = false;
  let i = range.start.offset;
  while (i < end) {
    const c = source.charCodeAt(i);
    if (c === 35 /* # */) {
      while (i < end && !isLineBreak(source.charCodeAt(i))) i++;
      pendingSpace = true;
    } else if (isSpace(c)) {
      i++;
      pendingSpace = true;
    } else {
      // A run of text up to the next space or comment; a string literal is taken whole, spaces and all.
      const start = i;
      while (i < end) {
        const d = source.charCodeAt(i);
        if (d === 34 /* " */) i = stringEnd(source, i, end);
        else if (isSpace(d) || d === 35) break;
        else i++;
      }
      if (pendingSpace && name !== "") name += " ";
      name += source.slice(start, i);
      pendingSpace = false;
    }
  }
  return name;
}

function isLineBreak(c: number): boolean {
  return c === 10 || c === 13;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11 || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029;
}

/** The offset just after the string literal starting at `start` (or the end of its line). */
function stringEnd(source: string, start: number, end: number): number {
  for (let i = start + 1; i < end; i++) {
    const c = source.charCodeAt(i);
    if (c === 92 /* \ */) i++;
    else if (c === 34) return i + 1;
    else if (isLineBreak(c)) return i;
  }
  return end;
}

class Checker {
  readonly diagnostics: Diagnostic[] = [];
  readonly suggestions = new Map<Diagnostic, Suggestion>();
  private readonly catalog: ReadonlySet<string>;
  private readonly catalogList: readonly string[];

  constructor(
    private readonly source: string,
    options: CheckOptions,
  ) {
    this.catalogList = options.catalog ?? DEFAULT_INTERACTION_TYPES;
    this.catalog = new Set(this.catalogList);
  }

  /** Reports a diagnostic, with the text that corrects it when there is one (`fix`). */
  report(severity: Severity, code: string, message: string, range: SourceRange, fix?: Suggestion): void {
    const reported = diagnostic(severity, code, message, range);
    this.diagnostics.push(reported);
    if (fix !== undefined) this.suggestions.set(reported, fix);
  }

  error(code: string, message: string, range: SourceRange, fix?: Suggestion): void {
    this.report("error", code, message, range, fix);
  }

  // --- funnel ---------------------------------------------------------------------------------

  funnel(ast: Model): Funnel {
    const statements = ast.statements.filter((s) => s.kind === "Funnel");
    for (const extra of statements.slice(1)) {
      this.error(
        "DUPLICATE_FUNNEL",
        `A model has one funnel, and this is the second (the first is on line ${statements[0].range.start.line}). Keep one "funnel" statement.`,
        extra.range,
      );
    }
    const declared = statements[0];
    if (declared === undefined) return DEFAULT_FUNNEL;
    const seen = new Map<string, Name>();
    for (const stage of [...declared.stages, ...declared.offPath]) {
      const key = stage.value.toLowerCase();
      const first = seen.get(key);
      if (first) {
        this.error("DUPLICATE_STAGE", `The funnel lists the stage ${quote(first.value)} twice. Each stage appears once.`, stage.range);
      } else {
        seen.set(key, stage);
      }
    }
    return { stages: declared.stages.map((s) => s.value), offPath: declared.offPath.map((s) => s.value) };
  }

  // --- score rules ----------------------------------------------------------------------------

  /** Checks a score rule; `group` is the group it is written in, if any. */
  scoreRule(rule: ScoreRule, index: number, group: CheckedGroup | null = null): CheckedScoreRule {
    const activity = this.activityHead(rule.condition);
    const points = this.points(rule);
    const name = rule.name ? rule.name.value.trim() : ruleSourceName(this.source, rule.range);
    if (rule.name && name === "") this.error("EMPTY_RULE_NAME", 'A rule\'s name cannot be empty: write rule "Demo request": …', rule.name.range);
    // Object literals, not spreads: V8's spread path made checking ten times slower.
    if (activity === null) {
      this.fitRuleExtras(rule);
      this.condition(rule.condition, "fit");
      this.unreachable(rule.condition, "rule");
      return {
        index,
        name,
        category: "FIT",
        points,
        activity: null,
        condition: rule.condition,
        where: null,
        frequency: null,
        max: null,
        expiresMs: null,
        decay: null,
        group: group === null ? null : group.index,
        node: rule,
      };
    }
    if (rule.where) {
      this.condition(rule.where, "where");
      this.unreachable(rule.where, "rule");
    }
    const { max, expiresMs, decay } = this.modifiers(rule.modifiers);
    return {
      index,
      name,
      category: "ENGAGEMENT",
      points,
      activity,
      condition: null,
      where: rule.where,
      frequency: rule.frequency ? this.frequency(rule.frequency.count, rule.frequency.within) : null,
      max,
      expiresMs,
      decay: decay ?? group?.decay ?? null,
      group: group === null ? null : group.index,
      node: rule,
    };
  }

  /**
   * The interaction type and pattern of an activity rule's head, or null for a fit rule. Reports
   * what is wrong with the head itself (a misspelt lead field, an invalid or unknown type).
   */
  private activityHead(condition: Condition): { type: string; pattern: string | null } | null {
    if (condition.kind !== "Bare" || condition.path.segments.length !== 1) return null;
    const type = condition.path.segments[0];
    if (LEAD_FIELD_SET.has(type.value) || type.value === "attributes") return null;
    if (condition.value?.kind === "Number") {
      // `visit 5`: a target written without quotes, unless the name is a misspelt number field.
      if (didYouMean(type.value, LEAD_FIELDS) !== undefined) return null;
      this.error(
        "TYPE_MISMATCH",
        `An interaction's target pattern is a text: write ${type.value} "${condition.value.raw}".`,
        condition.range,
      );
      return { type: type.value, pattern: null };
    }
    if (!this.catalog.has(type.value)) {
      const field = didYouMean(type.value, LEAD_FIELDS);
      const known = didYouMean(type.value, this.catalogList);
      const distance = field === undefined ? Infinity : lexicalDistance(type.value, field);
      if (field !== undefined && distance <= MAX_TYPO_DISTANCE && (known === undefined || distance <= lexicalDistance(type.value, known))) {
        // `rol "CEO"` is far likelier a misspelt field than a new kind of interaction.
        this.error("UNKNOWN_FIELD", `Unknown lead field ${quote(type.value)}. Did you mean ${quote(field)}?`, type.range, { range: type.range, text: field });
        return { type: type.value, pattern: null };
      }
    }
    this.interactionType(type);
    const pattern = condition.value?.kind === "String" ? condition.value.value : null;
    if (pattern !== null && pattern.trim() === "") {
      this.report(
        "warning",
        "UNREACHABLE_RULE",
        `An empty pattern matches no interaction. Remove it to match any target: ${type.value} => …`,
        condition.value!.range,
      );
    }
    return { type: type.value, pattern };
  }

  /** Checks an interaction type's spelling: lowercase (error) and in the catalog (warning). */
  private interactionType(type: Name): void {
    const value = type.value;
    const field = LEAD_FIELD_SET.has(value) ? ` ${quote(value)} is a lead field: to test it, write ${value} is set.` : "";
    if (!INTERACTION_TYPE.test(value)) {
      const message = field
        ? `Interaction types are lowercase names, and${field}`
        : `Interaction types are lowercase names (letters, digits and "_"): write ${quote(value.toLowerCase())}.`;
      this.error("INVALID_INTERACTION_TYPE", message, type.range);
      return;
    }
    if (this.catalog.has(value)) return;
    const suggestion = didYouMean(value, this.catalogList);
    const hint = field || (suggestion ? ` Did you mean ${quote(suggestion)}?` : " Check the spelling, or add the type to the catalog.");
    const fix = !field && suggestion !== undefined ? { range: type.range, text: suggestion } : undefined;
    this.report("warning", "UNKNOWN_INTERACTION_TYPE", `The interaction type ${quote(value)} is not in the catalog.${hint}`, type.range, fix);
  }

  private fitRuleExtras(rule: ScoreRule): void {
    if (rule.where) {
      this.error(
        "WHERE_ON_FIT_RULE",
        '"where" tests an interaction, so it only follows an activity (visit "/pricing" where …). In a fit rule, combine conditions with "and".',
        rule.where.range,
      );
    }
    if (rule.frequency) {
      this.error(
        "FREQUENCY_ON_FIT_RULE",
        '"at least … times within …" counts interactions, so it only follows an activity (visit "/pricing" at least 3 times within 7 days).',
        rule.frequency.range,
      );
    }
    for (const modifier of rule.modifiers) {
      const why = modifier.kind === "Decays" ? "a fit rule's points last while it holds" : "a fit rule counts once while it holds";
      this.error("MODIFIER_ON_FIT_RULE", `${quote(MODIFIER_TEXT[modifier.kind])} applies to activity rules only: ${why}.`, modifier.range);
    }
  }

  private points(rule: ScoreRule): number {
    const points = rule.points;
    const magnitude = Math.abs(points.value);
    if (!Number.isInteger(points.value)) {
      this.error("OUT_OF_RANGE", `Points are whole numbers: write ${rounded(points.value)} instead of ${points.raw}.`, points.range);
    } else if (magnitude > MAX_COUNT) {
      this.error("OUT_OF_RANGE", `Points are at most 1,000,000 (here ${points.raw}).`, points.range);
    } else if (magnitude === 0) {
      this.report("warning", "ZERO_POINTS", "This rule awards 0 points, so it has no effect.", points.range);
    }
    return points.value;
  }

  /** A positive whole count (`max N`, `at least N times`). */
  private count(count: NumberLiteral, zeroCode: string, zeroMessage: string): number {
    if (!Number.isInteger(count.value)) {
      this.error("OUT_OF_RANGE", `Counts are whole numbers, not ${count.raw}.`, count.range);
    } else if (count.value > MAX_COUNT) {
      this.error("OUT_OF_RANGE", `Counts are at most 1,000,000 (here ${count.raw}).`, count.range);
    } else if (count.value === 0) {
      this.error(zeroCode, zeroMessage, count.range);
    }
    return count.value;
  }

  private duration(duration: Duration): number {
    const amount = duration.amount.value;
    const ms = amount * UNIT_MS[duration.unit];
    if (!Number.isInteger(amount)) {
      this.error("OUT_OF_RANGE", `Durations are whole numbers of ${duration.unit}s, not ${duration.amount.raw}.`, duration.range);
    } else if (amount === 0) {
      this.error("ZERO_DURATION", "A duration of 0 never lets anything count. Use at least 1 minute.", duration.range);
    } else if (ms > MAX_DURATION_MS) {
      this.error("OUT_OF_RANGE", "Durations are at most 3,650 days (10 years).", duration.range);
    }
    return ms;
  }

  private frequency(count: NumberLiteral, within: Duration): { count: number; withinMs: number } {
    return {
      count: this.count(count, "ZERO_TIMES", '"at least 0 times" always holds: count at least 1 time, or remove "at least … within …".'),
      withinMs: this.duration(within),
    };
  }

  /** `decays r% every D`: r a whole number from 1 to 99, D a valid duration. */
  decay(decay: Decay): DecaySpec {
    const percent = decay.percent;
    if (!Number.isInteger(percent.value)) {
      this.error("OUT_OF_RANGE", `A decay is a whole percentage from 1 to 99, not ${percent.raw}%.`, percent.range);
    } else if (percent.value >= 100) {
      this.error(
        "OUT_OF_RANGE",
        `A decay is at most 99%: to take all the points away after a time, write expires after ${printDuration(decay.every)}.`,
        percent.range,
      );
    } else if (percent.value < 1) {
      this.error("OUT_OF_RANGE", "A decay of 0% changes nothing: decay by 1% to 99%, or remove it.", percent.range);
    }
    return { percent: percent.value, everyMs: this.duration(decay.every) };
  }

  private modifiers(modifiers: readonly Modifier[]): { max: number | null; expiresMs: number | null; decay: DecaySpec | null } {
    let max: number | null = null;
    let expiresMs: number | null = null;
    let decay: DecaySpec | null = null;
    let cap: Extract<Modifier, { kind: "Once" | "Max" }> | null = null;
    let expiry: Modifier | null = null;
    let decays: Modifier | null = null;
    for (const modifier of modifiers) {
      if (modifier.kind === "Decays") {
        if (decays) {
          this.error("CONFLICTING_MODIFIERS", 'This rule already says how its points decay: keep one "decays".', modifier.range);
        } else {
          decays = modifier;
          decay = this.decay(modifier);
        }
        continue;
      }
      if (modifier.kind === "Expires") {
        if (expiry) {
          this.error("CONFLICTING_MODIFIERS", 'This rule already says when its points expire: keep one "expires after".', modifier.range);
        } else {
          expiry = modifier;
          expiresMs = this.duration(modifier.after);
        }
        continue;
      }
      if (cap) {
        const already = cap.kind === "Once" ? '"once" (which means max 1)' : `"max ${cap.count.raw}"`;
        this.error("CONFLICTING_MODIFIERS", `This rule already has ${already}: keep one of "once" and "max".`, modifier.range);
        continue;
      }
      cap = modifier;
      max =
        modifier.kind === "Once"
          ? 1
          : this.count(modifier.count, "ZERO_MAX", '"max 0" would never award points. Remove the rule, or allow at least max 1.');
    }
    return { max, expiresMs, decay };
  }

  // --- groups ---------------------------------------------------------------------------------

  /** Names already declared, by key (for duplicates and for `group "Name"` in stage rules). */
  readonly groupNames = new Map<string, GroupStatement>();

  /** A group's header (name, `max`, `decays`): the group as its rules will see it. */
  groupHeader(group: GroupStatement, index: number): CheckedGroup {
    const name = group.name.value.trim();
    const key = groupKey(name);
    const first = this.groupNames.get(key);
    if (name === "") {
      this.error("EMPTY_GROUP_NAME", 'A group\'s name cannot be empty: write group "Product A" { … }', group.name.range);
    } else if (first) {
      this.error(
        "DUPLICATE_GROUP",
        `Another group is already named ${quote(first.name.value.trim())} (line ${first.range.start.line}). Group names must be unique.`,
        group.name.range,
      );
    } else {
      this.groupNames.set(key, group);
    }
    let max: number | null = null;
    let decay: DecaySpec | null = null;
    let cap: GroupStatement["settings"][number] | null = null;
    let decays: GroupStatement["settings"][number] | null = null;
    for (const setting of group.settings) {
      if (setting.kind === "Max") {
        if (cap) this.error("CONFLICTING_MODIFIERS", 'This group already has a "max": keep one.', setting.range);
        else {
          cap = setting;
          max = this.count(setting.count, "ZERO_MAX", '"max 0" would cap the group at nothing. Remove the group\'s max, or allow at least max 1.');
        }
      } else if (decays) {
        this.error("CONFLICTING_MODIFIERS", 'This group already says how its points decay: keep one "decays".', setting.range);
      } else {
        decays = setting;
        decay = this.decay(setting);
      }
    }
    if (group.rules.length === 0) {
      this.report("warning", "EMPTY_GROUP", `The group ${quote(name)} has no rules, so it is always worth 0 and is left out of the lead's groups.`, group.range);
    }
    return { index, name, category: null, max, decay, node: group };
  }

  /** Once a group's rules are checked: one kind of rule, and no `decays` on a group of fit rules. */
  groupRules(group: CheckedGroup, rules: readonly CheckedScoreRule[]): void {
    if (rules.length === 0) return;
    const category = rules[0].category;
    group.category = category;
    for (const rule of rules) {
      if (rule.category === category) continue;
      const [kind, other] = category === "FIT" ? ["fit", "an activity"] : ["activity", "a fit"];
      this.error(
        "MIXED_GROUP",
        `The group ${quote(group.name)} holds ${kind} rules (its first rule is one), so this rule, ${other} rule, cannot be in it. Put it in a group of its own kind, or outside any group.`,
        rule.node.range,
      );
    }
    const decays = group.node.settings.find((s) => s.kind === "Decays");
    if (category === "FIT" && decays !== undefined) {
      this.error("MODIFIER_ON_FIT_RULE", `"decays" applies to activity rules only, and the group ${quote(group.name)} holds fit rules: a fit rule's points last while it holds.`, decays.range);
    }
  }

  // --- conditions -----------------------------------------------------------------------------

  /** Checks every path, value and operator of a condition in a scope. */
  condition(condition: Condition, scope: Scope): void {
    switch (condition.kind) {
      case "Or":
      case "And":
        for (const operand of condition.operands) this.condition(operand, scope);
        return;
      case "Not":
        this.condition(condition.operand, scope);
        return;
      case "Has":
        this.has(condition, scope);
        return;
      case "Compare":
        this.compare(condition, scope);
        return;
      case "In": {
        const type = this.path(condition.path, scope);
        for (const value of condition.values) this.equalityValue(condition.path, type, value, value.range);
        return;
      }
      case "IsSet":
        this.path(condition.path, scope);
        return;
      case "Bare":
        this.bare(condition.path, condition.value, condition.range, scope);
        return;
    }
  }

  /** Whether `group "Name"` names a declared group; reports it (with the nearest name) when not. */
  private knownGroup(name: StringLiteral, range: SourceRange): boolean {
    if (this.groupNames.has(groupKey(name.value))) return true;
    const names = [...this.groupNames.values()].map((g) => g.name.value.trim());
    const suggestion = didYouMean(name.value.trim(), names);
    const hint =
      suggestion !== undefined
        ? ` Did you mean ${quote(suggestion)}?`
        : names.length > 0
          ? ` The model's groups are ${names.map(quote).join(", ")}.`
          : ' The model has no group: declare one with group "Name" { … }.';
    const fix = suggestion === undefined ? undefined : { range: name.range, text: printString(suggestion) };
    this.error("UNKNOWN_GROUP", `Unknown group ${quote(name.value)}.${hint}`, range, fix);
    return false;
  }

  private has(condition: HasCondition, scope: Scope): void {
    if (scope !== "stage") {
      this.error(
        "HAS_IN_SCORE_RULE",
        `"has" looks at the lead's whole history, so it belongs in a stage rule. To score the interaction, write it as an activity rule: ${condition.type.value} => +10.`,
        condition.range,
      );
      return;
    }
    this.interactionType(condition.type);
  }

  private compare(condition: CompareCondition, scope: Scope): void {
    let type: ValueType | null;
    let subject: string;
    if (condition.left.kind === "Metric") {
      const group = condition.left.group;
      subject = group === undefined ? condition.left.name : `group ${printString(group.value)}`;
      if (scope !== "stage") {
        const example = group === undefined ? "score >= 50" : `${subject} >= 30`;
        this.error(
          "METRIC_IN_SCORE_RULE",
          `${group === undefined ? quote(subject) : subject} cannot be used in a score rule: a rule's points cannot depend on the score. Use it in a stage rule, e.g. stage MQL when ${example}.`,
          condition.left.range,
        );
        return;
      }
      if (group !== undefined && !this.knownGroup(group, condition.left.range)) return;
      type = "number";
    } else {
      subject = pathText(condition.left);
      type = this.path(condition.left, scope);
    }
    if (type === null) return;
    this.checkNumber(condition.right);
    const op = condition.op;
    const right = condition.right;
    if (op === "contains" || op === "startsWith" || op === "endsWith") {
      if (type === "number") {
        this.error("TYPE_MISMATCH", `${subject} is a number: ${quote(op)} works on text. Compare numbers with =, >, >=, < or <=.`, condition.range);
      } else if (right.kind === "Number") {
        this.error("TYPE_MISMATCH", `${quote(op)} compares text: put the value in double quotes, e.g. ${subject} ${op} "${right.raw}".`, condition.range);
      }
    } else if (op === ">" || op === ">=" || op === "<" || op === "<=") {
      if (type === "text") {
        this.error("TYPE_MISMATCH", `${subject} is text: ${quote(op)} compares numbers. Use =, contains, startsWith or endsWith.`, condition.range);
      } else if (right.kind === "String") {
        this.error("TYPE_MISMATCH", `${quote(op)} compares numbers, but ${printValue(right)} is text. Write a number without quotes.`, condition.range);
      }
    } else if (condition.left.kind === "Metric") {
      if (right.kind === "String") {
        this.error("TYPE_MISMATCH", `${subject} is a number: compare it with a number, e.g. ${subject} ${op} 50.`, condition.range);
      }
    } else {
      this.equalityValue(condition.left, type, right, condition.range);
    }
  }

  /** `=`, `!=`, `in` and the implicit `=`: the value's kind must suit the field's. */
  private equalityValue(path: Path, type: ValueType | null, value: Value, range: SourceRange): void {
    this.checkNumber(value);
    const subject = pathText(path);
    if (type === "number" && value.kind === "String") {
      this.error("TYPE_MISMATCH", `${subject} is a number: compare it with a number without quotes, e.g. ${subject} = 50.`, range);
    } else if (type === "text" && value.kind === "Number") {
      this.error("TYPE_MISMATCH", `${subject} is text: put the value in double quotes, e.g. ${subject} = "${value.raw}".`, range);
    }
  }

  private checkNumber(value: Value): void {
    if (value.kind === "Number" && !Number.isFinite(value.value)) {
      this.error("OUT_OF_RANGE", "This number is too large.", value.range);
    }
  }

  private bare(path: Path, value: Value | null, range: SourceRange, scope: Scope): void {
    const head = path.segments[0].value;
    const single = path.segments.length === 1;
    if (scope === "stage" && single && !LEAD_FIELD_SET.has(head) && head !== "attributes" && didYouMean(head, LEAD_FIELDS) === undefined) {
      const target = value?.kind === "String" ? ` ${printValue(value)}` : "";
      this.error(
        "BARE_IDENTIFIER_IN_STAGE",
        `${quote(head + target)} alone is not a stage condition. To require that the lead has had this interaction, write has ${head}${target}.`,
        range,
        value?.kind === "Number" ? undefined : { range, text: `has ${head}${target}` },
      );
      return;
    }
    if (scope === "fit" && single && !LEAD_FIELD_SET.has(head) && head !== "attributes" && didYouMean(head, LEAD_FIELDS) === undefined) {
      const target = value?.kind === "String" ? ` ${printValue(value)}` : "";
      this.error(
        "UNKNOWN_FIELD",
        `Unknown lead field ${quote(head)}. If ${quote(head)} is an interaction, score it in a rule of its own (${head}${target} => +10) and add conditions with "where".`,
        path.range,
      );
      return;
    }
    const type = this.path(path, scope);
    if (type === null) return;
    if (value === null) {
      const text = pathText(path);
      const fix = { range, text: `${text} is set` };
      const message = `${quote(text)} alone is not a condition: write ${text} is set (or compare it, e.g. ${text} = "…").`;
      this.error(scope === "stage" ? "BARE_IDENTIFIER_IN_STAGE" : "BARE_FIELD", message, range, fix);
      return;
    }
    this.equalityValue(path, type, value, range);
  }

  /** Resolves a path in a scope to its value type, or reports it and returns null. */
  private path(path: Path, scope: Scope): ValueType | null {
    const names = path.segments.map((s) => s.value);
    const reserved = path.segments.find((s, i) => i > 0 && RESERVED_KEYS.has(s.value));
    if (reserved) {
      this.error("RESERVED_NAME", `${quote(reserved.value)} cannot be used as a key.`, reserved.range);
      return null;
    }
    const type = scope === "where" ? whereFieldType(names) : leadFieldType(names);
    if (type !== undefined) return type;
    const { message, replacement } = this.unknownField(names, scope);
    this.error("UNKNOWN_FIELD", message, path.range, replacement === undefined ? undefined : { range: path.range, text: replacement });
    return null;
  }

  /** What to say about an unknown path, and the path to write instead when that is certain. */
  private unknownField(names: readonly string[], scope: Scope): { message: string; replacement?: string } {
    const text = names.join(".");
    const head = names[0];
    const subject = scope === "where" ? `Unknown field ${quote(text)} in "where".` : `Unknown lead field ${quote(text)}.`;
    const write = (replacement: string, message: string) => ({ message: `${subject} ${message}`, replacement });
    if (scope !== "where" && head === "lead" && names.length > 1) {
      const without = names.slice(1).join(".");
      return write(without, `Outside "where", lead fields are written without "lead.": write ${without}.`);
    }
    if (scope !== "where" && (head === "properties" || head === "target")) {
      return { message: `${subject} ${quote(head)} belongs to an interaction: test it with "where" after an activity, e.g. visit where ${text} ….` };
    }
    if ((head === "attributes" || head === "properties") && names.length === 1) {
      return { message: `${subject} Name the key: ${head}.plan.` };
    }
    if (LEAD_FIELD_SET.has(head) && names.length > 1) {
      const message = `${subject} ${quote(head)} has no parts: write ${head}.`;
      // In "where" the bare field is no better: the message after the fix says to write lead.<field>.
      return scope === "where" ? { message } : { message, replacement: head };
    }
    if (scope === "where") {
      if (LEAD_FIELD_SET.has(head)) return write(`lead.${text}`, `In "where", the lead's fields are written lead.${head}.`);
      const suggestion = didYouMean(text, ["target", "source", ...LEAD_FIELDS.map((f) => `lead.${f}`)]);
      if (suggestion) return write(suggestion, `Did you mean ${quote(suggestion)}?`);
      return write(`properties.${text}`, `Did you mean ${quote(`properties.${text}`)}? "where" can test ${SCOPE_FIELDS.where}.`);
    }
    const candidates = scope === "stage" ? [...LEAD_FIELDS, ...METRICS] : LEAD_FIELDS;
    const suggestion = didYouMean(text, candidates);
    if (suggestion) return write(suggestion, `Did you mean ${quote(suggestion)}?`);
    return { message: `${subject} A ${scope === "stage" ? "stage" : "fit"} rule can test ${SCOPE_FIELDS[scope]}.` };
  }

  // --- stage rules ----------------------------------------------------------------------------

  stageRules(rules: readonly StageRule[], funnel: Funnel): CheckedStageRule[] {
    const checked: CheckedStageRule[] = [];
    const declared = new Map<string, StageRule>();
    for (const rule of rules) {
      const errorsBefore = this.diagnostics.length;
      this.stageName(rule, funnel, declared);
      this.condition(rule.condition, "stage");
      this.unreachable(rule.condition, "stage rule");
      if (!hasErrors(this.diagnostics.slice(errorsBefore))) {
        checked.push({ stage: rule.stage.value, text: printStageRule(rule), condition: rule.condition, node: rule });
      }
    }
    return checked;
  }

  private stageName(rule: StageRule, funnel: Funnel, declared: Map<string, StageRule>): void {
    const stage = rule.stage;
    if (funnel.offPath.includes(stage.value)) {
      this.error(
        "OFF_PATH_STAGE_RULE",
        `${quote(stage.value)} is off the funnel's path: only people move leads there, so it cannot have a rule.`,
        stage.range,
      );
      return;
    }
    if (!funnel.stages.includes(stage.value)) {
      const suggestion = didYouMean(stage.value, [...funnel.stages, ...funnel.offPath]);
      const hint = suggestion ? `Did you mean ${quote(suggestion)}?` : `The funnel's stages are ${funnel.stages.join(", ")}.`;
      const fix = suggestion === undefined ? undefined : { range: stage.range, text: suggestion };
      this.error("UNKNOWN_STAGE", `Unknown stage ${quote(stage.value)}. ${hint}`, stage.range, fix);
      return;
    }
    const previous = declared.get(stage.value);
    if (previous) {
      this.error(
        "DUPLICATE_STAGE_RULE",
        `The stage ${quote(stage.value)} already has a rule (line ${previous.range.start.line}). Combine the two conditions with "or".`,
        stage.range,
      );
      return;
    }
    declared.set(stage.value, rule);
    if (stage.value === funnel.stages[0]) {
      this.report(
        "warning",
        "FIRST_STAGE_RULE",
        `${quote(stage.value)} is the funnel's first stage: every lead starts there, so this rule never has an effect.`,
        stage.range,
      );
    }
  }

  // --- whole-model checks ---------------------------------------------------------------------

  private unreachable(condition: Condition, what: string): void {
    const path = contradiction(condition);
    if (path === null) return;
    this.report(
      "warning",
      "UNREACHABLE_RULE",
      `This ${what} can never apply: its conditions on ${quote(path)} contradict each other.`,
      condition.range,
    );
  }

  ruleNames(rules: readonly CheckedScoreRule[]): void {
    const seen = new Map<string, CheckedScoreRule>();
    for (const rule of rules) {
      const key = rule.name.trim().toLowerCase();
      if (key === "") continue;
      const first = seen.get(key);
      if (!first) {
        seen.set(key, rule);
        continue;
      }
      const line = first.node.range.start.line;
      if (rule.node.name) {
        this.error(
          "DUPLICATE_RULE_NAME",
          `Another rule is already named ${quote(rule.name)} (line ${line}). Rule names must be unique.`,
          rule.node.name.range,
        );
      } else {
        this.error(
          "DUPLICATE_RULE_NAME",
          `This rule is written exactly like the one on line ${line}, so both have the name ${quote(rule.name)}. Remove one, or name it with rule "…":.`,
          rule.node.range,
        );
      }
    }
  }
}

function rounded(value: number): string {
  const n = Math.round(value);
  return n < 0 ? `${n}` : `+${n}`;
}

/** The type of a fit or stage path (a lead field, `attributes.<key…>`), or undefined. */
function leadFieldType(names: readonly string[]): ValueType | undefined {
  if (names.length === 1 && LEAD_FIELD_SET.has(names[0])) return fieldType(names[0]);
  if (names.length > 1 && names[0] === "attributes") return "untyped";
  return undefined;
}

/** The type of a `where` path, or undefined. */
function whereFieldType(names: readonly string[]): ValueType | undefined {
  if (names.length === 1 && (names[0] === "target" || names[0] === "source")) return "text";
  if (names.length > 1 && names[0] === "properties") return "untyped";
  if (names.length > 1 && names[0] === "lead") return leadFieldType(names.slice(1));
  return undefined;
}

/**
 * Checks a parsed model: classifies, names and resolves every rule, and reports every error and
 * warning of the spec. `source` is the text the model was parsed from (it names unnamed rules).
 * `checked` is null when any diagnostic is an error.
 *
 * @example
 * const { ast } = parse(text);
 * const { diagnostics, checked } = check(ast, text, { catalog: ["visit", "download"] });
 */
export function check(ast: Model, source: string, options: CheckOptions = {}): CheckResult {
  const checker = new Checker(source, options);
  const funnel = checker.funnel(ast);
  const scoreRules: CheckedScoreRule[] = [];
  const stageRules: StageRule[] = [];
  const groups: CheckedGroup[] = [];
  for (const statement of ast.statements) {
    if (statement.kind === "ScoreRule") scoreRules.push(checker.scoreRule(statement, scoreRules.length));
    else if (statement.kind === "StageRule") stageRules.push(statement);
    else if (statement.kind === "Group") {
      const group = checker.groupHeader(statement, groups.length);
      groups.push(group);
      const rules: CheckedScoreRule[] = [];
      for (const rule of statement.rules) rules.push(checker.scoreRule(rule, scoreRules.length + rules.length, group));
      scoreRules.push(...rules);
      checker.groupRules(group, rules);
    }
  }
  checker.ruleNames(scoreRules);
  const checkedStages = checker.stageRules(stageRules, funnel);
  const diagnostics = checker.diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
  return {
    diagnostics,
    checked: hasErrors(diagnostics) ? null : { funnel, scoreRules, stageRules: checkedStages, groups },
    suggestions: checker.suggestions,
  };
}
