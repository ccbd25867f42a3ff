/**
 * `qualify test FILE…`: runs model test files (`*.rules.test`, see docs/testing-models.md).
 * A file argument may be the test file, the model (`x.rules` runs `x.rules.test`), or a directory
 * (every `*.rules.test` below it). A test file tests the model named by its `model "…"` line, or
 * else the file beside it with the same name without `.test`.
 */
import { readdir, stat } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { compile } from "../../dsl/compiler";
import { hasErrors } from "../../dsl/diagnostics";
import { parseModelTests, runModelTests } from "../../dsl/model-test";
import { count, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, parseArgs, readText, type CliIo, type Command } from "../command";
import { formatDiagnostic } from "./check";

const TEST_SUFFIX = ".test";

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false; // not there: reading it will say so
  }
}

/** Every `*.rules.test` below a directory, sorted, skipping `node_modules` and dot-directories. */
async function testFilesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await testFilesUnder(path)));
    else if (entry.name.endsWith(`.rules${TEST_SUFFIX}`)) found.push(path);
  }
  return found.sort();
}

/** The test files an argument stands for, as paths relative to `io.cwd` when they are below it. */
async function expand(io: CliIo, arg: string): Promise<string[]> {
  const absolute = resolve(io.cwd, arg);
  if (await isDirectory(absolute)) return (await testFilesUnder(absolute)).map((p) => relative(io.cwd, p) || p);
  return [arg.endsWith(TEST_SUFFIX) ? arg : `${arg}${TEST_SUFFIX}`];
}

interface Tally {
  passed: number;
  failed: number;
  brokenFiles: number;
}

async function runFile(io: CliIo, file: string, tally: Tally): Promise<"ok" | "unreadable"> {
  const text = await readText(io, file);
  if (text === null) return "unreadable";
  const { file: suite, errors } = parseModelTests(text);
  for (const e of errors) io.stdout.write(`${file}:${e.line}: error ${e.message}\n`);
  if (errors.length > 0) tally.brokenFiles++;

  const modelFile = suite.model !== null ? join(dirname(file), suite.model) : file.slice(0, -TEST_SUFFIX.length);
  io.stdout.write(`${file} (model ${modelFile})\n`);
  const source = await readText(io, modelFile);
  if (source === null) return "unreadable";
  const { model, diagnostics } = compile(source);
  if (model === null || hasErrors(diagnostics)) {
    for (const d of diagnostics) io.stdout.write(`${formatDiagnostic(modelFile, d)}\n`);
    for (const c of suite.cases) io.stdout.write(`  FAIL  ${c.name}  (the model has errors)\n`);
    tally.failed += suite.cases.length;
    return "ok";
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
  return "ok";
}

/** `qualify test`. */
export const testCommand: Command = {
  name: "test",
  usage: "test FILE|DIR…",
  summary: "run model tests (*.rules.test) and print PASS/FAIL per case (exit 1 on any failure)",
  async run(args: string[], io: CliIo): Promise<number> {
    const parsed = parseArgs(args, [], io, this.usage);
    if (parsed === null) return EXIT_USAGE;
    const tally: Tally = { passed: 0, failed: 0, brokenFiles: 0 };
    let unreadable = false;
    const files = (await Promise.all(parsed.files.map((arg) => expand(io, arg)))).flat();
    if (files.length === 0) {
      io.stderr.write(`qualify: no *.rules.test file in ${parsed.files.join(", ")}\n`);
      return EXIT_USAGE;
    }
    for (const file of files) if ((await runFile(io, file, tally)) === "unreadable") unreadable = true;
    const broken = tally.brokenFiles > 0 ? `, ${count(tally.brokenFiles, "file")} with errors` : "";
    io.stdout.write(`${tally.passed} passed, ${tally.failed} failed${broken}\n`);
    if (unreadable) return EXIT_USAGE;
    return tally.failed > 0 || tally.brokenFiles > 0 ? EXIT_PROBLEMS : EXIT_OK;
  },
};
