/**
 * Scoring as code: `qualify publish`, `preview` and `pull` as a child process (bin/qualify.js,
 * the built CLI) against the test service over HTTP, and `rescoreStatus`. Exit codes for
 * pipelines, diagnostics as `file:line:col`, the rescore's progress (plain lines off a terminal,
 * a bar on one) ending at done == total.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main";
import { gql } from "./helpers/graphql-client";
import type { InteractionInputVars } from "./helpers/documents";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

const QUALIFY = join(__dirname, "../../bin/qualify.js");

interface Status {
  version: number;
  state: string;
  done: number;
  total: number;
  startedAt: string;
  finishedAt: string | null;
}
const RESCORE_STATUS = gql<{ rescoreStatus: Status | null }>(`query { rescoreStatus { version state done total startedAt finishedAt } }`);
const RECORD = gql<{ recordInteractions: Array<{ duplicate: boolean } | null> }, { inputs: InteractionInputVars[] }>(
  `mutation($inputs: [InteractionInput!]!) { recordInteractions(inputs: $inputs) { duplicate } }`,
);
const ACTIVE = gql<{ activeModel: { version: number; source: string; comment: string | null } }>(`query { activeModel { version source comment } }`);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "qualify-publish-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** `qualify …` as a child process in the temporary directory, with only `env` (and PATH) set. */
function qualify(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [QUALIFY, ...args], { cwd: dir, env: { PATH: process.env.PATH ?? "", ...env }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr });
    });
  });
}

const write = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return name;
};

/** The progress lines of a publish's stderr, as numbers. */
function progressLines(stderr: string): Array<{ version: number; done: number; total: number }> {
  return [...stderr.matchAll(/^rescoring to version (\d+): (\d+) of (\d+) leads \(\d+%\)$/gm)].map((m) => ({ version: Number(m[1]), done: Number(m[2]), total: Number(m[3]) }));
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe(`qualify publish, preview, pull against a running service [${testDatabase()}]`, () => {
  const s = useTestApp();
  const remote = () => ({ QUALIFY_URL: s.t.app.url, QUALIFY_API_KEY: s.api.key as string });

  /** `n` new leads, each with one pricing visit, in batches of 1,000 (recordInteractions). */
  async function seed(n: number, label: string): Promise<void> {
    for (let start = 0; start < n; start += 1000) {
      const inputs = Array.from({ length: Math.min(1000, n - start) }, () => ({ email: uniqueEmail(label), type: "visit", target: "/pricing" }));
      const { recordInteractions } = await s.api.data(RECORD, { inputs });
      expect(recordInteractions.every((r) => r !== null)).toBe(true);
    }
  }

  it("round trip: pull the active model, preview a change, publish it with a comment, pull it back", async () => {
    await seed(20, "trip");
    const { activeModel } = await s.api.data(ACTIVE);
    const pulled = await qualify(remote(), "pull");
    expect(pulled).toMatchObject({ code: 0, stdout: activeModel.source });
    expect(pulled.stderr).toMatch(new RegExp(`^pulled version ${activeModel.version} \\(published \\d{4}-.*Z\\)\\n$`));

    const changed = activeModel.source.replace('visit "/pricing" => +15', 'visit "/pricing" => +45');
    write("model.rules", changed);
    const preview = await qualify(remote(), "preview", "model.rules", "--top", "3");
    expect(preview.code).toBe(0);
    expect(preview.stderr).toBe("");
    const lines = preview.stdout.split("\n");
    expect(lines[0]).toMatch(/^preview of model\.rules: \d+ leads would change$/);
    expect(lines).toContainEqual(expect.stringMatching(/^stage\s+now\s+with model\s+from scratch$/));
    expect(lines).toContainEqual(expect.stringMatching(/^MQL\s+\d+\s+\d+\s+\d+$/));
    const movers = lines.filter((l) => l.startsWith("  "));
    expect(movers).toHaveLength(3);
    for (const m of movers) expect(m).toMatch(/^ {2}trip-\S+@example\.com {2}15 → 45 \(\+30\) {2}\S+ → MQL; rules changed: visit "\/pricing" => \+45, visit "\/pricing" => \+15$/);

    const json = await qualify(remote(), "preview", "model.rules", "--json");
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ file: "model.rules", diagnostics: [], leadsChanged: expect.any(Number) });
    expect(report.topMovers[0]).toMatchObject({ scoreNow: 15, scoreWithModel: 45, change: 30, stageWithModel: "MQL", rulesChanged: ['visit "/pricing" => +45', 'visit "/pricing" => +15'] });
    expect(report.stages.find((r: { stage: string }) => r.stage === "MQL").withModel).toBeGreaterThanOrEqual(20);

    const published = await qualify(remote(), "publish", "model.rules", "--comment", "pricing matters more");
    expect(published.code).toBe(0);
    const version = activeModel.version + 1;
    expect(published.stdout).toMatch(new RegExp(`^published model\\.rules as version ${version} \\("pricing matters more"\\): \\d+ leads rescored, \\d+ stage changes\\n$`));
    const progress = progressLines(published.stderr);
    expect(progress.at(-1)).toEqual({ version, done: progress.at(-1)?.total, total: expect.any(Number) });
    expect(await s.api.data(ACTIVE)).toEqual({ activeModel: { version, source: changed, comment: "pricing matters more" } });

    expect(await qualify(remote(), "pull", "pulled.rules")).toMatchObject({ code: 0, stdout: "", stderr: expect.stringContaining(`pulled version ${version} `) });
    expect(readFileSync(join(dir, "pulled.rules"), "utf8")).toBe(changed);
    const pulledJson = await qualify(remote(), "pull", "--json");
    expect(JSON.parse(pulledJson.stdout)).toMatchObject({ version, source: changed, comment: "pricing matters more", publishedBy: "QUALIFY_ADMIN_KEY" });
  });

  it("a model with errors: diagnostics as file:line:col (as qualify check prints them), exit 1, nothing published", async () => {
    const before = (await s.api.data(ACTIVE)).activeModel;
    write("broken.rules", 'funnel A > B\nvisit "/pricing" => +15\nstage B when scroe >= 10\n');
    const checked = await qualify({}, "check", "broken.rules");
    const expected = checked.stdout.split("\n").filter((l) => l.startsWith("broken.rules:"));
    expect(expected[0]).toMatch(/^broken\.rules:3:\d+: error [A-Z_]+ /);

    const published = await qualify(remote(), "publish", "broken.rules");
    expect(published.code).toBe(1);
    expect(published.stdout).toBe("");
    expect(published.stderr).toBe(`${expected.join("\n")}\nqualify: broken.rules: ${expected.length === 1 ? "1 error" : `${expected.length} errors`}: nothing published, the active model is unchanged\n`);
    const asJson = await qualify(remote(), "publish", "broken.rules", "--json");
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ file: "broken.rules", published: false, version: null, diagnostics: [expect.objectContaining({ severity: "ERROR", line: 3 })] });

    const preview = await qualify(remote(), "preview", "broken.rules");
    expect(preview.code).toBe(1);
    expect(preview.stdout).toBe("");
    expect(preview.stderr.startsWith(`${expected.join("\n")}\n`)).toBe(true);
    expect((await s.api.data(ACTIVE)).activeModel).toEqual(before);
  });

  it("refused keys, an unreachable service, missing settings, bad usage: one line each, exit 2 or 3, nothing published", async () => {
    const before = (await s.api.data(ACTIVE)).activeModel;
    write("model.rules", before.source);
    expect(await qualify({ ...remote(), QUALIFY_API_KEY: "qk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }, "publish", "model.rules")).toEqual({
      code: 2,
      stdout: "",
      stderr: `qualify: the service at ${s.t.app.url} refused QUALIFY_API_KEY (unknown or revoked key)\n`,
    });
    const reader = await s.t.client(["read"]);
    const asReader = { ...remote(), QUALIFY_API_KEY: reader.key as string };
    expect(await qualify(asReader, "publish", "model.rules")).toEqual({ code: 2, stdout: "", stderr: "qualify: QUALIFY_API_KEY is not an admin key (publishing a model needs the admin scope)\n" });
    expect(await qualify(asReader, "preview", "model.rules")).toEqual({ code: 2, stdout: "", stderr: "qualify: QUALIFY_API_KEY is not an admin key (previewing a model needs the admin scope)\n" });
    expect(await qualify(asReader, "pull")).toMatchObject({ code: 0, stdout: before.source }); // read is enough
    const ingester = await s.t.client(["ingest"]);
    expect(await qualify({ ...remote(), QUALIFY_API_KEY: ingester.key as string }, "pull")).toEqual({ code: 2, stdout: "", stderr: "qualify: QUALIFY_API_KEY lacks the read scope (pulling the model needs it)\n" });

    const nowhere = `http://127.0.0.1:${await closedPort()}/graphql`;
    expect(await qualify({ ...remote(), QUALIFY_URL: nowhere }, "publish", "model.rules")).toEqual({ code: 3, stdout: "", stderr: `qualify: cannot reach the service at ${nowhere} (ECONNREFUSED)\n` });
    expect(await qualify({}, "pull")).toEqual({
      code: 2,
      stdout: "",
      stderr: "qualify: qualify pull works through a running service: set QUALIFY_URL (its GraphQL URL, e.g. http://127.0.0.1:4000/graphql) and QUALIFY_API_KEY\n",
    });
    expect(await qualify(remote(), "publish", "missing.rules")).toEqual({ code: 2, stdout: "", stderr: "qualify: missing.rules: no such file\n" });
    expect(await qualify(remote(), "publish")).toMatchObject({ code: 2, stderr: "qualify: a file is needed\nusage: qualify publish FILE [--comment TEXT] [--json]\n" });
    expect(await qualify(remote(), "publish", "model.rules", "--comment")).toMatchObject({ code: 2, stderr: expect.stringMatching(/^qualify: --comment needs a value\n/) });
    expect(await qualify(remote(), "preview", "model.rules", "--top", "0")).toMatchObject({ code: 2, stderr: expect.stringMatching(/^qualify: --top must be a whole number from 1 to 100 \(got "0"\)\n/) });
    expect(await qualify(remote(), "pull", "a.rules", "b.rules")).toMatchObject({ code: 2, stderr: expect.stringMatching(/^qualify: too many files\n/) });
    // A comment the service refuses: its error, exit 2, nothing published.
    expect(await qualify(remote(), "publish", "model.rules", "--comment", "x".repeat(2001))).toMatchObject({ code: 2, stderr: expect.stringMatching(/^qualify: comment: .*\(BAD_USER_INPUT\)\n$/) });
    expect((await s.api.data(ACTIVE)).activeModel).toEqual(before);
  });

  it("a publish over a few thousand leads reports its progress, ending at done == total; rescoreStatus says DONE", async () => {
    await seed(3000, "bulk");
    const { activeModel } = await s.api.data(ACTIVE);
    write("model.rules", `${activeModel.source}\nvisit "/pricing" => +1\n`);
    const published = await qualify(remote(), "publish", "model.rules");
    expect(published.code).toBe(0);
    const version = activeModel.version + 1;
    const progress = progressLines(published.stderr);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    for (const [i, p] of progress.entries()) {
      expect(p.version).toBe(version);
      expect(p.done).toBeLessThanOrEqual(p.total);
      if (i > 0) expect(p.done).toBeGreaterThanOrEqual(progress[i - 1].done);
    }
    const [{ leads }]: Array<{ leads: number }> = await s.t.app.context(null).db.query(`SELECT count(*)::int AS leads FROM lead`);
    expect(leads).toBeGreaterThanOrEqual(3000);
    expect(progress.at(-1)).toEqual({ version, done: leads, total: leads });
    const { rescoreStatus } = await s.api.data(RESCORE_STATUS);
    expect(rescoreStatus).toMatchObject({ version, state: "DONE", done: leads, total: leads, finishedAt: expect.any(String) });
    expect(Date.parse(rescoreStatus?.finishedAt as string)).toBeGreaterThanOrEqual(Date.parse(rescoreStatus?.startedAt as string));
  });

  it("on a terminal the progress is a bar redrawn in place, ending at 100%", async () => {
    const { activeModel } = await s.api.data(ACTIVE);
    writeFileSync(join(dir, "model.rules"), `${activeModel.source}\nvisit "/terminal" => +1\n`);
    let stdout = "";
    let stderr = "";
    const code = await main(["publish", "model.rules"], {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t), isTTY: true },
      cwd: dir,
      env: remote(),
    });
    expect({ code, stderr: stderr.slice(-300) }).toMatchObject({ code: 0 });
    expect(stdout).toMatch(/^published model\.rules as version \d+: /);
    expect(stderr).toMatch(/\rrescoring to version \d+ \[#{30}\] [\d,]+\/[\d,]+ leads 100%\n$/);
    const [, done, total] = /([\d,]+)\/([\d,]+) leads 100%\n$/.exec(stderr) as RegExpExecArray;
    expect(done).toBe(total);
    expect(stderr).not.toMatch(/^rescoring to version \d+: /m); // no plain lines on a terminal
  });

  it("rescoreStatus is read from the leads: leads below the version are RUNNING with done < total, until a rescore brings them up", async () => {
    await seed(10, "behind");
    const db = s.t.app.context(null).db;
    const { rescoreStatus: done } = await s.api.data(RESCORE_STATUS);
    expect(done).toMatchObject({ state: "DONE", finishedAt: expect.any(String) });
    // As after a rescore that stopped midway: five leads left below the active version.
    await db.query(`UPDATE lead SET model_version = model_version - 1 WHERE id IN (SELECT id FROM lead ORDER BY id LIMIT 5)`);
    const { rescoreStatus: running } = await s.api.data(RESCORE_STATUS);
    expect(running).toEqual({ ...done, state: "RUNNING", done: (done?.total as number) - 5, finishedAt: null });
    // A republish rescores every lead to its new version.
    const { activeModel } = await s.api.data(ACTIVE);
    await s.api.data(gql<unknown, { v: number }>(`mutation($v: Int!) { republishModel(version: $v) { leadsRescored } }`), { v: activeModel.version });
    const { rescoreStatus: after } = await s.api.data(RESCORE_STATUS);
    expect(after).toMatchObject({ version: activeModel.version + 1, state: "DONE", done: done?.total, total: done?.total, finishedAt: expect.any(String) });
  });
});
