/**
 * Can a condition ever hold? A cheap, sound-for-warnings analysis behind UNREACHABLE_RULE: it says
 * "never" only when the comparisons AND-ed on one path contradict each other, e.g.
 * `companySize > 10 and companySize < 5`, `industry = "SaaS" and industry = "Retail"`,
 * `role is not set and role contains "CEO"`. Anything it does not understand (`not …`, `has …`,
 * mixed kinds of values on an untyped attribute) counts as "may hold", so it never warns wrongly.
 *
 * Strings are compared as the runtime does: trimmed and case-insensitively.
 */
import type { Condition, Value } from "./ast";

interface Domain {
  /** Some atom needs the value present (every test but `is not set`, `!=`, `not in`). */
  mustBeSet: boolean;
  mustBeMissing: boolean;
  low: number;
  lowOpen: boolean;
  high: number;
  highOpen: boolean;
  numbersIn: Set<number> | null;
  numbersOut: Set<number>;
  textsIn: Set<string> | null;
  textsOut: Set<string>;
  contains: string[];
  prefixes: string[];
  suffixes: string[];
}

function emptyDomain(): Domain {
  return {
    mustBeSet: false,
    mustBeMissing: false,
    low: Number.NEGATIVE_INFINITY,
    lowOpen: false,
    high: Number.POSITIVE_INFINITY,
    highOpen: false,
    numbersIn: null,
    numbersOut: new Set(),
    textsIn: null,
    textsOut: new Set(),
    contains: [],
    prefixes: [],
    suffixes: [],
  };
}

const normalise = (text: string): string => text.trim().toLowerCase();

function intersect<T>(current: Set<T> | null, allowed: Iterable<T>): Set<T> {
  const next = new Set(allowed);
  return current === null ? next : new Set([...current].filter((x) => next.has(x)));
}

function raiseLow(d: Domain, value: number, open: boolean): void {
  if (value > d.low || (value === d.low && open)) {
    d.low = value;
    d.lowOpen = open;
  }
}

function lowerHigh(d: Domain, value: number, open: boolean): void {
  if (value < d.high || (value === d.high && open)) {
    d.high = value;
    d.highOpen = open;
  }
}

function restrictEqual(d: Domain, values: readonly Value[]): void {
  if (values.every((v) => v.kind === "Number")) d.numbersIn = intersect(d.numbersIn, values.map((v) => v.value as number));
  else if (values.every((v) => v.kind === "String")) d.textsIn = intersect(d.textsIn, values.map((v) => normalise(v.value as string)));
}

function exclude(d: Domain, values: readonly Value[]): void {
  for (const v of values) {
    if (v.kind === "Number") d.numbersOut.add(v.value);
    else d.textsOut.add(normalise(v.value));
  }
}

/** Adds one atom's constraint to the domain of its path. */
function constrain(d: Domain, atom: Condition): void {
  switch (atom.kind) {
    case "IsSet":
      if (atom.negated) d.mustBeMissing = true;
      else d.mustBeSet = true;
      return;
    case "In":
      if (atom.negated) exclude(d, atom.values);
      else {
        d.mustBeSet = true;
        restrictEqual(d, atom.values);
      }
      return;
    case "Bare":
      if (atom.value) {
        d.mustBeSet = true;
        restrictEqual(d, [atom.value]);
      }
      return;
    case "Compare":
      constrainCompare(d, atom.op, atom.right);
      return;
    default:
      return;
  }
}

function constrainCompare(d: Domain, op: string, right: Value): void {
  if (op === "!=") {
    exclude(d, [right]);
    return;
  }
  d.mustBeSet = true;
  if (op === "=") {
    restrictEqual(d, [right]);
    return;
  }
  if (right.kind === "Number") {
    if (op === ">") raiseLow(d, right.value, true);
    else if (op === ">=") raiseLow(d, right.value, false);
    else if (op === "<") lowerHigh(d, right.value, true);
    else if (op === "<=") lowerHigh(d, right.value, false);
    return;
  }
  const text = normalise(right.value);
  if (op === "contains") d.contains.push(text);
  else if (op === "startsWith") d.prefixes.push(text);
  else if (op === "endsWith") d.suffixes.push(text);
}

function inInterval(d: Domain, n: number): boolean {
  const aboveLow = d.lowOpen ? n > d.low : n >= d.low;
  const belowHigh = d.highOpen ? n < d.high : n <= d.high;
  return aboveLow && belowHigh;
}

function passesTextTests(d: Domain, text: string): boolean {
  return (
    d.contains.every((c) => text.includes(c)) && d.prefixes.every((p) => text.startsWith(p)) && d.suffixes.every((s) => text.endsWith(s))
  );
}

function compatibleAffixes(affixes: readonly string[], fits: (longer: string, shorter: string) => boolean): boolean {
  return affixes.every((a) => affixes.every((b) => (a.length >= b.length ? fits(a, b) : fits(b, a))));
}

/** True when no value (or absence) satisfies every constraint of the domain. */
function isEmpty(d: Domain): boolean {
  if (d.mustBeSet && d.mustBeMissing) return true;
  if (d.low > d.high || (d.low === d.high && (d.lowOpen || d.highOpen))) return true;
  if (d.numbersIn !== null && ![...d.numbersIn].some((n) => inInterval(d, n) && !d.numbersOut.has(n))) return true;
  if (d.textsIn !== null && ![...d.textsIn].some((t) => !d.textsOut.has(t) && passesTextTests(d, t))) return true;
  if (!compatibleAffixes(d.prefixes, (l, s) => l.startsWith(s))) return true;
  return !compatibleAffixes(d.suffixes, (l, s) => l.endsWith(s));
}

function keyOf(atom: Condition): string | null {
  switch (atom.kind) {
    case "Compare":
      if (atom.left.kind === "Path") return atom.left.segments.map((s) => s.value).join(".");
      // A group is keyed by its name as matched (case and surrounding spaces ignored).
      return atom.left.name === "group" ? `#group ${(atom.left.group?.value ?? "").trim().toLowerCase()}` : `#${atom.left.name}`;
    case "In":
    case "IsSet":
      return atom.path.segments.map((s) => s.value).join(".");
    case "Bare":
      return atom.value ? atom.path.segments.map((s) => s.value).join(".") : null;
    default:
      return null;
  }
}

function flattenAnd(condition: Condition): Condition[] {
  return condition.kind === "And" ? condition.operands.flatMap(flattenAnd) : [condition];
}

/**
 * The path (as written, `companySize`, or a metric name) whose AND-ed comparisons can never all
 * hold, or `null` when the condition may hold. For an `or`, every branch must be impossible; the
 * path named is then the first branch's.
 */
export function contradiction(condition: Condition): string | null {
  if (condition.kind === "Or") {
    const reasons = condition.operands.map(contradiction);
    return reasons.every((r) => r !== null) ? reasons[0] : null;
  }
  const domains = new Map<string, Domain>();
  for (const atom of flattenAnd(condition)) {
    if (atom.kind === "Or") {
      const reason = contradiction(atom);
      if (reason !== null) return reason;
      continue;
    }
    const key = keyOf(atom);
    if (key === null) continue;
    let domain = domains.get(key);
    if (domain === undefined) {
      domain = emptyDomain();
      domains.set(key, domain);
    }
    constrain(domain, atom);
    if (isEmpty(domain)) return key.replace(/^#/, "");
  }
  return null;
}
