/**
 * The expiry sweeper through real time, as `npm start` runs it: its own interval, the service's
 * own pool, idle periods longer than the pool keeps an idle connection (pg closes one after 10 s
 * by default). Writes of every kind keep working after it swept. On the embedded database every
 * client connection shares one backend session (pglite-socket), so prepared statements of a
 * closed connection outlive it there: this is the test that caught it.
 */
import type { DataSource } from "typeorm";
import { openDatabase } from "../../src/database/data-source";
import { hotStatement, inTransaction } from "../../src/database/transaction";
import { createLogger } from "../../src/logger";
import { SET_LEAD_STAGE, UPSERT_LEAD } from "./helpers/documents";
import { expectEveryLeadMatchesReplay, scoringCalls } from "./helpers/scoring";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

const SECOND = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(`the expiry sweeper through real time [${testDatabase()}]`, () => {
  const s = useTestApp({ QUALIFY_EXPIRY_SWEEP_SECONDS: "12" });

  it("takes expired points out on its own, and every kind of write works after it (also after idle periods)", async () => {
    const calls = scoringCalls(s.api);
    await calls.publish(`visit "/x" => +5 expires after 1 minute\ndownload => +1`);
    const email = uniqueEmail("real-time");
    // Dated 58 s ago: counts for about 2 more seconds.
    const recorded = await calls.record({ email, type: "visit", target: "/x", occurredAt: new Date(Date.now() - 58 * SECOND).toISOString() });
    expect(recorded).toMatchObject({ pointsAwarded: 5, lead: { score: 5 } });
    const leadId = recorded.lead.id;

    // The sweeper (every 12 s: longer than the pool keeps an idle connection) takes the points
    // out within one interval of their expiry.
    const deadline = Date.now() + 30 * SECOND;
    let score = 5;
    while (score !== 0 && Date.now() < deadline) {
      await sleep(250);
      score = (await calls.explain(leadId)).score;
    }
    expect(score).toBe(0);

    // Idle for longer than the pool keeps an idle connection, then every kind of write, twice.
    for (let round = 0; round < 2; round++) {
      await sleep(11 * SECOND);
      const next = await calls.record({ leadId, type: "download" });
      expect(next).toMatchObject({ pointsAwarded: 1, lead: { score: 2 * round + 1 } });
      await calls.record({ email, type: "download", externalId: `dl-${round}`, source: "site" });
      const upserted = await s.api.request(UPSERT_LEAD, { input: { email, role: `Role ${round}` } });
      expect(upserted.errors).toBeUndefined();
      const moved = await s.api.request(SET_LEAD_STAGE, { leadId, stage: round === 0 ? "SQL" : "Lead", reason: "real time" });
      expect(moved.errors).toBeUndefined();
    }
    await expectEveryLeadMatchesReplay(s.t);
  }, 90_000);
});

describe(`a second connection beside the service's [${testDatabase()}]`, () => {
  const s = useTestApp();

  it("prepares the same hot statements without meeting the service's (one backend session when embedded)", async () => {
    const service = s.t.app.context(null);
    const url = (service.db.connection.options as { url: string }).url;
    const other: DataSource = (await openDatabase(url, 1, createLogger("silent"))).dataSource;
    try {
      const elsewhere = { ...service, db: other.manager };
      const sql = hotStatement(`SELECT $1::int * 2 AS doubled -- sweeper-real-time.spec`);
      const twice = (ctx: typeof service, n: number) =>
        inTransaction(ctx, async (tx) => ((await tx.db.query(sql, [n])) as Array<{ doubled: number }>)[0].doubled);
      // Alternately on each connection: each prepares the statement once, under a name of its own.
      expect([await twice(service, 1), await twice(elsewhere, 2), await twice(service, 3), await twice(elsewhere, 4)]).toEqual([2, 4, 6, 8]);
      // And the service's own writes go on.
      const email = uniqueEmail("second-connection");
      expect((await scoringCalls(s.api).record({ email, type: "download" })).lead.email).toBe(email);
    } finally {
      await other.destroy();
    }
  });
});
