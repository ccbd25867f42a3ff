/** The model page's operations: typed documents checked against schema.graphql by the build. */
import { graphql } from "../gql";

export const ACTIVE_MODEL = graphql(`
  query ModelPageActiveModel {
    activeModel {
      version
      source
    }
  }
`);

export const MODEL_HISTORY = graphql(`
  query ModelPageHistory($first: Int, $after: String) {
    models(first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          version
          active
          comment
          publishedAt
          publishedBy
          republishedFrom
          source
        }
      }
    }
  }
`);

export const INTERACTION_TYPES = graphql(`
  query ModelPageInteractionTypes {
    interactionTypes(first: 1000) {
      type
    }
  }
`);

export const PREVIEW_MODEL = graphql(`
  mutation ModelPagePreview($source: String!) {
    previewModel(source: $source) {
      diagnostics {
        code
        message
        severity
        line
        column
        endLine
        endColumn
      }
      leadsChanged
      stages {
        stage
        now
        withModel
        fromScratch
      }
      topMovers(first: 10) {
        change
        scoreNow
        scoreWithModel
        stageNow
        stageWithModel
        rulesChanged
        lead {
          id
          email
          firstName
          lastName
        }
      }
    }
  }
`);


export const PUBLISH_OUTCOME = graphql(`
  fragment PublishOutcome on PublishModelPayload {
    leadsRescored
    stageChanges
    model {
      version
    }
  }
`);

export const PUBLISH_MODEL = graphql(`
  mutation ModelPagePublish($source: String!, $comment: String) {
    publishModel(source: $source, comment: $comment) {
      ...PublishOutcome
    }
  }
`);

export const REPUBLISH_MODEL = graphql(`
  mutation ModelPageRepublish($version: Int!, $comment: String) {
    republishModel(version: $version, comment: $comment) {
      ...PublishOutcome
    }
  }
`);

export const RESCORE_STATUS = graphql(`
  query ModelPageRescoreStatus {
    rescoreStatus {
      version
      state
      done
      total
    }
  }
`);
