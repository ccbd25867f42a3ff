/**
 * `diagnose`: the compiler's diagnostics for an editor, each with 0-based offsets and, where the
 * correction is certain (every "Did you mean …?", `firstName` → `firstName is set`, curly quotes →
 * straight ones), a fix the editor applies with one click.
 */
import { check, type Suggestion } from "../checker";
import { hasErrors, type Diagnostic } from "../diagnostics";
import { LineMap } from "../location";
import type { CheckOptions } from "../model";
import { parse } from "../parse";
import { printString } from "../printer";

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

/** A diagnostic (1-based line and column, as the compiler gives it) with 0-based offsets and its fix. */
export interface EditorDiagnostic extends Diagnostic {
  /** Offset of the first character. */
  from: number;
  /** Offset just after the last character. */
  to: number;
  fix?: Fix;
}

export type DiagnoseOptions = CheckOptions;

/** A text in curly or single quotes, as the lexer reports it (`MisquotedString`). */
const MISQUOTED = /^(?:[\u201c\u201d\u201e]([^\u201c\u201d"\r\n]*)[\u201c\u201d]|'([^'"\r\n]*)')$/;

/**
 * Every diagnostic of a model, as `compile` gives them (syntax first; the checker's when the model
 * parses), with offsets and fixes. Never throws.
 *
 * @example
 *   const [d] = diagnose('rol "CEO" => +5');
 *   // d.code === "UNKNOWN_FIELD", d.fix.edits → [{ from: 0, to: 3, insert: "role" }]
 */
export function diagnose(source: string, options: DiagnoseOptions = {}): EditorDiagnostic[] {
  const lines = new LineMap(source);
  const parsed = parse(source);
  if (hasErrors(parsed.diagnostics)) return parsed.diagnostics.map((d) => withSyntaxFix(source, lines, d));
  const checked = check(parsed.ast, source, options);
  return [
    ...parsed.diagnostics.map((d) => withSyntaxFix(source, lines, d)),
    ...checked.diagnostics.map((d) => withFix(lines, d, checked.suggestions.get(d))),
  ];
}

function located(lines: LineMap, d: Diagnostic): EditorDiagnostic {
  return { ...d, from: lines.offset(d.line, d.column), to: lines.offset(d.endLine, d.endColumn) };
}

function withFix(lines: LineMap, d: Diagnostic, suggestion: Suggestion | undefined): EditorDiagnostic {
  const result = located(lines, d);
  if (suggestion === undefined) return result;
  const edit = { from: suggestion.range.start.offset, to: suggestion.range.end.offset, insert: suggestion.text };
  result.fix = { title: `Replace with '${suggestion.text}'`, edits: [edit] };
  return result;
}

/** The lexer's one certain correction: a text in curly or single quotes gets straight double quotes. */
function withSyntaxFix(source: string, lines: LineMap, d: Diagnostic): EditorDiagnostic {
  const result = located(lines, d);
  if (d.code !== "UNEXPECTED_CHARACTER") return result;
  const match = MISQUOTED.exec(source.slice(result.from, result.to));
  if (match === null) return result;
  const insert = printString(match[1] ?? match[2]);
  result.fix = { title: `Replace with ${insert}`, edits: [{ from: result.from, to: result.to, insert }] };
  return result;
}

/** Applies edits to a text (edits must not overlap; any order). */
export function applyEdits(source: string, edits: readonly TextEdit[]): string {
  let out = source;
  for (const edit of [...edits].sort((a, b) => b.from - a.from)) out = out.slice(0, edit.from) + edit.insert + out.slice(edit.to);
  return out;
}
