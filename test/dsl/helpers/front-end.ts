/**
 * Helpers for the front-end tests (lexer, parser, printer, checker).
 */
import type { Model } from "../../../src/dsl/ast";
import { check } from "../../../src/dsl/checker";
import type { Diagnostic } from "../../../src/dsl/diagnostics";
import type { CheckOptions } from "../../../src/dsl/model";
import { parse } from "../../../src/dsl/parse";

/** A deep copy of an AST without `range`/`opRange`, for comparing trees by shape. */
export function stripRanges<T>(node: T): T {
  if (Array.isArray(node)) return node.map(stripRanges) as T;
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key !== "range" && key !== "opRange") out[key] = stripRanges(value);
  }
  return out as T;
}

/** `CODE line:column-endLine:endColumn`, the compact form the tests assert. */
export function where(d: Diagnostic): string {
  return `${d.code} ${d.line}:${d.column}-${d.endLine}:${d.endColumn}`;
}

/** Parse and check diagnostics together, in source order. */
export function diagnose(source: string, options?: CheckOptions): Diagnostic[] {
  const parsed = parse(source);
  const checked = check(parsed.ast, source, options);
  return [...parsed.diagnostics, ...checked.diagnostics];
}

/** The AST of a source that must parse cleanly. */
export function parseClean(source: string): Model {
  const { ast, diagnostics } = parse(source);
  if (diagnostics.length > 0) throw new Error(`unexpected diagnostics: ${JSON.stringify(diagnostics)}`);
  return ast;
}

/** The first statement's condition of a one-rule source. */
export function onlyStatement(source: string): Model["statements"][number] {
  return parseClean(source).statements[0];
}
