/**
 * The printer: an AST back to canonical rule text, after graphql-js `language/printer.ts`.
 *
 * Canonical means: one statement per line, single spaces (`visit "/pricing" => +15`), points always
 * signed, modifiers after the points in their written order, parentheses only where precedence
 * needs them, strings re-escaped, numbers in plain decimal, duration units singular for 1 and plural
 * otherwise, and a blank line wherever the kind of statement changes (funnel, score rules, stage
 * rules) and around every group. A group is printed on several lines: its header and `{`, one
 * rule per line indented by two spaces, and `}` (an empty group: `group "Name" {}`). Comments are
 * not part of the AST and are not printed.
 *
 * Round trip: `parse(print(ast)).ast` equals `ast` once ranges are ignored and these normalised:
 * `NumberLiteral.raw` becomes `formatNumber(value)`, `Points.sign` becomes `+` when it was omitted
 * (and `Points.raw` the sign followed by the digits), `Duration.unitText` becomes the singular unit
 * for an amount of 1 and the plural otherwise.
 */
import type {
  Condition,
  Decay,
  Duration,
  FunnelStatement,
  GroupSetting,
  GroupStatement,
  Metric,
  Model,
  Modifier,
  Points,
  ScoreRule,
  StageRule,
  Statement,
  Value,
} from "./ast";

/** How the rules inside a group are indented. */
export const GROUP_INDENT = "  ";

/**
 * Prints a whole model canonically.
 *
 * @example print(parse('visit   "/pricing"=>15').ast) // 'visit "/pricing" => +15\n'
 */
export function print(ast: Model): string {
  let out = "";
  let previous: Statement["kind"] | null = null;
  for (const statement of ast.statements) {
    if (previous !== null && (previous !== statement.kind || statement.kind === "Group")) out += "\n";
    out += `${printStatement(statement)}\n`;
    previous = statement.kind;
  }
  return out;
}

/** One statement on one line, without a line break. */
export function printStatement(statement: Statement): string {
  switch (statement.kind) {
    case "Funnel":
      return printFunnel(statement);
    case "StageRule":
      return printStageRule(statement);
    case "ScoreRule":
      return printScoreRule(statement);
    case "Group":
      return printGroup(statement);
  }
}

/** `group "Product A" max 60 {`: a group's first line (with `{`). */
export function printGroupHeader(group: GroupStatement): string {
  const settings = group.settings.map(printGroupSetting);
  return ["group", printString(group.name.value), ...settings, "{"].join(" ");
}

/** A group on several lines (see the module comment). */
export function printGroup(group: GroupStatement): string {
  if (group.rules.length === 0) return `${printGroupHeader(group)}}`;
  return [printGroupHeader(group), ...group.rules.map((r) => GROUP_INDENT + printScoreRule(r)), "}"].join("\n");
}

/** `max 60`, `decays 50% every 30 days`. */
export function printGroupSetting(setting: GroupSetting): string {
  return setting.kind === "Max" ? `max ${formatNumber(setting.count.value)}` : printDecay(setting);
}

/** `decays 10% every 30 days`. */
export function printDecay(decay: Decay): string {
  return `decays ${formatNumber(decay.percent.value)}% every ${printDuration(decay.every)}`;
}

/** `score`, `group "Product A"`. */
export function printMetric(metric: Metric): string {
  return metric.name === "group" ? `group ${printString(metric.group?.value ?? "")}` : metric.name;
}

/** `funnel Subscriber > Lead > MQL | Other, Lost` */
export function printFunnel(funnel: FunnelStatement): string {
  const path = funnel.stages.map((s) => s.value).join(" > ");
  return funnel.offPath.length > 0 ? `funnel ${path} | ${funnel.offPath.map((s) => s.value).join(", ")}` : `funnel ${path}`;
}

/**
 * A stage rule's canonical text, also used as the rule's name in stage transitions.
 *
 * @example printStageRule(rule) // "stage MQL when score >= 50"
 */
export function printStageRule(rule: StageRule): string {
  return `stage ${rule.stage.value} when ${printCondition(rule.condition)}`;
}

/**
 * A score rule's canonical text.
 *
 * @example printScoreRule(rule) // 'visit "/pricing" at least 3 times within 7 days => +20 once'
 */
export function printScoreRule(rule: ScoreRule): string {
  const parts: string[] = [];
  if (rule.name) parts.push(`rule ${printString(rule.name.value)}:`);
  parts.push(printCondition(rule.condition));
  if (rule.where) parts.push(`where ${printCondition(rule.where)}`);
  if (rule.frequency) {
    parts.push(`at least ${formatNumber(rule.frequency.count.value)} times within ${printDuration(rule.frequency.within)}`);
  }
  parts.push("=>", printPoints(rule.points));
  for (const modifier of rule.modifiers) parts.push(printModifier(modifier));
  return parts.join(" ");
}

/** `+15`, `-10`: points always carry a sign. */
export function printPoints(points: Points): string {
  const negative = points.value < 0 || Object.is(points.value, -0) || (points.value === 0 && points.sign === "-");
  return `${negative ? "-" : "+"}${formatNumber(Math.abs(points.value))}`;
}

/** `once`, `max 5`, `expires after 90 days`. */
export function printModifier(modifier: Modifier): string {
  switch (modifier.kind) {
    case "Once":
      return "once";
    case "Max":
      return `max ${formatNumber(modifier.count.value)}`;
    case "Expires":
      return `expires after ${printDuration(modifier.after)}`;
    case "Decays":
      return printDecay(modifier);
  }
}

/** `1 day`, `90 days`. */
export function printDuration(duration: Duration): string {
  return `${formatNumber(duration.amount.value)} ${canonicalUnitText(duration.amount.value, duration.unit)}`;
}

/** The unit as the printer writes it: singular for exactly 1, plural otherwise. */
export function canonicalUnitText(amount: number, unit: Duration["unit"]): string {
  return amount === 1 ? unit : `${unit}s`;
}

// Binding strength: an operand is parenthesised when it binds more loosely than its context needs.
const PRECEDENCE: Readonly<Record<Condition["kind"], number>> = {
  Or: 1,
  And: 2,
  Not: 3,
  Has: 4,
  Compare: 4,
  In: 4,
  IsSet: 4,
  Bare: 4,
};

function printOperand(condition: Condition, minimum: number): string {
  const text = printCondition(condition);
  return PRECEDENCE[condition.kind] < minimum ? `(${text})` : text;
}

/**
 * A condition's canonical text, with parentheses only where precedence needs them (a nested `or`
 * inside an `or` is kept in parentheses so that the tree shape survives a round trip).
 *
 * @example printCondition(cond) // 'role contains "Director" and (companySize >= 50 or industry = "SaaS")'
 */
export function printCondition(condition: Condition): string {
  switch (condition.kind) {
    case "Or":
      return condition.operands.map((c) => printOperand(c, 2)).join(" or ");
    case "And":
      return condition.operands.map((c) => printOperand(c, 3)).join(" and ");
    case "Not":
      return `not ${printOperand(condition.operand, 3)}`;
    case "Has":
      return condition.target ? `has ${condition.type.value} ${printString(condition.target.value)}` : `has ${condition.type.value}`;
    case "Compare": {
      const left = condition.left.kind === "Metric" ? printMetric(condition.left) : printPath(condition.left.segments);
      return `${left} ${condition.op} ${printValue(condition.right)}`;
    }
    case "In":
      return `${printPath(condition.path.segments)} ${condition.negated ? "not in" : "in"} [${condition.values.map(printValue).join(", ")}]`;
    case "IsSet":
      return `${printPath(condition.path.segments)} is ${condition.negated ? "not set" : "set"}`;
    case "Bare":
      return condition.value ? `${printPath(condition.path.segments)} ${printValue(condition.value)}` : printPath(condition.path.segments);
  }
}

function printPath(segments: readonly { value: string }[]): string {
  return segments.map((s) => s.value).join(".");
}

/** A value: a re-escaped string, or a number in plain decimal. */
export function printValue(value: Value): string {
  if (value.kind === "String") return printString(value.value);
  // A number too large for a double (hundreds of digits) has no canonical form: keep what was written.
  return Number.isFinite(value.value) ? formatNumber(value.value) : value.raw;
}

/**
 * A string in double quotes with `"` and `\` escaped, line breaks and tabs as `\n` `\t`, and every
 * other control character as `\uXXXX`.
 */
export function printString(value: string): string {
  let out = '"';
  for (const c of value) {
    const code = c.charCodeAt(0);
    if (c === '"' || c === "\\") out += `\\${c}`;
    else if (c === "\n") out += "\\n";
    else if (c === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029) out += `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
    else out += c;
  }
  return `${out}"`;
}

/**
 * A number in the form the lexer reads back to the same value: plain decimal digits, never
 * exponent notation (`1e21` prints as `1000000000000000000000`, `5e-7` as `0.0000005`). The digits
 * are JavaScript's shortest round-trip ones, so parsing the text gives exactly `value`. `-0` keeps
 * its sign.
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Object.is(value, -0)) return "-0";
  const text = String(value);
  const exponent = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (exponent === null) return text;
  const [, sign, lead, fraction = "", power] = exponent;
  const digits = lead + fraction;
  // The decimal point sits after `point` digits (may be <= 0 or beyond the digits).
  const point = 1 + Number(power);
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}
