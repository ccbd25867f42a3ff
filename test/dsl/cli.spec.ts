import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { fileProblem } from "../../src/cli/command";
import { main } from "../../src/cli/main";

const ROOT = join(__dirname, "../..");
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "qualify-cli-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `qualify …` in the temporary directory with captured output. */
async function qualify(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    cwd: dir,
  });
  return { code, stdout, stderr };
}

function write(name: string, text: string): string {
  mkdirSync(join(dir, name, ".."), { recursive: true });
  writeFileSync(join(dir, name), text);
  return name;
}

describe("qualify help and dispatch", () => {
  test("help lists every command", async () => {
    const { code, stdout } = await qualify("help");
    expect(code).toBe(0);
    for (const usage of ["check FILE|DIR…", "test FILE|DIR…", "fmt [--check] FILE|DIR…", "lsp [--stdio]", "publish FILE [--comment TEXT] [--json]", "preview FILE [--top N] [--json]", "pull [FILE] [--json]", "help"]) expect(stdout).toContain(usage);
  });

  test("no command shows the help and exits 2; an unknown one says so", async () => {
    expect((await qualify()).code).toBe(2);
    const { code, stderr } = await qualify("deploy");
    expect(code).toBe(2);
    expect(stderr).toBe('qualify: unknown command "deploy"; run qualify help\n');
  });

  test("unknown options and missing files are usage errors", async () => {
    expect(await qualify("check", "--fast", "a.rules")).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown option --fast") });
    expect(await qualify("check")).toMatchObject({ code: 2, stderr: "usage: qualify check FILE|DIR…\n" });
    expect(await qualify("lsp", "--tcp")).toEqual({ code: 2, stdout: "", stderr: "qualify lsp: unknown option --tcp\nusage: qualify lsp [--stdio]\n" });
  });
});

describe("qualify check", () => {
  test("a clean model: exit 0", async () => {
    write("ok.rules", 'visit "/pricing" => +15\n');
    expect(await qualify("check", "ok.rules")).toEqual({ code: 0, stdout: "1 file checked: 0 errors, 0 warnings\n", stderr: "" });
  });

  test("prints file:line:col: severity CODE message; exit 1 on an error", async () => {
    write("bad.rules", 'visit "/pricing" => +15\nrol "CEO" => +5\n');
    write("warn.rules", "vist => +1\n");
    const { code, stdout } = await qualify("check", "bad.rules", "warn.rules");
    expect(code).toBe(1);
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^bad\.rules:2:1: error UNKNOWN_FIELD .*"role"/);
    expect(lines[1]).toMatch(/^warn\.rules:1:1: warning \w+ .*"visit"/);
    expect(lines[2]).toBe("2 files checked: 1 error, 1 warning");
  });

  test("warnings alone: exit 0", async () => {
    write("warn.rules", "vist => +1\n");
    expect((await qualify("check", "warn.rules")).code).toBe(0);
  });

  test("syntax errors point at the token", async () => {
    write("syntax.rules", "visit =>\n");
    const { code, stdout } = await qualify("check", "syntax.rules");
    expect(code).toBe(1);
    expect(stdout).toMatch(/^syntax\.rules:\d+:\d+: error SYNTAX /m);
  });

  test("a directory: every *.rules below it, sorted, paths as given", async () => {
    write("models/a.rules", 'visit "/pricing" => +15\n');
    write("models/deeper/b.rules", "vist => +1\n");
    write("models/a.rules.test", 'test "t"\n  expect score 0\n');
    write("models/.hidden/c.rules", "rol => +1\n");
    const { code, stdout } = await qualify("check", "models");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^models\/deeper\/b\.rules:1:1: warning /);
    expect(stdout.trimEnd().split("\n").at(-1)).toBe("2 files checked: 0 errors, 1 warning");
  });
});

describe("qualify test", () => {
  beforeEach(() => {
    cpSync(join(ROOT, "examples/seed-model.rules"), join(dir, "seed-model.rules"));
    cpSync(join(ROOT, "examples/seed-model.rules.test"), join(dir, "seed-model.rules.test"));
  });

  test("the seed model's tests pass: PASS per case and a summary", async () => {
    const { code, stdout } = await qualify("test", "seed-model.rules.test");
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("seed-model.rules.test (model seed-model.rules)");
    expect(lines.slice(1, -1).every((l) => l.startsWith("  PASS  "))).toBe(true);
    expect(lines.at(-1)).toBe(`${lines.length - 2} passed, 0 failed`);
  });

  test("a model, or a directory, stands for its tests", async () => {
    expect((await qualify("test", "seed-model.rules")).code).toBe(0);
    write("more/other.rules", "download => +1\n");
    write("more/other.rules.test", 'test "one download"\n  -1d download\n  expect score 1\n');
    const { code, stdout } = await qualify("test", ".");
    expect(code).toBe(0);
    expect(stdout).toContain("more/other.rules.test (model more/other.rules)\n  PASS  one download\n");
    expect(stdout).toMatch(/\n8 passed, 0 failed\n$/);
  });

  test("a failing case: FAIL with the explanation, exit 1", async () => {
    write(
      "pricing.rules.test",
      'model "seed-model.rules"\ntest "Pricing twice"\n  -3d visit "/pricing"\n  -2d visit "/pricing"\n  -1d download "whitepaper.pdf"\n  expect score 42\n',
    );
    const { code, stdout } = await qualify("test", "pricing.rules.test");
    expect(code).toBe(1);
    expect(stdout).toContain("  FAIL  Pricing twice  (line 2)\n        ✗ expected score 42, got 31 (line 6)\n");
    expect(stdout).toMatch(/ {10}visit "\/pricing" => \+15 +matched 2 interactions: \+30\n/);
    expect(stdout).toMatch(/ {10}download "case-study\*" => \+10 +no match: target "whitepaper\.pdf" does not match "case-study\*"\n/);
    expect(stdout).toMatch(/\n0 passed, 1 failed\n$/);
  });

  test("errors in a test file are reported by line and fail the run", async () => {
    write("typo.rules.test", 'model "seed-model.rules"\ntest "t"\n  lead rol=CEO\n  -1d download\n  expect score 1\n');
    const { code, stdout } = await qualify("test", "typo.rules.test");
    expect(code).toBe(1);
    expect(stdout).toContain("typo.rules.test:3: error unknown lead field rol");
    expect(stdout).toMatch(/\n1 passed, 0 failed, 1 file with errors\n$/);
  });

  test("a model with errors fails every case", async () => {
    write("broken.rules", "rol => +1\n");
    write("broken.rules.test", 'test "a"\n  expect score 0\ntest "b"\n  expect score 0\n');
    const { code, stdout } = await qualify("test", "broken.rules.test");
    expect(code).toBe(1);
    expect(stdout).toMatch(/^broken\.rules:1:1: error /m);
    expect(stdout).toContain("  FAIL  a  (the model has errors)\n  FAIL  b  (the model has errors)\n0 passed, 2 failed\n");
  });

  test("a missing model: nothing runs, exit 2", async () => {
    write("lonely.rules.test", 'test "a"\n  expect score 0\n');
    expect(await qualify("test", "seed-model.rules.test", "lonely.rules.test")).toEqual({ code: 2, stdout: "", stderr: "qualify: lonely.rules: no such file\n" });
  });
});

describe("qualify fmt", () => {
  const MESSY = '# Engagement\nvisit   "/pricing"=>15   # pricing\n\n\nrole "CEO"=>5\n';
  const TIDY = '# Engagement\nvisit "/pricing" => +15  # pricing\n\nrole "CEO" => +5\n';

  test("rewrites files canonically, comments kept", async () => {
    write("a.rules", MESSY);
    write("b.rules", TIDY);
    const { code, stdout } = await qualify("fmt", "a.rules", "b.rules");
    expect(code).toBe(0);
    expect(stdout).toBe("formatted a.rules\n");
    expect(readFileSync(join(dir, "a.rules"), "utf8")).toBe(TIDY);
  });

  test("--check lists unformatted files, writes nothing, exits 1", async () => {
    write("a.rules", MESSY);
    write("b.rules", TIDY);
    const { code, stdout, stderr } = await qualify("fmt", "--check", "a.rules", "b.rules");
    expect(code).toBe(1);
    expect(stdout).toBe("a.rules\n");
    expect(stderr).toBe("1 file not formatted: run qualify fmt a.rules\n");
    expect(readFileSync(join(dir, "a.rules"), "utf8")).toBe(MESSY);
    expect(await qualify("fmt", "--check", "b.rules")).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  test("a directory: every *.rules below it", async () => {
    write("models/a.rules", MESSY);
    write("models/sub/b.rules", TIDY);
    write("models/sub/c.rules", MESSY);
    expect(await qualify("fmt", "--check", "models")).toMatchObject({ code: 1, stdout: "models/a.rules\nmodels/sub/c.rules\n" });
    expect(await qualify("fmt", "models")).toEqual({ code: 0, stdout: "formatted models/a.rules\nformatted models/sub/c.rules\n", stderr: "" });
    expect(readFileSync(join(dir, "models/sub/c.rules"), "utf8")).toBe(TIDY);
    expect(await qualify("fmt", "--check", "models")).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  test("leaves a file with syntax errors alone, exit 1", async () => {
    write("bad.rules", "visit =>\n");
    const { code, stderr } = await qualify("fmt", "bad.rules");
    expect(code).toBe(1);
    expect(stderr).toMatch(/^bad\.rules:\d+:\d+: error SYNTAX /m);
    expect(stderr).toContain("bad.rules: not formatted: it has syntax errors\n");
    expect(readFileSync(join(dir, "bad.rules"), "utf8")).toBe("visit =>\n");
  });
});

describe("files that cannot be used: one line each, the same for every command, exit 2, nothing done", () => {
  const COMMANDS = [["check"], ["fmt"], ["fmt", "--check"], ["test"]];

  test.each(COMMANDS)("qualify %s missing.rules", async (...command) => {
    write("ok.rules", 'visit "/pricing" => +15\n');
    write("ok.rules.test", 'test "t"\n  expect score 0\n');
    const missing = command[0] === "test" ? "missing.rules.test" : "missing.rules";
    expect(await qualify(...command, "ok.rules", "missing.rules")).toEqual({ code: 2, stdout: "", stderr: `qualify: ${missing}: no such file\n` });
  });

  test.each(COMMANDS)("qualify %s on a directory without models", async (...command) => {
    mkdirSync(join(dir, "empty"));
    const suffix = command[0] === "test" ? ".rules.test" : ".rules";
    expect(await qualify(...command, "empty")).toEqual({ code: 2, stdout: "", stderr: `qualify: empty: no *${suffix} file in this directory\n` });
  });

  test("why a file cannot be read, in words", () => {
    const problem = (code: string) => fileProblem(Object.assign(new Error(code), { code }));
    expect(["ENOENT", "ENOTDIR", "EISDIR", "EACCES", "EPERM", "EIO"].map(problem)).toEqual([
      "no such file",
      "no such file",
      "is a directory",
      "permission denied",
      "permission denied",
      "EIO",
    ]);
  });
});

const BUILT = join(ROOT, "dist/src/cli/main.js");

(existsSync(BUILT) ? describe : describe.skip)("bin/qualify.js (built)", () => {
  test("runs the built CLI", async () => {
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, [join(ROOT, "bin/qualify.js"), "test", "examples/seed-model.rules.test"], { cwd: ROOT });
    expect(stdout).toMatch(/\d+ passed, 0 failed\n$/);
    await expect(run(process.execPath, [join(ROOT, "bin/qualify.js"), "check", "nope.rules"], { cwd: ROOT })).rejects.toMatchObject({
      code: 2,
      stdout: "",
      stderr: "qualify: nope.rules: no such file\n",
    });
  });
});
