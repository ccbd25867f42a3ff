/** The funnel page's document: the funnel at the chosen instant and, to compare, now. */
import { graphql } from "../gql";

export const FUNNEL = graphql(`
  query FunnelPage($since: DateTime, $until: DateTime, $asOf: DateTime, $compare: Boolean!) {
    chosen: funnel(since: $since, until: $until, asOf: $asOf) {
      stage
      leads
      reached
      conversionToNext
    }
    now: funnel(since: $since, until: $until) @include(if: $compare) {
      stage
      leads
    }
  }
`);
