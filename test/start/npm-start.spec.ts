/**
 * `npm start` as a newcomer runs it: no settings, embedded database. Runs the built service
 * (`dist/`, made by `npm ci` / `npm run build`) in a child process: prints the URL and, on the first
 * start only, an admin key; serves its home page, docs and metrics; the data survives a restart;
 * SIGTERM stops it cleanly.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { GraphQLTestClient } from "../api/helpers/graphql-client";
import { LEAD_BY_EMAIL, UPSERT_LEAD } from "../api/helpers/documents";

const ROOT = path.resolve(__dirname, "../..");
const MAIN = path.join(ROOT, "dist/src/main.js");

/** Builds dist/ when it is missing or older than a source file. */
function ensureBuilt(): void {
  const newest = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
      const full = path.join(dir, entry.name);
      return Math.max(latest, entry.isDirectory() ? newest(full) : fs.statSync(full).mtimeMs);
    }, 0);
  if (!fs.existsSync(MAIN) || fs.statSync(MAIN).mtimeMs < newest(path.join(ROOT, "src"))) {
    execFileSync(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: ROOT });
  }
}

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

describe("npm start (embedded database)", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "qualify-start-"));
  beforeAll(ensureBuilt, 120_000);
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("prints the URL and a first-start admin key, keeps data across restarts, stops on SIGTERM", async () => {
    const first = await start(dataDir);
    expect(first.adminKey).toMatch(/^qk_/);
    const api = new GraphQLTestClient(first.url, first.adminKey);
    await api.data(UPSERT_LEAD, { input: { email: "persist@example.com", company: "Kept" } });
    // The built service finds its pages' files (package.json, the docs) from dist/, and counts the request.
    const origin = new URL(first.url).origin;
    const home = await fetch(`${origin}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('href="/docs/README.md"');
    expect((await fetch(`${origin}/docs/README.md`)).status).toBe(200);
    expect(await (await fetch(`${origin}/metrics`)).text()).toMatch(/^qualify_graphql_requests_total\{operation="UpsertLead",type="mutation",outcome="ok"\} 1$/m);
    // Production by default: no GraphiQL.
    expect((await fetch(`${origin}/graphiql`)).status).toBe(404);
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
