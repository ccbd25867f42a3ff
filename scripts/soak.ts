/**
 * `npm run soak`: the service under a mixed load for a few minutes, by default on the embedded
 * database (as `npm start` runs with no settings): single and batch writes, profile changes, manual
 * stage moves, reads (pages of leads with their breakdowns, single leads, the funnel), points that
 * expire while it runs (the real sweeper, every 2 s), and a model publish midway. Every request
 * must succeed; at the end every stored score must equal the replay of the active model (checked
 * through `previewModel` of that very model: no lead may change score).
 *
 * Settings: `SOAK_SECONDS` (default 180, at most 1800), `SOAK_CLIENTS` (default 4, at most 32),
 * `DATABASE_URL` (unset: the embedded database in a temporary folder, removed after).
 * Exits 1 on any failed request or any score that differs from the replay.
 */
import "../src/node-env"; // first: the service runs as in production (graphql-js, express)
import "reflect-metadata";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type RunningApp, startApp } from "../src/app/start-app";
import { loadConfig } from "../src/config";
import { createLogger } from "../src/logger";

const SECOND = 1000;

function setting(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`${name} must be an integer from 1 to ${max} (got "${raw}")`);
  return value;
}

const MODEL_A = `funnel Subscriber > Lead > MQL > SQL > Opportunity > Customer | Other
visit "/pricing" => +10
visit "/soak/*" => +3 expires after 1 minute
download => +5 max 4
webinar => +8 expires after 90 days
role contains "Director" => +20
stage Lead when score >= 10
stage MQL when score >= 40
stage SQL when score >= 80
`;
// Midway: thresholds and points move, so the publish rescores and moves stages.
const MODEL_B = MODEL_A.replace("download => +5 max 4", "download => +6 max 5").replace("stage MQL when score >= 40", "stage MQL when score >= 35");

interface Stats {
  count: number;
  errors: number;
  ms: number[];
}

class Soak {
  private readonly stats = new Map<string, Stats>();
  private readonly failures: string[] = [];
  readonly emails: string[];

  constructor(
    private readonly url: string,
    private readonly key: string,
    leads: number,
  ) {
    this.emails = Array.from({ length: leads }, (_, i) => `soak-${i}-${randomBytes(3).toString("hex")}@example.com`);
  }

  /** Sends one operation; records its time and any failure. */
  async call<T = Record<string, unknown>>(name: string, query: string, variables: Record<string, unknown> = {}): Promise<T | null> {
    const began = performance.now();
    const stats = this.stats.get(name) ?? { count: 0, errors: 0, ms: [] };
    this.stats.set(name, stats);
    stats.count++;
    try {
      const res = await fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${this.key}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data?: T; errors?: unknown[] };
      if (res.status !== 200 || body.errors?.length) throw new Error(`HTTP ${res.status} ${JSON.stringify(body.errors)}`);
      return body.data as T;
    } catch (err) {
      stats.errors++;
      if (this.failures.length < 20) this.failures.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    } finally {
      stats.ms.push(performance.now() - began);
    }
  }

  pick<T>(list: readonly T[]): T {
    return list[Math.floor(Math.random() * list.length)];
  }

  /** One random operation of the mix. */
  async step(): Promise<void> {
    const email = this.pick(this.emails);
    const r = Math.random();
    if (r < 0.35) {
      const ago = Math.floor(Math.random() * 58) * SECOND;
      const [type, target] = this.pick([["visit", "/pricing"], ["visit", "/soak/page"], ["download", "guide"], ["webinar", "w1"]] as const);
      await this.call("recordInteraction", `mutation R($input: InteractionInput!) { recordInteraction(input: $input) { duplicate pointsAwarded lead { id score stage } } }`, {
        input: { email, type, target, occurredAt: new Date(Date.now() - ago).toISOString(), source: "soak", externalId: randomBytes(8).toString("hex") },
      });
    } else if (r < 0.45) {
      const inputs = Array.from({ length: 20 }, () => ({ email: this.pick(this.emails), type: "visit", target: "/soak/batch", occurredAt: new Date(Date.now() - 50 * SECOND).toISOString() }));
      await this.call("recordInteractions", `mutation B($inputs: [InteractionInput!]!) { recordInteractions(inputs: $inputs) { pointsAwarded } }`, { inputs });
    } else if (r < 0.52) {
      await this.call("upsertLead", `mutation U($input: LeadInput!) { upsertLead(input: $input) { id score } }`, {
        input: { email, role: this.pick(["Director of Marketing", "Engineer", null]), company: "Soak Inc" },
      });
    } else if (r < 0.56) {
      const lead = await this.call<{ leadByEmail: { id: string } | null }>("leadByEmail", `query E($email: String!) { leadByEmail(email: $email) { id } }`, { email });
      if (lead?.leadByEmail) {
        await this.call("setLeadStage", `mutation S($id: ID!, $stage: String!) { setLeadStage(leadId: $id, stage: $stage, reason: "soak") { stage } }`, {
          id: lead.leadByEmail.id,
          stage: this.pick(["Lead", "SQL", "Other"]),
        });
      }
    } else if (r < 0.8) {
      await this.call("leads", `{ leads(first: 50) { totalCount edges { node { id score stage scoreBreakdown { rule points } interactions(first: 5) { edges { node { points } } } } } } }`);
    } else if (r < 0.95) {
      await this.call("leadByEmail", `query E($email: String!) { leadByEmail(email: $email) { id score fit engagement stageHistory { to } } }`, { email });
    } else {
      await this.call("funnel", `{ funnel { stage leads reached } }`);
    }
  }

  /** Scores that differ from the replay of `source` (the active model), per `previewModel`. */
  async scoresOffReplay(source: string): Promise<number | null> {
    const data = await this.call<{ previewModel: { topMovers: unknown[] } }>("previewModel", `mutation P($source: String!) { previewModel(source: $source) { topMovers(first: 100) { scoreNow scoreWithModel } } }`, { source });
    return data ? data.previewModel.topMovers.length : null;
  }

  report(seconds: number): { failed: number } {
    const line = (cells: Array<string | number>) => process.stdout.write(cells.map((c, i) => String(c).padStart(i === 0 ? 0 : 10).padEnd(i === 0 ? 20 : 0)).join("") + "\n");
    line(["operation", "requests", "errors", "per s", "p50 ms", "p99 ms"]);
    let failed = 0;
    for (const [name, s] of [...this.stats].sort()) {
      const sorted = [...s.ms].sort((a, b) => a - b);
      const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]?.toFixed(1) ?? "-";
      line([name, s.count, s.errors, (s.count / seconds).toFixed(1), q(0.5), q(0.99)]);
      failed += s.errors;
    }
    for (const f of this.failures) process.stdout.write(`  failed: ${f}\n`);
    return { failed };
  }
}

async function main(): Promise<number> {
  const seconds = setting("SOAK_SECONDS", 180, 1800);
  const clients = setting("SOAK_CLIENTS", 4, 32);
  const embedded = !process.env.DATABASE_URL;
  const dataDir = embedded ? fs.mkdtempSync(path.join(os.tmpdir(), "qualify-soak-")) : null;
  const adminKey = `soak-${randomBytes(16).toString("hex")}`;
  const config = loadConfig({
    ...process.env,
    NODE_ENV: "production",
    PORT: "0",
    QUALIFY_ADMIN_KEY: adminKey,
    QUALIFY_EXPIRY_SWEEP_SECONDS: "2",
    QUALIFY_LOG_LEVEL: process.env.QUALIFY_LOG_LEVEL ?? "warn",
    ...(dataDir ? { QUALIFY_DATA_DIR: dataDir } : {}),
  });
  let app: RunningApp | null = null;
  try {
    app = await startApp(config, createLogger(config.logLevel));
    const soak = new Soak(app.url, adminKey, 300);
    await soak.call("publishModel", `mutation P($source: String!) { publishModel(source: $source) { model { version } } }`, { source: MODEL_A });
    const began = Date.now();
    const end = began + seconds * SECOND;
    let published = false;
    let active = MODEL_A;
    await Promise.all(
      Array.from({ length: clients }, async (_, worker) => {
        while (Date.now() < end) {
          if (worker === 0 && !published && Date.now() > began + (seconds * SECOND) / 3) {
            published = true;
            await soak.call("publishModel", `mutation P($source: String!) { publishModel(source: $source) { leadsRescored } }`, { source: MODEL_B });
            active = MODEL_B;
          }
          await soak.step();
        }
      }),
    );
    const elapsed = (Date.now() - began) / SECOND;
    // Quiet now. Points keep expiring for up to a minute after the last write (the 1-minute rule),
    // each taken out by the sweeper within its interval: compare every lead with the replay until
    // they agree (at once when nothing is due), for at most 70 s.
    let off: number | null = null;
    const settleBy = Date.now() + 70 * SECOND;
    do {
      await new Promise((resolve) => setTimeout(resolve, 2 * SECOND));
      off = await soak.scoresOffReplay(active);
    } while (off !== 0 && Date.now() < settleBy);
    const { failed } = soak.report(elapsed);
    process.stdout.write(`scores differing from the replay of the active model: ${off ?? "unknown (the preview failed)"}\n`);
    process.stdout.write(`${failed === 0 && off === 0 ? "soak passed" : "soak FAILED"}: ${failed} failed requests\n`);
    return failed === 0 && off === 0 ? 0 : 1;
  } finally {
    await app?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
