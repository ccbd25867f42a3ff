import type { GraphQLResolveInfo } from "graphql";
import { Arg, Authorized, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { RequestContext } from "./request-context";
import type { LeadEntity } from "../entities/lead.entity";
import { pageSize, withCount } from "../database/cursor";
import { DETAIL_FIELDS } from "./loaders/interactions-by-lead.loader";
import type { ConnectionResult } from "../schema/connection.type";
import { LeadFilter, LeadInput, LeadOrder } from "../schema/inputs.type";
import { type Interaction, InteractionConnection } from "../schema/interaction.type";
import { Lead, LeadConnection } from "../schema/lead.type";
import { GroupScore, RuleContribution } from "../schema/score.type";
import { leadFieldsOf } from "../scoring/ledger-rows";
import { breakdownNow, groupScores, outlookNow, stageRulesReadInteractions } from "../scoring/score-reading";
import { ScorePoint, ScorePointConnection } from "../schema/score-history.type";
import type { ScorePointRecord } from "./loaders/score-history-by-lead.loader";
import { checkPast, checkWindow, Problems } from "../services/validation";
import { StageCheck, StageTransition } from "../schema/stage.type";
import { selects } from "./selection";

/** The fields of an interaction read from its awards (`Lead.interactions` reads them ahead). */
const AWARD_FIELDS: ReadonlySet<string> = new Set(["points", "awards"]);

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
    return withCount(page, () => ctx.services.leads.count(ctx, filter));
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
    @Info() info: GraphQLResolveInfo,
    @Arg("first", () => Int, { nullable: true }) first?: number,
    @Arg("after", () => String, { nullable: true }) after?: string,
  ): Promise<ConnectionResult<Interaction>> {
    // Their awards read in the page's statement (one for every lead's page) when asked, so that
    // each interaction's `points` and `awards` answer at once; the fields few pages show
    // (`DETAIL_FIELDS`) only when asked.
    const key = {
      leadId: lead.id,
      first: pageSize(first),
      after: after ?? null,
      awards: selects(info, ["edges", "node"], AWARD_FIELDS),
      details: selects(info, ["edges", "node"], DETAIL_FIELDS),
    };
    const page = await ctx.loaders.interactionsByLead.load(key);
    return withCount(page, () => ctx.loaders.interactionCountByLead.load(lead.id));
  }

  @FieldResolver(() => [RuleContribution], {
    description:
      "Why the score is what it is: every rule with an award still counting (not expired, not decayed to 0), in the model's order, valued as of now. A group's cap applies to the group, not to its rules here.",
  })
  async scoreBreakdown(@Root() lead: LeadEntity, @Ctx() ctx: RequestContext) {
    return breakdownNow(await ctx.loaders.ledgerByLead.load(lead.id), ctx.clock.now());
  }

  @FieldResolver(() => [GroupScore], {
    description: "The lead's points in every group of its model (groups with rules), in the model's order, as of now.",
  })
  async groups(@Root() lead: LeadEntity, @Ctx() ctx: RequestContext) {
    return groupScores(await ctx.loaders.ledgerByLead.load(lead.id), ctx.clock.now());
  }

  @FieldResolver(() => [StageCheck], {
    description:
      "Each stage ahead of the lead's that has a rule, nearest first: whether its rule holds now and, condition by condition, why not. Empty for a lead off the funnel's path (rules never move it) and at the last stage.",
  })
  async stageOutlook(@Root() lead: LeadEntity, @Ctx() ctx: RequestContext) {
    const ledger = await ctx.loaders.ledgerByLead.load(lead.id);
    const interactions = stageRulesReadInteractions(ledger.model) ? await ctx.loaders.interactionKindsByLead.load(lead.id) : [];
    return outlookNow(ledger, lead.stage, leadFieldsOf(lead), interactions, ctx.clock.now());
  }

  @FieldResolver(() => [StageTransition], { description: "Oldest first." })
  stageHistory(@Root() lead: LeadEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.stageHistoryByLead.load(lead.id);
  }

  @FieldResolver(() => ScorePointConnection, {
    description:
      "Every change of the stored score, oldest first, within [since, until] (open ends: all); `first` defaults to 20, at most 100.",
  })
  async scoreHistory(
    @Root() lead: LeadEntity,
    @Ctx() ctx: RequestContext,
    @Arg("since", () => Date, { nullable: true }) since?: Date,
    @Arg("until", () => Date, { nullable: true }) until?: Date,
    @Arg("first", () => Int, { nullable: true }) first?: number,
    @Arg("after", () => String, { nullable: true }) after?: string,
  ): Promise<ConnectionResult<ScorePointRecord>> {
    const problems = new Problems();
    checkWindow(problems, since, until);
    problems.throwIfAny();
    const window = { leadId: lead.id, since: since ?? null, until: until ?? null };
    const page = await ctx.loaders.scoreHistoryByLead.load({ ...window, first: pageSize(first), after: after ?? null });
    return withCount(page, () => ctx.loaders.scorePointCountByLead.load(window));
  }

  @FieldResolver(() => ScorePoint, {
    nullable: true,
    description: "The score as it stood at `at` (not in the future): the last point at or before it; null before the lead's history.",
  })
  scoreAt(@Root() lead: LeadEntity, @Arg("at", () => Date) at: Date, @Ctx() ctx: RequestContext) {
    const problems = new Problems();
    checkPast(problems, "at", at, ctx.clock.now());
    problems.throwIfAny();
    return ctx.loaders.scoreAtByLead.load({ leadId: lead.id, at });
  }
}
