/**
 * `npm start` as a newcomer runs it: no settings, embedded database. Runs the built service
 * (`dist/`, made by `npm ci` / `npm run build`) in a child process: prints the URL and, on the first
 * start only, an admin key; serves its home page, docs and metrics; the data survives a restart;
 * SIGTERM stops it cleanly.
 */
import { type ChildProcessWithoutNullStreams, execFile, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { GraphQLTestClient } from "../api/helpers/graphql-client";
import { API_KEYS, LEAD_BY_EMAIL, UPSERT_LEAD } from "../api/helpers/documents";
import { ROOT, TSC } from "./helpers/build";
import { ensureBuilt, type ServiceProcess, startService, stopService } from "./helpers/service-process";

const QUALIFY = path.join(ROOT, "bin/qualify.js");

/** The environment of a newcomer's shell with the data in `dataDir`, plus `extra`. */
const shellEnv = (dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  QUALIFY_DATA_DIR: dataDir,
  QUALIFY_LOG_LEVEL: "warn",
  ...extra,
});

const start = (dataDir: string, extra: Record<string, string> = {}): Promise<ServiceProcess> =>
  startService({ QUALIFY_DATA_DIR: dataDir, QUALIFY_LOG_LEVEL: "warn", ...extra });
const stop = stopService;

describe("npm start's build", () => {
  beforeAll(ensureBuilt, 120_000);

  it("is incremental: with nothing changed since the last build, nothing is compiled or bundled", () => {
    const { scripts } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(scripts.prestart).toBe("npm run build");
    expect(scripts.build).toBe("tsc -b tsconfig.build.json && node dist/scripts/build-web.js");
    const plan = execFileSync(process.execPath, [TSC, "-b", "tsconfig.build.json", "--dry", "--verbose"], { cwd: ROOT, encoding: "utf8" });
    expect(plan).toMatch(/Project '\S*tsconfig\.build\.json' is up to date/);
    // The workbench (ensureBuilt made it current): checked by modification times, not rebuilt.
    const web = execFileSync(process.execPath, [path.join(ROOT, "dist/scripts/build-web.js")], { cwd: ROOT, encoding: "utf8" });
    expect(web).toBe("workbench: dist/web is up to date\n");
  });
});

describe("npm start (embedded database)", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "qualify-start-"));
  beforeAll(ensureBuilt, 120_000);
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("prints the workbench's URL, the API's and a first-start admin key, keeps data across restarts, stops on SIGTERM", async () => {
    const first = await start(dataDir);
    expect(first.adminKey).toMatch(/^qk_/);
    // What a newcomer reads: the page to open, the endpoint on its own line, the key to paste.
    const origin = new URL(first.url).origin;
    const banner = first.output().split("\n");
    expect(banner.slice(0, 2)).toEqual([`Qualify workbench: ${origin}/`, `Qualify GraphQL API: ${origin}/graphql`]);
    expect(banner).toContain(`  ${first.adminKey}`);
    expect(first.output()).toMatch(/Open the workbench and paste it into its sign-in/);
    const workbench = await fetch(`${origin}/`, { headers: { accept: "text/html" } });
    expect(workbench.status).toBe(200);
    expect(await workbench.text()).toContain('<div id="root"></div>');
    const api = new GraphQLTestClient(first.url, first.adminKey);
    await api.data(UPSERT_LEAD, { input: { email: "persist@example.com", company: "Kept" } });
    // The built service finds its pages' files (package.json, the docs) from dist/, and counts the request.
    const home = await fetch(`${origin}/about`);
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
    // Two starts (slow on a busy machine) and two stops with the default grace period of 5 s.
  }, 300_000);
});

/** Runs the `qualify` command (bin/qualify.js) in a child process with `env`. */
function qualify(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [QUALIFY, ...args], { cwd: ROOT, env }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? -1) : 0;
      resolve({ code: typeof code === "number" ? code : -1, stdout, stderr });
    });
  });
}

describe("qualify keys beside npm start, and a lost first admin key (embedded database)", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "qualify-keys-"));
  beforeAll(ensureBuilt, 120_000);
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const RECOVERY_KEY = "recovery-0123456789abcdefghij";
  const status = async (url: string, key: string) => (await new GraphQLTestClient(url, key).request(API_KEYS)).status;

  it("while the service runs: the database mode says how to go through the service; QUALIFY_URL does", async () => {
    const running = await start(dataDir);
    try {
      const direct = await qualify(shellEnv(dataDir), "keys", "list");
      expect(direct.code).toBe(2);
      expect(direct.stderr).toBe(
        `qualify: the embedded database in ${dataDir} is in use by process ${running.child.pid} (a running service holds it): ` +
          "stop it first, or manage keys through it with QUALIFY_URL=http://127.0.0.1:4000/graphql and QUALIFY_API_KEY=<an admin key>\n",
      );
      const remote = shellEnv(dataDir, { QUALIFY_URL: running.url, QUALIFY_API_KEY: running.adminKey as string });
      const created = await qualify(remote, "keys", "create", "--scopes", "read", "--name", "dashboard");
      expect(created.code).toBe(0);
      expect(await status(running.url, created.stdout.trim())).toBe(403); // read: no apiKeys
      const listed = await qualify(remote, "keys", "list");
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(/\bdashboard\n/);
      expect(listed.stdout).toMatch(/admin \(first start\)/);
    } finally {
      expect(await stop(running)).toBe(0);
    }
  }, 90_000);

  it("the first key lost: QUALIFY_ADMIN_KEY and a restart, a new admin key, the lost one revoked; or the database mode with the service stopped", async () => {
    // The first start's key (the previous test's first start printed it) is "lost": a restart
    // with QUALIFY_ADMIN_KEY is the way back in, and the listing tells which key to revoke.
    const first = await start(dataDir, { QUALIFY_ADMIN_KEY: RECOVERY_KEY });
    let replacement: string;
    try {
      expect(first.output()).not.toMatch(/First start/);
      const remote = shellEnv(dataDir, { QUALIFY_URL: first.url, QUALIFY_API_KEY: RECOVERY_KEY });
      const created = await qualify(remote, "keys", "create", "--scopes", "admin", "--name", "admin (recovered)");
      expect(created.code).toBe(0);
      replacement = created.stdout.trim();
      const lost = (await new GraphQLTestClient(first.url, RECOVERY_KEY).data(API_KEYS)).apiKeys.find((k) => k.name === "admin (first start)");
      expect(await qualify(remote, "keys", "revoke", lost?.prefix as string)).toMatchObject({ code: 0 });
    } finally {
      expect(await stop(first)).toBe(0);
    }

    const after = await start(dataDir); // QUALIFY_ADMIN_KEY unset again
    try {
      expect(after.adminKey).toBeNull();
      expect(await status(after.url, replacement)).toBe(200);
      expect(await status(after.url, RECOVERY_KEY)).toBe(401);
      const keys = (await new GraphQLTestClient(after.url, replacement).data(API_KEYS)).apiKeys;
      expect(keys.find((k) => k.name === "admin (first start)")?.revokedAt).not.toBeNull();
    } finally {
      expect(await stop(after)).toBe(0);
    }

    // The other way back: with the service stopped, the database mode.
    const direct = await qualify(shellEnv(dataDir), "keys", "create", "--scopes", "admin", "--name", "admin (made offline)");
    expect(direct.code).toBe(0);
    expect((await qualify(shellEnv(dataDir), "keys", "list")).stdout).toMatch(/admin \(made offline\)/);
    const last = await start(dataDir);
    try {
      expect(await status(last.url, direct.stdout.trim())).toBe(200);
    } finally {
      expect(await stop(last)).toBe(0);
    }
  }, 180_000);
});
