/**
 * The abstract syntax tree of a scoring model (`*.rules`), as produced by the parser's CST visitor.
 *
 * Every node carries the source range it was parsed from. Parentheses are not kept as nodes: the
 * printer re-inserts them from operator precedence, so `parse(print(ast))` equals `ast` once ranges
 * are ignored (see `stripRanges` in the tests).
 *
 * Grammar productions are quoted from the language reference (`docs/language.md`) above each node.
 */

/** A place in the source: 1-based line and column (columns count UTF-16 code units), 0-based offset. */
export interface Position {
  line: number;
  column: number;
  offset: number;
}

/** A span of source text. `end` is exclusive: the position just after the last character. */
export interface SourceRange {
  start: Position;
  end: Position;
}

interface NodeBase {
  range: SourceRange;
}

/** An identifier as written, e.g. a stage name or one segment of a path. */
export interface Name extends NodeBase {
  kind: "Name";
  value: string;
}

/** A double-quoted string; `value` has its escapes decoded. */
export interface StringLiteral extends NodeBase {
  kind: "String";
  value: string;
}

/** A number; `value` carries the sign of a leading "-" where the grammar allows one. */
export interface NumberLiteral extends NodeBase {
  kind: "Number";
  value: number;
  /** The text as written (`12.5`, `-3`), kept for diagnostics and the printer. */
  raw: string;
}

/** value = String | Number ; */
export type Value = StringLiteral | NumberLiteral;

/** path = Ident { "." Ident } ; */
export interface Path extends NodeBase {
  kind: "Path";
  segments: Name[];
}

/**
 * metric = "score" | "fit" | "engagement" | "group" String ;
 * `group` is present (the group's name as written) only when `name` is "group".
 */
export interface Metric extends NodeBase {
  kind: "Metric";
  name: "score" | "fit" | "engagement" | "group";
  group?: StringLiteral;
}

/** compareOp = "=" | "!=" | ">" | ">=" | "<" | "<=" | "contains" | "startsWith" | "endsWith" ; */
export type CompareOp = "=" | "!=" | ">" | ">=" | "<" | "<=" | "contains" | "startsWith" | "endsWith";

/** condition = andExpr { "or" andExpr } ;  (only built with two or more operands) */
export interface OrCondition extends NodeBase {
  kind: "Or";
  operands: Condition[];
}

/** andExpr = notExpr { "and" notExpr } ;  (only built with two or more operands) */
export interface AndCondition extends NodeBase {
  kind: "And";
  operands: Condition[];
}

/** notExpr = "not" notExpr | atom ; */
export interface NotCondition extends NodeBase {
  kind: "Not";
  operand: Condition;
}

/** atom: "has" Ident [ String ]: the lead has ever had such an interaction. */
export interface HasCondition extends NodeBase {
  kind: "Has";
  type: Name;
  target: StringLiteral | null;
}

/** atom: metric compareOp Number | path compareOp value */
export interface CompareCondition extends NodeBase {
  kind: "Compare";
  left: Path | Metric;
  op: CompareOp;
  opRange: SourceRange;
  right: Value;
}

/** atom: path [ "not" ] "in" "[" value { "," value } "]" */
export interface InCondition extends NodeBase {
  kind: "In";
  path: Path;
  negated: boolean;
  values: Value[];
}

/** atom: path "is" [ "not" ] "set" */
export interface IsSetCondition extends NodeBase {
  kind: "IsSet";
  path: Path;
  negated: boolean;
}

/**
 * atom: path [ value ]: an implicit "=" on a lead field (`role "Marketing Director"`), or an
 * activity with its target pattern (`visit "/pricing"`). The checker decides which.
 */
export interface BareCondition extends NodeBase {
  kind: "Bare";
  path: Path;
  value: Value | null;
}

export type Condition =
  | OrCondition
  | AndCondition
  | NotCondition
  | HasCondition
  | CompareCondition
  | InCondition
  | IsSetCondition
  | BareCondition;

/** duration = Int ( "minute" | "minutes" | "hour" | "hours" | "day" | "days" | "week" | "weeks" ) ; */
export interface Duration extends NodeBase {
  kind: "Duration";
  amount: NumberLiteral;
  /** The unit, singular. */
  unit: "minute" | "hour" | "day" | "week";
  /** The unit as written (`days`), so the printer can keep the author's choice. */
  unitText: string;
}

/** frequency = "at" "least" Int "times" "within" duration ; */
export interface Frequency extends NodeBase {
  kind: "Frequency";
  count: NumberLiteral;
  within: Duration;
}

/** points = [ "+" | "-" ] Int ; */
export interface Points extends NodeBase {
  kind: "Points";
  /** Signed value. */
  value: number;
  /** The sign as written, or null for none. */
  sign: "+" | "-" | null;
  raw: string;
}

/** decay = "decays" Int "%" "every" duration ;  (a modifier, and a group's setting) */
export interface Decay extends NodeBase {
  kind: "Decays";
  /** The percentage lost at each full period, as written (the checker wants 1 to 99). */
  percent: NumberLiteral;
  every: Duration;
}

/** modifier = "once" | "max" Int | "expires" "after" duration | decay ; */
export type Modifier =
  | ({ kind: "Once" } & NodeBase)
  | ({ kind: "Max"; count: NumberLiteral } & NodeBase)
  | ({ kind: "Expires"; after: Duration } & NodeBase)
  | Decay;

/** funnel = "funnel" Ident { ">" Ident } [ "|" Ident { "," Ident } ] ; */
export interface FunnelStatement extends NodeBase {
  kind: "Funnel";
  stages: Name[];
  offPath: Name[];
}

/** stageRule = "stage" Ident "when" condition ; */
export interface StageRule extends NodeBase {
  kind: "StageRule";
  stage: Name;
  condition: Condition;
}

/** scoreRule = [ "rule" String ":" ] condition [ "where" condition ] [ frequency ] "=>" points { modifier } ; */
export interface ScoreRule extends NodeBase {
  kind: "ScoreRule";
  name: StringLiteral | null;
  condition: Condition;
  where: Condition | null;
  frequency: Frequency | null;
  points: Points;
  modifiers: Modifier[];
}

/**
 * group = "group" String { groupSetting } "{" { scoreRule } "}" ;
 * groupSetting = "max" Int | decay ;
 * Settings are kept in the order written (`max` and `decays` may come in either order; the
 * checker reports a second one of a kind).
 */
export interface GroupStatement extends NodeBase {
  kind: "Group";
  name: StringLiteral;
  settings: GroupSetting[];
  rules: ScoreRule[];
}

/** A group's `max N` or `decays r% every D`. */
export type GroupSetting = ({ kind: "Max"; count: NumberLiteral } & NodeBase) | Decay;

/** statement = funnel | stageRule | group | scoreRule ; */
export type Statement = FunnelStatement | StageRule | GroupStatement | ScoreRule;

/** model = { statement } ; */
export interface Model extends NodeBase {
  kind: "Model";
  statements: Statement[];
}
