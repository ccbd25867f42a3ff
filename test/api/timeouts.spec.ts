/**
 * Every wait is bounded (`src/database/timeouts.ts`, `src/database/lead-gate.ts`): a request that
 * hits a bound answers `UNAVAILABLE` (HTTP 503, `Retry-After`, `extensions.retryable`) within it,
 * and one lead whose row is held elsewhere cannot take the pool from every other lead.
 *
 * The cases that need PostgreSQL to enforce a bound run on the server only. PGlite (the embedded
 * database) enforces no `statement_timeout`, `lock_timeout` or idle-in-transaction bound (it
 * accepts the settings and ignores them), and its one session is shared by every connection, so
 * a second session holding a lead's row locked cannot exist there. The pool's wait for a
 * connection and the per-lead queue are the service's own, and run on both databases.
 */
import fs from "node:fs";
import path from "node:path";
import { Client } from "pg";
import type { QueryRunner } from "typeorm";
import { inTransaction } from "../../src/database/transaction";
import { domainErrorOf } from "../../src/errors";
import { codeOf, gql, type Response } from "./helpers/graphql-client";
import { type PayloadShape, RECORD_INTERACTION, RECORD_INTERACTIONS, SET_LEAD_STAGE, UPSERT_LEAD } from "./helpers/documents";
import { expectEveryLeadMatchesReplay, PUBLISH_MODEL } from "./helpers/scoring";

/** Settings that keep the background jobs (the time sweeper, the webhook dispatcher's poll) off the pool during a suite. */
const NO_BACKGROUND_JOBS = { QUALIFY_EXPIRY_SWEEP_SECONDS: "0", QUALIFY_WEBHOOK_POLL_MS: "60000" };
import { type SuiteApp, testDatabase, type TestApp, uniqueEmail, useTestApp } from "./helpers/test-app";

const SEED_SOURCE = fs.readFileSync(path.resolve(__dirname, "../../examples/seed-model.rules"), "utf8");
const ACTIVE_MODEL = gql<{ activeModel: { version: number } | null }>(`query { activeModel { version } }`);

const onServer = testDatabase() === "postgres";
/** Cases PostgreSQL must enforce (see the file's header). */
const describeOnServer = onServer ? describe : describe.skip;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A request's answer and how long it took, in ms. */
async function timed<T>(request: Promise<Response<T>>): Promise<Response<T> & { ms: number }> {
  const started = Date.now();
  const res = await request;
  return { ...res, ms: Date.now() - started };
}

/** The UNAVAILABLE answer, as a client sees it. */
function expectUnavailable(res: Response<unknown>, reason: string): void {
  expect({ status: res.status, retryAfter: res.headers.get("retry-after"), code: codeOf(res) }).toEqual({
    status: 503,
    retryAfter: "1",
    code: "UNAVAILABLE",
  });
  expect(res.errors![0].extensions).toMatchObject({ reason, retryable: true });
  expect(res.errors![0].message).toMatch(/retry/);
}

/** A new lead, by its email. */
async function newLead(s: SuiteApp, label: string): Promise<{ id: string; email: string }> {
  const email = uniqueEmail(label);
  const { upsertLead } = await s.api.data(UPSERT_LEAD, { input: { email } });
  return { id: upsertLead.id, email };
}

/** A client on the suite's database of its own (another session). */
async function otherSession(t: TestApp): Promise<Client> {
  if (t.config.database.kind !== "postgres") throw new Error("the test app always talks to a server (PGlite behind its socket)");
  const client = new Client({ connectionString: t.config.database.url, application_name: "timeouts-test" });
  // Dropping the suite's database at its end ends this session too.
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

/** Holds the one connection of the suite's pool until released. */
async function holdTheConnection(t: TestApp): Promise<QueryRunner> {
  const runner = t.app.context(null).db.connection.createQueryRunner();
  await runner.connect();
  return runner;
}

describeOnServer(`a lead's row locked elsewhere [${testDatabase()}]`, () => {
  const LOCK_MS = 3000;
  // The queue's own bound is long: the burst must end by the lock bound, not by it.
  const s = useTestApp({ QUALIFY_DB_LOCK_TIMEOUT_MS: String(LOCK_MS), QUALIFY_LEAD_QUEUE_TIMEOUT_MS: "20000", QUALIFY_MAX_CONNECTIONS_PER_LEAD: "2" });
  let locker: Client;

  beforeAll(async () => {
    locker = await otherSession(s.t);
  });
  afterAll(() => locker?.end());

  const lockRow = async (leadId: string) => {
    await locker.query("BEGIN");
    await locker.query("SELECT id FROM lead WHERE id = $1 FOR UPDATE", [leadId]);
  };

  it("answers a dozen writes to it UNAVAILABLE within the lock bound, while other leads and reads go on", async () => {
    const hot = await newLead(s, "hot");
    const other = await newLead(s, "other");
    await lockRow(hot.id);
    try {
      // Twelve writes of every kind to the locked lead, by id and by email.
      const burst = Array.from({ length: 12 }, (_, i) => {
        const kind = i % 4;
        if (kind === 0 || kind === 1) return timed(s.api.request(RECORD_INTERACTION, { input: { leadId: hot.id, type: "visit", target: "/pricing", externalId: `burst-${hot.id}-${i}` } }));
        if (kind === 2) return timed(s.api.request(UPSERT_LEAD, { input: { email: hot.email, role: `role ${i}` } }));
        return timed(s.api.request(SET_LEAD_STAGE, { leadId: hot.id, stage: "SQL", reason: `burst ${i}` }));
      });
      await sleep(1000);
      // Meanwhile the rest of the service answers well within the lock bound.
      const [read, write] = await Promise.all([
        timed(s.api.request(ACTIVE_MODEL)),
        timed(s.api.request(RECORD_INTERACTION, { input: { leadId: other.id, type: "visit", target: "/pricing" } })),
      ]);
      expect([read.errors, write.errors]).toEqual([undefined, undefined]);
      expect(read.ms).toBeLessThan(LOCK_MS / 2);
      expect(write.ms).toBeLessThan(LOCK_MS / 2);
      // At most two connections per key wait for the row; the others wait in memory, without one.
      const waiting = await locker.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'qualify' AND wait_event_type = 'Lock'`,
      );
      expect(waiting.rows[0].n).toBeGreaterThan(0);
      expect(waiting.rows[0].n).toBeLessThanOrEqual(4);
      expect(s.t.app.services.leadGate.load(hot.id)).toEqual({ holders: 2, waiting: 7 });
      expect(s.t.app.services.leadGate.load(hot.email)).toEqual({ holders: 2, waiting: 1 });

      const answers = await Promise.all(burst);
      const ms = answers.map((res) => res.ms).sort((a, b) => a - b);
      for (const res of answers) expectUnavailable(res, "LOCK_TIMEOUT");
      // Not retried, and not queued for another round: the first holder and everyone waiting
      // behind it within the lock bound. PostgreSQL bounds each lock a statement waits for: a
      // second waiter for the row waits for the first one's place (the tuple lock), then for the
      // holder, so the one other connection of each key may take the bound twice.
      for (const answer of ms.slice(0, -2)) expect(answer).toBeLessThan(LOCK_MS + 1500);
      for (const answer of ms.slice(-2)) expect(answer).toBeLessThan(2 * LOCK_MS + 1500);
      expect(s.t.app.services.leadGate.load(hot.id)).toEqual({ holders: 0, waiting: 0 });
    } finally {
      await locker.query("ROLLBACK");
    }

    // Released: the lead takes writes again, and nothing of the burst was half written.
    const after = await s.api.data(RECORD_INTERACTION, { input: { leadId: hot.id, type: "visit", target: "/pricing" } });
    expect(after.recordInteraction.lead).toMatchObject({ id: hot.id, score: 15 });
    const { rows } = await locker.query(`SELECT count(*)::int AS n FROM interaction WHERE lead_id = $1`, [hot.id]);
    expect(rows[0].n).toBe(1);
    const moves = await locker.query(`SELECT count(*)::int AS n FROM stage_transition WHERE lead_id = $1 AND cause = 'MANUAL'`, [hot.id]);
    expect(moves.rows[0].n).toBe(0);
    await expectEveryLeadMatchesReplay(s.t);
  });

  it("records a batch's other leads and fails the locked lead's items, waiting for its lock once", async () => {
    const hot = await newLead(s, "hot-batch");
    const other = await newLead(s, "other-batch");
    await lockRow(hot.id);
    let res: Response<{ recordInteractions: Array<PayloadShape | null> }> & { ms: number };
    try {
      res = await timed(
        s.api.request(RECORD_INTERACTIONS, {
          inputs: [
            { leadId: hot.id, type: "visit", target: "/pricing" },
            { leadId: other.id, type: "visit", target: "/pricing" },
            { email: hot.email, type: "download" },
            { leadId: hot.id, type: "download" },
            { leadId: hot.id, type: "demo_request" },
            { leadId: other.id, type: "download" },
          ],
        }),
      );
    } finally {
      await locker.query("ROLLBACK");
    }
    // The batch waits once, then item by item: the locked lead's first item (by id, and by email) once each.
    expect(res.ms).toBeLessThan(4 * LOCK_MS);
    expect(res.status).toBe(200);
    const items = res.data!.recordInteractions;
    expect(items.map((item) => item?.lead.id ?? null)).toEqual([null, other.id, null, null, null, other.id]);
    const failed = (res.errors ?? []).map((e) => ({ path: e.path, code: e.extensions?.code, reason: e.extensions?.reason }));
    expect(failed).toEqual(
      [0, 2, 3, 4].map((i) => ({ path: ["recordInteractions", i], code: "UNAVAILABLE", reason: "LOCK_TIMEOUT" })),
    );
    await expectEveryLeadMatchesReplay(s.t);
  });
});

describeOnServer(`a statement that takes too long [${testDatabase()}]`, () => {
  const STATEMENT_MS = 1000;
  const s = useTestApp({
    QUALIFY_DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_MS),
    QUALIFY_DB_LOCK_TIMEOUT_MS: "500",
    QUALIFY_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: "1000",
    QUALIFY_DB_BULK_STATEMENT_TIMEOUT_MS: "20000",
  });
  let admin: Client;

  beforeAll(async () => {
    admin = await otherSession(s.t);
    // An artificially slow path: recording an interaction of type `slow_path` takes 3 s; and while
    // `slow_rescore` has a row, every statement inserting ledger rows takes 1.5 s.
    await admin.query(`
      CREATE TABLE slow_rescore (on_ boolean);
      CREATE FUNCTION slow_interaction() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.type = 'slow_path' THEN PERFORM pg_sleep(3); END IF; RETURN NEW; END $$;
      CREATE TRIGGER slow_interaction BEFORE INSERT ON interaction FOR EACH ROW EXECUTE FUNCTION slow_interaction();
      CREATE FUNCTION slow_awards() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF EXISTS (SELECT 1 FROM slow_rescore) THEN PERFORM pg_sleep(1.5); END IF; RETURN NULL; END $$;
      CREATE TRIGGER slow_awards AFTER INSERT ON score_award FOR EACH STATEMENT EXECUTE FUNCTION slow_awards();`);
  });
  afterAll(() => admin?.end());

  it("answers UNAVAILABLE at the statement bound, and writes nothing", async () => {
    const lead = await newLead(s, "slow");
    const res = await timed(s.api.request(RECORD_INTERACTION, { input: { leadId: lead.id, type: "slow_path" } }));
    expectUnavailable(res, "STATEMENT_TIMEOUT");
    expect(res.ms).toBeLessThan(STATEMENT_MS + 1500);
    const ok = await s.api.data(RECORD_INTERACTION, { input: { leadId: lead.id, type: "visit", target: "/pricing" } });
    expect(ok.recordInteraction.lead.score).toBe(15);
    const { rows } = await admin.query(`SELECT type FROM interaction WHERE lead_id = $1`, [lead.id]);
    expect(rows).toEqual([{ type: "visit" }]);
  });

  it("does not call a cancel by someone else a timeout", async () => {
    const lead = await newLead(s, "cancelled");
    const pending = s.api.request(RECORD_INTERACTION, { input: { leadId: lead.id, type: "slow_path" } });
    // An operator cancels the statement (pg_cancel_backend) while it runs, before its bound.
    let cancelled = false;
    for (let tries = 0; !cancelled && tries < 40; tries++) {
      await sleep(20);
      const { rows } = await admin.query(
        `SELECT pg_cancel_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'qualify' AND wait_event = 'PgSleep'`,
      );
      cancelled = rows.some((r) => r.ok);
    }
    expect(cancelled).toBe(true);
    const res = await pending;
    expect(codeOf(res)).toBe("INTERNAL_SERVER_ERROR");
    expect(res.status).not.toBe(503);
  });

  it("gives a publish's rescore batches the bulk bound", async () => {
    const leads = await Promise.all([newLead(s, "bulk-a"), newLead(s, "bulk-b")]);
    await s.api.data(RECORD_INTERACTION, { input: { leadId: leads[0].id, type: "visit", target: "/pricing" } });
    const { activeModel } = await s.api.data(ACTIVE_MODEL);
    await admin.query(`INSERT INTO slow_rescore VALUES (true)`);
    try {
      // Each batch's ledger statement takes 1.5 s, past the statement bound of requests.
      const res = await s.api.request(PUBLISH_MODEL, { source: SEED_SOURCE.replace(/\+15\b/, "+20") });
      expect(res.errors).toBeUndefined();
      expect(res.data!.publishModel.model.version).toBe(activeModel!.version + 1);
      expect(res.data!.publishModel.leadsRescored).toBeGreaterThanOrEqual(2);
    } finally {
      await admin.query(`DELETE FROM slow_rescore`);
    }
    await expectEveryLeadMatchesReplay(s.t);
  });

  it("reports a transaction the server ended for idling as UNAVAILABLE, and the pool goes on", async () => {
    const ctx = s.t.app.context(null);
    const failure = await inTransaction(ctx, async (tx) => {
      await tx.db.query("SELECT 1");
      await sleep(2000);
      await tx.db.query("SELECT 1");
    }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(domainErrorOf(failure)?.details.reason).toBe("IDLE_IN_TRANSACTION_TIMEOUT");
    const { activeModel } = await s.api.data(ACTIVE_MODEL);
    expect(activeModel?.version).toBeGreaterThan(0);
  });
});

describe(`waiting for a connection [${testDatabase()}]`, () => {
  const ACQUIRE_MS = 1000;
  // One connection (the embedded database always has one).
  // The pool's one connection is the requests' alone: no background job (the sweeper, the webhook
  // dispatcher's poll) queues for it.
  const s = useTestApp({ DATABASE_POOL_SIZE: "1", QUALIFY_DB_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_MS), ...NO_BACKGROUND_JOBS });

  it("answers UNAVAILABLE when no connection comes free in time, then serves again", async () => {
    const lead = await newLead(s, "acquire");
    const reader = await s.t.client(["read"]);
    const runner = await holdTheConnection(s.t);
    try {
      const answers = await Promise.all([
        timed(s.api.request(ACTIVE_MODEL)),
        timed(s.api.request(RECORD_INTERACTION, { input: { leadId: lead.id, type: "visit", target: "/pricing" } })),
        // A key not yet verified needs the database before any resolver runs.
        timed(reader.request(ACTIVE_MODEL)),
      ]);
      for (const res of answers) {
        expectUnavailable(res, "ACQUIRE_TIMEOUT");
        expect(res.ms).toBeGreaterThanOrEqual(ACQUIRE_MS - 50);
        expect(res.ms).toBeLessThan(ACQUIRE_MS + 1500);
      }
    } finally {
      await runner.release();
    }
    expect((await reader.data(ACTIVE_MODEL)).activeModel?.version).toBeGreaterThan(0);
    const ok = await s.api.data(RECORD_INTERACTION, { input: { leadId: lead.id, type: "visit", target: "/pricing" } });
    expect(ok.recordInteraction.lead.score).toBe(15);
  });
});

describe(`one lead's queue [${testDatabase()}]`, () => {
  const ACQUIRE_MS = 1500;
  const QUEUE_MS = 600;
  const s = useTestApp({
    DATABASE_POOL_SIZE: "1",
    QUALIFY_DB_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_MS),
    ...NO_BACKGROUND_JOBS,
    QUALIFY_MAX_CONNECTIONS_PER_LEAD: "2",
    QUALIFY_LEAD_QUEUE_LENGTH: "3",
    QUALIFY_LEAD_QUEUE_TIMEOUT_MS: String(QUEUE_MS),
  });

  it("is bounded in length and in time, and forgets the lead once it is served", async () => {
    const lead = await newLead(s, "queued");
    // The pool's one connection is busy: two requests for the lead wait for it, three wait in memory.
    const runner = await holdTheConnection(s.t);
    let answers: Array<Response<unknown> & { ms: number }>;
    try {
      const requests = Array.from({ length: 8 }, (_, i) =>
        timed(s.api.request(RECORD_INTERACTION, { input: { leadId: lead.id, type: "visit", target: "/pricing", externalId: `queued-${lead.id}-${i}` } })),
      );
      await sleep(200);
      expect(s.t.app.services.leadGate.load(lead.id)).toEqual({ holders: 2, waiting: 3 });
      answers = await Promise.all(requests);
    } finally {
      await runner.release();
    }
    for (const res of answers) expect(codeOf(res)).toBe("UNAVAILABLE");
    const byReason = (reason: string) => answers.filter((res) => res.errors![0].extensions!.reason === reason);
    const busy = byReason("LEAD_BUSY").map((res) => res.ms).sort((a, b) => a - b);
    // Three refused at once (the queue was full), three after waiting their bound in it.
    expect(busy).toHaveLength(6);
    for (const ms of busy.slice(0, 3)) expect(ms).toBeLessThan(QUEUE_MS / 2);
    for (const ms of busy.slice(3)) {
      expect(ms).toBeGreaterThanOrEqual(QUEUE_MS - 50);
      expect(ms).toBeLessThan(QUEUE_MS + 1000);
    }
    // The two holding the lead's slots waited for the pool instead.
    expect(byReason("ACQUIRE_TIMEOUT")).toHaveLength(2);
    expect(s.t.app.services.leadGate.load(lead.id)).toEqual({ holders: 0, waiting: 0 });
    const ok = await s.api.data(RECORD_INTERACTION, { input: { leadId: lead.id, type: "visit", target: "/pricing" } });
    expect(ok.recordInteraction.lead.score).toBe(15);
  });
});
