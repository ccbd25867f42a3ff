/**
 * The demo's data (scripts/demo-data.ts) against the default model (examples/seed-model.rules):
 * replayed lead by lead as the service scores it, every rule of the seed model fires somewhere and
 * the stages fall off like a funnel. No database: the service's write path is tested elsewhere.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DAY, type DemoEvent, generateDemo } from "../../scripts/demo-data";
import { compile } from "../../src/dsl/compiler";
import type { CompiledModel, InteractionFacts, LeadFields } from "../../src/dsl/model";

const SEED_MODEL = readFileSync(join(__dirname, "../../examples/seed-model.rules"), "utf8");
const END = Date.UTC(2026, 10, 22, 12);
const START = END - 90 * DAY;

interface Outcome {
  stage: string;
  /** Names of the score rules with an award (activity or holding fit) at the end. */
  rules: Set<string>;
  /** The stage rules that moved the lead. */
  moves: string[];
}

/** Scores each lead's interactions in order, as the service does: replay, then the stage rules. */
function replayDemo(model: CompiledModel, events: readonly DemoEvent[]): Map<string, Outcome> {
  const byLead = new Map<string, { fields: LeadFields; interactions: InteractionFacts[]; outcome: Outcome }>();
  let seq = 0;
  for (const event of events) {
    if (event.kind !== "interaction") continue;
    const { input } = event;
    let lead = byLead.get(event.email);
    if (!lead) {
      lead = { fields: { email: event.email, attributes: {} }, interactions: [], outcome: { stage: model.funnel.stages[0], rules: new Set(), moves: [] } };
      byLead.set(event.email, lead);
    }
    if (input.lead) {
      const { attributes, ...fields } = input.lead;
      lead.fields = { ...lead.fields, ...fields, attributes: { ...lead.fields.attributes, ...(attributes ?? {}) } };
    }
    const occurredAt = input.occurredAt as Date;
    lead.interactions.push({
      id: String(++seq),
      seq,
      type: input.type,
      target: input.target ?? null,
      source: input.source ?? null,
      properties: input.properties ?? {},
      occurredAt,
    });
    const evaluation = model.replay(lead.fields, lead.interactions, occurredAt);
    const move = model.nextStage(lead.outcome.stage, { ...evaluation, lead: lead.fields, interactions: lead.interactions });
    if (move) {
      lead.outcome.stage = move.to;
      lead.outcome.moves.push(move.rule);
    }
    lead.outcome.rules = new Set([...evaluation.awards, ...evaluation.fitAwards].map((a) => a.rule));
  }
  return new Map([...byLead].map(([email, { outcome }]) => [email, outcome]));
}

describe("the demo data with the seed model", () => {
  const { model, diagnostics } = compile(SEED_MODEL);
  const events = generateDemo(START, END);
  const outcomes = replayDemo(model as CompiledModel, events);
  const count = (stage: string) => [...outcomes.values()].filter((o) => o.stage === stage).length;

  it("compiles the seed model", () => {
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(model).not.toBeNull();
  });

  it("has the demo's sizes: ~1,000 leads, ~20,000 interactions in the 90 days", () => {
    const interactions = events.filter((e) => e.kind === "interaction");
    expect(outcomes.size).toBe(1000);
    expect(interactions.length).toBeGreaterThan(17_000);
    expect(interactions.length).toBeLessThan(23_000);
    for (const e of events) expect(e.at >= START && e.at < END).toBe(true);
  });

  it("is deterministic", () => {
    expect(generateDemo(START, END)).toEqual(events);
  });

  it("fires every score rule of the seed model for at least one lead", () => {
    const fired = new Set([...outcomes.values()].flatMap((o) => [...o.rules]));
    const rules = (model as CompiledModel).rules.map((r) => r.name);
    expect(rules).toHaveLength(9);
    expect(rules.filter((name) => !fired.has(name))).toEqual([]);
  });

  it("moves leads with every stage rule", () => {
    const moved = new Set([...outcomes.values()].flatMap((o) => o.moves));
    expect([...moved].sort()).toEqual(["stage Lead when firstName is set", "stage MQL when score >= 30", "stage SQL when score >= 60 and has demo_request"]);
  });

  it("falls off like a funnel: more Leads than MQLs than SQLs, and some SQLs", () => {
    const [subscribers, leads, mqls, sqls] = ["Subscriber", "Lead", "MQL", "SQL"].map(count);
    expect(subscribers + leads + mqls + sqls).toBe(outcomes.size);
    expect(sqls).toBeGreaterThan(0);
    expect(mqls).toBeGreaterThanOrEqual(sqls);
    expect(leads).toBeGreaterThanOrEqual(mqls);
    // Most leads stay Subscriber or Lead.
    expect(subscribers + leads).toBeGreaterThan(outcomes.size / 2);
  });
});
