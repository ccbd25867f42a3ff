/**
 * The CST visitor: chevrotain's concrete syntax tree to the AST of `ast.ts`. The grammar has no
 * embedded actions; everything the AST holds is built here. The visitor class extends the base
 * visitor of the one parser instance (`rulesParser`, `parser.ts`); `parse.ts` calls `buildAst`.
 *
 * Parentheses are not nodes: a parenthesised condition's range includes them.
 *
 * A statement the parser had to repair (a recovered node, a token inserted by recovery) is left out
 * of the AST: its syntax error is already reported, and half a rule would only cause misleading
 * diagnostics downstream.
 */
import type { CstChildrenDictionary, CstElement, CstNode, IToken } from "chevrotain";
import type {
  CompareOp,
  Condition,
  Decay,
  Duration,
  Frequency,
  FunnelStatement,
  GroupSetting,
  GroupStatement,
  Metric,
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
} from "./ast";
import type { LineMap } from "./location";
import { rulesParser } from "./parser";

function isToken(element: CstElement): element is IToken {
  return (element as IToken).tokenType !== undefined;
}

// A CST key holds only tokens or only nodes (keys are token or rule names, or labels): no filtering.
function tokensOf(ctx: CstChildrenDictionary, key: string): IToken[] {
  return (ctx[key] ?? []) as IToken[];
}

function tokenOf(ctx: CstChildrenDictionary, key: string): IToken | undefined {
  return ctx[key]?.[0] as IToken | undefined;
}

function nodesOf(ctx: CstChildrenDictionary, key: string): CstNode[] {
  return (ctx[key] ?? []) as CstNode[];
}

function nodeOf(ctx: CstChildrenDictionary, key: string): CstNode {
  return ctx[key]?.[0] as CstNode;
}

/** True when recovery touched this subtree (see the module comment). */
function isDamaged(node: CstNode): boolean {
  if (node.recoveredNode === true) return true;
  for (const children of Object.values(node.children)) {
    for (const child of children) {
      if (isToken(child) ? child.isInsertedInRecovery === true || Number.isNaN(child.startOffset) : isDamaged(child)) return true;
    }
  }
  return false;
}

const UNIT_BY_TEXT: Readonly<Record<string, Duration["unit"]>> = {
  minute: "minute",
  minutes: "minute",
  hour: "hour",
  hours: "hour",
  day: "day",
  days: "day",
  week: "week",
  weeks: "week",
};

/** The visitor's parameter: where positions come from, and whether recovery repaired anything. */
interface VisitContext {
  lines: LineMap;
  repaired: boolean;
}

/**
 * The visitor: one method per grammar rule, each given that rule's CST children and the source's
 * line map. chevrotain checks in `validateVisitor` that every rule has its method.
 */
class CstToAst extends rulesParser.getBaseCstVisitorConstructor<LineMap, unknown>() {
  constructor() {
    super();
    this.validateVisitor();
  }

  private tokenRange(lines: LineMap, token: IToken): SourceRange {
    return lines.range(token.startOffset, token.startOffset + token.image.length);
  }

  private span(lines: LineMap, from: SourceRange | IToken, to: SourceRange | IToken): SourceRange {
    const start = isRange(from) ? from.start.offset : from.startOffset;
    const end = isRange(to) ? to.end.offset : to.startOffset + to.image.length;
    return lines.range(start, end);
  }

  private name(lines: LineMap, token: IToken): Name {
    return { kind: "Name", value: token.image, range: this.tokenRange(lines, token) };
  }

  private number(lines: LineMap, token: IToken, minus?: IToken): NumberLiteral {
    const magnitude = Number(token.image);
    return {
      kind: "Number",
      value: minus ? -magnitude : magnitude,
      raw: minus ? `-${token.image}` : token.image,
      range: this.span(lines, minus ?? token, token),
    };
  }

  /** The statements of a model; when recovery repaired anything, the damaged ones are left out. */
  statements(cst: CstNode, context: VisitContext): Statement[] {
    const statements: Statement[] = [];
    for (const node of nodesOf(cst.children, "statement")) {
      if (!(context.repaired && isDamaged(node))) statements.push(this.visit(node, context.lines) as Statement);
    }
    return statements;
  }

  model(ctx: CstChildrenDictionary, lines: LineMap): Statement[] {
    return nodesOf(ctx, "statement").map((node) => this.visit(node, lines) as Statement);
  }

  statement(ctx: CstChildrenDictionary, lines: LineMap): Statement {
    const node = nodeOf(ctx, "funnel") ?? nodeOf(ctx, "stageRule") ?? nodeOf(ctx, "group") ?? nodeOf(ctx, "scoreRule");
    return this.visit(node, lines) as Statement;
  }

  private string(lines: LineMap, token: IToken): StringLiteral {
    return { kind: "String", value: token.payload as string, range: this.tokenRange(lines, token) };
  }

  group(ctx: CstChildrenDictionary, lines: LineMap): GroupStatement {
    return {
      kind: "Group",
      name: this.string(lines, tokensOf(ctx, "StringLiteral")[0]),
      settings: nodesOf(ctx, "groupSetting").map((n) => this.visit(n, lines) as GroupSetting),
      rules: nodesOf(ctx, "scoreRule").map((n) => this.visit(n, lines) as ScoreRule),
      range: this.span(lines, tokensOf(ctx, "Group")[0], tokensOf(ctx, "RBrace")[0]),
    };
  }

  groupSetting(ctx: CstChildrenDictionary, lines: LineMap): GroupSetting {
    const max = tokenOf(ctx, "Max");
    return max === undefined ? (this.visit(nodeOf(ctx, "decay"), lines) as Decay) : this.max(ctx, lines, max);
  }

  /** `max N`, of a rule or of a group. */
  private max(ctx: CstChildrenDictionary, lines: LineMap, max: IToken): Extract<GroupSetting, { kind: "Max" }> {
    const count = this.number(lines, tokensOf(ctx, "NumberLiteral")[0]);
    return { kind: "Max", count, range: this.span(lines, max, count.range) };
  }

  decay(ctx: CstChildrenDictionary, lines: LineMap): Decay {
    const every = this.visit(nodeOf(ctx, "duration"), lines) as Duration;
    return {
      kind: "Decays",
      percent: this.number(lines, tokensOf(ctx, "NumberLiteral")[0]),
      every,
      range: this.span(lines, tokensOf(ctx, "Decays")[0], every.range),
    };
  }

  funnel(ctx: CstChildrenDictionary, lines: LineMap): FunnelStatement {
    const stages = tokensOf(ctx, "stages").map((t) => this.name(lines, t));
    const offPath = tokensOf(ctx, "offPath").map((t) => this.name(lines, t));
    const last = offPath.length > 0 ? offPath[offPath.length - 1] : stages[stages.length - 1];
    return { kind: "Funnel", stages, offPath, range: this.span(lines, tokensOf(ctx, "Funnel")[0], last.range) };
  }

  stageRule(ctx: CstChildrenDictionary, lines: LineMap): StageRule {
    const condition = this.visit(nodeOf(ctx, "condition"), lines) as Condition;
    return {
      kind: "StageRule",
      stage: this.name(lines, tokensOf(ctx, "Identifier")[0]),
      condition,
      range: this.span(lines, tokensOf(ctx, "Stage")[0], condition.range),
    };
  }

  scoreRule(ctx: CstChildrenDictionary, lines: LineMap): ScoreRule {
    const nameToken = tokenOf(ctx, "StringLiteral");
    const condition = this.visit(nodeOf(ctx, "condition"), lines) as Condition;
    const whereNode = nodesOf(ctx, "where")[0];
    const frequencyNode = nodesOf(ctx, "frequency")[0];
    const points = this.visit(nodeOf(ctx, "points"), lines) as Points;
    const modifiers = nodesOf(ctx, "modifier").map((m) => this.visit(m, lines) as Modifier);
    const first = tokenOf(ctx, "Rule") ?? condition.range;
    const last = modifiers.length > 0 ? modifiers[modifiers.length - 1].range : points.range;
    return {
      kind: "ScoreRule",
      name: nameToken ? { kind: "String", value: nameToken.payload as string, range: this.tokenRange(lines, nameToken) } : null,
      condition,
      where: whereNode ? (this.visit(whereNode, lines) as Condition) : null,
      frequency: frequencyNode ? (this.visit(frequencyNode, lines) as Frequency) : null,
      points,
      modifiers,
      range: this.span(lines, first, last),
    };
  }

  frequency(ctx: CstChildrenDictionary, lines: LineMap): Frequency {
    const within = this.visit(nodeOf(ctx, "duration"), lines) as Duration;
    return {
      kind: "Frequency",
      count: this.number(lines, tokensOf(ctx, "NumberLiteral")[0]),
      within,
      range: this.span(lines, tokensOf(ctx, "At")[0], within.range),
    };
  }

  points(ctx: CstChildrenDictionary, lines: LineMap): Points {
    const sign = tokenOf(ctx, "sign");
    const digits = tokensOf(ctx, "NumberLiteral")[0];
    const magnitude = Number(digits.image);
    const signText = sign ? (sign.image as "+" | "-") : null;
    return {
      kind: "Points",
      value: signText === "-" ? -magnitude : magnitude,
      sign: signText,
      raw: `${signText ?? ""}${digits.image}`,
      range: this.span(lines, sign ?? digits, digits),
    };
  }

  modifier(ctx: CstChildrenDictionary, lines: LineMap): Modifier {
    const once = tokenOf(ctx, "Once");
    if (once) return { kind: "Once", range: this.tokenRange(lines, once) };
    const max = tokenOf(ctx, "Max");
    if (max) return this.max(ctx, lines, max);
    const decay = nodeOf(ctx, "decay");
    if (decay) return this.visit(decay, lines) as Decay;
    const after = this.visit(nodeOf(ctx, "duration"), lines) as Duration;
    return { kind: "Expires", after, range: this.span(lines, tokensOf(ctx, "Expires")[0], after.range) };
  }

  duration(ctx: CstChildrenDictionary, lines: LineMap): Duration {
    const amount = this.number(lines, tokensOf(ctx, "NumberLiteral")[0]);
    const unitToken = tokensOf(ctx, "DurationUnit")[0];
    return {
      kind: "Duration",
      amount,
      unit: UNIT_BY_TEXT[unitToken.image],
      unitText: unitToken.image,
      range: this.span(lines, amount.range, unitToken),
    };
  }

  condition(ctx: CstChildrenDictionary, lines: LineMap): Condition {
    const operands = nodesOf(ctx, "andExpr").map((n) => this.visit(n, lines) as Condition);
    if (operands.length === 1) return operands[0];
    return { kind: "Or", operands, range: this.span(lines, operands[0].range, operands[operands.length - 1].range) };
  }

  andExpr(ctx: CstChildrenDictionary, lines: LineMap): Condition {
    const operands = nodesOf(ctx, "notExpr").map((n) => this.visit(n, lines) as Condition);
    if (operands.length === 1) return operands[0];
    return { kind: "And", operands, range: this.span(lines, operands[0].range, operands[operands.length - 1].range) };
  }

  notExpr(ctx: CstChildrenDictionary, lines: LineMap): Condition {
    const not = tokenOf(ctx, "Not");
    if (!not) return this.visit(nodeOf(ctx, "atom"), lines) as Condition;
    const operand = this.visit(nodeOf(ctx, "notExpr"), lines) as Condition;
    return { kind: "Not", operand, range: this.span(lines, not, operand.range) };
  }

  atom(ctx: CstChildrenDictionary, lines: LineMap): Condition {
    const parenthesised = nodesOf(ctx, "condition")[0];
    if (parenthesised) {
      // No node for the parentheses; the condition's range takes them in, so ranges nest.
      const inner = this.visit(parenthesised, lines) as Condition;
      return { ...inner, range: this.span(lines, tokensOf(ctx, "LParen")[0], tokensOf(ctx, "RParen")[0]) };
    }
    const pathCondition = nodesOf(ctx, "pathCondition")[0];
    if (pathCondition) return this.visit(pathCondition, lines) as Condition;
    const has = tokenOf(ctx, "Has");
    if (has) {
      const typeToken = tokensOf(ctx, "Identifier")[0];
      const targetToken = tokenOf(ctx, "StringLiteral");
      return {
        kind: "Has",
        type: this.name(lines, typeToken),
        target: targetToken ? { kind: "String", value: targetToken.payload as string, range: this.tokenRange(lines, targetToken) } : null,
        range: this.span(lines, has, targetToken ?? typeToken),
      };
    }
    const op = tokensOf(ctx, "CompareOp")[0];
    const right = this.visit(nodeOf(ctx, "value"), lines) as Value;
    const groupToken = tokenOf(ctx, "Group");
    const metricToken = groupToken ?? tokensOf(ctx, "Metric")[0];
    let left: Metric;
    if (groupToken) {
      const group = this.string(lines, tokensOf(ctx, "groupName")[0]);
      left = { kind: "Metric", name: "group", group, range: this.span(lines, groupToken, group.range) };
    } else {
      left = { kind: "Metric", name: metricToken.image as Metric["name"], range: this.tokenRange(lines, metricToken) };
    }
    return { kind: "Compare", left, op: op.image as CompareOp, opRange: this.tokenRange(lines, op), right, range: this.span(lines, metricToken, right.range) };
  }

  pathCondition(ctx: CstChildrenDictionary, lines: LineMap): Condition {
    const path = this.visit(nodeOf(ctx, "path"), lines) as Path;
    const op = tokenOf(ctx, "CompareOp");
    if (op) {
      const right = this.visit(nodesOf(ctx, "compared")[0], lines) as Value;
      return { kind: "Compare", left: path, op: op.image as CompareOp, opRange: this.tokenRange(lines, op), right, range: this.span(lines, path.range, right.range) };
    }
    const closing = tokenOf(ctx, "RBracket");
    if (closing) {
      const values = nodesOf(ctx, "list").map((n) => this.visit(n, lines) as Value);
      return { kind: "In", path, negated: tokenOf(ctx, "notIn") !== undefined, values, range: this.span(lines, path.range, closing) };
    }
    const set = tokenOf(ctx, "Set");
    if (set) return { kind: "IsSet", path, negated: tokenOf(ctx, "isNot") !== undefined, range: this.span(lines, path.range, set) };
    const bare = nodesOf(ctx, "bare")[0];
    const value = bare ? (this.visit(bare, lines) as Value) : null;
    return { kind: "Bare", path, value, range: value ? this.span(lines, path.range, value.range) : path.range };
  }

  path(ctx: CstChildrenDictionary, lines: LineMap): Path {
    const segments = [this.name(lines, tokensOf(ctx, "Identifier")[0])];
    for (const token of tokensOf(ctx, "Name")) segments.push(this.name(lines, token));
    return { kind: "Path", segments, range: this.span(lines, segments[0].range, segments[segments.length - 1].range) };
  }

  value(ctx: CstChildrenDictionary, lines: LineMap): Value {
    const string = tokenOf(ctx, "StringLiteral");
    if (string) return { kind: "String", value: string.payload as string, range: this.tokenRange(lines, string) };
    return this.number(lines, tokensOf(ctx, "NumberLiteral")[0], tokenOf(ctx, "Minus"));
  }
}

function isRange(x: SourceRange | IToken): x is SourceRange {
  return (x as SourceRange).start !== undefined;
}

/** The one visitor (stateless: everything it needs comes with each call). */
const cstToAst = new CstToAst();

/** Builds the AST of a parsed model from its CST (`repaired`: the parser reported errors). */
export function buildAst(cst: CstNode, lines: LineMap, sourceLength: number, repaired: boolean): Model {
  const statements = cstToAst.statements(cst, { lines, repaired });
  return { kind: "Model", statements, range: lines.range(0, sourceLength) };
}
