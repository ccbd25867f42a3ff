import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from "type-graphql";
import type { RequestContext } from "../context";
import type { InteractionEntity } from "../entities/interaction.entity";
import { InteractionInput } from "../schema/inputs.type";
import { Interaction, RecordInteractionPayload } from "../schema/interaction.type";
import { Lead } from "../schema/lead.type";

@Resolver(() => Interaction)
export class InteractionResolver {
  @Authorized("ingest")
  @Mutation(() => RecordInteractionPayload, { description: "Idempotent per (source, externalId)." })
  recordInteraction(@Arg("input", () => InteractionInput) input: InteractionInput, @Ctx() ctx: RequestContext) {
    return ctx.services.interactions.record(ctx, input);
  }

  @Authorized("ingest")
  @Mutation(() => [RecordInteractionPayload], {
    nullable: "items",
    description: "Up to 1,000, in array order, each its own change; an invalid item is null with an error at its index.",
  })
  recordInteractions(@Arg("inputs", () => [InteractionInput]) inputs: InteractionInput[], @Ctx() ctx: RequestContext) {
    // Failed items are Error values: graphql-js makes each one `null` plus an error at its index.
    return ctx.services.interactions.recordBatch(ctx, inputs);
  }

  @FieldResolver(() => Lead)
  lead(@Root() interaction: InteractionEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.leadById.load(interaction.leadId);
  }
}
