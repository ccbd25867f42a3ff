/**
 * `complete`: what may be typed at an offset. The grammar decides (chevrotain's content assist on
 * the tokens of the statement being written, so a mistake elsewhere in the file does not matter);
 * the model fills in the names: its funnel's stages after `stage`, its groups after `group` in a
 * stage rule, interaction types where an activity or `has` goes, lead fields where a fit or stage
 * condition does, `target`, `source`, `properties.`, `lead.` in `where`.
 */
import { tokenMatcher, type IToken, type ISyntacticContentAssistPath, type TokenType } from "chevrotain";
import type { Condition, Model, ScoreRule, Statement } from "../ast";
import { DEFAULT_INTERACTION_TYPES } from "../catalog";
import { lex } from "../lexer";
import { LineMap } from "../location";
import { DEFAULT_FUNNEL, LEAD_FIELDS, type LeadField } from "../model";
import { parse } from "../parse";
import { rulesParser } from "../parser";
import { printString } from "../printer";
import * as T from "../tokens";
import { firstTokenFrom, spotAt } from "./source-text";
import { INTERACTION_FIELDS, KEYWORDS, LEAD_FIELD_DETAILS, LEAD_FIELD_SET, PATH_PREFIXES, leadFieldType } from "./vocabulary";

export type CompletionKind = "keyword" | "operator" | "unit" | "metric" | "field" | "property" | "stage" | "group" | "interactionType";

export interface CompletionItem {
  /** What the list shows, and what is inserted unless `insert` says otherwise. */
  label: string;
  kind: CompletionKind;
  /** One line: what it is. */
  detail: string;
  /** The text to insert when it differs from the label (a group's name in quotes). */
  insert?: string;
  /** Sorts the list: lower first (the most likely items of the place come first). */
  sortText: string;
}

/** The items, and the text they replace (the word being typed, or the text in quotes). */
export interface Completions {
  from: number;
  to: number;
  items: CompletionItem[];
}

export interface CompletionContext {
  /** Known interaction types (the service's catalog); the default catalog when absent. */
  catalog?: readonly string[];
  /** Interaction types seen in the data, offered too. */
  interactionTypes?: readonly string[];
}

/** A prefix this long is not a statement being written: complete from the start of its line instead. */
const MAX_PREFIX_TOKENS = 400;
/** How many line starts to try, going up, when the statement's own start gives no valid prefix. */
const MAX_LINES_BACK = 8;

const COMPARE_OPERATORS: readonly [string, string][] = [
  ["=", "equals (text: case-insensitive, trimmed)"],
  ["!=", "differs from"],
  [">", "greater than (numbers)"],
  [">=", "at least (numbers)"],
  ["<", "less than (numbers)"],
  ["<=", "at most (numbers)"],
  ["contains", KEYWORDS.contains.detail],
  ["startsWith", KEYWORDS.startsWith.detail],
  ["endsWith", KEYWORDS.endsWith.detail],
];

/** A keyword token's text: its pattern (`minutes?` → `minute`). */
const keywordText = (type: TokenType): string => (type.PATTERN as RegExp).source.replace(/s\?$/, "");
const KEYWORD_TYPES: ReadonlySet<TokenType> = new Set(T.keywordTokens);

/** Where a path stands, which decides what it may name. */
type Scope = "head" | "fit" | "where" | "stage";

/**
 * The completions at `offset` (0-based) in `source`. Never throws; in a comment, or where nothing
 * can be offered, `items` is empty.
 *
 * @example complete("stage ", 6).items.map((i) => i.label) // ["Lead", "MQL", "SQL", …]
 */
export function complete(source: string, offset: number, context: CompletionContext = {}): Completions {
  const at = Math.max(0, Math.min(offset, source.length));
  const spot = spotAt(source, at);
  if (spot.kind === "comment") return { from: at, to: at, items: [] };
  const { ast } = parse(source);
  const tokens = lex(source, new LineMap(source)).tokens;
  const wordFrom = spot.kind === "string" ? spot.from : spot.wordFrom;
  const paths = contentAssist(source, ast, tokens, wordFrom);
  const model = new ModelNames(ast, tokens, context);
  if (spot.kind === "string") return { from: spot.from, to: spot.to, items: stringItems(paths, model) };
  const before = tokens.slice(0, firstTokenFrom(tokens, wordFrom));
  const typed = source.slice(spot.wordFrom, spot.wordTo);
  const items = new Map<string, CompletionItem>();
  for (const path of paths) {
    for (const item of itemsFor(path, before, model, typed)) if (!items.has(item.label)) items.set(item.label, item);
  }
  return { from: spot.wordFrom, to: spot.wordTo, items: [...items.values()].sort((a, b) => (a.sortText < b.sortText ? -1 : a.sortText > b.sortText ? 1 : 0)) };
}

/** The names a model offers: stages, groups, interaction types, keys used after `attributes.`/`properties.`. */
class ModelNames {
  readonly stages: string[];
  readonly groups: string[];
  readonly types: string[];
  readonly catalog: ReadonlySet<string>;
  private readonly keys = new Map<string, Set<string>>();

  constructor(ast: Model, tokens: readonly IToken[], context: CompletionContext) {
    const funnel = ast.statements.find((s) => s.kind === "Funnel");
    this.stages = funnel?.kind === "Funnel" ? funnel.stages.map((s) => s.value) : DEFAULT_FUNNEL.stages;
    this.groups = ast.statements.flatMap((s) => (s.kind === "Group" && s.name.value.trim() !== "" ? [s.name.value.trim()] : []));
    const catalog = context.catalog ?? DEFAULT_INTERACTION_TYPES;
    this.catalog = new Set(catalog);
    this.types = [...new Set([...catalog, ...(context.interactionTypes ?? []), ...usedTypes(ast.statements)])];
    for (let i = 0; i + 2 < tokens.length; i++) {
      if (tokens[i + 1].tokenType !== T.Dot || !tokenMatcher(tokens[i + 2], T.Name)) continue;
      const prefix = tokens[i].image;
      if (prefix !== "attributes" && prefix !== "properties") continue;
      let set = this.keys.get(prefix);
      if (set === undefined) this.keys.set(prefix, (set = new Set()));
      set.add(tokens[i + 2].image);
    }
  }

  keysOf(prefix: string): string[] {
    return [...(this.keys.get(prefix) ?? [])];
  }
}

/** The interaction types a model's rules already name (activity heads and `has`). */
function usedTypes(statements: readonly Statement[]): string[] {
  const found: string[] = [];
  const fromCondition = (c: Condition): void => {
    if (c.kind === "Has") found.push(c.type.value);
    else if (c.kind === "And" || c.kind === "Or") c.operands.forEach(fromCondition);
    else if (c.kind === "Not") fromCondition(c.operand);
  };
  const fromRule = (rule: ScoreRule): void => {
    const c = rule.condition;
    if (c.kind === "Bare" && c.path.segments.length === 1 && !LEAD_FIELD_SET.has(c.path.segments[0].value)) found.push(c.path.segments[0].value);
  };
  for (const s of statements) {
    if (s.kind === "ScoreRule") fromRule(s);
    else if (s.kind === "Group") s.rules.forEach(fromRule);
    else if (s.kind === "StageRule") fromCondition(s.condition);
  }
  return found.filter((t) => /^[a-z_][a-z0-9_]*$/.test(t));
}

/**
 * The grammar's next tokens at `offset`: content assist on the tokens from the start of the
 * statement being written (inside a group: the group's header, then the rule being written). When
 * that prefix is not valid (a mistake earlier in the statement), line starts further up are tried,
 * then the start of a statement.
 */
function contentAssist(source: string, ast: Model, tokens: readonly IToken[], offset: number): ISyntacticContentAssistPath[] {
  const end = firstTokenFrom(tokens, offset);
  const attempts: IToken[][] = [];
  const statementPrefix = prefixFromStatement(ast, tokens, offset, end);
  if (statementPrefix !== null && statementPrefix.length <= MAX_PREFIX_TOKENS) attempts.push(statementPrefix);
  let lineStart = end;
  for (let n = 0; n < MAX_LINES_BACK && lineStart > 0; n++) {
    lineStart = startOfLine(source, tokens, lineStart - 1);
    attempts.push(tokens.slice(lineStart, end));
  }
  for (const prefix of attempts) {
    const paths = rulesParser.computeContentAssist("model", prefix);
    if (paths.length > 0) return paths;
  }
  return rulesParser.computeContentAssist("model", []);
}

/** The index of the first token on the line of `tokens[index]`. */
function startOfLine(source: string, tokens: readonly IToken[], index: number): number {
  let i = index;
  while (i > 0 && !/[\r\n]/.test(source.slice(tokens[i - 1].startOffset + tokens[i - 1].image.length, tokens[i].startOffset))) i--;
  return i;
}

function prefixFromStatement(ast: Model, tokens: readonly IToken[], offset: number, end: number): IToken[] | null {
  const statement = lastStarting(ast.statements, offset);
  if (statement === undefined) return tokens.slice(0, end);
  const from = firstTokenFrom(tokens, statement.range.start.offset);
  if (statement.kind !== "Group") return tokens.slice(from, end);
  const inner = lastStarting(statement.rules, offset);
  if (inner === undefined) return tokens.slice(from, end);
  // The header up to its "{", then the rule being written: the same grammar path, far fewer tokens.
  const brace = tokens.findIndex((t, i) => i >= from && t.tokenType === T.LBrace);
  if (brace < 0 || brace >= end) return tokens.slice(from, end);
  return [...tokens.slice(from, brace + 1), ...tokens.slice(firstTokenFrom(tokens, inner.range.start.offset), end)];
}

function lastStarting<S extends { range: { start: { offset: number } } }>(statements: readonly S[], offset: number): S | undefined {
  let found: S | undefined;
  for (const s of statements) {
    if (s.range.start.offset < offset) found = s;
    else break;
  }
  return found;
}

const at = (path: ISyntacticContentAssistPath, i: number): string | undefined => path.ruleStack[path.ruleStack.length + i];

/** The scope of a path or condition token, from the rules it is nested in. */
function scopeOf(path: ISyntacticContentAssistPath): Scope {
  const { ruleStack, occurrenceStack } = path;
  if (ruleStack.includes("stageRule")) return "stage";
  const rule = ruleStack.indexOf("scoreRule");
  if (rule < 0) return "fit";
  if (occurrenceStack[rule + 1] === 2) return "where";
  // The head of an activity rule: the condition's first operand, a bare path.
  const head = ruleStack.slice(rule + 1).join("/") === "condition/andExpr/notExpr/atom/pathCondition/path";
  return head && occurrenceStack.slice(rule + 1, rule + 4).every((o) => o === 0) ? "head" : "fit";
}

function keywordItem(text: string, sortText = "5"): CompletionItem {
  return { label: text, kind: "keyword", detail: KEYWORDS[text]?.detail ?? "", sortText: `${sortText}${text}` };
}

function leadFieldItems(sortText: string): CompletionItem[] {
  return LEAD_FIELDS.map((field: LeadField) => ({
    label: field,
    kind: "field" as const,
    detail: `${leadFieldType(field)}: ${LEAD_FIELD_DETAILS[field]}`,
    sortText: `${sortText}${field}`,
  }));
}

function prefixItem(prefix: string, sortText: string): CompletionItem {
  return { label: `${prefix}.`, kind: "property", detail: PATH_PREFIXES[prefix], sortText: `${sortText}${prefix}` };
}

function typeItems(model: ModelNames, sortText: string): CompletionItem[] {
  return model.types.map((type) => ({
    label: type,
    kind: "interactionType" as const,
    detail: model.catalog.has(type) ? "interaction type (catalog)" : "interaction type (not in the catalog)",
    sortText: `${sortText}${type}`,
  }));
}

/** The path segments written before the "." being completed (`lead.` → ["lead"]), or null when not after a ".". */
function segmentsBefore(before: readonly IToken[]): string[] | null {
  let i = before.length - 1;
  if (before[i]?.tokenType !== T.Dot) return null;
  const segments: string[] = [];
  while (i >= 1 && before[i].tokenType === T.Dot && tokenMatcher(before[i - 1], T.Name)) {
    segments.unshift(before[i - 1].image);
    i -= 2;
  }
  return segments;
}

function itemsFor(path: ISyntacticContentAssistPath, before: readonly IToken[], model: ModelNames, typed: string): CompletionItem[] {
  const type = path.nextTokenType;
  const rule = at(path, -1);
  const scope = scopeOf(path);
  if (type === T.Name) return nameItems(segmentsBefore(before) ?? [], model, typed);
  if (type === T.Identifier) {
    if (rule === "stageRule") {
      // The first stage never needs a rule (every lead starts there).
      return model.stages.slice(1).map((stage, i) => ({ label: stage, kind: "stage", detail: `stage ${i + 2} of the funnel`, sortText: `0${String(i).padStart(3, "0")}` }));
    }
    if (rule === "atom") return typeItems(model, "0"); // after "has"
    if (rule !== "path") return [];
    if (scope === "where") {
      return [
        ...Object.entries(INTERACTION_FIELDS).map(([label, detail]) => ({ label, kind: "field" as const, detail: `text: ${detail}`, sortText: `0${label}` })),
        prefixItem("properties", "0"),
        prefixItem("lead", "1"),
      ];
    }
    const fields = [...leadFieldItems("1"), prefixItem("attributes", "2")];
    return scope === "head" ? [...typeItems(model, "0"), ...fields] : fields;
  }
  // `has`, metrics and `group "…"` are conditions of stage rules only (an error elsewhere).
  if (rule === "atom" && scope !== "stage" && (type === T.Has || type === T.Metric || type === T.Group)) return [];
  if (type === T.StringLiteral && rule === "atom" && scope === "stage") return groupItems(model);
  if (type === T.Metric) {
    return ["score", "fit", "engagement"].map((m) => ({ label: m, kind: "metric", detail: KEYWORDS[m].detail, sortText: `0${m}` }));
  }
  if (type === T.CompareOp) {
    return COMPARE_OPERATORS.map(([label, detail], i) => ({ label, kind: "operator", detail, sortText: `3${i}` }));
  }
  if (type === T.DurationUnit) {
    const one = before[before.length - 1]?.image === "1";
    return ["minute", "hour", "day", "week"].map((unit, i) => ({ label: one ? unit : `${unit}s`, kind: "unit", detail: KEYWORDS[unit].detail, sortText: `0${i}` }));
  }
  if (type === T.Arrow) return [{ label: "=>", kind: "operator", detail: "then the points, e.g. => +10", sortText: "4=>" }];
  // After the points, the rule's modifiers come before whatever could start the next statement.
  if (KEYWORD_TYPES.has(type)) return [keywordItem(keywordText(type), rule === "modifier" || rule === "decay" ? "00" : "5")];
  return [];
}

function nameItems(segments: readonly string[], model: ModelNames, typed: string): CompletionItem[] {
  const key = segments.join(".");
  if (key === "lead") return [...leadFieldItems("0"), prefixItem("attributes", "1")];
  const prefix = key === "lead.attributes" ? "attributes" : key;
  if (prefix !== "attributes" && prefix !== "properties") return [];
  const what = prefix === "attributes" ? "attribute of the lead" : "property of the interaction";
  return model
    .keysOf(prefix)
    .filter((k) => k !== typed)
    .map((k) => ({ label: k, kind: "property", detail: `${what} (used elsewhere in this model)`, sortText: `0${k}` }));
}

/** Inside quotes: a group's name after `group` in a stage rule. */
function stringItems(paths: readonly ISyntacticContentAssistPath[], model: ModelNames): CompletionItem[] {
  const wantsGroup = paths.some((p) => p.nextTokenType === T.StringLiteral && at(p, -1) === "atom" && p.ruleStack.includes("stageRule"));
  return wantsGroup ? groupItems(model) : [];
}

function groupItems(model: ModelNames): CompletionItem[] {
  return model.groups.map((name) => ({ label: name, kind: "group", detail: "group of this model", insert: printString(name), sortText: `0${name}` }));
}
