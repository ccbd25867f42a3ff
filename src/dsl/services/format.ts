/** `format`: a model in its canonical layout, comments kept (`qualify fmt`), for an editor's "Format document". */
import type { Diagnostic } from "../diagnostics";
import { formatModel } from "../format";

export interface FormatResult {
  /** The formatted source; null when the model has a syntax error (nothing is laid out, so nothing is lost). */
  formatted: string | null;
  /** Why it was not formatted: the errors that stop it (empty when formatted). */
  diagnostics: Diagnostic[];
}

/**
 * Formats a model as `qualify fmt` does. A model with a syntax error is refused: the parts that did
 * not parse would be lost.
 *
 * @example format('visit   "/pricing"=>15').formatted // 'visit "/pricing" => +15\n'
 */
export function format(source: string): FormatResult {
  const { formatted, diagnostics } = formatModel(source);
  return formatted === null ? { formatted, diagnostics: diagnostics.filter((d) => d.severity === "error") } : { formatted, diagnostics: [] };
}
