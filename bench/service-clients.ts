/**
 * Concurrent GraphQL clients in a worker thread, so that making the requests does not share the
 * service's event loop (real clients are other processes). `runClients` starts the worker, which
 * sends every operation once over `clients` keep-alive connections and reports each latency.
 *
 * Each client is a minimal HTTP/1.1 keep-alive connection (like wrk's): the request is written as
 * it goes on the wire and the response read by its Content-Length. On a machine of two cores the
 * load generator shares the CPU with the service and the database; node's full HTTP client cost
 * about a fifth of the service's own time per request, which is not the service's.
 */
import net from "node:net";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import type { GraphQLResult } from "./service-http";

const HEADER_END = Buffer.from("\r\n\r\n");

/** One keep-alive connection to the service: one request at a time. */
class Connection {
  private readonly socket: net.Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (body: string) => void; reject: (err: Error) => void } | null = null;
  private readonly head: string;

  constructor(url: URL, key: string) {
    this.socket = net.connect(Number(url.port), url.hostname);
    this.socket.setNoDelay(true);
    this.head = `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nAuthorization: Bearer ${key}\r\nContent-Length: `;
    this.socket.on("data", (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      this.answer();
    });
    const fail = (err: Error) => {
      this.waiting?.reject(err);
      this.waiting = null;
    };
    this.socket.on("error", fail);
    this.socket.on("close", () => fail(new Error("the service closed the connection")));
  }

  /** POSTs `body` (JSON); resolves with the response body. */
  post(body: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(`${this.head}${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
  }

  /** Answers the request in flight once its whole response is in. */
  private answer(): void {
    const end = this.buffered.indexOf(HEADER_END);
    if (end < 0 || !this.waiting) return;
    const head = this.buffered.toString("latin1", 0, end);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    const status = Number(head.slice(9, 12));
    if (!length) {
      this.waiting.reject(new Error(`HTTP ${status} without a Content-Length`));
      this.waiting = null;
      return;
    }
    const total = end + HEADER_END.length + Number(length[1]);
    if (this.buffered.length < total) return;
    const body = this.buffered.toString("utf8", end + HEADER_END.length, total);
    this.buffered = this.buffered.subarray(total);
    const { resolve, reject } = this.waiting;
    this.waiting = null;
    if (status >= 500) reject(new Error(`HTTP ${status}: ${body.slice(0, 200)}`));
    else resolve(body);
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface ClientsJob {
  url: string;
  key: string;
  query: string;
  /** One operation per entry, sent in order by whichever client is free. */
  variables: Array<Record<string, unknown>>;
  clients: number;
}

export interface ClientsResult {
  elapsedMs: number;
  /** Per operation, in milliseconds from sending to the whole response. */
  latencies: number[];
  errors: number;
  firstError: string | null;
}

async function work(job: ClientsJob): Promise<ClientsResult> {
  const latencies: number[] = new Array(job.variables.length).fill(0);
  let next = 0;
  let errors = 0;
  let firstError: string | null = null;
  const started = performance.now();
  const url = new URL(job.url);
  const client = async () => {
    const connection = new Connection(url, job.key);
    try {
      for (let i = next++; i < job.variables.length; i = next++) {
        const sent = performance.now();
        try {
          const result = JSON.parse(await connection.post(JSON.stringify({ query: job.query, variables: job.variables[i] }))) as GraphQLResult<unknown>;
          if (result.errors?.length) throw new Error(JSON.stringify(result.errors[0]));
        } catch (err) {
          errors++;
          firstError ??= String(err instanceof Error ? err.message : err);
        }
        latencies[i] = performance.now() - sent;
      }
    } finally {
      connection.close();
    }
  };
  await Promise.all(Array.from({ length: job.clients }, client));
  return { elapsedMs: performance.now() - started, latencies, errors, firstError };
}

/** Runs `job` in a worker thread and resolves with its measurements. */
export function runClients(job: ClientsJob): Promise<ClientsResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, "service-clients.js"), { workerData: job });
    worker.once("message", (result: ClientsResult) => {
      resolve(result);
      // Its keep-alive sockets would keep it running.
      void worker.terminate();
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the client worker exited with ${code} before reporting`)));
  });
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  work(workerData as ClientsJob).then(
    (result) => port.postMessage(result),
    (err: unknown) => {
      throw err;
    },
  );
}
