/**
 * The amplification attempts of issue 11 against the service as it runs in production: a child
 * process `node dist/src/main.js` (NODE_ENV=production, every default) on a fresh embedded
 * database holding 100 leads with 100 interactions each. For each attempt: the answer's size and
 * time, the child's resident memory before and its peak (VmHWM, reset before each attempt where
 * the kernel allows, else the peak so far), and the latency of `GET /health/live` polled every
 * 20 ms meanwhile. Then the largest read of that shape the default budget lets through.
 *
 *   npm run build && node dist/bench/amplification.js
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { aliasedSchemas, aliasedTypenames, thirtyPagesOfPages } from "./attacks";
import { graphqlData } from "./service-http";
import { fmtInt, out } from "./table";

const ROOT = path.resolve(__dirname, "../..");
const LEADS = 100;
const INTERACTIONS_PER_LEAD = 100;

/** The child's memory from /proc, in MB: resident now, and the peak. */
function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
}

/** Resets the peak to the current resident size (Linux: `5` to clear_refs); false where refused. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** One raw POST: the answer's status and size, and how long it took. */
function post(url: string, key: string, query: string): Promise<{ status: number; bytes: number; ms: number; code: string }> {
  const body = Buffer.from(JSON.stringify({ query }));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", headers: { "content-type": "application/json", "content-length": body.length, authorization: `Bearer ${key}` } }, (res) => {
      let bytes = 0;
      let head = "";
      res.on("data", (chunk: Buffer) => {
        if (head.length < 2000) head += chunk.toString("utf8");
        bytes += chunk.length;
      });
      res.on("end", () => {
        const code = /"code":"([A-Z_]+)"/.exec(head)?.[1] ?? "ok";
        resolve({ status: res.statusCode ?? 0, bytes, ms: performance.now() - started, code });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Polls `/health/live` every 20 ms until stopped; resolves with the longest answer time. */
function pollLiveness(base: string): { stop(): Promise<number> } {
  let running = true;
  let worst = 0;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      await fetch(`${base}/health/live`).then((res) => res.text());
      worst = Math.max(worst, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return worst;
    },
  };
}

async function start(dataDir: string, key: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, "dist/src/main.js")], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "production", PORT: "0", QUALIFY_DATA_DIR: dataDir, QUALIFY_ADMIN_KEY: key, QUALIFY_LOG_LEVEL: "warn", DATABASE_URL: "" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let text = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
      const found = /Qualify GraphQL API: (\S+)/.exec(text);
      if (found) resolve(found[1]);
    });
    child.once("exit", (code) => reject(new Error(`the service exited (${code}) before it started`)));
  });
  return { child, url };
}

async function seed(url: string, key: string): Promise<void> {
  const inputs = [];
  for (let lead = 0; lead < LEADS; lead++) {
    for (let i = 0; i < INTERACTIONS_PER_LEAD; i++) {
      inputs.push({ email: `lead-${lead}@example.com`, type: "visit", target: `/page/${i}`, source: "bench", externalId: `${lead}-${i}`, properties: { i } });
    }
  }
  for (let i = 0; i < inputs.length; i += 1000) {
    await graphqlData(url, key, "mutation Batch($inputs: [InteractionInput!]!) { recordInteractions(inputs: $inputs) { duplicate } }", { inputs: inputs.slice(i, i + 1000) });
  }
}

/** 100 leads with 80 interactions each: the shape of the attack, one alias, within the default budget. */
const LARGEST_ALLOWED = `query Largest { leads(first: 100) { edges { node { id email firstName lastName company role stage score fit engagement createdAt
  interactions(first: 80) { edges { node { id type target occurredAt points source externalId } } } } } } }`;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "qualify-amplification-"));
  const key = `bench-admin-${randomBytes(16).toString("hex")}`;
  const { child, url } = await start(dataDir, key);
  const pid = child.pid as number;
  try {
    await seed(url, key);
    out(`amplification attempts against node dist/src/main.js (NODE_ENV=production, defaults), embedded database, ${LEADS} leads × ${INTERACTIONS_PER_LEAD} interactions`);
    out(`at rest: RSS ${memoryOf(pid).rssMb.toFixed(0)} MB`);
    out("");
    out("attempt                                   request    status  code               answer     time    RSS before  peak RSS  /health/live worst");
    const attempts: Array<[string, string]> = [
      ["5,000 aliases of __schema { types { … } }", aliasedSchemas(5000)],
      ["30,000 aliases of __typename", aliasedTypenames(30_000)],
      ["30 × leads(100) × interactions(100)", thirtyPagesOfPages()],
      ["largest allowed: leads(100) × interactions(80)", LARGEST_ALLOWED],
    ];
    let peakResets = true;
    for (const [name, query] of attempts) {
      global.gc?.();
      peakResets = resetPeak(pid) && peakResets;
      const before = memoryOf(pid).rssMb;
      const liveness = pollLiveness(new URL(url).origin);
      const answer = await post(url, key, query);
      const worst = await liveness.stop();
      const peak = memoryOf(pid).peakMb;
      out(
        `${name.padEnd(42)}${`${fmtInt(Buffer.byteLength(query) / 1000)} kB`.padStart(8)}  ${String(answer.status).padStart(6)}  ${answer.code.padEnd(17)}` +
          `${`${fmtInt(answer.bytes)} B`.padStart(12)}  ${`${answer.ms.toFixed(0)} ms`.padStart(7)}  ${`${before.toFixed(0)} MB`.padStart(10)}  ${`${peak.toFixed(0)} MB`.padStart(8)}  ${`${worst.toFixed(0)} ms`.padStart(8)}`,
      );
    }
    if (!peakResets) out("(the kernel refused to reset the peak: each peak RSS is the highest since the start)");
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
