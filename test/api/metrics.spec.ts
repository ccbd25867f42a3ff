/**
 * `/metrics` as Prometheus scrapes it, from the real service over real HTTP: the text format
 * (read strictly), requests counted by operation and outcome and timed, scoring time, the pool,
 * the expiry lag and the rescore backlog (through real time), the process metrics; the settings
 * that move the endpoint to a port of its own or turn it off.
 */
import net from "node:net";
import { AwardColumns } from "../../src/scoring/ledger-writer";
import { FUNNEL, RECORD_INTERACTION, RECORD_INTERACTIONS } from "./helpers/documents";
import { gql } from "./helpers/graphql-client";
import { type Exposition, scrape } from "./helpers/prometheus";
import { PUBLISH_MODEL, scoringCalls } from "./helpers/scoring";
import { startTestApp, testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

const SECOND = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const REQUESTS = "qualify_graphql_requests_total";
const LATENCY_COUNT = "qualify_graphql_request_duration_seconds_count";
const SCORING_COUNT = "qualify_scoring_duration_seconds_count";

/** A sample's value, 0 when the series does not exist yet (a counter that never moved). */
const valueOf = (exposition: Exposition, name: string, labels: Record<string, string>) => exposition.value(name, labels) ?? 0;

describe(`/metrics [${testDatabase()}]`, () => {
  // No sweeper of its own: the test decides when expired points are swept.
  const s = useTestApp({ QUALIFY_EXPIRY_SWEEP_SECONDS: "0" });

  it("counts and times GraphQL requests by operation name, type and outcome", async () => {
    const url = s.t.app.metricsUrl as string;
    expect(url).toBe(s.t.app.url.replace(/\/graphql$/, "/metrics"));
    const before = await scrape(url);
    const email = uniqueEmail("metrics");
    for (const target of ["/a", "/b", "/c"]) await s.api.data(RECORD_INTERACTION, { input: { email, type: "visit", target } });
    const invalid = await s.api.request(RECORD_INTERACTION, { input: { email: "not-an-email", type: "visit" } });
    expect(invalid.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    await s.api.data(RECORD_INTERACTIONS, { inputs: [{ email, type: "download" }, { email, type: "download" }] });
    await s.api.data(FUNNEL, {});
    await s.api.data(gql<{ funnel: unknown[] }>(`{ funnel { stage } }`));
    expect((await s.api.as(null).request(FUNNEL, {})).status).toBe(401);
    const after = await scrape(url);

    const moved = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(after.types.get(REQUESTS)).toBe("counter");
    expect(moved(REQUESTS, { operation: "Record", type: "mutation", outcome: "ok" })).toBe(3);
    expect(moved(REQUESTS, { operation: "Record", type: "mutation", outcome: "BAD_USER_INPUT" })).toBe(1);
    expect(moved(REQUESTS, { operation: "RecordMany", type: "mutation", outcome: "ok" })).toBe(1);
    expect(moved(REQUESTS, { operation: "Funnel", type: "query", outcome: "ok" })).toBe(1);
    // An operation without a name, and a request refused before any operation was resolved.
    expect(moved(REQUESTS, { operation: "(none)", type: "query", outcome: "ok" })).toBe(1);
    expect(moved(REQUESTS, { operation: "(none)", type: "unknown", outcome: "UNAUTHENTICATED" })).toBe(1);

    expect(after.types.get("qualify_graphql_request_duration_seconds")).toBe("histogram");
    expect(moved(LATENCY_COUNT, { operation: "Record", type: "mutation" })).toBe(4);
    const inf = after.value("qualify_graphql_request_duration_seconds_bucket", { operation: "Record", type: "mutation", le: "+Inf" });
    expect(inf).toBe(after.value(LATENCY_COUNT, { operation: "Record", type: "mutation" }));
    expect(after.value("qualify_graphql_request_duration_seconds_sum", { operation: "Record", type: "mutation" })).toBeGreaterThan(0);

    // Three single changes scored (the invalid one never reached the scorer), one batch.
    expect(moved(SCORING_COUNT, { work: "change" })).toBe(3);
    expect(moved(SCORING_COUNT, { work: "batch" })).toBe(1);
  });

  it("shows the database pool, and the process's own metrics", async () => {
    const exposition = await scrape(s.t.app.metricsUrl as string);
    // The embedded database is one backend session: one connection, kept.
    expect(exposition.value("qualify_db_pool_max_connections")).toBe(s.t.database === "embedded" ? 1 : 10);
    const open = exposition.value("qualify_db_pool_connections") as number;
    expect(open).toBeGreaterThanOrEqual(1);
    expect(open).toBeLessThanOrEqual(exposition.value("qualify_db_pool_max_connections") as number);
    expect(exposition.value("qualify_db_pool_idle_connections")).toBeGreaterThanOrEqual(0);
    expect(exposition.value("qualify_db_pool_waiting_requests")).toBe(0);
    expect(exposition.value("process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(exposition.value("nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
  });

  it("shows how long expired points have been waiting for the sweeper, through real time", async () => {
    const url = s.t.app.metricsUrl as string;
    const calls = scoringCalls(s.api);
    await calls.publish(`visit "/expiring" => +5 expires after 1 minute\ndownload => +1`);
    const dueAt = Date.now() + 4 * SECOND;
    await calls.record({ email: uniqueEmail("expiry-lag"), type: "visit", target: "/expiring", occurredAt: new Date(dueAt - 60 * SECOND).toISOString() });
    const early = await scrape(url);
    // (Only when the machine answered before the points were due.)
    if (Date.now() < dueAt) expect(early.value("qualify_expiry_lag_seconds")).toBe(0);

    await sleep(dueAt + 2.5 * SECOND - Date.now());
    const waiting = await scrape(url);
    const lag = waiting.value("qualify_expiry_lag_seconds") as number;
    expect(lag).toBeGreaterThanOrEqual(2);
    expect(lag).toBeLessThanOrEqual((Date.now() - dueAt) / 1000 + 1);
    // No sweep yet in this process: no value (rather than a made-up one).
    expect(waiting.value("qualify_expiry_last_sweep_timestamp_seconds")).toBeUndefined();

    await s.t.app.services.sweeper.sweepOnce();
    const swept = await scrape(url);
    expect(swept.value("qualify_expiry_lag_seconds")).toBe(0);
    expect(Math.abs((swept.value("qualify_expiry_last_sweep_timestamp_seconds") as number) - Date.now() / 1000)).toBeLessThan(30);
  }, 60_000);

  it("shows the leads still to be rescored to the active model, until the background rescore has them", async () => {
    const url = s.t.app.metricsUrl as string;
    expect((await scrape(url)).value("qualify_rescore_leads_behind")).toBe(0);
    const db = s.t.app.context(null).db;
    const [{ leads }]: Array<{ leads: number }> = await db.query(`SELECT count(*)::int AS leads FROM lead`);
    expect(leads).toBeGreaterThan(0);
    // Every rescore batch fails (as with a lost connection) until the fault is lifted.
    const failing = jest.spyOn(AwardColumns.prototype, "insertSql").mockImplementation(() => {
      throw new Error("connection lost");
    });
    try {
      const published = await s.api.request(PUBLISH_MODEL, { source: `visit => +2\ndownload => +3` });
      expect(published.errors?.[0].extensions?.code).toBe("RESCORE_INCOMPLETE");
      expect((await scrape(url)).value("qualify_rescore_leads_behind")).toBe(leads);
    } finally {
      failing.mockRestore();
    }
    // The background rescore tries again (after 1 s, 2 s…) and the gauge follows it down.
    const deadline = Date.now() + 30 * SECOND;
    let behind = leads;
    while (behind !== 0 && Date.now() < deadline) {
      await sleep(200);
      behind = (await scrape(url)).value("qualify_rescore_leads_behind") as number;
    }
    expect(behind).toBe(0);
    expect((await scrape(url)).value(SCORING_COUNT, { work: "rescore" })).toBeGreaterThan(0);
  }, 60_000);
});

describe(`/metrics settings [${testDatabase()}]`, () => {
  it("QUALIFY_METRICS_PORT serves them on a port of their own (not on the API's); QUALIFY_METRICS=off not at all", async () => {
    const own = await startTestApp({ QUALIFY_METRICS_PORT: "0" });
    try {
      const url = own.app.metricsUrl as string;
      expect(new URL(url).port).not.toBe(String(own.app.port));
      expect((await scrape(url)).types.get(REQUESTS)).toBe("counter");
      expect((await fetch(own.app.url.replace(/\/graphql$/, "/metrics"))).status).toBe(404);
    } finally {
      await own.close();
    }
    const off = await startTestApp({ QUALIFY_METRICS: "off" });
    try {
      expect(off.app.metricsUrl).toBeNull();
      expect((await fetch(off.app.url.replace(/\/graphql$/, "/metrics"))).status).toBe(404);
    } finally {
      await off.close();
    }
  });

  it("a metrics port already taken stops the start with the reason (it does not hang)", async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as net.AddressInfo;
    try {
      await expect(startTestApp({ QUALIFY_METRICS_PORT: String(port) })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
