/**
 * A real HTTP receiver for webhook tests, on 127.0.0.1 and a random port. Each path answers as
 * the test says (`respond`: a status per request; 200 by default), and every request is kept
 * (headers, the exact body) in arrival order.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: { id: string; type: string; occurredAt: string; data: Record<string, unknown> & { lead: Record<string, unknown> } };
  status: number;
}

export class WebhookReceiver {
  readonly received: Received[] = [];
  private readonly behaviours = new Map<string, (request: { path: string; body: string; count: number }) => number>();
  private readonly counts = new Map<string, number>();
  private server!: http.Server;
  url = "";

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    receiver.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const path = (req.url ?? "/").split("?")[0];
        const count = (receiver.counts.get(path) ?? 0) + 1;
        receiver.counts.set(path, count);
        const status = receiver.behaviours.get(path)?.({ path, body, count }) ?? 200;
        receiver.received.push({ path, headers: req.headers, body, json: JSON.parse(body || "null"), status });
        res.writeHead(status, { "Content-Type": "text/plain" }).end(status >= 200 && status < 300 ? "ok" : "no");
      });
    });
    await new Promise<void>((resolve) => receiver.server.listen(0, "127.0.0.1", resolve));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
    return receiver;
  }

  /** How `path` answers from now on. */
  respond(path: string, behaviour: (request: { path: string; body: string; count: number }) => number): void {
    this.behaviours.set(path, behaviour);
  }

  /** The requests to `path` answered 2xx. */
  accepted(path: string): Received[] {
    return this.received.filter((r) => r.path === path && r.status >= 200 && r.status < 300);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Waits until `check` returns something truthy (polling; fails after `timeoutMs` with `what`). */
export async function eventually<T>(what: string, check: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits until `remaining` returns 0, for as long as it keeps falling: fails only when it has not
 * fallen for `stallMs` (a busy machine delivers slower, not never), with `state()` in the error
 * to say where the deliveries stand.
 */
export async function drained(what: string, remaining: () => number | Promise<number>, state: () => Promise<string>, stallMs = 20_000): Promise<void> {
  let least = Infinity;
  let progressAt = Date.now();
  for (;;) {
    const left = await remaining();
    if (left <= 0) return;
    if (left < least) {
      least = left;
      progressAt = Date.now();
    } else if (Date.now() - progressAt > stallMs) {
      throw new Error(`timed out waiting for ${what}: ${left} left, none for ${stallMs / 1000} s; ${await state()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
