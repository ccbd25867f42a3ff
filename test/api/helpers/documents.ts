/** The operations the end-to-end tests send, typed by result and variables. */
import { gql } from "./graphql-client";

export interface LeadShape {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  role: string | null;
  company: string | null;
  industry: string | null;
  companySize: number | null;
  country: string | null;
  source: string | null;
  attributes: Record<string, unknown>;
  score: number;
  fit: number;
  engagement: number;
  stage: string;
  createdAt: string;
  updatedAt: string;
}

const LEAD_FIELDS = `fragment LeadFields on Lead {
  id email firstName lastName role company industry companySize country source attributes score fit engagement stage createdAt updatedAt
}`;

export interface LeadInputVars {
  email: string;
  firstName?: string | null;
  lastName?: string | null;
  role?: string | null;
  company?: string | null;
  industry?: string | null;
  companySize?: number | null;
  country?: string | null;
  source?: string | null;
  attributes?: Record<string, unknown> | null;
}

export interface InteractionInputVars {
  leadId?: string;
  email?: string;
  lead?: LeadInputVars;
  type: string;
  target?: string | null;
  source?: string | null;
  properties?: Record<string, unknown>;
  occurredAt?: string;
  externalId?: string;
}

export interface InteractionShape {
  id: string;
  type: string;
  target: string | null;
  source: string | null;
  externalId: string | null;
  properties: Record<string, unknown>;
  occurredAt: string;
  points: number;
  lead: { id: string; email: string };
}

export interface TransitionShape {
  from: string | null;
  to: string;
  at: string;
  cause: "RULE" | "MANUAL";
  rule: string | null;
  actor: string | null;
  reason: string | null;
}

export interface PayloadShape {
  duplicate: boolean;
  pointsAwarded: number;
  stageChange: TransitionShape | null;
  interaction: InteractionShape;
  lead: LeadShape;
}

const PAYLOAD_FIELDS = `fragment PayloadFields on RecordInteractionPayload {
  duplicate pointsAwarded
  stageChange { from to at cause rule actor reason }
  interaction { id type target source externalId properties occurredAt points lead { id email } }
  lead { ...LeadFields }
}
${LEAD_FIELDS}`;

export const UPSERT_LEAD = gql<{ upsertLead: LeadShape }, { input: LeadInputVars }>(`
  mutation UpsertLead($input: LeadInput!) { upsertLead(input: $input) { ...LeadFields } }
  ${LEAD_FIELDS}`);

export const LEAD = gql<{ lead: LeadShape | null }, { id: string }>(`
  query Lead($id: ID!) { lead(id: $id) { ...LeadFields } }
  ${LEAD_FIELDS}`);

export const LEAD_BY_EMAIL = gql<{ leadByEmail: LeadShape | null }, { email: string }>(`
  query LeadByEmail($email: String!) { leadByEmail(email: $email) { ...LeadFields } }
  ${LEAD_FIELDS}`);

export const RECORD_INTERACTION = gql<{ recordInteraction: PayloadShape }, { input: InteractionInputVars }>(`
  mutation Record($input: InteractionInput!) { recordInteraction(input: $input) { ...PayloadFields } }
  ${PAYLOAD_FIELDS}`);

export const RECORD_INTERACTIONS = gql<{ recordInteractions: Array<PayloadShape | null> }, { inputs: InteractionInputVars[] }>(`
  mutation RecordMany($inputs: [InteractionInput!]!) { recordInteractions(inputs: $inputs) { ...PayloadFields } }
  ${PAYLOAD_FIELDS}`);

export interface LeadsVars {
  filter?: {
    stage?: string[];
    minScore?: number;
    maxScore?: number;
    source?: string;
    search?: string;
    updatedSince?: string;
    role?: string;
    industry?: string;
    country?: string;
    company?: string;
    minFit?: number;
    maxFit?: number;
    minEngagement?: number;
    maxEngagement?: number;
    minCompanySize?: number;
    maxCompanySize?: number;
    attributes?: Record<string, unknown>;
    groups?: Array<{ group: string; min?: number; max?: number }>;
  };
  orderBy?: { field?: "SCORE" | "FIT" | "ENGAGEMENT" | "CREATED_AT" | "UPDATED_AT" | "EMAIL" | "GROUP"; direction?: "ASC" | "DESC"; group?: string };
  first?: number;
  after?: string | null;
}

export interface LeadsShape {
  leads: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: Array<{ cursor: string; node: { id: string; email: string; score: number; createdAt: string } }>;
  };
}

export const LEADS = gql<LeadsShape, LeadsVars>(`
  query Leads($filter: LeadFilter, $orderBy: LeadOrder, $first: Int, $after: String) {
    leads(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id email score createdAt } }
    }
  }`);

export const LEAD_INTERACTIONS = gql<
  {
    lead: {
      interactions: {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
        edges: Array<{ node: { id: string; type: string; occurredAt: string } }>;
      };
    } | null;
  },
  { id: string; first?: number; after?: string | null }
>(`
  query LeadInteractions($id: ID!, $first: Int, $after: String) {
    lead(id: $id) {
      interactions(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { id type occurredAt } }
      }
    }
  }`);

export const SET_LEAD_STAGE = gql<
  { setLeadStage: { id: string; stage: string; stageHistory: TransitionShape[] } },
  { leadId: string; stage: string; reason?: string }
>(`
  mutation SetStage($leadId: ID!, $stage: String!, $reason: String) {
    setLeadStage(leadId: $leadId, stage: $stage, reason: $reason) {
      id stage stageHistory { from to at cause rule actor reason }
    }
  }`);

export const DELETE_LEAD = gql<{ deleteLead: boolean }, { id: string }>(`
  mutation DeleteLead($id: ID!) { deleteLead(id: $id) }`);

export interface FunnelRow {
  stage: string;
  leads: number;
  reached: number;
  conversionToNext: number | null;
}

export const FUNNEL = gql<{ funnel: FunnelRow[] }, { since?: string; until?: string }>(`
  query Funnel($since: DateTime, $until: DateTime) { funnel(since: $since, until: $until) { stage leads reached conversionToNext } }`);

export const LEAD_STAGE_CHANGED = `subscription StageChanged($stage: String) {
  leadStageChanged(stage: $stage) { leadId lead { id email stage } transition { from to cause actor reason } }
}`;

/** A page of leads with their last 10 interactions (and their awards), score breakdown and stage history (the N+1 probe). */
export const LEADS_DEEP = gql<
  {
    leads: {
      edges: Array<{
        node: {
          id: string;
          interactions: { edges: Array<{ node: { points: number; awards: unknown[] } }> };
          scoreBreakdown: Array<{ rule: string; points: number; count: number }>;
          stageHistory: unknown[];
        };
      }>;
    };
  },
  { first: number }
>(`
  query LeadsDeep($first: Int) {
    leads(first: $first, orderBy: { field: EMAIL, direction: ASC }) {
      edges { node {
        id email stage
        interactions(first: 10) { edges { node { id type occurredAt points awards { rule points expiresAt } lead { id email } } } }
        scoreBreakdown { rule category points count }
        stageHistory { from to at cause }
      } }
    }
  }`);

export interface ApiKeyShape {
  id: string;
  name: string;
  prefix: string;
  scopes: Array<"READ" | "INGEST" | "SALES" | "ADMIN">;
  createdAt: string;
  createdBy: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
  lastUsedAt: string | null;
}

const API_KEY_FIELDS = "id name prefix scopes createdAt createdBy revokedAt revokedBy lastUsedAt";

export const API_KEYS = gql<{ apiKeys: ApiKeyShape[] }>(`query Keys { apiKeys { ${API_KEY_FIELDS} } }`);

export const CREATE_API_KEY = gql<{ createApiKey: { key: string; apiKey: ApiKeyShape } }, { name: string; scopes: string[] }>(`
  mutation CreateKey($name: String!, $scopes: [Scope!]!) { createApiKey(name: $name, scopes: $scopes) { key apiKey { ${API_KEY_FIELDS} } } }`);

export const REVOKE_API_KEY = gql<{ revokeApiKey: ApiKeyShape }, { id: string }>(`
  mutation RevokeKey($id: ID!) { revokeApiKey(id: $id) { ${API_KEY_FIELDS} } }`);
