/**
 * Webhooks survive a crash. The built service (`node dist/src/main.js`) runs on the embedded
 * database in a temporary data directory, with one webhook to a real receiver on localhost that
 * holds its first request open (an attempt in flight, its claim leased) and answers 503 to the
 * rest (retries pending). Writes go on while the service is SIGKILLed; then it is restarted on the
 * same data directory with the receiver answering 200. Every event stored, and every event of an
 * acknowledged write, arrives (deduplicated on `Qualify-Event-Id`: at least once, never lost),
 * each lead's in order, and every delivery ends DELIVERED.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { RECORD_INTERACTION } from "../api/helpers/documents";
import { gql, GraphQLTestClient } from "../api/helpers/graphql-client";
import { eventually } from "../api/helpers/webhook-receiver";
import { ensureBuilt, type ServiceProcess, startService } from "./helpers/service-process";

/** Writes acknowledged before the kill (besides those in flight when it lands). */
const LEADS_BEFORE_KILL = 12;

interface Arrival {
  eventId: string;
  type: string;
  leadId: string;
  status: number;
}

/**
 * The receiver: `hold` first requests are never answered (until it closes), then each answers
 * 503 while `accepting` is false, 200 after. Every request is kept in arrival order.
 */
class CrashReceiver {
  readonly arrivals: Arrival[] = [];
  accepting = false;
  url = "";
  private held = 0;
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { type: string; data: { lead: { id: string } } };
      const eventId = String(req.headers["qualify-event-id"]);
      if (this.held < this.hold) {
        this.held++;
        this.arrivals.push({ eventId, type: body.type, leadId: body.data.lead.id, status: 0 });
        return; // never answered: the attempt is in flight when the service dies
      }
      const status = this.accepting ? 200 : 503;
      this.arrivals.push({ eventId, type: body.type, leadId: body.data.lead.id, status });
      res.writeHead(status).end();
    });
  });

  constructor(private readonly hold: number) {}

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** Event ids answered 200, each once, in order of their first arrival. */
  accepted(): Arrival[] {
    const seen = new Set<string>();
    return this.arrivals.filter((a) => a.status === 200 && !seen.has(a.eventId) && seen.add(a.eventId));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const CREATE_WEBHOOK = gql<{ createWebhook: { webhook: { id: string } } }, { input: { url: string; events: string[] } }>(
  `mutation ($input: WebhookInput!) { createWebhook(input: $input) { webhook { id } } }`,
);
type DeliveryRow = { eventId: string; event: string; leadId: string; status: string; attempts: number };
type Deliveries = { webhooks: Array<{ deliveries: { edges: Array<{ node: DeliveryRow }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }> };
const DELIVERIES = gql<Deliveries, { after: string | null }>(
  `query ($after: String) { webhooks { deliveries(first: 100, after: $after) {
     edges { node { eventId event leadId status attempts } } pageInfo { hasNextPage endCursor } } } }`,
);

/** Every delivery of the service's one webhook, all pages. */
async function allDeliveries(api: GraphQLTestClient): Promise<DeliveryRow[]> {
  const rows: DeliveryRow[] = [];
  for (let after: string | null = null; ; ) {
    const page: Deliveries["webhooks"][number]["deliveries"] = (await api.data(DELIVERIES, { after })).webhooks[0].deliveries;
    rows.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage) return rows;
    after = page.pageInfo.endCursor;
  }
}

const visit = (email: string) => ({ input: { email, type: "visit", target: "/pricing" } });

describe("webhooks across a SIGKILL (embedded database)", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "qualify-webhooks-crash-"));
  const adminKey = `crash-admin-${randomBytes(16).toString("hex")}`;
  const env = {
    QUALIFY_ADMIN_KEY: adminKey,
    QUALIFY_DATA_DIR: dataDir,
    QUALIFY_LOG_LEVEL: "warn",
    QUALIFY_WEBHOOK_ALLOW_PRIVATE: "true",
    QUALIFY_WEBHOOK_RETRY_BASE_MS: "50",
    QUALIFY_WEBHOOK_POLL_MS: "100",
    QUALIFY_WEBHOOK_CONCURRENCY: "2",
  };
  const receiver = new CrashReceiver(1);
  let service: ServiceProcess | null = null;

  beforeAll(async () => {
    ensureBuilt();
    await receiver.start();
  });
  afterAll(async () => {
    if (service) {
      service.child.kill("SIGKILL");
      await service.exited;
    }
    await receiver.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("delivers every event after a SIGKILL with deliveries pending and in flight, each lead's in order", async () => {
    service = await startService(env);
    let api = new GraphQLTestClient(service.url, adminKey);
    await api.data(CREATE_WEBHOOK, { input: { url: receiver.url, events: ["LEAD_CREATED", "LEAD_SCORED"] } });

    const acknowledged: string[] = [];
    const record = async (email: string) => acknowledged.push((await api.data(RECORD_INTERACTION, visit(email))).recordInteraction.lead!.id);
    for (let i = 0; i < LEADS_BEFORE_KILL; i++) await record(`before-${i}@crash.example`);
    // Pending: one attempt held open (claimed), others refused and waiting for their retry.
    await eventually("an attempt held and others refused", () => receiver.arrivals.some((a) => a.status === 503) && receiver.arrivals.some((a) => a.status === 0));
    const before = await allDeliveries(api);
    expect(before.length).toBe(2 * LEADS_BEFORE_KILL);
    expect(before.some((d) => d.status === "DELIVERED")).toBe(false);

    // Writers still going when the process dies: their acknowledged writes must be delivered too.
    let killed = false;
    const writers = Array.from({ length: 2 }, async (_, w) => {
      for (let i = 0; !killed; i++) await record(`during-${w}-${i}@crash.example`).catch(() => undefined);
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    killed = true;
    service.child.kill("SIGKILL");
    expect(await service.exited).toBeNull();
    await Promise.all(writers);
    service = null;

    receiver.accepting = true;
    service = await startService(env);
    api = new GraphQLTestClient(service.url, adminKey);
    // The held attempt's claim is taken over once its lease (3 × the 10 s timeout) ends.
    const after = await eventually("every delivery DELIVERED", async () => {
      const rows = await allDeliveries(api);
      return rows.every((d) => d.status === "DELIVERED") ? rows : null;
    }, 120_000);

    const arrived = receiver.accepted();
    const arrivedIds = new Set(arrived.map((a) => a.eventId));
    expect(before.filter((d) => !arrivedIds.has(d.eventId))).toEqual([]);
    expect(after.filter((d) => !arrivedIds.has(d.eventId))).toEqual([]);
    // Never invented: everything that arrived is a stored delivery.
    expect(arrived.filter((a) => !after.some((d) => d.eventId === a.eventId))).toEqual([]);
    for (const leadId of acknowledged) {
      const types = arrived.filter((a) => a.leadId === leadId).map((a) => a.type);
      expect({ leadId, types }).toEqual({ leadId, types: ["LEAD_CREATED", "LEAD_SCORED"] });
    }
    const duplicates = receiver.arrivals.filter((a) => a.status === 200).length - arrived.length;
    process.stdout.write(
      `webhooks crash: ${after.length} deliveries (${acknowledged.length} acknowledged writes), all arrived; ${duplicates} duplicate receipts; ${receiver.arrivals.length} requests in all\n`,
    );
  }, 300_000);
});
