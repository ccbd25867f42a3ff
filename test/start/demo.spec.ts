/**
 * `npm run demo` refuses at once, in one line and without a stack trace, what it cannot do: an
 * embedded database another process holds (the running service), or invalid settings. Runs the
 * built script (`dist/`) in a child process, as `npm run demo` does after its build.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ensureBuilt, ROOT } from "./helpers/build";

const DEMO = path.join(ROOT, "dist/scripts/demo.js");

/** Runs the demo with only these settings; resolves to its exit code, output and duration. */
async function demo(env: Record<string, string>) {
  const started = performance.now();
  const result = await promisify(execFile)(process.execPath, [DEMO], { cwd: ROOT, env: { PATH: process.env.PATH, ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
  return { ...result, seconds: (performance.now() - started) / 1000 };
}

describe("npm run demo refuses what it cannot do", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "qualify-demo-"));
  beforeAll(ensureBuilt, 120_000);
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("an embedded database held by a running process: one line saying what to do, at once", async () => {
    // This test's own process stands for the running service.
    fs.writeFileSync(path.join(dataDir, "qualify.lock"), String(process.pid));
    const { code, stdout, stderr, seconds } = await demo({ QUALIFY_DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      `npm run demo: the embedded database in ${path.relative(ROOT, dataDir)} is in use by process ${process.pid} ` +
        "(the running service?): stop the service first, or point DATABASE_URL at a PostgreSQL server for both\n",
    );
    expect(fs.readdirSync(dataDir)).toEqual(["qualify.lock"]); // the database was not opened
    expect(seconds).toBeLessThan(10); // the service is not even loaded (it was: a stack trace after the build)
  });

  it("invalid settings: the settings' message, no stack trace", async () => {
    const { code, stderr } = await demo({ QUALIFY_DATA_DIR: dataDir, DATABASE_POOL_SIZE: "-1" });
    expect(code).toBe(1);
    expect(stderr).toBe('Invalid settings:\n  DATABASE_POOL_SIZE must be a whole number from 1 to 1000 (got "-1")\n');
  });
});
