/**
 * `hover`: what the word under the cursor means, in markdown: a keyword (what it does, an example),
 * a lead field (its type), a path of `where`, an interaction type, a stage (its place in the funnel
 * and the rule that reaches it), a group (its rules, cap and decay), a score rule (its points, kind
 * and group).
 */
import type { Condition, GroupStatement, Model, Path, ScoreRule, SourceRange, StageRule } from "../ast";
import { ruleSourceName } from "../checker";
import { DEFAULT_INTERACTION_TYPES } from "../catalog";
import { lex } from "../lexer";
import { LineMap } from "../location";
import { DEFAULT_FUNNEL, type Funnel, type LeadField } from "../model";
import { parse } from "../parse";
import { printCondition, printGroupSetting, printModifier, printPoints, printStageRule, printString } from "../printer";
import * as T from "../tokens";
import { firstTokenFrom, tokenAt } from "./source-text";
import { INTERACTION_FIELDS, KEYWORDS, LEAD_FIELD_DETAILS, LEAD_FIELD_SET, PATH_PREFIXES, keywordOf, leadFieldType } from "./vocabulary";

export interface Hover {
  /** The text the hover is about (0-based offsets). */
  from: number;
  to: number;
  markdown: string;
}

export interface HoverOptions {
  /** Known interaction types; the default catalog when absent. */
  catalog?: readonly string[];
}

const KEYWORD_TYPES: ReadonlySet<unknown> = new Set(T.keywordTokens);

const code = (text: string): string => `\`${text.replace(/`/g, "'")}\``;
const contains = (range: SourceRange, offset: number): boolean => range.start.offset <= offset && offset < range.end.offset;

/**
 * The hover at `offset` (0-based), or null on a space, a comment, punctuation, or text that did
 * not parse into anything known. Never throws.
 *
 * @example hover('rol "CEO" => +5', 0) // null: not a field
 * @example hover('role "CEO" => +5', 1)?.markdown // "**role** · lead field · text …"
 */
export function hover(source: string, offset: number, options: HoverOptions = {}): Hover | null {
  const tokens = lex(source, new LineMap(source)).tokens;
  const token = tokenAt(tokens, offset);
  if (token === undefined) return null;
  const from = token.startOffset;
  const to = from + token.image.length;
  const index = firstTokenFrom(tokens, from);
  const afterDot = index > 0 && tokens[index - 1].tokenType === T.Dot;
  const keyword = KEYWORD_TYPES.has(token.tokenType) && !afterDot ? keywordOf(token.image) : undefined;
  if (keyword !== undefined) {
    const { detail, example } = KEYWORDS[keyword];
    return { from, to, markdown: `**${keyword}** · keyword\n\n${detail}\n\n${code(example)}` };
  }
  const { ast } = parse(source);
  const explainer = new Explainer(source, ast, options.catalog ?? DEFAULT_INTERACTION_TYPES);
  const markdown = explainer.at(from);
  return markdown === null ? null : { from, to, markdown };
}

class Explainer {
  private readonly funnel: Funnel;
  private readonly catalog: ReadonlySet<string>;

  constructor(
    private readonly source: string,
    private readonly ast: Model,
    catalog: readonly string[],
  ) {
    const declared = ast.statements.find((s) => s.kind === "Funnel");
    this.funnel = declared?.kind === "Funnel" ? { stages: declared.stages.map((s) => s.value), offPath: declared.offPath.map((s) => s.value) } : DEFAULT_FUNNEL;
    this.catalog = new Set(catalog);
  }

  /** The markdown for the token starting at `offset`. */
  at(offset: number): string | null {
    const statement = this.ast.statements.find((s) => contains(s.range, offset));
    if (statement === undefined) return null;
    switch (statement.kind) {
      case "Funnel": {
        const stage = [...statement.stages, ...statement.offPath].find((s) => contains(s.range, offset));
        return stage === undefined ? null : this.stage(stage.value);
      }
      case "StageRule":
        if (contains(statement.stage.range, offset)) return this.stage(statement.stage.value);
        return this.inCondition(statement.condition, offset, "stage");
      case "Group": {
        if (contains(statement.name.range, offset)) return this.group(statement);
        const rule = statement.rules.find((r) => contains(r.range, offset));
        return rule === undefined ? this.group(statement) : this.scoreRule(rule, offset, statement);
      }
      case "ScoreRule":
        return this.scoreRule(statement, offset, null);
    }
  }

  private scoreRule(rule: ScoreRule, offset: number, group: GroupStatement | null): string {
    const summary = this.ruleSummary(rule, group);
    const activity = activityType(rule);
    let part: string | null = null;
    if (contains(rule.condition.range, offset)) {
      part = activity !== null && rule.condition.kind === "Bare" && contains(rule.condition.path.range, offset)
        ? this.interactionType(activity)
        : this.inCondition(rule.condition, offset, "fit");
    } else if (rule.where !== null && contains(rule.where.range, offset)) {
      part = this.inCondition(rule.where, offset, "where");
    }
    return part === null ? summary : `${part}\n\n---\n\n${summary}`;
  }

  private ruleSummary(rule: ScoreRule, group: GroupStatement | null): string {
    const name = rule.name !== null ? rule.name.value.trim() : ruleSourceName(this.source, rule.range);
    const activity = activityType(rule);
    const kind = activity !== null
      ? `activity rule: ${printPoints(rule.points)} for each matching ${code(activity)} interaction`
      : `fit rule: ${printPoints(rule.points)} while the lead matches`;
    const lines = [`**Rule** ${code(name)}`, "", kind];
    const extras = [
      rule.where !== null ? `where ${printCondition(rule.where)}` : null,
      rule.frequency !== null ? `at least ${rule.frequency.count.raw} times within ${rule.frequency.within.amount.raw} ${rule.frequency.within.unitText}` : null,
      ...rule.modifiers.map(printModifier),
    ].filter((x): x is string => x !== null);
    if (extras.length > 0) lines.push("", extras.map(code).join(" · "));
    lines.push("", group === null ? "Not in a group." : `In group ${code(printString(group.name.value.trim()))}.`);
    return lines.join("\n");
  }

  private interactionType(type: string): string {
    const known = this.catalog.has(type) ? "in the catalog" : "**not in the catalog** (check the spelling)";
    const rules = this.allRules().filter((r) => activityType(r) === type).length;
    return `**${type}** · interaction type, ${known}\n\nScored by ${rules} rule${rules === 1 ? "" : "s"} of this model.`;
  }

  private allRules(): ScoreRule[] {
    return this.ast.statements.flatMap((s) => (s.kind === "ScoreRule" ? [s] : s.kind === "Group" ? s.rules : []));
  }

  private stage(name: string): string {
    const { stages, offPath } = this.funnel;
    const position = stages.indexOf(name);
    const rule = this.ast.statements.find((s): s is StageRule => s.kind === "StageRule" && s.stage.value === name);
    const lines = [`**${name}** · stage`, ""];
    if (position === 0) lines.push(`The funnel's first stage (1 of ${stages.length}): every new lead starts here.`);
    else if (position > 0) lines.push(`Stage ${position + 1} of ${stages.length} on the funnel's path (${stages.join(" > ")}).`);
    else if (offPath.includes(name)) lines.push("Off the funnel's path: only people move leads here.");
    else return `**${name}** · not a stage of this model's funnel (${stages.join(" > ")})`;
    if (rule !== undefined) lines.push("", `Reached when ${code(printStageRule(rule).replace(/^stage \S+ when /, ""))}.`);
    else if (position > 0) lines.push("", "No stage rule: leads reach it only by hand.");
    return lines.join("\n");
  }

  private group(group: GroupStatement): string {
    const name = group.name.value.trim();
    const kinds = new Set(group.rules.map((r) => (activityType(r) === null ? "fit" : "activity")));
    const kind = kinds.size === 1 ? `${[...kinds][0]} group` : kinds.size === 0 ? "empty group" : "group (mixed: an error)";
    const settings = group.settings.map(printGroupSetting);
    const lines = [`**Group** ${code(printString(name))} · ${kind}, ${group.rules.length} rule${group.rules.length === 1 ? "" : "s"}`];
    if (settings.length > 0) lines.push("", settings.map(code).join(" · "));
    const shown = group.rules.slice(0, 10).map((r) => `- ${code(r.name !== null ? r.name.value.trim() : ruleSourceName(this.source, r.range))}`);
    if (shown.length > 0) lines.push("", ...shown);
    if (group.rules.length > 10) lines.push(`- … and ${group.rules.length - 10} more`);
    return lines.join("\n");
  }

  private groupByName(name: string): GroupStatement | undefined {
    const key = name.trim().toLowerCase();
    return this.ast.statements.find((s): s is GroupStatement => s.kind === "Group" && s.name.value.trim().toLowerCase() === key);
  }

  /** The atom of `condition` under `offset`, explained in its scope. */
  private inCondition(condition: Condition, offset: number, scope: "fit" | "where" | "stage"): string | null {
    switch (condition.kind) {
      case "Or":
      case "And": {
        const operand = condition.operands.find((o) => contains(o.range, offset));
        return operand === undefined ? null : this.inCondition(operand, offset, scope);
      }
      case "Not":
        return this.inCondition(condition.operand, offset, scope);
      case "Has":
        return contains(condition.type.range, offset) ? this.interactionType(condition.type.value) : null;
      case "Compare":
        if (!contains(condition.left.range, offset)) return null;
        if (condition.left.kind === "Metric") {
          const group = condition.left.group;
          if (group === undefined) return null; // the metric is a keyword: answered before
          const declared = this.groupByName(group.value);
          return declared === undefined ? `**${code(printString(group.value))}** · not a group of this model` : this.group(declared);
        }
        return this.path(condition.left, offset, scope);
      case "In":
      case "IsSet":
      case "Bare":
        return contains(condition.path.range, offset) ? this.path(condition.path, offset, scope) : null;
    }
  }

  private path(path: Path, offset: number, scope: "fit" | "where" | "stage"): string | null {
    const names = path.segments.map((s) => s.value);
    const index = path.segments.findIndex((s) => contains(s.range, offset));
    const text = names.join(".");
    if (scope === "where") {
      if (names.length === 1 && INTERACTION_FIELDS[names[0]] !== undefined) return `**${text}** · of the interaction · text\n\n${INTERACTION_FIELDS[names[0]]}`;
      if (names[0] === "properties") return `**${text}** · interaction property · untyped\n\n${PATH_PREFIXES.properties}`;
      if (names[0] === "lead") return index === 0 ? `**lead** · the lead, in where\n\n${PATH_PREFIXES.lead}` : this.leadPath(names.slice(1), text);
      return null;
    }
    return this.leadPath(names, text);
  }

  private leadPath(names: readonly string[], text: string): string | null {
    if (names.length === 1 && LEAD_FIELD_SET.has(names[0])) {
      const field = names[0] as LeadField;
      return `**${text}** · lead field · ${leadFieldType(field)}\n\n${LEAD_FIELD_DETAILS[field]}`;
    }
    if (names[0] === "attributes" && names.length > 1) return `**${text}** · lead attribute · untyped\n\n${PATH_PREFIXES.attributes}`;
    return null;
  }
}

/** The interaction type of an activity rule (a single bare name that is no lead field), or null for a fit rule. */
function activityType(rule: ScoreRule): string | null {
  const c = rule.condition;
  if (c.kind !== "Bare" || c.path.segments.length !== 1 || c.value?.kind === "Number") return null;
  const name = c.path.segments[0].value;
  return LEAD_FIELD_SET.has(name) || name === "attributes" ? null : name;
}
