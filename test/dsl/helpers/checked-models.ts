/**
 * Hand-made `CheckedModel`s for back-end tests that must not depend on the parser and checker
 * (the property tests generate thousands of models), plus leads and interactions.
 */
import type { CompareOp, Condition, GroupStatement, Path, ScoreRule, SourceRange, Value } from "../../../src/dsl/ast";
import {
  DEFAULT_FUNNEL,
  type CheckedGroup,
  type CheckedModel,
  type CheckedScoreRule,
  type CheckedStageRule,
  type Funnel,
  type InteractionFacts,
  type LeadFields,
} from "../../../src/dsl/model";

const AT = { line: 1, column: 1, offset: 0 };
const RANGE: SourceRange = { start: AT, end: AT };

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export function value(v: string | number): Value {
  return typeof v === "number"
    ? { kind: "Number", value: v, raw: String(v), range: RANGE }
    : { kind: "String", value: v, range: RANGE };
}

export function path(dotted: string): Path {
  return { kind: "Path", segments: dotted.split(".").map((s) => ({ kind: "Name", value: s, range: RANGE })), range: RANGE };
}

export const cond = {
  cmp(left: string, op: CompareOp, right: string | number): Condition {
    const metric = left === "score" || left === "fit" || left === "engagement";
    return {
      kind: "Compare",
      left: metric ? { kind: "Metric", name: left, range: RANGE } : path(left),
      op,
      opRange: RANGE,
      right: value(right),
      range: RANGE,
    };
  },
  bare(p: string, v: string | number): Condition {
    return { kind: "Bare", path: path(p), value: value(v), range: RANGE };
  },
  isSet(p: string, negated = false): Condition {
    return { kind: "IsSet", path: path(p), negated, range: RANGE };
  },
  in(p: string, values: (string | number)[], negated = false): Condition {
    return { kind: "In", path: path(p), values: values.map(value), negated, range: RANGE };
  },
  has(type: string, target: string | null = null): Condition {
    return {
      kind: "Has",
      type: { kind: "Name", value: type, range: RANGE },
      target: target === null ? null : { kind: "String", value: target, range: RANGE },
      range: RANGE,
    };
  },
  and(...operands: Condition[]): Condition {
    return { kind: "And", operands, range: RANGE };
  },
  or(...operands: Condition[]): Condition {
    return { kind: "Or", operands, range: RANGE };
  },
  not(operand: Condition): Condition {
    return { kind: "Not", operand, range: RANGE };
  },
};

const NODE: ScoreRule = {
  kind: "ScoreRule",
  name: null,
  condition: cond.isSet("email"),
  where: null,
  frequency: null,
  points: { kind: "Points", value: 1, sign: "+", raw: "+1", range: RANGE },
  modifiers: [],
  range: RANGE,
};

export interface ActivitySpec {
  type: string;
  pattern?: string | null;
  where?: Condition | null;
  points: number;
  atLeast?: { count: number; withinMs: number } | null;
  max?: number | null;
  expiresMs?: number | null;
  decay?: { percent: number; everyMs: number } | null;
  group?: number | null;
  name?: string;
}

/** An activity rule (`index` is set by `checkedModel`). */
export function activity(spec: ActivitySpec): CheckedScoreRule {
  return {
    index: -1,
    name: spec.name ?? `${spec.type}${spec.pattern ? ` "${spec.pattern}"` : ""} => ${spec.points}`,
    category: "ENGAGEMENT",
    points: spec.points,
    activity: { type: spec.type, pattern: spec.pattern ?? null },
    condition: null,
    where: spec.where ?? null,
    frequency: spec.atLeast ?? null,
    max: spec.max ?? null,
    expiresMs: spec.expiresMs ?? null,
    decay: spec.decay ?? null,
    group: spec.group ?? null,
    node: NODE,
  };
}

/** A fit rule. */
export function fitRule(condition: Condition, points: number, name = `fit rule ${points}`, group: number | null = null): CheckedScoreRule {
  return {
    index: -1,
    name,
    category: "FIT",
    points,
    activity: null,
    condition,
    where: null,
    frequency: null,
    max: null,
    expiresMs: null,
    decay: null,
    group,
    node: NODE,
  };
}

export function stageRule(stage: string, condition: Condition): CheckedStageRule {
  return {
    stage,
    text: `stage ${stage} when …`,
    condition,
    node: { kind: "StageRule", stage: { kind: "Name", value: stage, range: RANGE }, condition, range: RANGE },
  };
}

/** A checked model; rules are numbered in the order given (names made unique). */
export function checkedModel(
  scoreRules: CheckedScoreRule[],
  stageRules: CheckedStageRule[] = [],
  funnel: Funnel = DEFAULT_FUNNEL,
  groups: CheckedGroup[] = [],
): CheckedModel {
  return {
    funnel,
    scoreRules: scoreRules.map((r, index) => ({ ...r, index, name: `#${index} ${r.name}` })),
    stageRules,
    groups,
  };
}

/** A group (`index`: its place in the model's groups). */
export function group(index: number, name: string, category: CheckedGroup["category"], max: number | null = null): CheckedGroup {
  const node: GroupStatement = { kind: "Group", name: { kind: "String", value: name, range: RANGE }, settings: [], rules: [], range: RANGE };
  return { index, name, category, max, decay: null, node };
}

export function lead(fields: Partial<LeadFields> = {}): LeadFields {
  return { email: "ann@example.com", attributes: {}, ...fields };
}

export const T0 = Date.UTC(2025, 0, 1);

let nextSeq = 1;

/** An interaction at `T0 + atMs`; `seq` grows with each call unless given. */
export function ix(type: string, target: string | null, atMs: number, extra: Partial<InteractionFacts> = {}): InteractionFacts {
  const seq = extra.seq ?? nextSeq++;
  return {
    id: extra.id ?? `ix-${seq}`,
    seq,
    type,
    target,
    source: null,
    properties: {},
    occurredAt: new Date(T0 + atMs),
    ...extra,
  };
}

export function at(ms: number): Date {
  return new Date(T0 + ms);
}
