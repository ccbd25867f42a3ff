/**
 * fast-check arbitraries for rule-language ASTs, for the print → parse round trip. Every generated
 * tree is one the printer can write and the parser read back; ranges are placeholders (the tests
 * compare trees with `stripRanges`), and `raw` / `unitText` / `sign` are already canonical.
 */
import fc from "fast-check";
import type {
  CompareOp,
  Condition,
  Decay,
  Duration,
  FunnelStatement,
  GroupSetting,
  GroupStatement,
  Model,
  Modifier,
  Name,
  NumberLiteral,
  Path,
  Points,
  ScoreRule,
  SourceRange,
  StageRule,
  Statement,
  StringLiteral,
  Value,
} from "../../../src/dsl/ast";
import { canonicalUnitText, formatNumber } from "../../../src/dsl/printer";
import { keywordTokens } from "../../../src/dsl/tokens";

const at = { line: 1, column: 1, offset: 0 };
const range: SourceRange = { start: at, end: at };

const KEYWORDS: ReadonlySet<string> = new Set([
  ...keywordTokens.map((t) => (t.PATTERN as RegExp).source.replace(/s\?$/, "")),
  ...keywordTokens.flatMap((t) => ((t.PATTERN as RegExp).source.endsWith("s?") ? [(t.PATTERN as RegExp).source.replace(/\?$/, "")] : [])),
]);

const word = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,7}$/);
/** An identifier that is not a keyword (statement starts, stage names, first path segments). */
const identifier = word.filter((w) => !KEYWORDS.has(w));
/** Any name, keywords included (path segments after a dot). */
const anyName = fc.oneof(word, fc.constantFrom(...KEYWORDS));

const name = (value: string): Name => ({ kind: "Name", value, range });
const nameOf = (a: fc.Arbitrary<string>) => a.map(name);

export const stringLiteral: fc.Arbitrary<StringLiteral> = fc
  .oneof(
    fc.string({ maxLength: 12 }),
    fc.string({ unit: "binary", maxLength: 8 }),
    fc.constantFrom('"', "\\", "\n", "\t", "\r", "\u0000", "\u2028", "#", "/blog/*", " x "),
  )
  .map((value) => ({ kind: "String", value, range }));

const magnitude = fc.oneof(
  fc.nat({ max: 1_000_000 }),
  fc.double({ min: 0, max: 1e30, noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, 0.5, 12.5, 1e21, 5e-324, 1e-7),
);

function numberLiteral(value: number): NumberLiteral {
  return { kind: "Number", value, raw: formatNumber(value), range };
}

const unsigned = magnitude.map(numberLiteral);
const signed = fc.tuple(fc.boolean(), magnitude).map(([negative, m]) => numberLiteral(negative ? -m : m));

export const value: fc.Arbitrary<Value> = fc.oneof(stringLiteral, signed);

const path: fc.Arbitrary<Path> = fc
  .tuple(identifier, fc.array(anyName, { maxLength: 3 }))
  .map(([head, rest]) => ({ kind: "Path", segments: [head, ...rest].map(name), range }));

const compareOp = fc.constantFrom<CompareOp>("=", "!=", ">", ">=", "<", "<=", "contains", "startsWith", "endsWith");

const atom: fc.Arbitrary<Condition> = fc.oneof(
  fc.record({ kind: fc.constant("Has" as const), type: nameOf(identifier), target: fc.option(stringLiteral, { nil: null }), range: fc.constant(range) }),
  fc.record({
    kind: fc.constant("Compare" as const),
    left: fc.oneof(
      path,
      fc.constantFrom("score", "fit", "engagement").map((m) => ({ kind: "Metric" as const, name: m as "score", range })),
      stringLiteral.map((group) => ({ kind: "Metric" as const, name: "group" as const, group, range })),
    ),
    op: compareOp,
    opRange: fc.constant(range),
    right: value,
    range: fc.constant(range),
  }),
  fc.record({ kind: fc.constant("In" as const), path, negated: fc.boolean(), values: fc.array(value, { minLength: 1, maxLength: 3 }), range: fc.constant(range) }),
  fc.record({ kind: fc.constant("IsSet" as const), path, negated: fc.boolean(), range: fc.constant(range) }),
  fc.record({ kind: fc.constant("Bare" as const), path, value: fc.option(value, { nil: null }), range: fc.constant(range) }),
);

/** Conditions of bounded depth (well under MAX_DEPTH). */
export const condition: fc.Arbitrary<Condition> = fc.letrec<{ condition: Condition }>((tie) => ({
  condition: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    atom,
    fc.record({ kind: fc.constant("Not" as const), operand: tie("condition"), range: fc.constant(range) }),
    fc.record({ kind: fc.constant("And" as const), operands: fc.array(tie("condition"), { minLength: 2, maxLength: 3 }), range: fc.constant(range) }),
    fc.record({ kind: fc.constant("Or" as const), operands: fc.array(tie("condition"), { minLength: 2, maxLength: 3 }), range: fc.constant(range) }),
  ),
})).condition;

const duration: fc.Arbitrary<Duration> = fc
  .tuple(unsigned, fc.constantFrom<Duration["unit"]>("minute", "hour", "day", "week"))
  .map(([amount, unit]) => ({ kind: "Duration", amount, unit, unitText: canonicalUnitText(amount.value, unit), range }));

const points: fc.Arbitrary<Points> = fc.tuple(fc.constantFrom<"+" | "-">("+", "-"), magnitude).map(([sign, m]) => ({
  kind: "Points",
  value: sign === "-" ? -m : m,
  sign,
  raw: `${sign}${formatNumber(m)}`,
  range,
}));

const decay: fc.Arbitrary<Decay> = fc.tuple(unsigned, duration).map(([percent, every]) => ({ kind: "Decays", percent, every, range }));

const modifier: fc.Arbitrary<Modifier> = fc.oneof(
  fc.constant<Modifier>({ kind: "Once", range }),
  unsigned.map((count): Modifier => ({ kind: "Max", count, range })),
  duration.map((after): Modifier => ({ kind: "Expires", after, range })),
  decay,
);

const groupSetting: fc.Arbitrary<GroupSetting> = fc.oneof(unsigned.map((count): GroupSetting => ({ kind: "Max", count, range })), decay);

const scoreRule: fc.Arbitrary<ScoreRule> = fc.record({
  kind: fc.constant("ScoreRule" as const),
  name: fc.option(stringLiteral, { nil: null }),
  condition,
  where: fc.option(condition, { nil: null }),
  frequency: fc.option(
    fc.record({ kind: fc.constant("Frequency" as const), count: unsigned, within: duration, range: fc.constant(range) }),
    { nil: null },
  ),
  points,
  modifiers: fc.array(modifier, { maxLength: 3 }),
  range: fc.constant(range),
});

const stageRule: fc.Arbitrary<StageRule> = fc.record({
  kind: fc.constant("StageRule" as const),
  stage: nameOf(identifier),
  condition,
  range: fc.constant(range),
});

const funnel: fc.Arbitrary<FunnelStatement> = fc.record({
  kind: fc.constant("Funnel" as const),
  stages: fc.array(nameOf(identifier), { minLength: 1, maxLength: 4 }),
  offPath: fc.array(nameOf(identifier), { maxLength: 2 }),
  range: fc.constant(range),
});

const group: fc.Arbitrary<GroupStatement> = fc.record({
  kind: fc.constant("Group" as const),
  name: stringLiteral,
  settings: fc.array(groupSetting, { maxLength: 2 }),
  rules: fc.array(scoreRule, { maxLength: 3 }),
  range: fc.constant(range),
});

const statement: fc.Arbitrary<Statement> = fc.oneof(scoreRule, stageRule, funnel, group);

/** A whole model of up to eight statements. */
export const model: fc.Arbitrary<Model> = fc
  .array(statement, { maxLength: 8 })
  .map((statements) => ({ kind: "Model", statements, range }));
