/**
 * Concurrent GraphQL clients in a worker thread, so that making the requests does not share the
 * service's event loop (real clients are other processes). `runClients` starts the worker, which
 * sends every operation once over `clients` keep-alive connections and reports each latency.
 */
import path from "node:path";
import { performance } from "node:perf_hooks";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { postGraphQL } from "./service-http";

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
  const client = async () => {
    for (let i = next++; i < job.variables.length; i = next++) {
      const sent = performance.now();
      try {
        const result = await postGraphQL(job.url, job.key, job.query, job.variables[i]);
        if (result.errors?.length) throw new Error(JSON.stringify(result.errors[0]));
      } catch (err) {
        errors++;
        firstError ??= String(err instanceof Error ? err.message : err);
      }
      latencies[i] = performance.now() - sent;
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
