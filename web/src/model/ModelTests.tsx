/**
 * Model tests beside the model: the `*.rules.test` format typed into "Model tests", run in the
 * browser against the editor's model ("Run tests"), each failure with its rule-by-rule explanation.
 */
import { useState } from "react";
import { runModelTests, type ModelTestReport } from "./language";

export interface ModelTestsProps {
  tests: string;
  onTestsChange(tests: string): void;
  /** The model as it is in the editor now. */
  source(): string;
}

export function ModelTests({ tests, onTestsChange, source }: ModelTestsProps) {
  const [report, setReport] = useState<ModelTestReport | null>(null);
  return (
    <section aria-labelledby="model-tests-title" className="model-tests">
      <h2 id="model-tests-title">Model tests</h2>
      <textarea
        aria-label="Model tests"
        aria-describedby="model-tests-help"
        className="code"
        spellCheck={false}
        wrap="off"
        rows={14}
        value={tests}
        onChange={(e) => {
          onTestsChange(e.target.value);
          setReport(null);
        }}
      />
      <p id="model-tests-help" className="help">
        Cases in the <code>*.rules.test</code> format (<code>test "…"</code>, a lead, interactions such as <code>-3d visit "/pricing"</code>,
        then <code>expect …</code>), run here against the model in the editor; nothing is sent to the service.
      </p>
      <button type="button" onClick={() => setReport(runModelTests(source(), tests))}>
        Run tests
      </button>
      {report && <TestReport report={report} />}
    </section>
  );
}

function TestReport({ report }: { report: ModelTestReport }) {
  const total = report.passed + report.failed;
  const modelErrors = report.modelDiagnostics.filter((d) => d.severity === "error").length;
  return (
    <div role="status" aria-label="Test results" className="test-results">
      <p className={report.failed > 0 || report.errors.length > 0 ? "error" : "ok"}>
        {total === 0 ? "No test cases found." : `${report.passed} of ${total} ${total === 1 ? "case" : "cases"} passed${report.failed > 0 ? `, ${report.failed} failed` : ""}.`}
        {modelErrors > 0 && " The model has errors (see Problems): no case ran."}
      </p>
      {report.errors.length > 0 && (
        <ul aria-label="Mistakes in the tests">
          {report.errors.map((e) => (
            <li key={`${e.line}:${e.message}`} className="error">
              Line {e.line}: {e.message}
            </li>
          ))}
        </ul>
      )}
      <ul className="test-cases">
        {report.cases.map((c) => (
          <li key={`${c.line}:${c.name}`}>
            <span className={c.passed ? "ok" : "error"}>{c.passed ? "✓ Passed" : "✗ Failed"}</span>: {c.name} <span className="help">(line {c.line})</span>
            {c.failures.map((f, i) => (
              <pre key={i} className="explanation">
                {`Line ${f.line}:\n${f.lines.join("\n")}`}
              </pre>
            ))}
          </li>
        ))}
      </ul>
    </div>
  );
}
