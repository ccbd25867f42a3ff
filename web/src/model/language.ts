/**
 * The rule language for the model editor: diagnostics with fixes, completion and model tests, run
 * in the browser on the service's own `src/dsl` (bundled as `@dsl`). Everything the editor asks of
 * the language goes through this one module, with the shapes of `src/dsl/services` (the language
 * services `qualify lsp` adapts too), so moving onto those services is a change of this file only.
 *
 * Until they are on main, this is a thin layer over the compiler: the fix of a diagnostic is read
 * from its "Did you mean …?", and completion offers the names that fit the word being typed.
 */
import { DEFAULT_INTERACTION_TYPES } from "@dsl/catalog";
import { check } from "@dsl/checker";
import { compile } from "@dsl/compiler";
import { hasErrors, type Diagnostic } from "@dsl/diagnostics";
import { DEFAULT_FUNNEL, LEAD_FIELDS, type CheckOptions } from "@dsl/model";
import { parseModelTests, runModelTests as runCases, type ModelTestError } from "@dsl/model-test";
import { parse } from "@dsl/parse";
import { keywordTokens } from "@dsl/tokens";

// `parse` measures a model's size with Node's Buffer; the browser has TextEncoder (the language
// services count UTF-8 bytes without Buffer, and this goes with them).
const scope = globalThis as { Buffer?: unknown };
if (scope.Buffer === undefined) {
  const encoder = new TextEncoder();
  scope.Buffer = { byteLength: (text: string) => encoder.encode(text).length };
}

/** Replace the text from `from` to `to` (0-based offsets, `to` exclusive) with `insert`. */
export interface TextEdit {
  from: number;
  to: number;
  insert: string;
}

/** A correction: applying all its edits removes the diagnostic it belongs to. */
export interface Fix {
  /** What the editor shows, e.g. `Replace with 'role'`. */
  title: string;
  edits: TextEdit[];
}

/** A diagnostic (1-based line and column) with 0-based offsets and, when certain, its fix. */
export interface EditorDiagnostic extends Diagnostic {
  from: number;
  to: number;
  fix?: Fix;
}

export type { Diagnostic };

const DID_YOU_MEAN = /Did you mean "([^"]+)"\?/;

/**
 * Every diagnostic of a model (syntax first; the checker's once it parses), with offsets and the
 * did-you-mean fixes. Never throws.
 *
 * @example diagnose('rol "CEO" => +5')[0].fix?.title // "Replace with 'role'"
 */
export function diagnose(source: string, options: CheckOptions = {}): EditorDiagnostic[] {
  const parsed = parse(source);
  const diagnostics = hasErrors(parsed.diagnostics) ? parsed.diagnostics : [...parsed.diagnostics, ...check(parsed.ast, source, options).diagnostics];
  const starts = lineStarts(source);
  return diagnostics.map((d) => located(source, starts, d));
}

/** A diagnostic from elsewhere (the service's RULES_INVALID) placed in `source`. */
export function locate(source: string, d: Diagnostic): EditorDiagnostic {
  return located(source, lineStarts(source), d);
}

/** The offset of each line's first character (lines end at \n, \r\n or \r, as the compiler counts them). */
function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 13 && source.charCodeAt(i + 1) === 10) i++;
    if (c === 10 || c === 13) starts.push(i + 1);
  }
  return starts;
}

function offsetOf(source: string, starts: readonly number[], line: number, column: number): number {
  const start = starts[Math.min(line, starts.length) - 1] ?? 0;
  return Math.min(start + column - 1, source.length);
}

function located(source: string, starts: readonly number[], d: Diagnostic): EditorDiagnostic {
  const from = offsetOf(source, starts, d.line, d.column);
  const to = Math.max(from, offsetOf(source, starts, d.endLine, d.endColumn));
  const result: EditorDiagnostic = { ...d, from, to };
  const suggestion = DID_YOU_MEAN.exec(d.message)?.[1];
  if (suggestion !== undefined && to > from) {
    // A name in quotes (`group "Product B"`: the range is the whole condition) keeps its quotes.
    const quoted = /"(?:[^"\\]|\\.)*"$/.exec(source.slice(from, to));
    const edit = quoted ? { from: to - quoted[0].length, to, insert: JSON.stringify(suggestion) } : { from, to, insert: suggestion };
    result.fix = { title: `Replace with '${suggestion}'`, edits: [edit] };
  }
  return result;
}

/** Applies edits to a text (edits must not overlap; any order). */
export function applyEdits(source: string, edits: readonly TextEdit[]): string {
  let out = source;
  for (const edit of [...edits].sort((a, b) => b.from - a.from)) out = out.slice(0, edit.from) + edit.insert + out.slice(edit.to);
  return out;
}

export type CompletionKind = "keyword" | "operator" | "unit" | "metric" | "field" | "property" | "stage" | "group" | "interactionType";

export interface CompletionItem {
  label: string;
  kind: CompletionKind;
  detail: string;
  /** The text to insert when it differs from the label (a group's name in quotes). */
  insert?: string;
  sortText: string;
}

/** The items, and the text they replace (the word being typed). */
export interface Completions {
  from: number;
  to: number;
  items: CompletionItem[];
}

export interface CompletionContext {
  /** Known interaction types; the default catalog when absent. */
  catalog?: readonly string[];
  /** Interaction types seen in the data. */
  interactionTypes?: readonly string[];
}

/** The keywords as written (`minutes?` → `minutes`), from the lexer's own token list. */
export const KEYWORDS: readonly string[] = keywordTokens.map((t) => (t.PATTERN as RegExp).source.replace(/\?$/, ""));

const WORD = /[A-Za-z0-9_]/;

/**
 * What may be typed at `offset`: after `stage`, the funnel's stages; after `group` or in quotes
 * after it, the model's groups; elsewhere lead fields, interaction types and keywords.
 */
export function complete(source: string, offset: number, context: CompletionContext = {}): Completions {
  const at = Math.max(0, Math.min(offset, source.length));
  let from = at;
  while (from > 0 && WORD.test(source[from - 1])) from--;
  let to = at;
  while (to < source.length && WORD.test(source[to])) to++;
  const lineStart = source.lastIndexOf("\n", from - 1) + 1;
  const before = source.slice(lineStart, from);
  if (before.includes("#")) return { from, to, items: [] };
  const names = modelNames(source);
  const previous = /([A-Za-z_]+)\s*"?$/.exec(before)?.[1];
  if (previous === "stage") {
    return { from, to, items: names.stages.slice(1).map((stage, i) => ({ label: stage, kind: "stage", detail: `stage ${i + 2} of the funnel`, sortText: `0${String(i).padStart(3, "0")}` })) };
  }
  if (previous === "group" && /\bwhen\b/.test(before)) {
    // The item is the name in quotes: it replaces the quotes being typed in too.
    const open = source[from - 1] === '"' ? from - 1 : from;
    const close = source[to] === '"' ? to + 1 : to;
    return { from: open, to: close, items: names.groups.map((name) => ({ label: name, kind: "group", detail: "group of this model", insert: JSON.stringify(name), sortText: `0${name}` })) };
  }
  const catalog = context.catalog ?? DEFAULT_INTERACTION_TYPES;
  const known = new Set(catalog);
  const types = [...new Set([...catalog, ...(context.interactionTypes ?? [])])];
  const items: CompletionItem[] = [
    ...LEAD_FIELDS.map((field) => ({ label: field, kind: "field" as const, detail: "lead field", sortText: `1${field}` })),
    ...types.map((type) => ({
      label: type,
      kind: "interactionType" as const,
      detail: known.has(type) ? "interaction type (catalog)" : "interaction type (seen in the data)",
      sortText: `2${type}`,
    })),
    ...KEYWORDS.map((k) => ({ label: k, kind: "keyword" as const, detail: "keyword", sortText: `3${k}` })),
    ...names.stages.map((stage) => ({ label: stage, kind: "stage" as const, detail: "stage of the funnel", sortText: `4${stage}` })),
  ];
  return { from, to, items };
}

function modelNames(source: string): { stages: string[]; groups: string[] } {
  const { ast } = parse(source);
  const funnel = ast.statements.find((s) => s.kind === "Funnel");
  const stages = funnel?.kind === "Funnel" ? funnel.stages.map((s) => s.value) : DEFAULT_FUNNEL.stages;
  const groups = ast.statements.flatMap((s) => (s.kind === "Group" && s.name.value.trim() !== "" ? [s.name.value.trim()] : []));
  return { stages, groups };
}

/** One failed expectation: its line in the test file, then `✗ …` and the explanation lines. */
export interface ModelTestFailure {
  line: number;
  lines: string[];
}

export interface ModelTestCaseReport {
  name: string;
  line: number;
  passed: boolean;
  failures: ModelTestFailure[];
}

export interface ModelTestReport {
  errors: ModelTestError[];
  modelDiagnostics: Diagnostic[];
  cases: ModelTestCaseReport[];
  passed: number;
  failed: number;
}

const FAILURE_LINE = /\(line (\d+)\)/;

/** Runs the cases of a `*.rules.test` text against a model's source, as `qualify test` does. Never throws. */
export function runModelTests(source: string, testSource: string, options: CheckOptions = {}): ModelTestReport {
  const { file, errors } = parseModelTests(testSource);
  const { model, diagnostics } = compile(source, options);
  if (model === null) {
    const cases = file.cases.map((c) => ({ name: c.name, line: c.line, passed: false, failures: [{ line: c.line, lines: ["✗ the model has errors: fix them first"] }] }));
    return { errors, modelDiagnostics: diagnostics, cases, passed: 0, failed: cases.length };
  }
  const cases = runCases(model, file).map((r) => ({
    name: r.name,
    line: r.line,
    passed: r.passed,
    failures: r.failures.map((lines) => ({ line: Number(FAILURE_LINE.exec(lines[0] ?? "")?.[1] ?? r.line), lines })),
  }));
  const passed = cases.filter((c) => c.passed).length;
  return { errors, modelDiagnostics: diagnostics, cases, passed, failed: cases.length - passed };
}
