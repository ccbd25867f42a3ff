/**
 * `npm start` as a newcomer runs it: no settings, embedded database. Runs the built service
 * (`dist/`, made by `npm ci` / `npm run build`) in a child process: prints the URL and, on the first
 * start only, an admin key; the data survives a restart; SIGTERM stops it cleanly.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { GraphQLTestClient } from "../api/helpers/graphql-client";
import { LEAD_BY_EMAIL, UPSERT_LEAD } from "../api/helpers/documents";
import { ensureBuilt, ROOT, TSC } from "./helpers/build";

const MAIN = path.join(ROOT, "dist/src/main.js");

interface Started {
  child: ChildProcessWithoutNullStreams;
  url: string;
  adminKey: string | null;
  output: () => string;
}

function start(dataDir: string): Promise<Started> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, QUALIFY_DATA_DIR: dataDir, PORT: "0", QUALIFY_LOG_LEVEL: "warn" };
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed:\n${stdout}\n${stderr}`)), 45_000);
    child.on("exit", (code) => reject(new Error(`exited with ${code}:\n${stdout}\n${stderr}`)));
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /Qualify GraphQL API: (\S+)/.exec(stdout)?.[1];
      // The whole banner is written at once; the key line follows the URL when there is one.
      if (url && stdout.endsWith("\n")) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        resolve({ child, url, adminKey: /^\s+(qk_\S+)$/m.exec(stdout)?.[1] ?? null, output: () => stdout });
      }
    });
  });
}

function stop(started: Started): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.on("exit", (code) => resolve(code));
    started.child.kill("SIGTERM");
  });
}

describe("npm start's build", () => {
  beforeAll(ensureBuilt, 120_000);

  it("is incremental: with nothing changed since the last build, nothing is compiled", () => {
    const { scripts } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(scripts.prestart).toBe("npm run build");
    expect(scripts.build).toBe("tsc -b tsconfig.build.json");
    const plan = execFileSync(process.execPath, [TSC, "-b", "tsconfig.build.json", "--dry", "--verbose"], { cwd: ROOT, encoding: "utf8" });
    expect(plan).toMatch(/Project '\S*tsconfig\.build\.json' is up to date/);
  });
});

describe("npm start (embedded database)", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "qualify-start-"));
  beforeAll(ensureBuilt, 120_000);
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("prints the URL and a first-start admin key, keeps data across restarts, stops on SIGTERM", async () => {
    const first = await start(dataDir);
    expect(first.adminKey).toMatch(/^qk_/);
    const api = new GraphQLTestClient(first.url, first.adminKey);
    await api.data(UPSERT_LEAD, { input: { email: "persist@example.com", company: "Kept" } });
    expect(await stop(first)).toBe(0);

    const second = await start(dataDir);
    try {
      expect(second.adminKey).toBeNull();
      expect(second.output()).not.toMatch(/First start/);
      const again = new GraphQLTestClient(second.url, first.adminKey);
      const { leadByEmail } = await again.data(LEAD_BY_EMAIL, { email: "persist@example.com" });
      expect(leadByEmail?.company).toBe("Kept");
    } finally {
      expect(await stop(second)).toBe(0);
    }
  });
});
