import type { SourceRange } from "./ast";

export type Severity = "error" | "warning";

/**
 * One thing the compiler has to say about a model. Lines and columns are 1-based; the end is
 * exclusive (the column just after the last character of the offending text).
 */
export interface Diagnostic {
  severity: Severity;
  /** Stable, documented code, e.g. `SYNTAX`, `UNKNOWN_FIELD` (see the language reference). */
  code: string;
  /** A sentence a marketer understands. */
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** Builds a diagnostic from a node's range. */
export function diagnostic(severity: Severity, code: string, message: string, range: SourceRange): Diagnostic {
  return {
    severity,
    code,
    message,
    line: range.start.line,
    column: range.start.column,
    endLine: range.end.line,
    endColumn: range.end.column,
  };
}

/** True when any diagnostic is an error (such a model is never published). */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}
