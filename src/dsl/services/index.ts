/**
 * The rule language's services for editors: diagnostics with fixes, completion, hover, formatting
 * and model tests. Pure TypeScript with no Node import, so the web workbench's editor runs the same
 * code in the browser as `qualify lsp` runs for VS Code or Neovim (both only adapt these results).
 * Offsets are 0-based into the source; lines and columns 1-based, as in every diagnostic.
 */
export { applyEdits, diagnose, type DiagnoseOptions, type EditorDiagnostic, type Fix, type TextEdit } from "./diagnose";
export { complete, type CompletionContext, type CompletionItem, type CompletionKind, type Completions } from "./complete";
export { hover, type Hover, type HoverOptions } from "./hover";
export { format, type FormatResult } from "./format";
export { runModelTests, type ModelTestCaseReport, type ModelTestFailure, type ModelTestReport } from "./model-tests";
