/**
 * Conditions become closures at compile time.
 *
 * Every path is resolved here, once, to an accessor taken from a fixed allow-list: the lead's
 * fields (`LEAD_FIELDS`), `attributes.<key>`, and in a `where` also `target`, `source`,
 * `properties.<key>` and `lead.<field>`. A user-named key (`attributes.plan`) is read only as an
 * own property of plain data (`Object.prototype.hasOwnProperty.call`), so `constructor` or
 * `__proto__` never reach a prototype. No user text becomes code.
 */
import type { CompareCondition, Condition, Path, Value } from "../ast";
import { LEAD_FIELDS, type GroupPoints, type InteractionFacts, type LeadFields, type Totals } from "../model";
import { compilePattern, normaliseTarget } from "./targets";
import { equalsTest, isSet, orderingTest, textTest, type ValueTest } from "./values";

/**
 * What a compiled condition reads. The compiler fills one scope per evaluation and reuses it for
 * every rule, so evaluating allocates nothing.
 */
export interface Scope {
  lead: LeadFields;
  /** The interaction under evaluation (in a `where`), else null. */
  ix: InteractionFacts | null;
  /** Its target, normalised and lower-cased; null when it has none. */
  target: string | null;
  /** The lead's totals (stage conditions), with the groups' points when the model has groups. */
  totals: StageTotals;
  /** The lead's interactions (`has` in stage conditions). */
  interactions: readonly InteractionFacts[];
}

/** What a stage condition's metrics read. */
export interface StageTotals extends Totals {
  groups?: readonly GroupPoints[];
}

/**
 * How a stage condition finds a group by name (case and surrounding spaces ignored): its place in
 * the model's groups (`StageTotals.groups`), -1 for a group declared without rules (worth 0),
 * undefined for no such group.
 */
export type GroupLookup = (name: string) => number | undefined;

/** Totals that are all zero: what a scope outside a stage condition carries. */
export const NO_TOTALS: Totals = Object.freeze({ fit: 0, engagement: 0, score: 0 });

/** A fresh scope for a lead and, in a `where`, an interaction (its target normalised here). */
export function scopeFor(lead: LeadFields, ix: InteractionFacts | null = null): Scope {
  const target = ix === null ? null : normaliseTarget(ix.target);
  return { lead, ix, target: target === null ? null : target.toLowerCase(), totals: NO_TOTALS, interactions: [] };
}

/** A compiled condition. */
export type Predicate = (scope: Scope) => boolean;
type Getter = (scope: Scope) => unknown;

/** Where a condition stands, which decides the paths it may read. */
export type ConditionContext = "fit" | "where" | "stage";

/** A condition that names something the allow-list does not have: the checker should have refused it. */
export class ConditionCompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConditionCompileError";
  }
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Reads an own property of plain data; anything inherited (or a non-object) reads as absent. */
export function ownValue(container: unknown, key: string): unknown {
  if (container === null || typeof container !== "object") return undefined;
  return hasOwn.call(container, key) ? (container as Record<string, unknown>)[key] : undefined;
}

/** Lead field names by their lower-cased spelling (a Map: no prototype to stumble on). */
const LEAD_FIELD_BY_LOWER = new Map<string, string>(LEAD_FIELDS.map((f) => [f.toLowerCase(), f]));

function nestedGetter(root: Getter, keys: readonly string[]): Getter {
  if (keys.length === 1) {
    const key = keys[0];
    return (s) => ownValue(root(s), key);
  }
  return (s) => {
    let value = root(s);
    for (const key of keys) value = ownValue(value, key);
    return value;
  };
}

const leadOf: Getter = (s) => s.lead;
const propertiesOf: Getter = (s) => (s.ix === null ? undefined : s.ix.properties);

/** Resolves a lead path (`role`, `attributes.plan`) to an accessor, or null when it is none. */
function leadGetter(segments: readonly string[]): Getter | null {
  const head = segments[0].toLowerCase();
  if (segments.length === 1) {
    const field = LEAD_FIELD_BY_LOWER.get(head);
    return field === undefined ? null : nestedGetter(leadOf, [field]);
  }
  if (head === "attributes") return nestedGetter(nestedGetter(leadOf, ["attributes"]), segments.slice(1));
  return null;
}

/** Resolves an interaction path of a `where` (`target`, `source`, `properties.<key>`, `lead.<field>`). */
function whereGetter(segments: readonly string[]): Getter | null {
  const head = segments[0].toLowerCase();
  if (segments.length === 1 && head === "target") return (s) => s.target;
  if (segments.length === 1 && head === "source") return (s) => (s.ix === null ? undefined : s.ix.source);
  if (segments.length > 1 && head === "properties") return nestedGetter(propertiesOf, segments.slice(1));
  if (segments.length > 1 && head === "lead") return leadGetter(segments.slice(1));
  return null;
}

/** The dotted text of a path, as written. */
export function pathText(path: Path): string {
  return path.segments.map((s) => s.value).join(".");
}

function getter(path: Path, context: ConditionContext): Getter {
  const segments = path.segments.map((s) => s.value);
  const resolved = context === "where" ? whereGetter(segments) : leadGetter(segments);
  if (resolved === null) throw new ConditionCompileError(`"${pathText(path)}" cannot be read in a ${context} condition`);
  return resolved;
}

function literal(value: Value): string | number {
  return value.value;
}

function setAnd(get: Getter, test: ValueTest): Predicate {
  return (s) => {
    const v = get(s);
    return isSet(v) && test(v);
  };
}

function unsetOrNot(get: Getter, test: ValueTest): Predicate {
  return (s) => {
    const v = get(s);
    return !isSet(v) || !test(v);
  };
}

function valueTest(op: CompareCondition["op"], right: string | number): ValueTest {
  switch (op) {
    case "=":
    case "!=":
      return equalsTest(right);
    case ">":
    case ">=":
    case "<":
    case "<=":
      return orderingTest(op, right);
    case "contains":
    case "startsWith":
    case "endsWith":
      return textTest(op, right);
  }
}

function anyOf(tests: readonly ValueTest[]): ValueTest {
  return (v) => {
    for (const t of tests) if (t(v)) return true;
    return false;
  };
}

/** `group "Name"`: the group's capped points, read from the scope's totals by position. */
function groupGetter(name: string, groups: GroupLookup | undefined): Getter {
  const position = groups?.(name);
  if (position === undefined) throw new ConditionCompileError(`the model has no group "${name}"`);
  if (position < 0) return () => 0;
  return (s) => {
    const points = s.totals.groups?.[position];
    if (points === undefined) throw new Error(`a stage condition reads group "${name}": pass the groups' points in StageFacts.groups`);
    return points.points;
  };
}

function compileCompare(cond: CompareCondition, context: ConditionContext, groups: GroupLookup | undefined): Predicate {
  let get: Getter;
  if (cond.left.kind === "Metric") {
    if (context !== "stage") throw new ConditionCompileError(`"${cond.left.name}" can only be used in a stage condition`);
    const metric = cond.left.name;
    if (metric === "group") get = groupGetter(cond.left.group?.value ?? "", groups);
    else get = (s) => s.totals[metric];
  } else {
    get = getter(cond.left, context);
  }
  const test = valueTest(cond.op, literal(cond.right));
  // A missing field satisfies only `is not set`, `!=` and `not in`.
  return cond.op === "!=" ? unsetOrNot(get, test) : setAnd(get, test);
}

/** `has type ["pattern"]`: the lead has ever had such an interaction. */
function compileHas(type: string, pattern: string | null): Predicate {
  const wanted = type.trim().toLowerCase();
  const matches = pattern === null ? null : compilePattern(pattern);
  return (s) => {
    for (const ix of s.interactions) {
      if (ix.type.trim().toLowerCase() !== wanted) continue;
      if (matches === null) return true;
      const target = normaliseTarget(ix.target);
      if (target !== null && matches(target.toLowerCase())) return true;
    }
    return false;
  };
}

/**
 * Compiles a condition into a predicate over a `Scope`.
 *
 * @throws ConditionCompileError when the condition reads something its context does not allow, or
 *   a group `groups` does not know (the checker refuses such models first).
 */
export function compileCondition(cond: Condition, context: ConditionContext, groups?: GroupLookup): Predicate {
  switch (cond.kind) {
    case "Or": {
      const parts = cond.operands.map((c) => compileCondition(c, context, groups));
      return (s) => {
        for (const p of parts) if (p(s)) return true;
        return false;
      };
    }
    case "And": {
      const parts = cond.operands.map((c) => compileCondition(c, context, groups));
      return (s) => {
        for (const p of parts) if (!p(s)) return false;
        return true;
      };
    }
    case "Not": {
      const inner = compileCondition(cond.operand, context, groups);
      return (s) => !inner(s);
    }
    case "Has":
      if (context !== "stage") throw new ConditionCompileError("`has` can only be used in a stage condition");
      return compileHas(cond.type.value, cond.target === null ? null : cond.target.value);
    case "Compare":
      return compileCompare(cond, context, groups);
    case "In": {
      const get = getter(cond.path, context);
      const test = anyOf(cond.values.map((v) => equalsTest(literal(v))));
      return cond.negated ? unsetOrNot(get, test) : setAnd(get, test);
    }
    case "IsSet": {
      const get = getter(cond.path, context);
      return cond.negated ? (s) => !isSet(get(s)) : (s) => isSet(get(s));
    }
    case "Bare": {
      // `role "Marketing Director"` is `role = "Marketing Director"`; a bare field alone is refused.
      if (cond.value === null) throw new ConditionCompileError(`"${pathText(cond.path)}" alone is not a condition`);
      return setAnd(getter(cond.path, context), equalsTest(literal(cond.value)));
    }
  }
}

/** Every path a condition reads, as written (`properties.minutes`), in source order. */
export function conditionPaths(cond: Condition): Path[] {
  switch (cond.kind) {
    case "Or":
    case "And":
      return cond.operands.flatMap(conditionPaths);
    case "Not":
      return conditionPaths(cond.operand);
    case "Has":
      return [];
    case "Compare":
      return cond.left.kind === "Path" ? [cond.left] : [];
    case "In":
    case "IsSet":
    case "Bare":
      return [cond.path];
  }
}

/** Reads a path as a condition in `context` would (for explanations). */
export function readPath(path: Path, context: ConditionContext, scope: Scope): unknown {
  return getter(path, context)(scope);
}
