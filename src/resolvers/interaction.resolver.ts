import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { RequestContext } from "./request-context";
import type { InteractionEntity } from "../entities/interaction.entity";
import { InteractionInput } from "../schema/inputs.type";
import { Interaction, InteractionTypeStats, RecordInteractionPayload } from "../schema/interaction.type";
import { Lead } from "../schema/lead.type";
import { ScoreAward } from "../schema/score.type";
import type { RecordResult } from "../scoring/recording";
import type { InteractionAwards } from "./loaders/awards-by-interaction.loader";
import { type AwardValue, awardValue, pointsNow } from "../scoring/score-reading";

/** The just-scored interaction's awards answer `points` and `awards` without a query (the model is compiled already). */
function primeAwards(ctx: RequestContext, result: RecordResult | Error | null): void {
  if (!result || result instanceof Error || !result.awards) return;
  const awards = result.awards;
  const model = ctx.services.modelVersions.version(ctx, result.lead.modelVersion);
  ctx.loaders.awardsByInteraction.prime(result.interaction.id, model.then((m) => ({ model: m, awards })));
}

/**
 * `answer` of the interaction's awards: at once when they were read already (a page of a lead's
 * interactions reads its awards with it), else once the loader has them. Answering without a
 * promise matters on a page of 100 leads with 10 interactions each: a thousand fewer to settle.
 */
function withAwards<T>(ctx: RequestContext, interactionId: string, answer: (awards: InteractionAwards) => T): T | Promise<T> {
  const settled = ctx.loaders.awardsByInteraction.settled.get(interactionId);
  return settled ? answer(settled) : ctx.loaders.awardsByInteraction.load(interactionId).then(answer);
}

@Resolver(() => Interaction)
export class InteractionResolver {
  @Authorized("read")
  @Query(() => [InteractionTypeStats], {
    description:
      "The interaction types seen in the data, by name, each with how many interactions it has and when it last occurred " +
      "(for a model editor's completion). `since`: count only interactions that occurred from then on (types with none are left out). " +
      "`first` defaults to 100, at most 1,000.",
  })
  interactionTypes(
    @Ctx() ctx: RequestContext,
    @Arg("since", () => Date, { nullable: true }) since?: Date | null,
    @Arg("first", () => Int, { nullable: true }) first?: number | null,
  ): Promise<InteractionTypeStats[]> {
    return ctx.services.interactions.typesSeen(ctx, since ?? null, first ?? null);
  }

  @Authorized("ingest")
  @Mutation(() => RecordInteractionPayload, { description: "Idempotent per (source, externalId)." })
  async recordInteraction(@Arg("input", () => InteractionInput) input: InteractionInput, @Ctx() ctx: RequestContext) {
    const result = await ctx.services.interactions.record(ctx, input);
    primeAwards(ctx, result);
    return result;
  }

  @Authorized("ingest")
  @Mutation(() => [RecordInteractionPayload], {
    nullable: "items",
    description: "Up to 1,000, in array order, each its own change; an invalid item is null with an error at its index.",
  })
  async recordInteractions(@Arg("inputs", () => [InteractionInput]) inputs: InteractionInput[], @Ctx() ctx: RequestContext) {
    // Failed items are Error values: graphql-js makes each one `null` plus an error at its index.
    const results = await ctx.services.interactions.recordBatch(ctx, inputs);
    for (const result of results) primeAwards(ctx, result);
    return results;
  }

  @FieldResolver(() => Lead)
  lead(@Root() interaction: InteractionEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.leadById.load(interaction.leadId);
  }

  @FieldResolver(() => Int, { description: "Points this interaction earns now: the values now (decayed) of its awards still counting." })
  points(@Root() interaction: InteractionEntity, @Ctx() ctx: RequestContext): number | Promise<number> {
    return withAwards(ctx, interaction.id, ({ model, awards }) => (model === null ? 0 : pointsNow(model, awards, ctx.clock.now())));
  }

  @FieldResolver(() => [ScoreAward], {
    description: "The rules it triggered, in the model's order, valued as of now (expired and decayed-away awards included, not counting).",
  })
  awards(@Root() interaction: InteractionEntity, @Ctx() ctx: RequestContext): AwardValue[] | Promise<AwardValue[]> {
    return withAwards(ctx, interaction.id, ({ model, awards }) => {
      const now = ctx.clock.now();
      return model === null ? [] : awards.map((a) => awardValue(model, a, now));
    });
  }
}
