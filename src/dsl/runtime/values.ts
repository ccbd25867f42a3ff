/**
 * How a value read from a lead or an interaction compares with a literal of the model.
 *
 * One set of rules for every field, typed or not (the checker has already refused the
 * comparisons that make no sense on typed fields):
 * - absent, `null`, or a blank string is "not set";
 * - strings compare case-insensitively and trimmed;
 * - a value is numeric when it is a finite JSON number or a string that reads as a decimal number
 *   (`"45"`, `" -1.5 "`, `"2e3"`; not `"0x10"`, `"Infinity"` or `""`);
 * - a value's text is the trimmed, lower-cased string, or the decimal text of a number or boolean;
 *   objects and arrays have no text, so they equal nothing (but they are set).
 */

/** True when a value is present and not blank. */
export function isSet(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === "string") return value.trim() !== "";
  return true;
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The number a value stands for, or `null` when it is not numeric. */
export function numericValue(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "string") {
    const t = value.trim();
    if (!DECIMAL.test(t)) return null;
    const n = Number(t);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** The text a value is compared by (trimmed, lower-cased), or `null` when it has none. */
export function textValue(value: unknown): string | null {
  switch (typeof value) {
    case "string":
      return value.trim().toLowerCase();
    case "number":
    case "boolean":
      return String(value);
    default:
      return null;
  }
}

/** Normalises a literal of the model the way values are normalised before comparing. */
export function literalText(literal: string | number): string {
  return typeof literal === "number" ? String(literal) : literal.trim().toLowerCase();
}

/** A test of one (already set) value against a literal, built once at compile time. */
export type ValueTest = (value: unknown) => boolean;

/**
 * `value = literal`: numerically for a number literal (false when the value is not numeric),
 * by text for a string literal.
 */
export function equalsTest(literal: string | number): ValueTest {
  if (typeof literal === "number") return (v) => numericValue(v) === literal;
  const text = literalText(literal);
  return (v) => textValue(v) === text;
}

/** The ordering operators, on numbers. */
export const ORDERINGS = {
  ">": (a: number, b: number) => a > b,
  ">=": (a: number, b: number) => a >= b,
  "<": (a: number, b: number) => a < b,
  "<=": (a: number, b: number) => a <= b,
} as const;
export type Ordering = keyof typeof ORDERINGS;

/**
 * An ordering comparison: holds only when the value is numeric and so is the literal
 * (a string literal that reads as a number counts as one).
 */
export function orderingTest(op: Ordering, literal: string | number): ValueTest {
  const bound = numericValue(literal);
  if (bound === null) return () => false;
  const holds = ORDERINGS[op];
  return (v) => {
    const n = numericValue(v);
    return n !== null && holds(n, bound);
  };
}

/** `contains`, `startsWith`, `endsWith`: on the value's text. */
export function textTest(op: "contains" | "startsWith" | "endsWith", literal: string | number): ValueTest {
  const text = literalText(literal);
  switch (op) {
    case "contains":
      return (v) => textValue(v)?.includes(text) ?? false;
    case "startsWith":
      return (v) => textValue(v)?.startsWith(text) ?? false;
    case "endsWith":
      return (v) => textValue(v)?.endsWith(text) ?? false;
  }
}
