/**
 * Scoring tests: the documents they send, and the oracle they compare the service with — the
 * canonical replay of the language (`docs/language.md`), computed here with the DSL from the rows in the
 * database (the active model's source, each lead's fields and interactions).
 */
import { leadFieldsOfRow } from "../../../src/scoring/ledger-rows";
import { DEFAULT_INTERACTION_TYPES } from "../../../src/dsl/catalog";
import { compile } from "../../../src/dsl/compiler";
import type { CompiledModel, Evaluation, InteractionFacts, LeadFields } from "../../../src/dsl/model";
import { RECORD_INTERACTION, type InteractionInputVars } from "./documents";
import { gql, type GraphQLTestClient } from "./graphql-client";
import type { TestApp } from "./test-app";

export interface AwardShape {
  rule: string;
  category: "FIT" | "ENGAGEMENT";
  points: number;
  awardedAt: string;
  expiresAt: string | null;
  counting: boolean;
}

export interface ExplainedLead {
  id: string;
  email: string;
  score: number;
  fit: number;
  engagement: number;
  stage: string;
  scoreBreakdown: Array<{ rule: string; category: "FIT" | "ENGAGEMENT"; points: number; count: number }>;
  stageHistory: Array<{ from: string | null; to: string; cause: "RULE" | "MANUAL"; rule: string | null }>;
  interactions: { edges: Array<{ node: { id: string; type: string; occurredAt: string; points: number; awards: AwardShape[] } }> };
}

/** A lead with its score explained: breakdown, stage history, and each interaction's awards. */
export const EXPLAINED_LEAD = gql<{ lead: ExplainedLead | null }, { id: string }>(`
  query ExplainedLead($id: ID!) {
    lead(id: $id) {
      id email score fit engagement stage
      scoreBreakdown { rule category points count }
      stageHistory { from to cause rule }
      interactions(first: 100) { edges { node { id type occurredAt points awards { rule category points awardedAt expiresAt counting } } } }
    }
  }`);

export interface ModelShape {
  id: string;
  version: number;
  active: boolean;
  source: string;
  funnel: string[];
  publishedAt: string;
}

const MODEL_FIELDS = "id version active source funnel publishedAt";

export const PUBLISH_MODEL = gql<
  { publishModel: { model: ModelShape; leadsRescored: number; stageChanges: number } },
  { source: string }
>(`
  mutation Publish($source: String!) {
    publishModel(source: $source) { model { ${MODEL_FIELDS} } leadsRescored stageChanges }
  }`);

export interface DiagnosticShape {
  severity: "ERROR" | "WARNING";
  code: string;
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

const DIAGNOSTIC_FIELDS = "severity code message line column endLine endColumn";

export const CHECK_MODEL = gql<{ checkModel: DiagnosticShape[] }, { source: string }>(`
  query Check($source: String!) { checkModel(source: $source) { ${DIAGNOSTIC_FIELDS} } }`);

export interface PreviewShape {
  diagnostics: DiagnosticShape[];
  leadsChanged: number;
  stages: Array<{ stage: string; now: number; withModel: number; fromScratch: number }>;
  topMovers: Array<{
    lead: { id: string; score: number };
    scoreNow: number;
    scoreWithModel: number;
    change: number;
    stageNow: string;
    stageWithModel: string;
    rulesChanged: string[];
  }>;
}

export const PREVIEW_MODEL = gql<{ previewModel: PreviewShape }, { source: string; first?: number }>(`
  mutation Preview($source: String!, $first: Int) {
    previewModel(source: $source) {
      diagnostics { ${DIAGNOSTIC_FIELDS} }
      leadsChanged
      stages { stage now withModel fromScratch }
      topMovers(first: $first) { lead { id score } scoreNow scoreWithModel change stageNow stageWithModel rulesChanged }
    }
  }`);

export const MODELS = gql<
  {
    activeModel: ModelShape | null;
    models: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ cursor: string; node: ModelShape }> };
  },
  { first?: number; after?: string | null }
>(`
  query Models($first: Int, $after: String) {
    activeModel { ${MODEL_FIELDS} }
    models(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${MODEL_FIELDS} } } }
  }`);

/** Compiles a model as the service does (the default interaction catalog); fails on errors. */
export function compileModel(source: string): CompiledModel {
  const { model, diagnostics } = compile(source, { catalog: DEFAULT_INTERACTION_TYPES });
  if (!model) throw new Error(`test model does not compile: ${JSON.stringify(diagnostics)}`);
  return model;
}

/** The name the DSL gives the rule whose source text starts with `prefix`. */
export function ruleNamed(model: CompiledModel, prefix: string): string {
  const rule = model.rules.find((r) => r.name.startsWith(prefix));
  if (!rule) throw new Error(`no rule starts with ${prefix}`);
  return rule.name;
}

interface StoredLead {
  id: string;
  fields: LeadFields;
  fit: number;
  engagement: number;
  score: number;
  stage: string;
  modelVersion: number;
  /** The engagement reset (recycling), if any. */
  engagementSince: Date | null;
}

/** Everything the replay needs, read straight from the database. */
export async function readDatabase(t: TestApp) {
  const db = t.app.context(null).db;
  const [active]: Array<{ version: number; source: string }> = await db.query(`SELECT version, source FROM scoring_model WHERE active`);
  const leadRows: Array<Record<string, unknown>> = await db.query(`SELECT * FROM lead ORDER BY id`);
  const interactionRows: Array<Record<string, unknown>> = await db.query(`SELECT * FROM interaction`);
  const awardRows: Array<Record<string, unknown>> = await db.query(`SELECT * FROM score_award`);
  const lastPoints: Array<{ lead_id: string; score: number; fit: number; engagement: number }> = await db.query(
    `SELECT DISTINCT ON (lead_id) lead_id, score, fit, engagement FROM score_point ORDER BY lead_id, at DESC, seq DESC`,
  );
  const leads: StoredLead[] = leadRows.map((r) => ({
    id: r.id as string,
    fields: leadFieldsOfRow(r),
    fit: r.fit as number,
    engagement: r.engagement as number,
    score: r.score as number,
    stage: r.stage as string,
    modelVersion: r.model_version as number,
    engagementSince: (r.engagement_since as Date | null) ?? null,
  }));
  const interactions = new Map<string, InteractionFacts[]>();
  for (const r of interactionRows) {
    const list = interactions.get(r.lead_id as string) ?? [];
    list.push({
      id: r.id as string,
      seq: Number(r.seq),
      type: r.type as string,
      target: r.target as string | null,
      source: r.source as string | null,
      properties: r.properties as Record<string, unknown>,
      occurredAt: r.occurred_at as Date,
    });
    interactions.set(r.lead_id as string, list);
  }
  const ledger = new Map<string, string[]>();
  for (const r of awardRows) {
    const list = ledger.get(r.lead_id as string) ?? [];
    list.push(awardKey(r.interaction_id as string | null, r.rule as string, r.points as number, r.expires_at as Date | null, r.model_version as number));
    ledger.set(r.lead_id as string, list);
  }
  const history = new Map(lastPoints.map((p) => [p.lead_id, { fit: p.fit, engagement: p.engagement, score: p.score }]));
  const groupRows: Array<{ lead_id: string; group_key: string; points: number; uncapped: number }> = await db.query(
    `SELECT lead_id, group_key, points, uncapped FROM lead_group_points ORDER BY lead_id, group_key`,
  );
  const groups = new Map<string, string[]>();
  for (const r of groupRows) groups.set(r.lead_id, [...(groups.get(r.lead_id) ?? []), `${r.group_key}: ${r.points} (${r.uncapped})`]);
  return { active, leads, interactions, ledger, history, groups };
}

const awardKey = (interactionId: string | null, rule: string, points: number, expiresAt: Date | null, version: number) =>
  `${interactionId ?? "fit"} | ${rule} | ${points} | ${expiresAt ? expiresAt.toISOString() : "never"} | v${version}`;

/** The replay's ledger in the same notation as `readDatabase().ledger`. */
export const replayLedger = (evaluation: Evaluation, version: number): string[] =>
  [...evaluation.awards, ...evaluation.fitAwards].map((a) => awardKey(a.interactionId, a.rule, a.points, a.expiresAt, version)).sort();

/**
 * Asserts that every lead's stored fit / engagement / score, model version, ledger and group
 * points (`lead_group_points`) equal a fresh replay of its interactions with the active model as
 * of `now` (from its engagement reset, if any), and that the last point of its score history
 * holds its stored totals. Returns the leads checked.
 */
export async function expectEveryLeadMatchesReplay(t: TestApp, now: Date = new Date()): Promise<number> {
  const { active, leads, interactions, ledger, history, groups } = await readDatabase(t);
  const model = compileModel(active.source);
  for (const lead of leads) {
    const evaluation = model.replay(lead.fields, interactions.get(lead.id) ?? [], now, lead.engagementSince);
    // A lead scored with a grouped model has a row per group; a lead without awards may have none yet (all 0).
    const replayed = evaluation.groups.map((g) => `${g.name.trim().toLowerCase()}: ${g.points} (${g.uncapped})`).sort();
    const storedGroups = groups.get(lead.id) ?? (evaluation.groups.every((g) => g.uncapped === 0) && ledger.get(lead.id) === undefined ? replayed : []);
    expect({ lead: lead.id, groups: storedGroups }).toEqual({ lead: lead.id, groups: replayed });
    const stored = { lead: lead.id, fit: lead.fit, engagement: lead.engagement, score: lead.score, version: lead.modelVersion };
    expect(stored).toEqual({ lead: lead.id, fit: evaluation.fit, engagement: evaluation.engagement, score: evaluation.score, version: active.version });
    expect({ lead: lead.id, ledger: (ledger.get(lead.id) ?? []).sort() }).toEqual({ lead: lead.id, ledger: replayLedger(evaluation, active.version) });
    expect({ lead: lead.id, history: history.get(lead.id) }).toEqual({ lead: lead.id, history: { fit: lead.fit, engagement: lead.engagement, score: lead.score } });
  }
  return leads.length;
}

export const HOUR = 60 * 60 * 1000;
export const DAY = 24 * HOUR;
/** An ISO time `ms` before now. */
export const ago = (ms: number): string => new Date(Date.now() - ms).toISOString();

/** The calls scoring tests make again and again, through `api`. */
export function scoringCalls(api: GraphQLTestClient) {
  return {
    record: async (input: InteractionInputVars) => (await api.data(RECORD_INTERACTION, { input })).recordInteraction,
    publish: async (source: string) => (await api.data(PUBLISH_MODEL, { source })).publishModel,
    explain: async (id: string): Promise<ExplainedLead> => {
      const { lead } = await api.data(EXPLAINED_LEAD, { id });
      if (!lead) throw new Error(`lead ${id} not found`);
      return lead;
    },
  };
}
