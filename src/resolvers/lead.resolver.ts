import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { RequestContext } from "./request-context";
import type { LeadEntity } from "../entities/lead.entity";
import { pageSize } from "../database/cursor";
import type { ConnectionResult } from "../schema/connection.type";
import { LeadFilter, LeadInput, LeadOrder } from "../schema/inputs.type";
import { type Interaction, InteractionConnection } from "../schema/interaction.type";
import { Lead, LeadConnection } from "../schema/lead.type";
import { RuleContribution } from "../schema/score.type";
import { StageTransition } from "../schema/stage.type";

@Resolver(() => Lead)
export class LeadResolver {
  @Authorized("read")
  @Query(() => Lead, { nullable: true })
  lead(@Arg("id", () => ID) id: string, @Ctx() ctx: RequestContext) {
    return ctx.loaders.leadById.load(id);
  }

  @Authorized("read")
  @Query(() => Lead, { nullable: true, description: "Compared trimmed and case-insensitively." })
  leadByEmail(@Arg("email") email: string, @Ctx() ctx: RequestContext) {
    return ctx.services.leads.findByEmail(ctx, email);
  }

  @Authorized("read")
  @Query(() => LeadConnection, { description: "`first` defaults to 20, at most 100." })
  async leads(
    @Ctx() ctx: RequestContext,
    @Arg("filter", () => LeadFilter, { nullable: true }) filter?: LeadFilter,
    @Arg("orderBy", () => LeadOrder, { nullable: true }) orderBy?: LeadOrder,
    @Arg("first", () => Int, { nullable: true }) first?: number,
    @Arg("after", () => String, { nullable: true }) after?: string,
  ): Promise<ConnectionResult<LeadEntity>> {
    const page = await ctx.services.leads.list(ctx, filter, orderBy, first, after);
    for (const { node } of page.edges) ctx.loaders.leadById.prime(node.id, node);
    return { ...page, countTotal: () => ctx.services.leads.count(ctx, filter) };
  }

  @Authorized("ingest")
  @Mutation(() => Lead, { description: "Creates or merges into the lead keyed by email." })
  upsertLead(@Arg("input", () => LeadInput) input: LeadInput, @Ctx() ctx: RequestContext) {
    return ctx.services.leads.upsert(ctx, input);
  }

  @Authorized("admin")
  @Mutation(() => Boolean, { description: "Erases the lead and all its data; false when there is no such lead." })
  deleteLead(@Arg("id", () => ID) id: string, @Ctx() ctx: RequestContext) {
    return ctx.services.leads.delete(ctx, id);
  }

  @FieldResolver(() => InteractionConnection, { description: "Newest first." })
  async interactions(
    @Root() lead: LeadEntity,
    @Ctx() ctx: RequestContext,
    @Arg("first", () => Int, { nullable: true }) first?: number,
    @Arg("after", () => String, { nullable: true }) after?: string,
  ): Promise<ConnectionResult<Interaction>> {
    const key = { leadId: lead.id, first: pageSize(first), after: after ?? null };
    const page = await ctx.loaders.interactionsByLead.load(key);
    return { ...page, countTotal: () => ctx.loaders.interactionCountByLead.load(lead.id) };
  }

  @FieldResolver(() => [RuleContribution], {
    description: "Why the score is what it is: every rule with an award still counting, in the model's order.",
  })
  scoreBreakdown(@Root() lead: LeadEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.scoreBreakdownByLead.load(lead.id);
  }

  @FieldResolver(() => [StageTransition], { description: "Oldest first." })
  stageHistory(@Root() lead: LeadEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.stageHistoryByLead.load(lead.id);
  }
}
