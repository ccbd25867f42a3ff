/**
 * `qualify test FILE|DIR…`: runs model test files (`*.rules.test`, see docs/testing-models.md).
 * A file argument may be the test file, the model (`x.rules` runs `x.rules.test`), or a directory
 * (every `*.rules.test` below it). A test file tests the model named by its `model "…"` line, or
 * else the file beside it with the same name without `.test`. Every test file and model is read
 * before any test runs: when one cannot be, nothing runs.
 */
import { dirname, join } from "node:path";
import { compile } from "../../dsl/compiler";
import { hasErrors } from "../../dsl/diagnostics";
import { type ModelTestError, type ModelTestFile, parseModelTests, runModelTests } from "../../dsl/model-test";
import { count, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, readAll, readFileArgs, TEST_SUFFIX, type CliIo, type Command } from "../command";
import { formatDiagnostic } from "./check";

/** What a test file's name adds to its model's: `x.rules` → `x.rules.test`. */
const TEST_EXTENSION = ".test";

/** A test file as read: its cases, its mistakes, and the model it tests. */
interface TestFile {
  file: string;
  suite: ModelTestFile;
  errors: ModelTestError[];
  modelFile: string;
}

function readTestFile(file: string, text: string): TestFile {
  const { file: suite, errors } = parseModelTests(text);
  const modelFile = suite.model !== null ? join(dirname(file), suite.model) : file.slice(0, -TEST_EXTENSION.length);
  return { file, suite, errors, modelFile };
}

interface Tally {
  passed: number;
  failed: number;
  brokenFiles: number;
}

function runFile(io: CliIo, { file, suite, errors, modelFile }: TestFile, source: string, tally: Tally): void {
  for (const e of errors) io.stdout.write(`${file}:${e.line}: error ${e.message}\n`);
  if (errors.length > 0) tally.brokenFiles++;
  io.stdout.write(`${file} (model ${modelFile})\n`);
  const { model, diagnostics } = compile(source);
  if (model === null || hasErrors(diagnostics)) {
    for (const d of diagnostics) io.stdout.write(`${formatDiagnostic(modelFile, d)}\n`);
    for (const c of suite.cases) io.stdout.write(`  FAIL  ${c.name}  (the model has errors)\n`);
    tally.failed += suite.cases.length;
    return;
  }
  for (const result of runModelTests(model, suite)) {
    if (result.passed) {
      tally.passed++;
      io.stdout.write(`  PASS  ${result.name}\n`);
      continue;
    }
    tally.failed++;
    io.stdout.write(`  FAIL  ${result.name}  (line ${result.line})\n`);
    for (const failure of result.failures) for (const line of failure) io.stdout.write(`        ${line}\n`);
  }
}

/** `qualify test`. */
export const testCommand: Command = {
  name: "test",
  usage: "test FILE|DIR…",
  summary: "run model tests (*.rules.test) and print PASS/FAIL per case (exit 1 on any failure)",
  async run(args: string[], io: CliIo): Promise<number> {
    const asFile = (arg: string) => (arg.endsWith(TEST_EXTENSION) ? arg : `${arg}${TEST_EXTENSION}`);
    const read = await readFileArgs(args, io, { usage: this.usage, suffix: TEST_SUFFIX, asFile });
    if (read === null) return EXIT_USAGE;
    const testFiles = [...read.texts].map(([file, text]) => readTestFile(file, text));
    const models = await readAll(io, [...new Set(testFiles.map((t) => t.modelFile))]);
    if (models === null) return EXIT_USAGE;
    const tally: Tally = { passed: 0, failed: 0, brokenFiles: 0 };
    for (const testFile of testFiles) runFile(io, testFile, models.get(testFile.modelFile) as string, tally);
    const broken = tally.brokenFiles > 0 ? `, ${count(tally.brokenFiles, "file")} with errors` : "";
    io.stdout.write(`${tally.passed} passed, ${tally.failed} failed${broken}\n`);
    return tally.failed > 0 || tally.brokenFiles > 0 ? EXIT_PROBLEMS : EXIT_OK;
  },
};
