/**
 * `runModelTests`: a `*.rules.test` file run against a model's source, as `qualify test` does, with
 * everything an editor marks: the test file's own mistakes, the model's errors, and each failed
 * expectation at its line with the rule-by-rule explanation.
 */
import { compile } from "../compiler";
import type { Diagnostic } from "../diagnostics";
import type { CheckOptions } from "../model";
import { parseModelTests, runModelTests as runCases, type ModelTestError } from "../model-test";

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
  /** Lines of the test file that could not be read (reading went on past them). */
  errors: ModelTestError[];
  /** The model's diagnostics; when one is an error, no case runs and every case fails. */
  modelDiagnostics: Diagnostic[];
  cases: ModelTestCaseReport[];
  passed: number;
  failed: number;
}

/**
 * Runs the cases of a test file (`testSource`) against a model (`source`). Never throws.
 *
 * @example
 *   const report = runModelTests(model, 'test "MQL"\n  -1d demo_request\n  expect stage MQL\n');
 *   report.cases[0].failures[0]?.lines // ["✗ expected stage MQL, got Lead (line 3)", "  …"]
 */
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
    failures: r.failures.map((lines, i) => ({ line: r.failureLines[i], lines })),
  }));
  const passed = cases.filter((c) => c.passed).length;
  return { errors, modelDiagnostics: diagnostics, cases, passed, failed: cases.length - passed };
}
