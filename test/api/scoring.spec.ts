/**
 * Scoring on write with the default (seed) model: the seed scenario step by step, stages with the
 * rule that moved the lead, the `once` cap, the explanation (breakdown and awards), and writes to
 * one lead at once (50 parallel interactions, 20 concurrent duplicates) against the replay.
 */
import fs from "node:fs";
import path from "node:path";
import { type InteractionInputVars, RECORD_INTERACTION, RECORD_INTERACTIONS, UPSERT_LEAD } from "./helpers/documents";
import {
  ago,
  compileModel,
  DAY,
  expectEveryLeadMatchesReplay,
  type ExplainedLead,
  HOUR,
  MODELS,
  readDatabase,
  replayLedger,
  ruleNamed,
  scoringCalls,
} from "./helpers/scoring";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

const SEED_SOURCE = fs.readFileSync(path.resolve(__dirname, "../../examples/seed-model.rules"), "utf8");
const seed = compileModel(SEED_SOURCE);

describe(`scoring with the seed model [${testDatabase()}]`, () => {
  const s = useTestApp();

  const record = (input: InteractionInputVars) => scoringCalls(s.api).record(input);
  const explain = (id: string) => scoringCalls(s.api).explain(id);

  it("the seed model is active from the first start, as version 1", async () => {
    const { activeModel, models } = await s.api.data(MODELS, {});
    expect(activeModel).toMatchObject({ version: 1, active: true, source: SEED_SOURCE, funnel: seed.funnel.stages });
    expect(models.totalCount).toBe(1);
  });

  it("scores the seed scenario step by step: Subscriber → Lead → MQL → SQL", async () => {
    const email = uniqueEmail("seed");
    const { upsertLead } = await s.api.data(UPSERT_LEAD, { input: { email } });
    expect(upsertLead).toMatchObject({ stage: "Subscriber", score: 0 });

    const steps: Array<[InteractionInputVars, number, number]> = [
      [{ email, type: "download", target: "/whitepaper.pdf" }, +1, 1],
      [{ email, type: "subscribe", target: "newsletter" }, +5, 6],
      [{ email, type: "email_open", target: "newsletter" }, +2, 8],
      [{ email, type: "visit", target: "https://example.com/pricing/?utm=x" }, +15, 23],
      [{ email, type: "visit", target: "/careers" }, -10, 13],
      [{ email, type: "subscribe", target: "newsletter" }, 0, 13], // once
    ];
    for (const [input, points, score] of steps) {
      const r = await record(input);
      expect({ type: input.type, pointsAwarded: r.pointsAwarded, score: r.lead.score, stageChange: r.stageChange }).toEqual({
        type: input.type,
        pointsAwarded: points,
        score,
        stageChange: null,
      });
      expect(r.interaction.points).toBe(points);
    }

    // A profile field: `stage Lead when firstName is set`.
    const named = await s.api.data(UPSERT_LEAD, { input: { email, firstName: "Ada" } });
    expect(named.upsertLead).toMatchObject({ stage: "Lead", score: 13 });

    // 13 + 15 = 28 stays Lead; + 15 = 43 reaches `score >= 30`.
    expect((await record({ email, type: "visit", target: "/pricing" })).stageChange).toBeNull();
    const mql = await record({ email, type: "visit", target: "/pricing" });
    expect(mql.lead).toMatchObject({ score: 43, stage: "MQL" });
    expect(mql.stageChange).toMatchObject({ from: "Lead", to: "MQL", cause: "RULE", rule: "stage MQL when score >= 30" });

    // + 30 = 73 with a demo request: `score >= 60 and has demo_request`.
    const sql = await record({ email, type: "demo_request" });
    expect(sql).toMatchObject({ pointsAwarded: 30, lead: { score: 73, stage: "SQL" } });
    expect(sql.stageChange).toMatchObject({ from: "MQL", to: "SQL", cause: "RULE", rule: "stage SQL when score >= 60 and has demo_request" });

    const lead = await explain(upsertLead.id);
    expect(lead.stageHistory.map((h) => [h.from, h.to, h.cause, h.rule])).toEqual([
      [null, "Subscriber", "RULE", null],
      ["Subscriber", "Lead", "RULE", "stage Lead when firstName is set"],
      ["Lead", "MQL", "RULE", "stage MQL when score >= 30"],
      ["MQL", "SQL", "RULE", "stage SQL when score >= 60 and has demo_request"],
    ]);
  });

  it("explains the score rule by rule from the ledger (breakdown, awards, points)", async () => {
    const email = uniqueEmail("explain");
    await record({ email, lead: { email, role: "Marketing Director", industry: "SaaS" }, type: "visit", target: "/pricing" });
    await record({ email, type: "visit", target: "/pricing" });
    await record({ email, type: "download", target: "case-study-acme" });
    const careers = await record({ email, type: "visit", target: "/careers" });
    const lead = await explain(careers.lead.id);

    // Fit 20 + 10; pricing 2 × 15; download 1 + case study 10; careers −10.
    expect(lead).toMatchObject({ fit: 30, engagement: 31, score: 61 });
    expect(lead.scoreBreakdown).toEqual([
      { rule: ruleNamed(seed, "download =>"), category: "ENGAGEMENT", points: 1, count: 1 },
      { rule: ruleNamed(seed, 'visit "/pricing"'), category: "ENGAGEMENT", points: 30, count: 2 },
      { rule: ruleNamed(seed, 'visit "/careers"'), category: "ENGAGEMENT", points: -10, count: 1 },
      { rule: ruleNamed(seed, 'download "case-study*"'), category: "ENGAGEMENT", points: 10, count: 1 },
      { rule: ruleNamed(seed, "role contains"), category: "FIT", points: 20, count: 1 },
      { rule: ruleNamed(seed, "industry in"), category: "FIT", points: 10, count: 1 },
    ]);
    expect(lead.scoreBreakdown.reduce((sum, c) => sum + c.points, 0)).toBe(lead.score);

    const byType = (type: string) => lead.interactions.edges.map((e) => e.node).filter((n) => n.type === type);
    const [download] = byType("download");
    expect(download.points).toBe(11);
    expect(download.awards.map((a) => [a.rule, a.category, a.points, a.expiresAt, a.counting])).toEqual([
      [ruleNamed(seed, "download =>"), "ENGAGEMENT", 1, null, true],
      [ruleNamed(seed, 'download "case-study*"'), "ENGAGEMENT", 10, null, true],
    ]);
    expect(download.awards[0].awardedAt).toBe(download.occurredAt);
    expect(byType("visit").map((v) => v.points).sort((a, b) => a - b)).toEqual([-10, 15, 15]);
    // The payload of the write answers the same, without reading the ledger back.
    expect(careers.interaction.points).toBe(-10);
  });

  it("an out-of-order interaction is scored where it belongs in time", async () => {
    const email = uniqueEmail("late");
    await record({ email, type: "subscribe", target: "newsletter", occurredAt: ago(HOUR) });
    // Earlier than the first: `once` now belongs to it, the later copy loses its award.
    const early = await record({ email, type: "subscribe", target: "newsletter", occurredAt: ago(DAY) });
    expect(early).toMatchObject({ pointsAwarded: 0, lead: { score: 5 } });
    expect(early.interaction.points).toBe(5);
    const lead = await explain(early.lead.id);
    const [later, earlier] = lead.interactions.edges.map((e) => e.node); // newest first
    expect([later.points, earlier.points]).toEqual([0, 5]);
    await expectEveryLeadMatchesReplay(s.t);
  });

  // By email, a lead is locked and then its history loaded; by id, one statement does both (and
  // loads the history again when a concurrent write came in between): both must lose nothing.
  it.each(["email", "leadId"] as const)("50 parallel interactions on one lead (by %s): score = sum of the ledger = replay, no lost update", async (by) => {
    const email = uniqueEmail("parallel");
    const { upsertLead } = await s.api.data(UPSERT_LEAD, { input: { email } });
    const who = by === "email" ? { email } : { leadId: upsertLead.id };
    const kinds: InteractionInputVars[] = [
      { ...who, type: "visit", target: "/pricing" },
      { ...who, type: "visit", target: "/careers" },
      { ...who, type: "subscribe", target: "newsletter" },
      { ...who, type: "email_open", target: "newsletter" },
      { ...who, type: "download", target: "case-study-x" },
    ];
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => record({ ...kinds[i % kinds.length], occurredAt: ago((i * 7919) % 50 * 60_000) })),
    );
    expect(results.every((r) => !r.duplicate)).toBe(true);

    const { active, leads, interactions, ledger } = await readDatabase(s.t);
    const stored = leads.find((l) => l.id === upsertLead.id)!;
    const evaluation = seed.replay(stored.fields, interactions.get(upsertLead.id) ?? [], new Date());
    // Hand arithmetic: 10 × 15 − 10 × 10 + 5 (once) + 10 × 2 + 10 × (1 + 10), in any arrival order.
    expect(stored.score).toBe(150 - 100 + 5 + 20 + 110);
    expect(stored.score).toBe(evaluation.score);
    expect(ledger.get(upsertLead.id)!.sort()).toEqual(replayLedger(evaluation, active.version));
    const [{ sum }] = await s.t.app.context(null).db.query(
      `SELECT sum(points)::int AS sum FROM score_award WHERE lead_id = $1 AND (expires_at IS NULL OR expires_at > now())`,
      [upsertLead.id],
    );
    expect(sum).toBe(stored.score);
    // Every change was counted once: the points awarded add up to the score.
    expect(results.reduce((total, r) => total + r.pointsAwarded, 0)).toBe(stored.score);
  });

  it.each(["email", "leadId"] as const)("20 concurrent duplicates of one externalId (by %s): one interaction, one set of awards", async (by) => {
    const email = uniqueEmail("dup");
    const externalId = `dup-${email}`;
    const who = by === "email" ? { email } : { leadId: (await s.api.data(UPSERT_LEAD, { input: { email } })).upsertLead.id };
    const results = await Promise.all(
      Array.from({ length: 20 }, () => record({ ...who, type: "visit", target: "/pricing", source: "website", externalId })),
    );
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(results.map((r) => r.pointsAwarded).sort((a, b) => b - a)).toEqual([15, ...Array(19).fill(0)]);
    const [{ n, points }] = await s.t.app.context(null).db.query(
      `SELECT count(*)::int AS n, sum(a.points)::int AS points FROM score_award a JOIN interaction i ON i.id = a.interaction_id WHERE i.external_id = $1`,
      [externalId],
    );
    expect({ n, points }).toEqual({ n: 1, points: 15 });
    expect((await explain(results[0].lead.id)).score).toBe(15);
  });

  it("publishes leadScored and leadStageChanged over graphql-ws after the commit", async () => {
    const email = uniqueEmail("events");
    const { upsertLead } = await s.api.data(UPSERT_LEAD, { input: { email, firstName: "Eve" } });
    const ws = (await s.t.client(["read"])).subscriptions();
    try {
      const scored: Array<{
        pointsAwarded: number;
        score: number;
        lead: { id: string; score: number; scoreBreakdown: Array<{ points: number }> };
        interaction: { type: string } | null;
      }> = [];
      const moves: Array<{ transition: { from: string; to: string; cause: string } }> = [];
      const subscribed = (query: string, variables: Record<string, unknown>, into: unknown[], key: string) =>
        new Promise<void>((resolve, reject) => {
          ws.subscribe<Record<string, unknown>>(
            { query, variables },
            { next: (msg) => msg.data && into.push(msg.data[key]), error: reject, complete: () => undefined },
          );
          setTimeout(resolve, 300); // the server registers subscriptions asynchronously
        });
      await Promise.all([
        subscribed(
          `subscription Scored($leadId: ID) {
            leadScored(leadId: $leadId) { pointsAwarded score lead { id score scoreBreakdown { points } } interaction { type } }
          }`,
          { leadId: upsertLead.id },
          scored,
          "leadScored",
        ),
        subscribed(`subscription Moved { leadStageChanged { leadId transition { from to cause } } }`, {}, moves, "leadStageChanged"),
      ]);
      const until = async (done: () => boolean) => {
        const deadline = Date.now() + 5000;
        while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      };
      await record({ email, type: "visit", target: "/pricing" });
      await until(() => scored.length >= 1); // each event read before the next change
      await record({ email, type: "visit", target: "/pricing" });
      await record({ email: uniqueEmail("other"), type: "visit", target: "/pricing" });
      await until(() => scored.length >= 2 && moves.length >= 1);
      expect(scored.map((e) => [e.pointsAwarded, e.score, e.lead.id, e.interaction?.type])).toEqual([
        [15, 15, upsertLead.id, "visit"],
        [15, 30, upsertLead.id, "visit"],
      ]);
      // Each event reads the lead afresh (the connection's loaders do not serve the previous event's breakdown).
      expect(scored.map((e) => e.lead.scoreBreakdown.reduce((sum, c) => sum + c.points, 0))).toEqual([15, 30]);
      expect(moves.map((m) => m.transition)).toContainEqual({ from: "Lead", to: "MQL", cause: "RULE" });
    } finally {
      await ws.dispose();
    }
  });

  it("delivers the events of a large batch, in order, every one (several NOTIFY payloads with PostgreSQL)", async () => {
    const email = uniqueEmail("many-events");
    const { upsertLead } = await s.api.data(UPSERT_LEAD, { input: { email } });
    const ws = (await s.t.client(["read"])).subscriptions();
    try {
      const scored: Array<{ score: number; interaction: { id: string } | null }> = [];
      ws.subscribe<{ leadScored: (typeof scored)[number] }>(
        { query: `subscription Scored($leadId: ID) { leadScored(leadId: $leadId) { score interaction { id } } }`, variables: { leadId: upsertLead.id } },
        { next: (msg) => void (msg.data && scored.push(msg.data.leadScored)), error: () => undefined, complete: () => undefined },
      );
      await new Promise((r) => setTimeout(r, 300)); // the server registers it asynchronously
      const inputs = Array.from({ length: 200 }, (_, i) => ({ email, type: "download", target: `/doc-${i}.pdf`, properties: { note: `"quoted" \\ ${i}` } }));
      const { recordInteractions } = await s.api.data(RECORD_INTERACTIONS, { inputs });
      const deadline = Date.now() + 10_000;
      while (scored.length < 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(scored.map((e) => e.interaction?.id)).toEqual(recordInteractions.map((r) => r!.interaction.id));
    } finally {
      await ws.dispose();
    }
  });

  it("a batch scores each item as its own change: the same as recording the items one by one", async () => {
    const items = (email: string): InteractionInputVars[] => [
      { email, type: "download", target: "/x.pdf" },
      { email, type: "subscribe", target: "newsletter", occurredAt: ago(2 * HOUR) },
      { email, type: "subscribe", target: "newsletter", occurredAt: ago(3 * HOUR) }, // earlier: `once` moves to it
      { lead: { email, firstName: "Bea" }, type: "visit", target: "/pricing" },
      { email, type: "visit", target: "/pricing", source: "web", externalId: `k-${email}` },
      { email, type: "visit", target: "/pricing", source: "web", externalId: `k-${email}` }, // a copy
      { email, type: "Not Valid" },
      { leadId: "00000000-0000-4000-8000-000000000000", type: "visit" },
      { email, type: "demo_request" },
      { email, type: "visit", target: "/careers", occurredAt: ago(DAY) },
    ];
    const one = uniqueEmail("one-by-one");
    const sequential = [];
    for (const input of items(one)) {
      const res = await s.api.request(RECORD_INTERACTION, { input });
      sequential.push(res.data?.recordInteraction ?? null);
    }
    const batched = uniqueEmail("batched");
    const res = await s.api.request(RECORD_INTERACTIONS, { inputs: items(batched) });
    expect(res.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([
      [["recordInteractions", 6], "BAD_USER_INPUT"],
      [["recordInteractions", 7], "NOT_FOUND"],
    ]);
    const batch = res.data!.recordInteractions;
    const shape = (r: (typeof batch)[number]) => r && [r.duplicate, r.pointsAwarded, r.lead.score, r.lead.stage, r.stageChange?.rule ?? null];
    expect(batch.map(shape)).toEqual(sequential.map(shape));
    // 1 + 5 + 15 (and firstName: Lead) + 15 (36: MQL) + 30 (66, a demo request: SQL) − 10.
    expect(batch.map((r) => r?.pointsAwarded ?? null)).toEqual([1, 5, 0, 15, 15, 0, null, null, 30, -10]);
    expect(batch[5]?.interaction.id).toBe(batch[4]?.interaction.id);

    const [a, b] = [await explain(sequential[0]!.lead.id), await explain(batch[0]!.lead.id)];
    const view = (l: ExplainedLead) => ({
      totals: [l.score, l.fit, l.engagement, l.stage],
      breakdown: l.scoreBreakdown,
      history: l.stageHistory.map((h) => [h.from, h.to, h.cause, h.rule]),
      points: l.interactions.edges.map((e) => [e.node.type, e.node.points]),
    });
    expect(view(b)).toEqual(view(a));
    expect(view(b).totals).toEqual([56, 0, 56, "SQL"]);
    await expectEveryLeadMatchesReplay(s.t);
  });

  it("concurrent batches over the same leads lose nothing and score everything once", async () => {
    const emails = Array.from({ length: 5 }, () => uniqueEmail("overlap"));
    const kinds = [
      { type: "visit", target: "/pricing" },
      { type: "email_open", target: "newsletter" },
      { type: "subscribe", target: "newsletter" },
      { type: "visit", target: "/careers" },
    ];
    const batches = Array.from({ length: 4 }, (_, b) =>
      Array.from({ length: 25 }, (_, i) => ({
        email: emails[(i * (b + 1)) % emails.length],
        ...kinds[(i + b) % kinds.length],
        occurredAt: ago(((i * 37 + b * 11) % 60) * 60_000),
      })),
    );
    const results = await Promise.all(batches.map((inputs) => s.api.data(RECORD_INTERACTIONS, { inputs })));
    expect(results.flatMap((r) => r.recordInteractions).filter((p) => p && !p.duplicate)).toHaveLength(100);
    const [{ n }] = await s.t.app.context(null).db.query(
      `SELECT count(*)::int AS n FROM interaction i JOIN lead l ON l.id = i.lead_id WHERE l.email = ANY($1)`,
      [emails],
    );
    expect(n).toBe(100);
    await expectEveryLeadMatchesReplay(s.t);
  });

  it("concurrent batches carrying the same keys record each key once; the copies answer with the original", async () => {
    const prefix = uniqueEmail("key");
    const emails = Array.from({ length: 4 }, () => uniqueEmail("keys"));
    const batches = emails.map((email, b) =>
      Array.from({ length: 20 }, (_, i) => ({ email, type: "visit", target: "/pricing", source: "sync", externalId: `${prefix}-${(i + b * 5) % 20}` })),
    );
    const results = (await Promise.all(batches.map((inputs) => s.api.data(RECORD_INTERACTIONS, { inputs })))).flatMap((r) => r.recordInteractions);
    expect(results.filter((r) => r && !r.duplicate)).toHaveLength(20);
    const [{ n, keys }] = await s.t.app.context(null).db.query(
      `SELECT count(*)::int AS n, count(DISTINCT external_id)::int AS keys FROM interaction WHERE source = 'sync' AND external_id LIKE $1`,
      [`${prefix}-%`],
    );
    expect({ n, keys }).toEqual({ n: 20, keys: 20 });
    const originals = new Map(results.filter((r) => r && !r.duplicate).map((r) => [r!.interaction.id, r]));
    for (const r of results.filter((x) => x?.duplicate)) expect(originals.has(r!.interaction.id)).toBe(true);
    await expectEveryLeadMatchesReplay(s.t);
  });

  it("every lead of the suite equals its replay", async () => {
    expect(await expectEveryLeadMatchesReplay(s.t)).toBeGreaterThan(0);
  });
});
