import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from "type-graphql";
import type { RequestContext } from "./request-context";
import type { Award } from "../dsl/model";
import type { InteractionEntity } from "../entities/interaction.entity";
import { InteractionInput } from "../schema/inputs.type";
import { Interaction, RecordInteractionPayload } from "../schema/interaction.type";
import { Lead } from "../schema/lead.type";
import { ScoreAward, type ScoreCategory } from "../schema/score.type";
import type { RecordResult } from "../scoring/recording";
import { saturate } from "../dsl/runtime/totals";
import { counting } from "../scoring/ledger-rows";

/** The just-scored interaction's awards answer `points` and `awards` without a query. */
function primeAwards(ctx: RequestContext, result: RecordResult | Error | null): void {
  if (result && !(result instanceof Error) && result.awards) ctx.loaders.awardsByInteraction.prime(result.interaction.id, result.awards);
}

@Resolver(() => Interaction)
export class InteractionResolver {
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

  @FieldResolver(() => Int, { description: "Points this interaction earns now (its awards still counting)." })
  async points(@Root() interaction: InteractionEntity, @Ctx() ctx: RequestContext): Promise<number> {
    const nowMs = ctx.clock.now().getTime();
    let points = 0;
    for (const award of await ctx.loaders.awardsByInteraction.load(interaction.id)) if (counting(award, nowMs)) points += award.points;
    return saturate(points);
  }

  @FieldResolver(() => [ScoreAward], { description: "The rules it triggered, in the model's order (expired awards included, not counting)." })
  async awards(@Root() interaction: InteractionEntity, @Ctx() ctx: RequestContext): Promise<ScoreAward[]> {
    const nowMs = ctx.clock.now().getTime();
    const awards: Award[] = await ctx.loaders.awardsByInteraction.load(interaction.id);
    return awards.map((a) => ({
      rule: a.rule,
      category: a.category as ScoreCategory,
      points: a.points,
      awardedAt: a.awardedAt,
      expiresAt: a.expiresAt,
      counting: counting(a, nowMs),
    }));
  }
}
