/**
 * The service's Prometheus metrics (prom-client), one registry per running service: GraphQL
 * requests by operation and outcome, their latency, the time the scoring pipeline spends in
 * process, the database pool, the expiry and rescore backlogs, and the default process metrics.
 * The README's "Metrics" section lists every name.
 *
 * What is read from elsewhere (the pool, the backlogs) is read when Prometheus scrapes, through
 * `collect` callbacks: nothing runs between scrapes, and the hot paths only `observe`. A value
 * that cannot be read (the database did not answer in time) is left out of that scrape rather
 * than reported stale or as NaN: Prometheus sees the series absent.
 */
import { performance } from "node:perf_hooks";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** The scoring pipeline's in-process work: one change (`scorer.ts`), a whole batch, a rescore batch. */
export type ScoringWork = "change" | "batch" | "rescore";

export type OperationType = "query" | "mutation" | "subscription";

/** One GraphQL request over HTTP, as answered. */
export interface RequestOutcome {
  /** The operation's name; null when none was resolved (no valid key, a malformed request) or it has none. */
  operation: string | null;
  type: OperationType | null;
  /** The codes of the answer's errors (`extensions.code`), none for a success. */
  codes: string[];
  seconds: number;
}

/** The pool behind the DataSource at one moment. */
export interface PoolUse {
  /** Connections open (idle or lent). */
  total: number;
  idle: number;
  /** Requests waiting for a connection. */
  waiting: number;
  max: number;
}

/** Work the database holds that should not wait: see `scoring/backlog.ts`. */
export interface Backlog {
  /** Seconds since the oldest expiry still counted in a score (0 when none is due). */
  expiryLagSeconds: number;
  /** Leads below the active model version (0 when no rescore is under way). */
  leadsBehind: number;
}

/** Distinct operation names kept as label values; later names are counted as `(other)`. */
export const MAX_OPERATION_LABELS = 200;
/** How long a scrape waits for the backlog query before leaving its gauges out. */
const BACKLOG_TIMEOUT_MS = 2000;

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const SCORING_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: "qualify_graphql_requests_total",
    help: "GraphQL requests over HTTP, by operation name, operation type and outcome (ok, or the code of the answer's first error)",
    labelNames: ["operation", "type", "outcome"] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: "qualify_graphql_request_duration_seconds",
    help: "Time from a GraphQL request's arrival to its answer, by operation name and type",
    labelNames: ["operation", "type"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly scoring = new Histogram({
    name: "qualify_scoring_duration_seconds",
    help: "Time the scoring pipeline spends in process (the compiled model applied, no database time): per change, per batch, per rescore batch",
    labelNames: ["work"] as const,
    buckets: SCORING_BUCKETS,
    registers: [this.registry],
  });
  private readonly executions = new Counter({
    name: "qualify_graphql_executions_total",
    help:
      "Operations over HTTP by how they ran (with QUALIFY_COMPILED_QUERIES on): compiled (graphql-jit) or graphql-js (first runs, mutations, documents too big to compile); " +
      "guard: fields (the schema checking each field's scope) or none (the caller may read every field the document names)",
    labelNames: ["executor", "guard"] as const,
    registers: [this.registry],
  });
  // Bound once: the hot path observes without hashing labels.
  private readonly executionsBy = {
    compiled: { fields: this.executions.labels("compiled", "fields"), none: this.executions.labels("compiled", "none") },
    "graphql-js": { fields: this.executions.labels("graphql-js", "fields"), none: this.executions.labels("graphql-js", "none") },
  };
  private readonly scoringOf = {
    change: this.scoring.labels("change"),
    batch: this.scoring.labels("batch"),
    rescore: this.scoring.labels("rescore"),
  };
  private readonly operations = new Set<string>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Counts and times one GraphQL request. */
  request(outcome: RequestOutcome): void {
    const operation = this.operationLabel(outcome.operation);
    const type = outcome.type ?? "unknown";
    this.requests.inc({ operation, type, outcome: outcome.codes.length === 0 ? "ok" : outcome.codes[0] });
    this.latency.observe({ operation, type }, outcome.seconds);
  }

  /** Counts one operation run by the compiled-queries executor (`app/compiled-execution.ts`), by how it ran. */
  executed(executor: "compiled" | "graphql-js", guard: "fields" | "none"): void {
    this.executionsBy[executor][guard].inc();
  }

  /** Records scoring work that started at `startedMs` (`performance.now()`). */
  scored(work: ScoringWork, startedMs: number): void {
    this.scoringOf[work].observe((performance.now() - startedMs) / 1000);
  }

  /** The pool's connections, read at each scrape. */
  watchPool(read: () => PoolUse | null): void {
    const gauge = (name: string, help: string, pick: (use: PoolUse) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const use = read();
          report(this, use && pick(use));
        },
      });
    gauge("qualify_db_pool_connections", "Connections the database pool holds open (idle or in use)", (u) => u.total);
    gauge("qualify_db_pool_idle_connections", "Open connections of the pool that are idle", (u) => u.idle);
    gauge("qualify_db_pool_waiting_requests", "Requests waiting for a connection of the pool (all are in use)", (u) => u.waiting);
    gauge("qualify_db_pool_max_connections", "The most connections the pool opens (DATABASE_POOL_SIZE; 1 on the embedded database)", (u) => u.max);
  }

  /**
   * The expiry and rescore backlogs, read from the database at each scrape (one query, shared by
   * both gauges, given up after two seconds: the gauges are then left out of the scrape).
   */
  watchBacklog(read: () => Promise<Backlog>): void {
    let pending: Promise<Backlog | null> | null = null;
    const current = (): Promise<Backlog | null> => {
      pending ??= withTimeout(read(), BACKLOG_TIMEOUT_MS).finally(() => {
        // One read per scrape: the next scrape reads again.
        setImmediate(() => (pending = null));
      });
      return pending;
    };
    const gauge = (name: string, help: string, pick: (backlog: Backlog) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          const backlog = await current();
          report(this, backlog && pick(backlog));
        },
      });
    gauge(
      "qualify_expiry_lag_seconds",
      "Seconds since the oldest award expiry that is still counted in a lead's score (0: none due; the sweeper runs every QUALIFY_EXPIRY_SWEEP_SECONDS)",
      (b) => b.expiryLagSeconds,
    );
    gauge("qualify_rescore_leads_behind", "Leads below the active model version, still to be rescored (0 outside a rescore)", (b) => b.leadsBehind);
  }

  /** A gauge read at each scrape from this process's state. */
  watch(name: string, help: string, read: () => number | null): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        report(this, read());
      },
    });
  }

  /** The text format Prometheus scrapes. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    // prom-client 15 writes NaN (an event-loop histogram before its first sample) as `Nan`; the
    // format's spelling is `NaN`, which every parser reads.
    const body = (await this.registry.metrics()).replace(/ Nan$/gm, " NaN");
    return { contentType: this.registry.contentType, body };
  }

  /** Operation names come from clients: their number is bounded, so the series stay bounded. */
  private operationLabel(name: string | null): string {
    if (name === null) return "(none)";
    const label = name.slice(0, 100);
    if (this.operations.has(label)) return label;
    if (this.operations.size >= MAX_OPERATION_LABELS) return "(other)";
    this.operations.add(label);
    return label;
  }
}

/** Sets a gauge read at scrape time, or leaves it out of this scrape when its value is not known. */
function report(gauge: Gauge, value: number | null): void {
  if (value === null) gauge.remove();
  else gauge.set(value);
}

/** `promise`'s value, or null when it fails or takes longer than `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([promise.catch(() => null), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
