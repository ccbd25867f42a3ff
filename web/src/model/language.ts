/**
 * The rule language for the model editor: the service's own language services (`src/dsl/services`,
 * bundled as `@dsl`), the same code `qualify lsp` adapts for VS Code and Neovim. Diagnostics with
 * their fixes, completion, hover and model tests run in the browser, with no round trip. Everything
 * the editor asks of the language goes through this one module.
 */
import type { Diagnostic } from "@dsl/diagnostics";
import { LineMap } from "@dsl/location";
import type { EditorDiagnostic } from "@dsl/services";

export {
  applyEdits,
  complete,
  diagnose,
  hover,
  runModelTests,
  type CompletionItem,
  type CompletionKind,
  type Completions,
  type EditorDiagnostic,
  type Fix,
  type Hover,
  type ModelTestReport,
  type TextEdit,
} from "@dsl/services";
export type { Diagnostic };

/**
 * A diagnostic from elsewhere (the service's answer to a publish or a preview) placed in the text it
 * was about: with its offsets, so the Problems list can reveal it. It has no fix (the editor's own
 * diagnosis of the same text has them).
 */
export function locate(source: string, d: Diagnostic): EditorDiagnostic {
  const lines = new LineMap(source);
  return { ...d, from: lines.offset(d.line, d.column), to: Math.max(lines.offset(d.line, d.column), lines.offset(d.endLine, d.endColumn)) };
}
