import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { DeliveryStatus, WebhookRow } from "../webhooks/webhook-rows";
import type { RequestContext } from "./request-context";
import { CreatedWebhook, DeliveryStatusName, Webhook, WebhookDelivery, WebhookDeliveryConnection, WebhookInput } from "../schema/webhook.type";

@Resolver(() => Webhook)
export class WebhookResolver {
  @Authorized("admin")
  @Query(() => [Webhook], { description: "Every webhook, newest first (never their secrets)." })
  webhooks(@Ctx() ctx: RequestContext) {
    return ctx.services.webhooks.list(ctx);
  }

  @Authorized("admin")
  @Mutation(() => CreatedWebhook, { description: "Creates a webhook; its signing secret is in this answer only." })
  async createWebhook(@Arg("input", () => WebhookInput) input: WebhookInput, @Ctx() ctx: RequestContext): Promise<CreatedWebhook> {
    const { webhook, secret } = await ctx.services.webhooks.create(ctx, input);
    return { webhook: webhook as Webhook, secret };
  }

  @Authorized("admin")
  @Mutation(() => Webhook, { description: "Replaces a webhook's settings (its secret stays). Setting active: true again sends what waited." })
  updateWebhook(@Arg("id", () => ID) id: string, @Arg("input", () => WebhookInput) input: WebhookInput, @Ctx() ctx: RequestContext) {
    return ctx.services.webhooks.update(ctx, id, input);
  }

  @Authorized("admin")
  @Mutation(() => Boolean, { description: "Deletes a webhook and its deliveries (pending ones are never sent). False if there was none." })
  deleteWebhook(@Arg("id", () => ID) id: string, @Ctx() ctx: RequestContext) {
    return ctx.services.webhooks.delete(ctx, id);
  }

  @Authorized("admin")
  @Mutation(() => WebhookDelivery, {
    description:
      "Sends a delivered or failed delivery again, now, with a new retry window and the same Qualify-Event-Id. A pending one is answered as it is; one whose payload was erased is CONFLICT.",
  })
  redeliverWebhookDelivery(@Arg("id", () => ID) id: string, @Ctx() ctx: RequestContext) {
    return ctx.services.webhooks.redeliver(ctx, id);
  }

  @FieldResolver(() => WebhookDeliveryConnection, { description: "The webhook's deliveries, newest first." })
  deliveries(
    @Root() webhook: WebhookRow,
    @Ctx() ctx: RequestContext,
    @Arg("first", () => Int, { nullable: true, description: "At most 100 (default 20)." }) first?: number | null,
    @Arg("after", () => String, { nullable: true }) after?: string | null,
    @Arg("status", () => DeliveryStatusName, { nullable: true }) status?: DeliveryStatusName | null,
  ) {
    return ctx.services.webhooks.deliveries(ctx, webhook.id, first, after, (status ?? null) as DeliveryStatus | null);
  }
}
