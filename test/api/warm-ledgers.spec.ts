/**
 * Warm ledgers (`src/services/warm-ledgers.ts`): a lead's next batch on this instance skips
 * and the next one-interaction write (by id or email) or profile change skip loading the history
 * this instance wrote, and
 * never use a state that is no longer the lead's: not after a write by another instance (one
 * interaction or a batch), not after a publish, not after a batch that rolled back. Each case would give a wrong score with a stale state (the `once` rule awarded
 * twice, a ledger row missing or doubled), and every lead is compared with its replay.
 */
import fs from "node:fs";
import path from "node:path";
import { LeadLedger } from "../../src/scoring/lead-ledger";
import { WarmLedgers } from "../../src/scoring/warm-ledgers";
import { type InteractionInputVars, RECORD_INTERACTION, RECORD_INTERACTIONS, UPSERT_LEAD } from "./helpers/documents";
import { expectEveryLeadMatchesReplay, scoringCalls } from "./helpers/scoring";
import { testDatabase, uniqueEmail, useTestApp } from "./helpers/test-app";

const SEED_SOURCE = fs.readFileSync(path.resolve(__dirname, "../../examples/seed-model.rules"), "utf8");

describe(`warm ledgers [${testDatabase()}]`, () => {
  const s = useTestApp();

  const batch = async (inputs: InteractionInputVars[]) => {
    const res = await s.api.request(RECORD_INTERACTIONS, { inputs });
    expect(res.errors).toBeUndefined();
    return res.data!.recordInteractions.map((r) => r!);
  };
  /** How many leads a call loaded from this process's warm state. */
  const warmLoads = async <T>(work: () => Promise<T>): Promise<{ result: T; warm: number }> => {
    const spy = jest.spyOn(LeadLedger, "load");
    try {
      const result = await work();
      return { result, warm: spy.mock.calls.filter((call) => call[5]?.warm !== undefined).length };
    } finally {
      spy.mockRestore();
    }
  };
  const newsletter = (email: string): InteractionInputVars => ({ email, type: "subscribe", target: "newsletter" });

  it("the next write for a lead uses the state this instance wrote, and scores the same", async () => {
    const email = uniqueEmail("warm");
    await batch([{ email, type: "download" }, newsletter(email)]);
    const next = await warmLoads(() => batch([newsletter(email), { email, type: "visit", target: "/pricing" }]));
    expect(next.warm).toBe(1);
    // `once`: the second subscription earns nothing; the history came from memory.
    expect(next.result.map((r) => r.pointsAwarded)).toEqual([0, 15]);
    expect(next.result[1].lead.score).toBe(21);
    // The one-interaction path by lead id uses it too, and keeps it for the next write.
    const leadId = next.result[0].lead.id;
    const single = await warmLoads(() => s.api.data(RECORD_INTERACTION, { input: { leadId, type: "subscribe", target: "newsletter" } }));
    expect(single.warm).toBe(1);
    expect(single.result.recordInteraction.pointsAwarded).toBe(0);
    const last = await warmLoads(() => batch([{ leadId, type: "email_open", target: "newsletter" }]));
    expect(last.warm).toBe(1);
    expect(last.result[0].lead.score).toBe(23);
    // By email, with profile fields merged (scored with the interaction), and a profile change alone.
    const byEmail = await warmLoads(() =>
      s.api.data(RECORD_INTERACTION, { input: { lead: { email, role: "Marketing Director" }, type: "subscribe", target: "newsletter" } }),
    );
    expect(byEmail.warm).toBe(1);
    expect(byEmail.result.recordInteraction).toMatchObject({ pointsAwarded: 20, lead: { score: 43 } });
    const profile = await warmLoads(() => s.api.data(UPSERT_LEAD, { input: { email, industry: "SaaS" } }));
    expect(profile.warm).toBe(1);
    expect(profile.result.upsertLead.score).toBe(53);
    const after = await warmLoads(() => batch([newsletter(email)]));
    expect({ warm: after.warm, points: after.result[0].pointsAwarded, score: after.result[0].lead.score }).toEqual({ warm: 1, points: 0, score: 53 });
    await expectEveryLeadMatchesReplay(s.t);
  });

  it("another instance's write in between (one interaction or a batch) is seen: the row changed", async () => {
    // Another instance: the same database, its own warm ledgers.
    const ctx = s.t.app.context(null);
    const elsewhere = s.t.app.anotherInstance({ warmLedgers: new WarmLedgers(100) });
    const writes = {
      one: async (email: string) => elsewhere.interactions.record(ctx, { email, type: "subscribe", target: "newsletter" }),
      batch: async (email: string) => {
        const [recorded] = await elsewhere.interactions.recordBatch(ctx, [{ email, type: "subscribe", target: "newsletter" }]);
        if (recorded instanceof Error) throw recorded;
        return recorded;
      },
    };
    for (const [kind, write] of Object.entries(writes)) {
      const email = uniqueEmail(`elsewhere-${kind}`);
      await batch([{ email, type: "download" }]);
      expect((await write(email)).pointsAwarded).toBe(5);
      const { result, warm } = await warmLoads(() => batch([newsletter(email)]));
      expect({ kind, warm, points: result[0].pointsAwarded, score: result[0].lead.score }).toEqual({ kind, warm: 0, points: 0, score: 6 });
      const leadId = result[0].lead.id;
      await write(email);
      const single = await warmLoads(() => s.api.data(RECORD_INTERACTION, { input: { leadId, type: "subscribe", target: "newsletter" } }));
      expect({ kind, warm: single.warm, points: single.result.recordInteraction.pointsAwarded }).toEqual({ kind, warm: 0, points: 0 });
    }
    await expectEveryLeadMatchesReplay(s.t);
  });

  it("a publish in between (every ledger row replaced) is seen", async () => {
    const email = uniqueEmail("publish");
    await batch([{ email, type: "download" }, newsletter(email)]);
    const changed = SEED_SOURCE.replace('subscribe "newsletter" => +5 once', 'subscribe "newsletter" => +7 once');
    expect(changed).not.toBe(SEED_SOURCE);
    await scoringCalls(s.api).publish(changed);
    const { result, warm } = await warmLoads(() => batch([{ email, type: "visit", target: "/pricing" }]));
    expect(warm).toBe(0);
    expect(result[0].lead.score).toBe(1 + 7 + 15);
    await expectEveryLeadMatchesReplay(s.t);
  });

  it("a batch that rolled back leaves no state behind", async () => {
    const [email, control] = [uniqueEmail("rolled-back"), uniqueEmail("control")];
    await batch([{ email, type: "download" }]);
    await batch([{ email: control, type: "download" }]);
    // The batch's write fails, and so does the item-by-item fallback's: nothing is recorded.
    const write = jest.spyOn(LeadLedger, "write").mockRejectedValueOnce(new Error("disk full")).mockRejectedValueOnce(new Error("disk full"));
    try {
      const res = await s.api.request(RECORD_INTERACTIONS, { inputs: [{ email, type: "demo_request" }] });
      expect(res.data?.recordInteractions).toEqual([null]);
      expect(res.errors?.[0].extensions?.code).toBe("INTERNAL_SERVER_ERROR");
    } finally {
      write.mockRestore();
    }
    // The failed attempt added the demo request to the history in memory; the next batch must
    // not see it: 61 points without a demo request is MQL, not SQL (`has demo_request`).
    const pricing = (e: string) => Array.from({ length: 4 }, () => ({ email: e, type: "visit", target: "/pricing" }));
    const [after, expected] = [await batch(pricing(email)), await batch(pricing(control))];
    const outcome = (r: typeof after) => [r[3].lead.score, r[3].lead.stage, r.map((x) => x.stageChange?.to ?? null)];
    expect(outcome(after)).toEqual(outcome(expected));
    expect(after[3].lead.stage).not.toBe("SQL");
    await expectEveryLeadMatchesReplay(s.t);
  });

  it("QUALIFY_WARM_LEADS bounds the leads kept and their items, least recently written first out", () => {
    const cache = new WarmLedgers(2);
    const state = (rowVersion: string) => ({ rowVersion, history: [], stored: [] });
    const award = { ruleIndex: 0, rule: "r", category: "FIT" as const, points: 1, interactionId: null, awardedAt: new Date(), expiresAt: null };
    const heavy = (rowVersion: string, items: number) => ({ rowVersion, history: [], stored: Array.from({ length: items }, (_, n) => ({ id: `${n}`, award })) });
    expect(cache.maxItems).toBe(40);
    cache.put("too-long", heavy("1", 5)); // more than a tenth of the items: not kept
    expect(cache.size).toBe(0);
    cache.put("a", state("1"));
    cache.put("b", state("1"));
    cache.put("a", state("2")); // a is now the most recent
    cache.put("c", state("1"));
    expect(cache.size).toBe(2);
    expect(cache.take("b", "1")).toBeUndefined();
    expect(cache.take("a", "1")).toBeUndefined(); // another row version: not used, and gone
    expect(cache.take("a", "2")).toBeUndefined();
    expect(cache.take("c", "1")).toEqual(state("1"));
    // The items bound: leads of 50 items each, 2,000 items at most: 40 leads, not 100.
    const many = new WarmLedgers(100);
    for (let n = 0; n < 300; n++) many.put(`lead-${n}`, heavy("1", 50));
    expect(many.size).toBe(40);
    expect(many.take("lead-299", "1")).toBeDefined();
    expect(many.take("lead-0", "1")).toBeUndefined();
    const off = new WarmLedgers(0);
    off.put("a", state("1"));
    expect(off.size).toBe(0);
  });
});
