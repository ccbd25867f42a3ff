/**
 * Scoring models: publish (rescore every lead, compared with a fresh replay), invalid models,
 * concurrent publishes, interactions recorded while a publish rescores, preview (writes nothing,
 * predicts the publish), checkModel, and the list of versions.
 */
import { DEFAULT_INTERACTION_TYPES } from "../../src/dsl/catalog";
import { compile } from "../../src/dsl/compiler";
import { AwardColumns } from "../../src/scoring/ledger-writer";
import { codeOf } from "./helpers/graphql-client";
import { type InteractionInputVars, RECORD_INTERACTIONS, UPSERT_LEAD } from "./helpers/documents";
import {
  ago,
  CHECK_MODEL,
  compileModel,
  DAY,
  type DiagnosticShape,
  expectEveryLeadMatchesReplay,
  MODELS,
  PREVIEW_MODEL,
  PUBLISH_MODEL,
  readDatabase,
  scoringCalls,
} from "./helpers/scoring";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

const MODEL_A = `
funnel Subscriber > Lead > MQL > SQL > Customer | Other
visit "/pricing" => +10
visit "/blog/*" => +3 max 2
download => +4
role contains "Director" => +25
stage Lead when score >= 10
stage MQL when score >= 30 and fit >= 25
`;

const MODEL_B = `
visit "/pricing" => +20 once
demo_request => +50
email_open => +1
stage MQL when score >= 20
stage SQL when has demo_request
`;

/** What the compiler says, as the API shows it. */
const diagnosticsOf = (source: string): DiagnosticShape[] =>
  compile(source, { catalog: DEFAULT_INTERACTION_TYPES }).diagnostics.map((d) => ({
    ...d,
    severity: d.severity === "error" ? "ERROR" : "WARNING",
  }));

describe(`scoring models [${testDatabase()}]`, () => {
  // A publish here rescores thousands of leads while requests write: on the embedded database (one
  // connection) a request waits for a rescore batch, longer on a busy machine than the 5 s default.
  const s = useTestApp({ QUALIFY_DB_ACQUIRE_TIMEOUT_MS: "30000" });

  const record = (input: InteractionInputVars) => scoringCalls(s.api).record(input);
  const publish = (source: string) => scoringCalls(s.api).publish(source);
  const db = () => s.t.app.context(null).db;
  const countRows = async (table: string): Promise<number> => (await db().query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;
  /** Every row of every table, for "nothing changed" assertions. */
  const dumpAll = async () => {
    const dump: Record<string, unknown> = {};
    for (const table of ["lead", "interaction", "score_award", "stage_transition", "scoring_model", "api_key"]) {
      dump[table] = await db().query(`SELECT * FROM ${table} ORDER BY id`);
    }
    return JSON.parse(JSON.stringify(dump));
  };

  beforeAll(async () => {
    // A dozen leads with varied fields and histories, scored by the seed model.
    const roles = ["Marketing Director", "Developer", null, "Sales Director"];
    for (let i = 0; i < 12; i++) {
      const email = uniqueEmail(`m${i}`);
      await s.api.data(UPSERT_LEAD, { input: { email, role: roles[i % 4], firstName: i % 3 === 0 ? "Kim" : null } });
      const pages = ["/pricing", "/blog/a", "/blog/b", "/blog/c", "/careers"];
      for (let k = 0; k <= i % 6; k++) {
        await record({ email, type: k % 2 ? "download" : "visit", target: pages[(i + k) % pages.length], occurredAt: ago((k + 1) * DAY) });
      }
      if (i % 5 === 0) await record({ email, type: "demo_request" });
    }
  });

  it("publish: a new active version, every lead rescored to it, stages forward only", async () => {
    const transitionsBefore = await countRows("stage_transition");
    const leads = await countRows("lead");
    const { model, leadsRescored, stageChanges } = await publish(MODEL_A);
    expect(model).toMatchObject({ version: 2, active: true, source: MODEL_A, funnel: ["Subscriber", "Lead", "MQL", "SQL", "Customer"] });
    expect(leadsRescored).toBe(leads);
    expect(await countRows("stage_transition")).toBe(transitionsBefore + stageChanges);
    expect(stageChanges).toBeGreaterThan(0);
    expect(await expectEveryLeadMatchesReplay(s.t)).toBe(leads);
    // Forward only: every move the rescore made goes further along the funnel.
    const funnel = compileModel(MODEL_A).funnel.stages;
    const moves: Array<{ from_stage: string; to_stage: string; rule: string }> = await db().query(
      `SELECT from_stage, to_stage, rule FROM stage_transition WHERE rule LIKE 'stage % when %' AND at >= $1`,
      [new Date(Date.parse(model.publishedAt))],
    );
    expect(moves).toHaveLength(stageChanges);
    for (const move of moves) expect(funnel.indexOf(move.to_stage)).toBeGreaterThan(funnel.indexOf(move.from_stage));

    const { activeModel, models } = await s.api.data(MODELS, {});
    expect(activeModel?.version).toBe(2);
    expect(models.edges.map((e) => [e.node.version, e.node.active])).toEqual([
      [2, true],
      [1, false],
    ]);
  });

  it("an invalid model is RULES_INVALID with its diagnostics, and nothing changes", async () => {
    const source = `visit "/pricing" => +10\nrol "CEO" => +5\nstage Nirvana when score >= 1\n`;
    const before = await dumpAll();
    const res = await s.api.request(PUBLISH_MODEL, { source });
    expect(codeOf(res)).toBe("RULES_INVALID");
    const diagnostics = res.errors?.[0].extensions?.diagnostics as DiagnosticShape[];
    expect(diagnostics).toEqual(diagnosticsOf(source));
    expect(diagnostics.filter((d) => d.severity === "ERROR").map((d) => [d.line, d.column])).toEqual(
      expect.arrayContaining([[2, 1], [3, 7]]),
    );
    expect(await dumpAll()).toEqual(before);
  });

  it("checkModel returns the diagnostics for an editor, with the read scope", async () => {
    const reader = await s.t.client(["read"]);
    const source = `vist "/pricing" => +10\nvisit => +0\n`;
    const { checkModel } = await reader.data(CHECK_MODEL, { source });
    expect(checkModel).toEqual(diagnosticsOf(source));
    expect(checkModel.map((d) => d.severity)).toEqual(expect.arrayContaining(["WARNING"]));
    expect((await reader.data(CHECK_MODEL, { source: MODEL_B })).checkModel.filter((d) => d.severity === "ERROR")).toEqual([]);
    // Publishing and previewing are for admins.
    expect(codeOf(await reader.request(PUBLISH_MODEL, { source: MODEL_B }))).toBe("FORBIDDEN");
    expect(codeOf(await reader.request(PREVIEW_MODEL, { source: MODEL_B }))).toBe("FORBIDDEN");
  });

  it("preview writes nothing and predicts what the publish does", async () => {
    const before = await dumpAll();
    const { previewModel: preview } = await s.api.data(PREVIEW_MODEL, { source: MODEL_B, first: 5 });
    expect(await dumpAll()).toEqual(before);

    // The prediction, computed here with the replay.
    const model = compileModel(MODEL_B);
    const { leads, interactions } = await readDatabase(s.t);
    const now = new Date();
    // Each lead's points per rule: stored (the awards counting now), and with the model.
    const storedRows: Array<{ lead_id: string; rule: string; points: number }> = await s.t.app
      .context(null)
      .db.query(`SELECT lead_id, rule, sum(points)::int AS points FROM score_award WHERE expires_at IS NULL OR expires_at > $1 GROUP BY lead_id, rule`, [now]);
    const first = model.funnel.stages[0];
    const predicted = leads.map((lead) => {
      const history = interactions.get(lead.id) ?? [];
      const evaluation = model.replay(lead.fields, history, now);
      const facts = { ...evaluation, lead: lead.fields, interactions: history };
      const stage = model.nextStage(lead.stage, facts)?.to ?? lead.stage;
      const fresh = model.nextStage(first, facts)?.to ?? first;
      const perRule = new Map<string, number>();
      for (const a of [...evaluation.awards, ...evaluation.fitAwards]) {
        if (!a.expiresAt || a.expiresAt > now) perRule.set(a.rule, (perRule.get(a.rule) ?? 0) + a.points);
      }
      const storedRules = new Map(storedRows.filter((r) => r.lead_id === lead.id).map((r) => [r.rule, r.points]));
      const names = model.rules.map((r) => r.name);
      const rules = [...names, ...[...storedRules.keys()].filter((rule) => !names.includes(rule)).sort()];
      const rulesChanged = rules.filter((rule) => (storedRules.get(rule) ?? 0) !== (perRule.get(rule) ?? 0));
      return { id: lead.id, scoreNow: lead.score, score: evaluation.score, stageNow: lead.stage, stage, fresh, rulesChanged };
    });
    expect(preview.diagnostics).toEqual(diagnosticsOf(MODEL_B));
    expect(preview.leadsChanged).toBe(predicted.filter((p) => p.score !== p.scoreNow || p.stage !== p.stageNow).length);
    const count = (stage: string, key: "stage" | "stageNow") => predicted.filter((p) => p[key] === stage).length;
    expect(preview.stages).toEqual(
      [...model.funnel.stages, ...model.funnel.offPath].map((stage) => ({
        stage,
        now: count(stage, "stageNow"),
        withModel: count(stage, "stage"),
        fromScratch: predicted.filter((p) => p.fresh === stage).length,
      })),
    );
    const movers = predicted
      .filter((p) => p.score !== p.scoreNow)
      .map((p) => ({
        lead: { id: p.id, score: p.scoreNow },
        scoreNow: p.scoreNow,
        scoreWithModel: p.score,
        change: p.score - p.scoreNow,
        stageNow: p.stageNow,
        stageWithModel: p.stage,
        rulesChanged: p.rulesChanged,
      }))
      .sort((a, b) => Math.abs(b.change) - Math.abs(a.change) || (a.lead.id < b.lead.id ? -1 : 1))
      .slice(0, 5);
    expect(preview.topMovers).toEqual(movers);

    // Publishing it lands where the preview said.
    await publish(MODEL_B);
    const after = await readDatabase(s.t);
    for (const p of predicted) {
      expect({ id: p.id, score: after.leads.find((l) => l.id === p.id)?.score, stage: after.leads.find((l) => l.id === p.id)?.stage }).toEqual({
        id: p.id,
        score: p.score,
        stage: p.stage,
      });
    }
  });

  it("previews a raised threshold: forward only with the model, fewer from scratch", async () => {
    const tagged = `rule "Downloads": download => +10\nstage MQL when score >= 20`;
    await publish(tagged);
    const leadId = (await s.api.data(RECORD_INTERACTIONS, { inputs: [{ email: uniqueEmail("threshold"), type: "download" }] })).recordInteractions[0]?.lead.id as string;
    await s.api.data(RECORD_INTERACTIONS, { inputs: [{ leadId, type: "download" }] });
    const raised = `rule "Downloads": download => +10\nstage MQL when score >= 120`;
    const { previewModel: preview } = await s.api.data(PREVIEW_MODEL, { source: raised });
    const mql = preview.stages.find((st) => st.stage === "MQL");
    // Nobody leaves MQL by publishing (stages never move back), but qualified afresh nobody reaches it.
    expect(mql?.now).toBeGreaterThanOrEqual(1);
    expect(mql?.withModel).toBe(mql?.now);
    expect(mql?.fromScratch).toBe(0);
    expect(preview.leadsChanged).toBe(0);
    // Points for downloads change: the lead moves, and the preview says which rule and where it lands.
    const doubled = `rule "Downloads": download => +20\nstage MQL when score >= 120`;
    const { previewModel: moved } = await s.api.data(PREVIEW_MODEL, { source: doubled, first: 100 });
    const mover = moved.topMovers.find((m) => m.lead.id === leadId);
    expect(mover).toMatchObject({ scoreNow: 20, scoreWithModel: 40, stageNow: "MQL", stageWithModel: "MQL", rulesChanged: ["Downloads"] });
  });

  it("a decaying rule the previewed model leaves alone is not among a mover's rules changed", async () => {
    const decaying = `rule "Pricing": visit "/pricing" => +15 decays 10% every 30 days\nrule "Downloads": download => +10`;
    await publish(decaying);
    const email = uniqueEmail("decaying");
    // 65 days ago: two decay steps, the pricing visit is worth 12 now (stored: 15 at its award).
    const leadId = (await s.api.data(RECORD_INTERACTIONS, { inputs: [{ email, type: "visit", target: "/pricing", occurredAt: ago(65 * DAY) }] }))
      .recordInteractions[0]?.lead.id as string;
    await s.api.data(RECORD_INTERACTIONS, { inputs: [{ leadId, type: "download" }] });
    const changed = decaying.replace("download => +10", "download => +20");
    const { previewModel: preview } = await s.api.data(PREVIEW_MODEL, { source: changed, first: 100 });
    const mover = preview.topMovers.find((m) => m.lead.id === leadId);
    expect(mover).toMatchObject({ change: 10, rulesChanged: ["Downloads"] });
    // The rule that decays is listed when the model does change it.
    const both = changed.replace("+15 decays 10%", "+15 decays 50%");
    const { previewModel: again } = await s.api.data(PREVIEW_MODEL, { source: both, first: 100 });
    expect(again.topMovers.find((m) => m.lead.id === leadId)?.rulesChanged).toEqual(["Pricing", "Downloads"]);
  });

  it("preview of an invalid model: its diagnostics and nothing else", async () => {
    const source = `visit "/pricing" => +10 max 0`;
    const { previewModel } = await s.api.data(PREVIEW_MODEL, { source });
    expect(previewModel).toEqual({ diagnostics: diagnosticsOf(source), leadsChanged: 0, stages: [], topMovers: [] });
  });

  it("concurrent publishes get consecutive versions, and the last one is in force everywhere", async () => {
    const { activeModel } = await s.api.data(MODELS, {});
    const sources = [MODEL_A, MODEL_B, `${MODEL_A}\nemail_open => +2\n`];
    const results = await Promise.all(sources.map((source) => publish(source)));
    const versions = results.map((r) => r.model.version).sort((a, b) => a - b);
    const first = activeModel!.version + 1;
    expect(versions).toEqual([first, first + 1, first + 2]);
    const last = results.find((r) => r.model.version === first + 2)!;
    const { activeModel: now } = await s.api.data(MODELS, {});
    expect(now).toMatchObject({ version: first + 2, source: last.model.source });
    await expectEveryLeadMatchesReplay(s.t);
  });

  it("interactions recorded while a publish rescores are neither missed nor scored twice", async () => {
    // Enough leads for several rescore batches, written straight in SQL (scored by no model yet).
    await db().query(`
      INSERT INTO lead (email, stage, role, created_at, updated_at)
      SELECT 'bulk' || n || '@example.com', 'Subscriber', CASE WHEN n % 4 = 0 THEN 'Sales Director' END, now(), now()
        FROM generate_series(1, 2500) n`);
    await db().query(`
      INSERT INTO interaction (lead_id, type, target, occurred_at, received_at)
      SELECT l.id, CASE WHEN k = 1 THEN 'visit' ELSE 'download' END, CASE WHEN k = 1 THEN '/pricing' ELSE '/blog/x' END,
             now() - (k || ' hours')::interval, now()
        FROM lead l CROSS JOIN generate_series(1, 2) k WHERE l.email LIKE 'bulk%'`);
    const bulk: Array<{ id: string }> = await db().query(`SELECT id FROM lead WHERE email LIKE 'bulk%' ORDER BY email LIMIT 40`);
    const total = await countRows("lead");

    const publishing = publish(MODEL_A);
    const writes = bulk.map((lead, i) =>
      record({ leadId: lead.id, type: i % 2 ? "visit" : "download", target: i % 3 ? "/pricing" : "/blog/y", occurredAt: ago((i % 5) * 1000 * 60 * 30) }),
    );
    const fresh = Array.from({ length: 10 }, (_, i) => record({ email: uniqueEmail("during"), type: "visit", target: "/pricing", occurredAt: ago(i * 1000) }));
    const [published, ...recorded] = await Promise.all([publishing, ...writes, ...fresh]);
    expect(recorded.every((r) => !r.duplicate)).toBe(true);
    expect(published.leadsRescored).toBeGreaterThan(0);
    expect(published.leadsRescored).toBeLessThanOrEqual(total);
    expect(await expectEveryLeadMatchesReplay(s.t)).toBe(total + 10);
    const [{ behind }] = await db().query(
      `SELECT count(*)::int AS behind FROM lead WHERE model_version <> (SELECT version FROM scoring_model WHERE active)`,
    );
    expect(behind).toBe(0);
  });

  it("a publish whose rescore stops midway answers RESCORE_INCOMPLETE; the rest is rescored in the background", async () => {
    // The first rescore batch fails (as a lost connection would); the next ones go through.
    const failing = jest.spyOn(AwardColumns.prototype, "insertSql").mockImplementationOnce(() => {
      throw new Error("connection lost");
    });
    try {
      const res = await s.api.request(PUBLISH_MODEL, { source: MODEL_B });
      expect(res.errors?.[0].extensions).toMatchObject({ code: "RESCORE_INCOMPLETE" });
      expect(res.errors?.[0].message).toMatch(/is active, but rescoring the leads to it stopped; the leads left are rescored in the background/);
      const [{ version }] = await db().query(`SELECT version FROM scoring_model WHERE active`);
      expect(res.errors?.[0].extensions?.version).toBe(version);
    } finally {
      failing.mockRestore();
    }
    const behind = async () => (await db().query(`SELECT count(*)::int AS n FROM lead WHERE model_version < (SELECT version FROM scoring_model WHERE active)`))[0].n;
    const deadline = Date.now() + 15_000;
    while ((await behind()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await behind()).toBe(0);
    await expectEveryLeadMatchesReplay(s.t);
  });

  it("models: newest first, paged with cursors", async () => {
    const all = await s.api.data(MODELS, { first: 100 });
    const versions = all.models.edges.map((e) => e.node.version);
    expect(versions).toEqual([...versions].sort((a, b) => b - a));
    expect(all.models.totalCount).toBe(versions.length);
    expect(all.models.edges.filter((e) => e.node.active).map((e) => e.node.version)).toEqual([versions[0]]);
    const page1 = await s.api.data(MODELS, { first: 2 });
    const page2 = await s.api.data(MODELS, { first: 2, after: page1.models.pageInfo.endCursor });
    expect([...page1.models.edges, ...page2.models.edges].map((e) => e.node.version)).toEqual(versions.slice(0, 4));
    expect(page1.models.pageInfo.hasNextPage).toBe(true);
  });
});
