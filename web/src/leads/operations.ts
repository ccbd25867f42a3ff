/**
 * The leads feature's GraphQL documents (typed by codegen from schema.graphql): the table, one
 * lead, the stage move, the live events, and the active model's stages and groups (for the
 * filters, the sort by group and the stage select).
 */
import { graphql } from "../gql";

export const MODEL_SHAPE = graphql(`
  query LeadsModelShape {
    activeModel {
      version
      funnel
      offPath
      groups {
        name
        category
        max
      }
    }
  }
`);

export const LEAD_ROW = graphql(`
  fragment LeadRow on Lead {
    id
    email
    firstName
    lastName
    company
    role
    industry
    source
    stage
    score
    fit
    engagement
    updatedAt
    groups @include(if: $withGroups) {
      group
      points
      max
    }
  }
`);

export const LEADS = graphql(`
  query LeadsTable($filter: LeadFilter, $orderBy: LeadOrder, $first: Int, $after: String, $withGroups: Boolean!) {
    leads(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...LeadRow
        }
      }
    }
  }
`);

export const LEADS_SCORED = graphql(`
  subscription LeadsTableScored($withGroups: Boolean!) {
    leadScored {
      leadId
      lead {
        ...LeadRow
      }
    }
  }
`);

export const LEADS_STAGE_CHANGED = graphql(`
  subscription LeadsTableStageChanged($withGroups: Boolean!) {
    leadStageChanged {
      leadId
      lead {
        ...LeadRow
      }
    }
  }
`);

export const INTERACTION_PAGE = graphql(`
  fragment InteractionPage on InteractionConnection {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        type
        target
        source
        occurredAt
        points
      }
    }
  }
`);

export const LEAD = graphql(`
  query LeadDetail($id: ID!) {
    lead(id: $id) {
      id
      email
      firstName
      lastName
      company
      companySize
      role
      industry
      country
      source
      attributes
      createdAt
      updatedAt
      stage
      score
      fit
      engagement
      engagementSince
      groups {
        group
        category
        points
        uncappedPoints
        max
      }
      scoreBreakdown {
        rule
        group
        category
        points
        count
      }
      stageHistory {
        from
        to
        at
        cause
        rule
        actor
        reason
      }
      stageOutlook {
        stage
        holds
        rule
        conditions {
          condition
          holds
          detail
        }
      }
      interactions(first: 50) {
        ...InteractionPage
      }
    }
  }
`);

export const MORE_INTERACTIONS = graphql(`
  query LeadMoreInteractions($id: ID!, $after: String) {
    lead(id: $id) {
      id
      interactions(first: 50, after: $after) {
        ...InteractionPage
      }
    }
  }
`);

export const SCORE_HISTORY = graphql(`
  query LeadScoreHistory($id: ID!, $after: String) {
    lead(id: $id) {
      id
      scoreHistory(first: 100, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            at
            score
            fit
            engagement
            cause
          }
        }
      }
    }
  }
`);

export const SET_LEAD_STAGE = graphql(`
  mutation LeadSetStage($leadId: ID!, $stage: String!, $reason: String, $resetEngagement: Boolean!) {
    setLeadStage(leadId: $leadId, stage: $stage, reason: $reason, resetEngagement: $resetEngagement) {
      id
      stage
    }
  }
`);

export const LEAD_SCORED = graphql(`
  subscription LeadPageScored($leadId: ID!) {
    leadScored(leadId: $leadId) {
      leadId
      score
    }
  }
`);

export const LEAD_STAGE_CHANGED = graphql(`
  subscription LeadPageStageChanged {
    leadStageChanged {
      leadId
    }
  }
`);
