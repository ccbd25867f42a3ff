/** Stages: manual moves, history, the leadStageChanged subscription, funnel statistics, erasure. */
import { codeOf } from "./helpers/graphql-client";
import {
  DELETE_LEAD,
  FUNNEL,
  LEAD,
  LEAD_STAGE_CHANGED,
  RECORD_INTERACTION,
  SET_LEAD_STAGE,
  UPSERT_LEAD,
} from "./helpers/documents";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

interface StageEvent {
  leadStageChanged: {
    leadId: string;
    lead: { id: string; email: string; stage: string };
    transition: { from: string | null; to: string; cause: string; actor: string | null; reason: string | null };
  };
}

describe(`stages [${testDatabase()}]`, () => {
  const s = useTestApp();

  const newLead = async () => (await s.api.data(UPSERT_LEAD, { input: { email: uniqueEmail() } })).upsertLead;

  it("setLeadStage moves a lead anywhere and records who, why and when, oldest first", async () => {
    const lead = await newLead();
    // `read` too: the moved lead's stage and history are lead data (a sales key alone gets its id).
    const sales = await s.t.client(["sales", "read"]);
    await sales.data(SET_LEAD_STAGE, { leadId: lead.id, stage: "SQL", reason: "call went well" });
    const { setLeadStage } = await sales.data(SET_LEAD_STAGE, { leadId: lead.id, stage: "lead" });
    expect(setLeadStage.stage).toBe("Lead");
    expect(setLeadStage.stageHistory.map((h) => [h.from, h.to, h.cause])).toEqual([
      [null, "Subscriber", "RULE"],
      ["Subscriber", "SQL", "MANUAL"],
      ["SQL", "Lead", "MANUAL"],
    ]);
    expect(setLeadStage.stageHistory[1]).toMatchObject({ actor: "test sales,read", reason: "call went well" });
    const offPath = await sales.data(SET_LEAD_STAGE, { leadId: lead.id, stage: "Other" });
    expect(offPath.setLeadStage.stage).toBe("Other");
  });

  it("refuses an unknown stage and an unknown lead", async () => {
    const lead = await newLead();
    const bad = await s.api.request(SET_LEAD_STAGE, { leadId: lead.id, stage: "Nirvana" });
    expect(codeOf(bad)).toBe("BAD_USER_INPUT");
    expect(bad.errors?.[0].extensions?.field).toBe("stage");
    const missing = await s.api.request(SET_LEAD_STAGE, { leadId: "00000000-0000-4000-8000-000000000000", stage: "MQL" });
    expect(codeOf(missing)).toBe("NOT_FOUND");
  });

  it("publishes leadStageChanged over graphql-ws after a manual move, filtered by stage", async () => {
    const lead = await newLead();
    const reader = await s.t.client(["read"]);
    const ws = reader.subscriptions();
    try {
      const received: StageEvent[] = [];
      const toMql: StageEvent[] = [];
      const ready: Promise<void>[] = [];
      const subscribe = (stage: string | null, into: StageEvent[]) => {
        ready.push(
          new Promise((resolve, reject) => {
            ws.subscribe<StageEvent>(
              { query: LEAD_STAGE_CHANGED, variables: { stage } },
              { next: (msg) => msg.data && into.push(msg.data), error: reject, complete: () => undefined },
            );
            // The server acknowledges subscriptions asynchronously; give it a moment to register.
            setTimeout(resolve, 300);
          }),
        );
      };
      subscribe(null, received);
      subscribe("MQL", toMql);
      await Promise.all(ready);
      await s.api.data(SET_LEAD_STAGE, { leadId: lead.id, stage: "Opportunity", reason: "big deal" });
      await s.api.data(SET_LEAD_STAGE, { leadId: lead.id, stage: "MQL" });
      await waitFor(() => received.length >= 2 && toMql.length >= 1);
      expect(received[0].leadStageChanged).toMatchObject({
        leadId: lead.id,
        transition: { from: "Subscriber", to: "Opportunity", cause: "MANUAL", reason: "big deal", actor: "QUALIFY_ADMIN_KEY" },
      });
      expect(received[1].leadStageChanged.lead).toMatchObject({ id: lead.id, stage: "MQL" });
      expect(toMql.map((e) => e.leadStageChanged.transition.to)).toEqual(["MQL"]);
    } finally {
      await ws.dispose();
    }
  });

  it("refuses a subscription without a valid key", async () => {
    const ws = s.api.as("qk_not-a-key").subscriptions();
    const outcome = await new Promise<string>((resolve) => {
      ws.subscribe({ query: LEAD_STAGE_CHANGED }, { next: () => resolve("event"), error: () => resolve("refused"), complete: () => resolve("complete") });
    });
    expect(outcome).toBe("refused");
    await ws.dispose();
  });

  it("deleteLead erases the lead and everything of it", async () => {
    const email = uniqueEmail();
    const { recordInteraction } = await s.api.data(RECORD_INTERACTION, { input: { email, type: "visit", externalId: `x-${email}`, source: "website" } });
    const id = recordInteraction.lead.id;
    await s.api.data(SET_LEAD_STAGE, { leadId: id, stage: "MQL" });
    await s.t.app.context(null).db.query(
      `INSERT INTO score_award (lead_id, interaction_id, rule, rule_index, category, points, awarded_at, model_version)
       VALUES ($1, $2, 'visit => +1', 99, 'ENGAGEMENT', 1, now(), 1)`,
      [id, recordInteraction.interaction.id],
    );
    const ingestOnly = await s.t.client(["ingest"]);
    expect(codeOf(await ingestOnly.request(DELETE_LEAD, { id }))).toBe("FORBIDDEN");
    expect((await s.api.data(DELETE_LEAD, { id })).deleteLead).toBe(true);
    expect((await s.api.data(LEAD, { id })).lead).toBeNull();
    for (const table of ["interaction", "stage_transition", "score_award"]) {
      const [{ n }] = await s.t.app.context(null).db.query(`SELECT count(*) AS n FROM ${table} WHERE lead_id = $1`, [id]);
      expect(Number(n)).toBe(0);
    }
    expect((await s.api.data(DELETE_LEAD, { id })).deleteLead).toBe(false);
    // The externalId is free again: the erased interaction left nothing behind.
    const again = await s.api.data(RECORD_INTERACTION, { input: { email, type: "visit", externalId: `x-${email}`, source: "website" } });
    expect(again.recordInteraction.duplicate).toBe(false);
  });

  it("funnel: leads per stage, reached from history, conversion to the next stage, for a cohort window", async () => {
    const since = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const leads = await Promise.all(Array.from({ length: 6 }, newLead));
    // 6 Subscriber; 4 reached Lead; 2 reached MQL (one went back to Lead); 1 Other.
    await s.api.data(SET_LEAD_STAGE, { leadId: leads[0].id, stage: "Lead" });
    await s.api.data(SET_LEAD_STAGE, { leadId: leads[1].id, stage: "Lead" });
    await s.api.data(SET_LEAD_STAGE, { leadId: leads[2].id, stage: "MQL" });
    await s.api.data(SET_LEAD_STAGE, { leadId: leads[3].id, stage: "MQL" });
    await s.api.data(SET_LEAD_STAGE, { leadId: leads[3].id, stage: "Lead" });
    await s.api.data(SET_LEAD_STAGE, { leadId: leads[4].id, stage: "Other" });
    const until = new Date(Date.now() + 1000).toISOString();
    const { funnel } = await s.api.data(FUNNEL, { since, until });
    const row = (stage: string) => funnel.find((r) => r.stage === stage);
    expect(funnel.map((r) => r.stage)).toEqual(["Subscriber", "Lead", "MQL", "SQL", "Opportunity", "Customer", "Evangelist", "Other"]);
    expect(row("Subscriber")).toEqual({ stage: "Subscriber", leads: 1, reached: 6, conversionToNext: 4 / 6 });
    expect(row("Lead")).toEqual({ stage: "Lead", leads: 3, reached: 4, conversionToNext: 0.5 });
    expect(row("MQL")).toEqual({ stage: "MQL", leads: 1, reached: 2, conversionToNext: 0 });
    expect(row("SQL")).toEqual({ stage: "SQL", leads: 0, reached: 0, conversionToNext: null });
    expect(row("Other")).toEqual({ stage: "Other", leads: 1, reached: 1, conversionToNext: null });
    const before = await s.api.data(FUNNEL, { until: since });
    const all = await s.api.data(FUNNEL, {});
    expect(all.funnel[0].reached - before.funnel[0].reached).toBe(6);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error("timed out waiting for events");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
