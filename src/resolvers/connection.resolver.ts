import { FieldResolver, Int, Resolver, Root } from "type-graphql";
import type { ConnectionResult } from "../schema/connection.type";
import { InteractionConnection } from "../schema/interaction.type";
import { LeadConnection } from "../schema/lead.type";
import { ScoringModelConnection } from "../schema/model.type";
import { ScorePointConnection } from "../schema/score-history.type";
import { WebhookDeliveryConnection } from "../schema/webhook.type";

/** `totalCount` of a connection runs its count query only when a client asks for it. */
function totalCountResolver(
  connection:
    | typeof LeadConnection
    | typeof InteractionConnection
    | typeof ScoringModelConnection
    | typeof ScorePointConnection
    | typeof WebhookDeliveryConnection,
) {
  @Resolver(() => connection)
  class TotalCountResolver {
    @FieldResolver(() => Int)
    totalCount(@Root() result: ConnectionResult<unknown>): Promise<number> {
      return result.countTotal();
    }
  }
  return TotalCountResolver;
}

export const LeadConnectionResolver = totalCountResolver(LeadConnection);
export const InteractionConnectionResolver = totalCountResolver(InteractionConnection);
export const ScoringModelConnectionResolver = totalCountResolver(ScoringModelConnection);
export const ScorePointConnectionResolver = totalCountResolver(ScorePointConnection);
export const WebhookDeliveryConnectionResolver = totalCountResolver(WebhookDeliveryConnection);
