/**
 * Section (g): ingestion with a webhook. `recordInteraction` over HTTP as in (a) (16 concurrent
 * clients, fresh leads) with one webhook subscribed to `LEAD_SCORED` and a receiver on localhost
 * (in a worker thread, as a separate receiver would be), against the same load with the webhook
 * inactive, in the same app: the two take turns (ABBA), so that both meet the machine alike.
 * The delivery lag is from the event's transaction (`webhook_delivery.created_at`: its start,
 * so the figure includes the transaction's own length) to the receiver's receipt.
 */
import { Worker } from "node:worker_threads";
import type { Pool } from "pg";
import { runClients } from "./service-clients";
import type { BenchApp } from "./service-env";
import { alternate, CLIENTS, RECORD, slices } from "./service-ingest";
import { createLeads, generateWork, inputOf, type SchemaShape, type WorkItem } from "./service-workload";
import { type Comparison, fmtInt, fmtMs, fmtRatio, out, percentile } from "./table";

/** The settings the section's app runs with: a receiver on 127.0.0.1 must be allowed. */
export const WEBHOOK_BENCH_SETTINGS = { QUALIFY_WEBHOOK_ALLOW_PRIVATE: "true" };
const ROUNDS = 4;
const TARGET_RATE = 0.8;

/** The receiver's worker: answers 204 and reports `[eventId, receivedAtMs]` pairs every 50 ms. */
const RECEIVER = `
const http = require("node:http");
const { parentPort } = require("node:worker_threads");
let batch = [];
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    batch.push([String(req.headers["qualify-event-id"]), Date.now()]);
    res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => parentPort.postMessage({ port: server.address().port }));
const flush = setInterval(() => { if (batch.length) { parentPort.postMessage({ receipts: batch }); batch = []; } }, 50);
parentPort.on("message", (m) => { if (m === "stop") { clearInterval(flush); parentPort.postMessage({ receipts: batch, stopped: true }); server.close(); server.closeAllConnections(); } });
`;

class Receiver {
  /** Receipt time (ms since the epoch) of each event id, the first receipt. */
  readonly receipts = new Map<string, number>();
  private constructor(
    private readonly worker: Worker,
    readonly url: string,
  ) {}

  static start(): Promise<Receiver> {
    const worker = new Worker(RECEIVER, { eval: true });
    return new Promise((resolve, reject) => {
      worker.once("error", reject);
      worker.once("message", (m: { port: number }) => {
        const receiver = new Receiver(worker, `http://127.0.0.1:${m.port}/hook`);
        worker.on("message", (msg: { receipts?: Array<[string, number]> }) => {
          for (const [id, at] of msg.receipts ?? []) if (!receiver.receipts.has(id)) receiver.receipts.set(id, at);
        });
        resolve(receiver);
      });
    });
  }

  async stop(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.worker.on("message", (m: { stopped?: boolean }) => m.stopped && resolve()));
    this.worker.postMessage("stop");
    await stopped;
    await this.worker.terminate();
  }
}

const WEBHOOK_INPUT = (url: string, active: boolean) => ({ url, events: ["LEAD_SCORED"], active, description: "bench (g)" });
const CREATE = `mutation ($input: WebhookInput!) { createWebhook(input: $input) { webhook { id } } }`;
const UPDATE = `mutation ($id: ID!, $input: WebhookInput!) { updateWebhook(id: $id, input: $input) { id } }`;

/** Waits until no delivery of `webhookId` is pending; resolves with the ms it took. */
async function drained(pool: Pool, webhookId: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM webhook_delivery WHERE webhook_id = $1 AND status = 'PENDING'`, [webhookId]);
    if (rows[0].n === 0) return Date.now() - started;
    if (Date.now() - started > 120_000) throw new Error(`(g): ${rows[0].n} deliveries still pending after 2 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function benchWebhooks(app: BenchApp, pool: Pool, shape: SchemaShape, scale: number): Promise<Comparison[]> {
  const count = Math.max(CLIENTS * 4, Math.round(4000 * scale));
  const leads = Math.max(CLIENTS, Math.round(1000 * scale));
  const warm = Math.max(CLIENTS * 2, Math.round(count / 2));
  const start = new Date(Date.now() - 3_600_000);
  const rounds = slices(generateWork(count, leads, 5, start, "g"), Math.ceil(count / ROUNDS));
  const warmWork = generateWork(warm, leads, 6, start, "g-warm");
  out(`(g) recordInteraction over HTTP as in (a), with one webhook on LEAD_SCORED and a receiver on localhost (a worker thread)`);
  out(`    baseline: the same load with the webhook inactive, in the same app; ${fmtInt(count)} interactions of ${fmtInt(leads)} fresh leads each side`);
  out(`    both sides first record ${fmtInt(warm)} interactions (warm-up, the webhook on), then take turns: ${rounds.length} rounds each`);

  const receiver = await Receiver.start();
  try {
    const { createWebhook } = await app.request<{ createWebhook: { webhook: { id: string } } }>(CREATE, { input: WEBHOOK_INPUT(receiver.url, true) });
    const webhookId = createWebhook.webhook.id;
    const setActive = (active: boolean) => app.request(UPDATE, { id: webhookId, input: WEBHOOK_INPUT(receiver.url, active) });
    const [withLeads, withoutLeads, warmLeads] = [
      await createLeads(pool, shape, leads, "g-webhook"),
      await createLeads(pool, shape, leads, "g-plain"),
      await createLeads(pool, shape, leads, "g-warm"),
    ];
    const run = async (items: WorkItem[], ids: string[]) => {
      const result = await runClients({ url: app.url, key: app.key, query: RECORD, variables: items.map((item) => ({ input: inputOf(item, ids) })), clients: CLIENTS });
      if (result.errors > 0) throw new Error(`(g): ${result.errors} requests failed; the first: ${result.firstError}`);
      return result.elapsedMs;
    };
    await run(warmWork, warmLeads);
    await drained(pool, webhookId);
    receiver.receipts.clear();

    let withMs = 0;
    let withoutMs = 0;
    const drains: number[] = [];
    await alternate(
      rounds.length,
      async (n) => {
        await setActive(true);
        withMs += await run(rounds[n], withLeads);
        // The deliveries left at the round's end are sent before the other side's turn, so that they
        // do not slow it (an inactive webhook's pending deliveries wait: drain first).
        drains.push(await drained(pool, webhookId));
        await setActive(false);
      },
      async (n) => {
        withoutMs += await run(rounds[n], withoutLeads);
      },
    );

    const { rows } = await pool.query<{ event_id: string; created: string; status: string }>(
      `SELECT d.event_id, (extract(epoch FROM d.created_at) * 1000)::float8 AS created, d.status
         FROM webhook_delivery d JOIN lead l ON l.id = d.lead_id
        WHERE d.webhook_id = $1 AND l.id = ANY($2::uuid[])`,
      [webhookId, withLeads],
    );
    const lags = rows.map((r) => (receiver.receipts.get(r.event_id) ?? Number.NaN) - Number(r.created));
    const missing = lags.filter((lag) => Number.isNaN(lag)).length;
    out(
      `    ${fmtInt(rows.length)} deliveries stored for the webhook's side, ${fmtInt(rows.length - missing)} received${missing ? ` (${missing} NOT RECEIVED)` : ""}; ` +
        `left pending at a round's end drained in ${drains.map((ms) => `${fmtInt(ms)} ms`).join(", ")}`,
    );
    const received = lags.filter((lag) => !Number.isNaN(lag));
    const product = count / (withMs / 1000);
    const baseline = count / (withoutMs / 1000);
    const lag = (p: number): Comparison => ({ figure: `delivery lag p${p}`, product: fmtMs(percentile(received, p)), baseline: "", ratio: "", target: "", met: null });
    return [
      { figure: "interactions/s", product: fmtInt(product), baseline: fmtInt(baseline), ratio: fmtRatio(product / baseline), target: `≥ ${TARGET_RATE}×`, met: product / baseline >= TARGET_RATE },
      lag(50),
      lag(99),
      { figure: "deliveries lost", product: fmtInt(missing), baseline: "", ratio: "", target: "0", met: missing === 0 },
    ];
  } finally {
    await receiver.stop();
  }
}
