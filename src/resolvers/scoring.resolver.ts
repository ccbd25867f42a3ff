import { Arg, Authorized, Ctx, FieldResolver, ID, Resolver, Root, Subscription } from "type-graphql";
import type { RequestContext } from "./request-context";
import { Interaction } from "../schema/interaction.type";
import { Lead } from "../schema/lead.type";
import { LeadScored } from "../schema/score.type";
import { LEAD_SCORED, type LeadScoredEvent } from "../events/events";

@Resolver(() => LeadScored)
export class ScoringResolver {
  @Authorized("read")
  @Subscription(() => LeadScored, {
    topics: LEAD_SCORED,
    filter: ({ payload, args }: { payload: LeadScoredEvent; args: { leadId?: string | null } }) =>
      !args.leadId || payload.leadId === args.leadId,
    description: "Every scoring of a lead (an interaction, a profile change, expired points), or only those of `leadId`.",
  })
  leadScored(@Root() event: LeadScoredEvent, @Arg("leadId", () => ID, { nullable: true }) _leadId?: string): LeadScoredEvent {
    return event;
  }

  // Not the request's loaders: a subscription's context lives as long as the connection.
  @FieldResolver(() => Lead, { description: "The lead as it is when the event is delivered." })
  lead(@Root() event: LeadScoredEvent, @Ctx() ctx: RequestContext) {
    return ctx.services.leads.findById(ctx, event.leadId);
  }

  @FieldResolver(() => Interaction, { nullable: true, description: "The interaction that was scored, if one was." })
  interaction(@Root() event: LeadScoredEvent, @Ctx() ctx: RequestContext) {
    return event.interactionId ? ctx.services.interactions.findById(ctx, event.interactionId) : null;
  }
}
