import { Arg, Authorized, Ctx, Extensions, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from "type-graphql";
import { checkArgumentsWith } from "./argument-guard";
import type { RequestContext } from "./request-context";
import { LEAD_STAGE_CHANGED, type LeadStageChangedEvent } from "../events/events";
import { Lead } from "../schema/lead.type";
import { FunnelStageStats, LeadStageChanged } from "../schema/stage.type";

@Resolver(() => LeadStageChanged)
export class StageResolver {
  @Authorized("sales")
  @Mutation(() => Lead, {
    description:
      "Moves a lead to any stage by hand; stage rules run on its next change. `resetEngagement` (recycling): its engagement restarts now, interactions before it earn nothing.",
  })
  setLeadStage(
    @Arg("leadId", () => ID) leadId: string,
    @Arg("stage") stage: string,
    @Ctx() ctx: RequestContext,
    @Arg("reason", () => String, { nullable: true }) reason?: string,
    @Arg("resetEngagement", () => Boolean, { defaultValue: false }) resetEngagement?: boolean,
  ) {
    return ctx.services.stages.setStage(ctx, leadId, stage, reason, resetEngagement ?? false);
  }

  @Authorized("read")
  @Query(() => [FunnelStageStats], {
    description: "For the leads created in [since, until); open ends: all. `asOf`: as the funnel stood at that instant (not in the future).",
  })
  funnel(
    @Ctx() ctx: RequestContext,
    @Arg("since", () => Date, { nullable: true }) since?: Date,
    @Arg("until", () => Date, { nullable: true }) until?: Date,
    @Arg("asOf", () => Date, { nullable: true }) asOf?: Date,
  ) {
    return ctx.services.stages.stats(ctx, since, until, asOf);
  }

  @Authorized("read")
  @Extensions(
    checkArgumentsWith(async (args: { stage?: string | null }, ctx: RequestContext) => {
      if (args.stage != null) await ctx.services.stages.checkStageName(ctx, args.stage, "stage");
    }),
  )
  @Subscription(() => LeadStageChanged, {
    topics: LEAD_STAGE_CHANGED,
    filter: ({ payload, args }: { payload: LeadStageChangedEvent; args: { stage?: string | null } }) =>
      !args.stage || payload.transition.toStage.toLowerCase() === args.stage.trim().toLowerCase(),
    description: "Every stage change, or only moves into `stage`.",
  })
  leadStageChanged(
    @Root() event: LeadStageChangedEvent,
    @Arg("stage", () => String, { nullable: true }) _stage?: string,
  ) {
    return { leadId: event.leadId, transition: { ...event.transition, at: new Date(event.transition.at) } };
  }

  @FieldResolver(() => Lead)
  lead(@Root() event: { leadId: string }, @Ctx() ctx: RequestContext) {
    // Not the request's loader: a subscription's context lives as long as the connection.
    return ctx.services.leads.findById(ctx, event.leadId);
  }
}
