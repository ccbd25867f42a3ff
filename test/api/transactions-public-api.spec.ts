/**
 * The documented fallback, QUALIFY_DB_PIPELINING=false: units of work run through TypeORM's public
 * transaction API (transaction.ts, "public" mode), with no driver internal. Every write path of the
 * API still behaves, over HTTP: one interaction by email and by lead id, concurrent duplicates, a
 * batch with an invalid item, a profile change, a manual stage move, a publish that rescores; and
 * every lead ends equal to its replay.
 */
import fs from "node:fs";
import path from "node:path";
import { codeOf } from "./helpers/graphql-client";
import { type InteractionInputVars, RECORD_INTERACTION, RECORD_INTERACTIONS, SET_LEAD_STAGE, UPSERT_LEAD } from "./helpers/documents";
import { expectEveryLeadMatchesReplay, scoringCalls } from "./helpers/scoring";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

const SEED_SOURCE = fs.readFileSync(path.resolve(__dirname, "../../examples/seed-model.rules"), "utf8");

/** Statements that open or end a transaction, as they reach the SQL log. */
const TRANSACTION_CONTROL = /^\s*(BEGIN|START TRANSACTION|COMMIT|ROLLBACK)\b/i;

describe(`transactions through TypeORM's public API (QUALIFY_DB_PIPELINING=false) [${testDatabase()}]`, () => {
  const s = useTestApp({ QUALIFY_DB_PIPELINING: "false" });

  const record = (input: InteractionInputVars) => scoringCalls(s.api).record(input);
  const explain = (id: string) => scoringCalls(s.api).explain(id);
  const countRows = async (sql: string, params: unknown[]) => Number((await s.t.app.context(null).db.query(sql, params))[0].n);

  /** The transaction-control statements the service logs while `work` runs. */
  const transactionControl = async (work: () => Promise<unknown>): Promise<string[]> => {
    const logger = s.t.app.context(null).db.connection.logger;
    const logQuery = jest.spyOn(logger, "logQuery");
    try {
      await work();
      return logQuery.mock.calls.flatMap(([query]) => TRANSACTION_CONTROL.exec(query)?.[1].toUpperCase() ?? []);
    } finally {
      logQuery.mockRestore();
    }
  };

  it("runs units of work with TypeORM's START TRANSACTION and COMMIT, never the pipeline's BEGIN", async () => {
    const email = uniqueEmail("mode");
    const statements = await transactionControl(async () => {
      await record({ email, type: "download" });
      await s.api.data(UPSERT_LEAD, { input: { email, firstName: "Mode" } });
    });
    // Pipelined, a unit sends `BEGIN` (with its first statement) and no START TRANSACTION.
    expect(statements).not.toContain("BEGIN");
    expect(statements.filter((q) => q === "START TRANSACTION").length).toBeGreaterThanOrEqual(2);
    expect(statements.filter((q) => q === "COMMIT").length).toBeGreaterThanOrEqual(2);
  });

  it("recordInteraction by email and by lead id scores each interaction", async () => {
    const email = uniqueEmail("single");
    const first = await record({ email, type: "download", target: "/whitepaper.pdf" });
    expect(first).toMatchObject({ duplicate: false, pointsAwarded: 1, stageChange: null, lead: { email, score: 1, stage: "Subscriber" } });
    const leadId = first.lead.id;
    const steps: Array<[InteractionInputVars, number, number]> = [
      [{ leadId, type: "subscribe", target: "newsletter" }, 5, 6],
      [{ leadId, type: "subscribe", target: "newsletter" }, 0, 6], // once
      [{ email, type: "visit", target: "/pricing" }, 15, 21],
      [{ leadId, type: "visit", target: "/pricing" }, 15, 36],
    ];
    const got = [];
    for (const [input] of steps) {
      const r = await record(input);
      got.push([r.pointsAwarded, r.lead.score, r.lead.id]);
    }
    expect(got).toEqual(steps.map(([, points, score]) => [points, score, leadId]));
    // 36 reaches `score >= 30`.
    expect((await explain(leadId)).stage).toBe("MQL");
  });

  it("20 concurrent copies of one (source, externalId) record one interaction; 19 answer duplicate", async () => {
    const email = uniqueEmail("burst");
    const externalId = `burst-${email}`;
    const payloads = await Promise.all(
      Array.from({ length: 20 }, (_, i) => record({ email, type: "webinar", source: "webinar", externalId, properties: { copy: i } })),
    );
    expect(payloads.filter((p) => !p.duplicate)).toHaveLength(1);
    expect(payloads.filter((p) => p.duplicate).every((p) => p.pointsAwarded === 0)).toBe(true);
    expect(payloads.filter((p) => p.duplicate)).toHaveLength(19);
    expect(new Set(payloads.map((p) => p.interaction.id)).size).toBe(1);
    expect(await countRows("SELECT count(*) AS n FROM interaction WHERE external_id = $1", [externalId])).toBe(1);
    expect(await countRows("SELECT count(*) AS n FROM lead WHERE email = $1", [email])).toBe(1);
  });

  it("a batch records its valid items in order; an invalid item fails alone", async () => {
    const email = uniqueEmail("batch");
    const res = await s.api.request(RECORD_INTERACTIONS, {
      inputs: [
        { email, type: "download" },
        { email, type: "Not Valid" },
        { email, type: "subscribe", target: "newsletter" },
        { email, type: "visit", target: "/pricing", source: "website", externalId: `batch-${email}` },
        { email, type: "visit", target: "/pricing", source: "website", externalId: `batch-${email}` },
      ],
    });
    expect(res.errors?.map((e) => [e.path, e.extensions?.code, e.extensions?.field])).toEqual([[["recordInteractions", 1], "BAD_USER_INPUT", "inputs.1.type"]]);
    const payloads = res.data?.recordInteractions ?? [];
    expect(payloads.map((p) => p && [p.duplicate, p.pointsAwarded, p.lead.score])).toEqual([[false, 1, 1], null, [false, 5, 6], [false, 15, 21], [true, 0, 21]]);
    expect(await countRows("SELECT count(*) AS n FROM interaction i JOIN lead l ON l.id = i.lead_id WHERE l.email = $1", [email])).toBe(3);
  });

  it("concurrent batches sharing keys record each key once", async () => {
    const email = uniqueEmail("batches");
    const inputs = [0, 1].map((k) => ({ email, type: "email_open", target: "newsletter", source: "newsletter", externalId: `${email}-${k}` }));
    const results = await Promise.all(Array.from({ length: 5 }, () => s.api.data(RECORD_INTERACTIONS, { inputs })));
    const recorded = results.flatMap((r) => r.recordInteractions).filter((p) => p && !p.duplicate);
    expect(recorded).toHaveLength(2);
    expect(await countRows("SELECT count(*) AS n FROM interaction WHERE external_id LIKE $1", [`${email}-%`])).toBe(2);
  });

  it("upsertLead changes fit, and the score with it", async () => {
    const email = uniqueEmail("fit");
    const { lead } = await record({ email, type: "download" });
    const { upsertLead } = await s.api.data(UPSERT_LEAD, { input: { email, role: "Marketing Director", industry: "SaaS" } });
    expect(upsertLead).toMatchObject({ id: lead.id, score: 31, role: "Marketing Director", industry: "SaaS" });
    expect(await explain(lead.id)).toMatchObject({ fit: 30, engagement: 1, score: 31, stage: "MQL" });
    const { upsertLead: moved } = await s.api.data(UPSERT_LEAD, { input: { email, role: "Intern" } });
    expect(moved.score).toBe(11);
    expect(await explain(lead.id)).toMatchObject({ fit: 10, engagement: 1 });
  });

  it("setLeadStage moves a lead by hand, and refuses an unknown stage", async () => {
    const { lead } = await record({ email: uniqueEmail("stage"), type: "download" });
    const { setLeadStage } = await s.api.data(SET_LEAD_STAGE, { leadId: lead.id, stage: "Opportunity", reason: "call went well" });
    expect(setLeadStage.stage).toBe("Opportunity");
    expect(setLeadStage.stageHistory.map((h) => [h.from, h.to, h.cause])).toEqual([
      [null, "Subscriber", "RULE"],
      ["Subscriber", "Opportunity", "MANUAL"],
    ]);
    expect(setLeadStage.stageHistory[1].reason).toBe("call went well");
    expect(codeOf(await s.api.request(SET_LEAD_STAGE, { leadId: lead.id, stage: "Nirvana" }))).toBe("BAD_USER_INPUT");
    expect((await explain(lead.id)).stage).toBe("Opportunity");
  });

  it("publishModel rescores every lead to the new version", async () => {
    const email = uniqueEmail("publish");
    const { lead } = await record({ email, type: "download" });
    const leads = await countRows("SELECT count(*) AS n FROM lead", []);
    const source = SEED_SOURCE.replace(/^download\s+=> \+1\b/m, "download => +4");
    expect(source).not.toBe(SEED_SOURCE);
    const published = await scoringCalls(s.api).publish(source);
    expect(published).toMatchObject({ model: { version: 2, active: true }, leadsRescored: leads });
    expect(await explain(lead.id)).toMatchObject({ engagement: 4, score: 4 });
    expect(await countRows("SELECT count(*) AS n FROM lead WHERE model_version <> 2", [])).toBe(0);
  });

  it("every lead equals its replay with the active model", async () => {
    expect(await expectEveryLeadMatchesReplay(s.t)).toBeGreaterThan(5);
  });
});
