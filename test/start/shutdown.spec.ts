/**
 * Graceful shutdown under load, as a load balancer and clients see it. The built service runs in a
 * child process (`node dist/src/main.js`) on each database: a throwaway PostgreSQL database, and the
 * embedded one in a temporary data directory. Several keep-alive clients record interactions back
 * to back, a poller reads `/health/ready`, and a graphql-ws client subscribes to `leadScored`; then
 * SIGTERM, in the middle of the stream. One run per database; each `it` checks one promise of the
 * shutdown against what that run observed (a line of figures is printed per run; with
 * QUALIFY_TEST_SHOW_LOG=1 the service's log too). Then the timeout, and a second signal.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { RECORD_INTERACTION } from "../api/helpers/documents";
import { GraphQLTestClient } from "../api/helpers/graphql-client";
import { provision, type ProvisionedDatabase, type TestDatabase } from "../api/helpers/test-app";
import { ensureBuilt, ROOT, startService } from "./helpers/service-process";

const GRACE_SECONDS = 1;
const WRITERS = 4;
/** Acknowledged writes before the signal, so that it lands in the middle of a steady stream. */
const WRITES_BEFORE_SIGNAL = 40;
const SOURCE = "shutdown-test";

/** How one HTTP request ended. */
type Outcome =
  | { kind: "answered"; status: number; body: string; connection: string | undefined; at: number }
  | { kind: "refused"; at: number }
  /** Anything else: a reset, a hang-up, a timeout. */
  | { kind: "failed"; code: string; message: string; at: number };

function send(agent: http.Agent, url: string, method: "GET" | "POST", body?: string, headers: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.request(url, { method, agent, headers: { ...headers, ...(body ? { "content-type": "application/json" } : {}) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ kind: "answered", status: res.statusCode ?? 0, body: text, connection: res.headers.connection, at: Date.now() }));
      res.on("error", (err: NodeJS.ErrnoException) => resolve({ kind: "failed", code: err.code ?? "", message: err.message, at: Date.now() }));
    });
    req.setTimeout(20_000, () => req.destroy(Object.assign(new Error("no answer within 20 s"), { code: "TIMEOUT" })));
    req.on("error", (err: NodeJS.ErrnoException) =>
      resolve(err.code === "ECONNREFUSED" ? { kind: "refused", at: Date.now() } : { kind: "failed", code: err.code ?? "", message: err.message, at: Date.now() }),
    );
    req.end(body);
  });
}

interface Write {
  writer: number;
  outcome: Outcome;
  /** The interaction recorded, when the answer was 200 with data. */
  interactionId: string | null;
}

interface Run {
  signalAt: number;
  exitCode: number | null;
  exitedAt: number;
  log: string;
  writes: Write[];
  readiness: Outcome[];
  /** Interaction ids of the `leadScored` events the subscriber got, in order, and when. */
  events: Array<{ interactionId: string | null; at: number }>;
  subscriptionClose: { code: number; reason: string; at: number } | null;
  /** Interaction ids stored with SOURCE, read from the database after the exit. */
  stored: Set<string>;
}

/** Interaction ids with SOURCE in an embedded database's data directory (PGlite, in a child process: it needs ESM). */
function storedInDataDir(dataDir: string): Set<string> {
  const script = `
    const { PGlite } = require("@electric-sql/pglite");
    const { pg_trgm } = require("@electric-sql/pglite/contrib/pg_trgm");
    (async () => {
      const db = await PGlite.create(process.argv[1], { extensions: { pg_trgm } });
      const { rows } = await db.query("SELECT id FROM interaction WHERE source = $1", [process.argv[2]]);
      process.stdout.write(JSON.stringify(rows.map((r) => r.id)));
      await db.close();
    })();`;
  const out = execFileSync(process.execPath, ["-e", script, dataDir, SOURCE], { cwd: ROOT, encoding: "utf8" });
  return new Set(JSON.parse(out) as string[]);
}

async function storedInDatabase(url: string): Promise<Set<string>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>("SELECT id FROM interaction WHERE source = $1", [SOURCE]);
    return new Set(rows.map((r) => r.id));
  } finally {
    await client.end();
  }
}

/** Starts the service on `database`, loads it, sends SIGTERM mid-stream, and records what everyone saw. */
async function runShutdownUnderLoad(database: TestDatabase): Promise<Run> {
  let provisioned: ProvisionedDatabase | null = null;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "qualify-shutdown-"));
  try {
    const adminKey = `shutdown-admin-${randomBytes(16).toString("hex")}`;
    const env: Record<string, string> = {
      QUALIFY_ADMIN_KEY: adminKey,
      QUALIFY_SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS),
      QUALIFY_LOG_LEVEL: "info",
    };
    if (database === "postgres") {
      provisioned = await provision("postgres");
      env.DATABASE_URL = provisioned.url;
    } else {
      env.QUALIFY_DATA_DIR = dataDir;
    }
    const service = await startService(env);
    const api = new GraphQLTestClient(service.url, adminKey);

    // The subscriber: every leadScored event, with fields read from the database at delivery.
    const events: Run["events"] = [];
    let subscriptionClose: Run["subscriptionClose"] = null;
    const ws = api.subscriptions({
      on: {
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string };
          subscriptionClose ??= { code, reason, at: Date.now() };
        },
      },
    });
    ws.subscribe<{ leadScored: { interaction: { id: string } | null; lead: { email: string } } }>(
      { query: "subscription { leadScored { interaction { id } lead { email } } }" },
      {
        next: (msg) => void (msg.data && events.push({ interactionId: msg.data.leadScored.interaction?.id ?? null, at: Date.now() })),
        error: () => undefined,
        complete: () => undefined,
      },
    );
    // Subscribed once the event of a write arrives.
    const first = await api.data(RECORD_INTERACTION, { input: { email: "first@shutdown.example", type: "visit", target: "/pricing" } });
    for (const deadline = Date.now() + 10_000; !events.some((e) => e.interactionId === first.recordInteraction.interaction.id); ) {
      if (Date.now() > deadline) throw new Error("the subscription got no event");
      await new Promise((r) => setTimeout(r, 20));
    }

    const writes: Write[] = [];
    const readiness: Outcome[] = [];
    let signalAt = 0;
    const acknowledged = () => writes.filter((w) => w.interactionId !== null).length;
    // Back to back on one kept-alive connection each, until the port refuses connections.
    const writer = async (n: number): Promise<void> => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = 0; ; i++) {
        const input = { email: `writer-${n}@shutdown.example`, type: "visit", target: "/pricing", source: SOURCE, externalId: `w${n}-${i}` };
        const outcome = await send(agent, service.url, "POST", JSON.stringify({ query: RECORD_INTERACTION.query, variables: { input } }), {
          authorization: `Bearer ${adminKey}`,
        });
        let interactionId: string | null = null;
        if (outcome.kind === "answered" && outcome.status === 200) {
          interactionId = (JSON.parse(outcome.body) as { data?: { recordInteraction?: { interaction: { id: string } } } }).data?.recordInteraction?.interaction.id ?? null;
        }
        writes.push({ writer: n, outcome, interactionId });
        if (outcome.kind !== "answered") break;
      }
      agent.destroy();
    };
    const poller = async (): Promise<void> => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const url = service.url.replace(/\/graphql$/, "/health/ready");
      for (;;) {
        const outcome = await send(agent, url, "GET");
        readiness.push(outcome);
        if (outcome.kind !== "answered") break;
        await new Promise((r) => setTimeout(r, 20));
      }
      agent.destroy();
    };
    const load = Promise.all([poller(), ...Array.from({ length: WRITERS }, (_, n) => writer(n))]);
    for (const deadline = Date.now() + 30_000; acknowledged() < WRITES_BEFORE_SIGNAL && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
    signalAt = Date.now();
    service.child.kill("SIGTERM");
    let noExit: NodeJS.Timeout | undefined;
    const exitCode = await Promise.race([service.exited, new Promise<never>((_, reject) => (noExit = setTimeout(() => reject(new Error("no exit within 40 s")), 40_000)))]);
    clearTimeout(noExit);
    const exitedAt = Date.now();
    await load;
    await ws.dispose();
    const stored = provisioned ? await storedInDatabase(provisioned.url) : storedInDataDir(dataDir);
    if (process.env.QUALIFY_TEST_SHOW_LOG) console.log(service.log());
    return { signalAt, exitCode, exitedAt, log: service.log(), writes, readiness, events, subscriptionClose, stored };
  } finally {
    await provisioned?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

describe.each<TestDatabase>(["postgres", "embedded"])("SIGTERM under load (%s database)", (database) => {
  let run: Run;
  beforeAll(async () => {
    ensureBuilt();
    run = await runShutdownUnderLoad(database);
    const after = (o: Outcome | undefined) => (o ? `${o.at - run.signalAt} ms` : "never");
    const answered = run.writes.filter((w) => w.outcome.kind === "answered");
    console.log(
      `${database}: ${answered.length} writes answered (${answered.filter((w) => w.outcome.at > run.signalAt).length} after the signal), ` +
        `first 503 ${after(run.readiness.find((o) => o.kind === "answered" && o.status === 503))}, ` +
        `port refused ${after(run.readiness.find((o) => o.kind === "refused"))}, exit ${run.exitedAt - run.signalAt} ms after the signal (code ${run.exitCode}), ` +
        `${run.events.length} events delivered, subscription closed ${run.subscriptionClose ? `${run.subscriptionClose.at - run.signalAt} ms (${run.subscriptionClose.code})` : "never"}`,
    );
  }, 240_000);

  const acknowledgedIds = () => run.writes.flatMap((w) => (w.interactionId ? [w.interactionId] : []));

  it("readiness answers 503 {status: stopping} from the signal on, before the port closes", () => {
    const before = run.readiness.filter((o) => o.at < run.signalAt);
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((o) => o.kind === "answered" && o.status === 200)).toBe(true);
    const stopping = run.readiness.findIndex((o) => o.kind === "answered" && o.status === 503);
    const refused = run.readiness.findIndex((o) => o.kind === "refused");
    expect(stopping).toBeGreaterThan(-1);
    expect(JSON.parse((run.readiness[stopping] as { body: string }).body)).toEqual({ status: "stopping" });
    expect(refused).toBeGreaterThan(stopping);
    expect(run.readiness.filter((o) => o.kind === "failed")).toEqual([]);
  });

  it("no request is cut off: each got its whole answer, or was refused at connect once the port closed", () => {
    const failed = run.writes.filter((w) => w.outcome.kind === "failed").map((w) => w.outcome);
    expect(failed).toEqual([]);
    const answered = run.writes.filter((w) => w.outcome.kind === "answered");
    expect(answered.filter((w) => w.interactionId === null).map((w) => w.outcome)).toEqual([]);
    // The service kept serving writes through the grace period.
    expect(answered.filter((w) => w.outcome.at > run.signalAt + 200).length).toBeGreaterThan(0);
    // Every writer stopped at a refused connection.
    expect(run.writes.filter((w) => w.outcome.kind === "refused")).toHaveLength(WRITERS);
  });

  it("a kept-alive connection ends after an answer: each writer's last answer says Connection: close", () => {
    for (let n = 0; n < WRITERS; n++) {
      const answers = run.writes.filter((w) => w.writer === n && w.outcome.kind === "answered").map((w) => w.outcome as { connection?: string });
      expect(answers[answers.length - 1].connection).toBe("close");
      // Before that one, the connection was kept alive: the grace period serves as usual.
      expect(answers.slice(0, -1).filter((a) => a.connection !== "keep-alive")).toEqual([]);
    }
  });

  it("every acknowledged write is in the database", () => {
    const missing = acknowledgedIds().filter((id) => !run.stored.has(id));
    expect(acknowledgedIds().length).toBeGreaterThan(WRITES_BEFORE_SIGNAL);
    expect(missing).toEqual([]);
  });

  it("exits 0 and logs no lost event and no error", () => {
    expect(run.exitCode).toBe(0);
    expect(run.log).not.toMatch(/could not publish events/);
    const errors = run.log.split("\n").filter((line) => line.includes('"level":"error"'));
    expect(errors).toEqual([]);
  });

  it("the subscriber gets the event of every acknowledged write, then a close with 1001 (going away)", () => {
    const delivered = new Set(run.events.map((e) => e.interactionId));
    expect(acknowledgedIds().filter((id) => !delivered.has(id))).toEqual([]);
    expect(run.subscriptionClose).toMatchObject({ code: 1001 });
    expect(run.subscriptionClose!.at).toBeGreaterThanOrEqual(run.events[run.events.length - 1].at);
  });
});

describe("the shutdown timeout (PostgreSQL)", () => {
  beforeAll(ensureBuilt, 120_000);

  it("cuts off a request still running when it passes, and exits 2", async () => {
    const provisioned = await provision("postgres");
    const holder = new Client({ connectionString: provisioned.url });
    try {
      const adminKey = `shutdown-admin-${randomBytes(16).toString("hex")}`;
      const service = await startService({
        DATABASE_URL: provisioned.url,
        QUALIFY_ADMIN_KEY: adminKey,
        QUALIFY_SHUTDOWN_GRACE_SECONDS: "0",
        QUALIFY_SHUTDOWN_TIMEOUT_SECONDS: "2",
        QUALIFY_LOG_LEVEL: "info",
      });
      const api = new GraphQLTestClient(service.url, adminKey);
      const { recordInteraction } = await api.data(RECORD_INTERACTION, { input: { email: "held@shutdown.example", type: "visit" } });
      // A write to a lead whose row another session holds waits for it: a request that cannot finish.
      await holder.connect();
      await holder.query("BEGIN");
      await holder.query("SELECT 1 FROM lead WHERE id = $1 FOR UPDATE", [recordInteraction.lead.id]);
      const input = { leadId: recordInteraction.lead.id, type: "visit", source: SOURCE, externalId: "held" };
      const held = send(new http.Agent(), service.url, "POST", JSON.stringify({ query: RECORD_INTERACTION.query, variables: { input } }), {
        authorization: `Bearer ${adminKey}`,
      });
      for (;;) {
        const { rows } = await holder.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
        if (rows[0].n > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      service.child.kill("SIGTERM");
      const outcome = await held;
      expect(outcome).toMatchObject({ kind: "failed", code: "ECONNRESET" });
      // Let the cut-off write go on, so that the pool can close.
      await holder.query("ROLLBACK");
      expect(await service.exited).toBe(2);
      const entries = service
        .log()
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(entries).toContainEqual(expect.objectContaining({ level: "error", message: "shutdown timeout: connections cut off", connections: 1 }));
    } finally {
      await holder.end().catch(() => undefined);
      await provisioned.drop();
    }
  }, 240_000);
});

describe("a second signal (embedded database)", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "qualify-shutdown-"));
  beforeAll(ensureBuilt, 120_000);
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("ends the shutdown at once (exit 143); the database opens again at the next start", async () => {
    const adminKey = `shutdown-admin-${randomBytes(16).toString("hex")}`;
    const env = { QUALIFY_DATA_DIR: dataDir, QUALIFY_ADMIN_KEY: adminKey, QUALIFY_SHUTDOWN_GRACE_SECONDS: "60", QUALIFY_SHUTDOWN_TIMEOUT_SECONDS: "120" };
    const first = await startService(env);
    const written = await new GraphQLTestClient(first.url, adminKey).data(RECORD_INTERACTION, {
      input: { email: "forced@shutdown.example", type: "visit", source: SOURCE, externalId: "before-the-signal" },
    });
    first.child.kill("SIGTERM");
    // The shutdown has begun (and would serve for 60 s more) once readiness answers 503.
    const ready = first.url.replace(/\/graphql$/, "/health/ready");
    while ((await fetch(ready)).status !== 503) await new Promise((r) => setTimeout(r, 20));
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(143);
    expect(first.log()).toMatch(/second signal while stopping: exiting at once/);

    const second = await startService({ ...env, QUALIFY_SHUTDOWN_GRACE_SECONDS: "0" });
    try {
      const stored = await new GraphQLTestClient(second.url, adminKey).data(RECORD_INTERACTION, {
        input: { email: "forced@shutdown.example", type: "visit", source: SOURCE, externalId: "before-the-signal" },
      });
      expect(stored.recordInteraction).toMatchObject({ duplicate: true, interaction: { id: written.recordInteraction.interaction.id } });
    } finally {
      second.child.kill("SIGINT");
      expect(await second.exited).toBe(0);
    }
  }, 300_000);
});
