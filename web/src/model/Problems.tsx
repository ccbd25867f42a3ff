/**
 * The "Problems" region: every diagnostic of the model with its severity, line:column and message;
 * a click on one moves the editor's cursor there, and a did-you-mean fix is a button beside it.
 * The service's own diagnostics (a publish refused with RULES_INVALID) are listed apart until the
 * next edit.
 */
import type { EditorDiagnostic } from "./language";

export interface ProblemsProps {
  diagnostics: readonly EditorDiagnostic[];
  /** From the service (RULES_INVALID, or a preview's), for the text as it was sent. */
  fromService: readonly EditorDiagnostic[] | null;
  /** False until the first diagnosis (nothing to say yet). */
  ready: boolean;
  onReveal(diagnostic: EditorDiagnostic): void;
  onFix(diagnostic: EditorDiagnostic): void;
}

function ProblemList({ items, onReveal, onFix }: { items: readonly EditorDiagnostic[] } & Pick<ProblemsProps, "onReveal" | "onFix">) {
  return (
    <ul className="problems">
      {items.map((d, i) => (
        <li key={`${d.code}:${d.from}:${d.to}:${i}`} className={`problem problem-${d.severity}`}>
          <button type="button" className="problem-go" onClick={() => onReveal(d)}>
            <span className="problem-severity">{d.severity === "error" ? "Error" : "Warning"}</span>{" "}
            <span className="problem-at">
              {d.line}:{d.column}
            </span>{" "}
            <span className="problem-message">{d.message}</span> <span className="problem-code">{d.code}</span>
          </button>
          {d.fix && (
            <button type="button" className="secondary problem-fix" onClick={() => onFix(d)}>
              {d.fix.title}
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}

export function Problems({ diagnostics, fromService, ready, onReveal, onFix }: ProblemsProps) {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const summary = !ready
    ? "Checking…"
    : diagnostics.length === 0
      ? "No problems: the model compiles."
      : `${errors} ${errors === 1 ? "error" : "errors"}, ${warnings} ${warnings === 1 ? "warning" : "warnings"}`;
  return (
    <section aria-label="Problems" className="problems-panel">
      <h2>Problems</h2>
      <p className="help" aria-live="polite">
        {summary}
      </p>
      {diagnostics.length > 0 && <ProblemList items={diagnostics} onReveal={onReveal} onFix={onFix} />}
      {fromService && fromService.length > 0 && (
        <>
          <h3>The service refused the model</h3>
          <ProblemList items={fromService} onReveal={onReveal} onFix={onFix} />
        </>
      )}
    </section>
  );
}
