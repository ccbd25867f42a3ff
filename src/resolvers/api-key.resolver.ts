import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { ApiKeyEntity } from "../entities/api-key.entity";
import type { RequestContext } from "./request-context";
import { ApiKey, CreatedApiKey, RateLimit, RateLimitInput, ScopeName } from "../schema/api-key.type";

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Authorized("admin")
  @Query(() => [ApiKey], { description: "Every API key, newest first, revoked ones included (never the keys themselves)." })
  apiKeys(@Ctx() ctx: RequestContext) {
    return ctx.services.apiKeys.list(ctx);
  }

  @Authorized("admin")
  @Mutation(() => CreatedApiKey, { description: "Creates a key with `scopes` (ADMIN implies the others); the key is in this answer only." })
  async createApiKey(
    @Arg("name") name: string,
    @Arg("scopes", () => [ScopeName]) scopes: ScopeName[],
    @Ctx() ctx: RequestContext,
    @Arg("rateLimit", () => RateLimitInput, { nullable: true, description: "The key's own budgets; omitted: the service's settings." })
    rateLimit?: RateLimitInput | null,
  ): Promise<CreatedApiKey> {
    const { key, record } = await ctx.services.apiKeys.create(ctx, name, scopes, rateLimit ?? null);
    return { key, apiKey: record };
  }

  @Authorized("admin")
  @Mutation(() => ApiKey, {
    description:
      "Sets a key's own budgets per window, replacing those it had (null, or a budget omitted: the service's settings). " +
      "In force at once (on every instance within a second); what the key spent in its current window still counts.",
  })
  setApiKeyRateLimit(
    @Arg("id", () => ID) id: string,
    @Arg("rateLimit", () => RateLimitInput, { nullable: true }) rateLimit: RateLimitInput | null,
    @Ctx() ctx: RequestContext,
  ) {
    return ctx.services.apiKeys.setRateLimit(ctx, id, rateLimit ?? null);
  }

  @FieldResolver(() => RateLimit, { description: "The budgets in force for this key per window." })
  rateLimit(@Root() key: ApiKeyEntity, @Ctx() ctx: RequestContext): RateLimit {
    return ctx.services.apiKeys.rateLimitOf(key);
  }

  @Authorized("admin")
  @Mutation(() => ApiKey, {
    description:
      "Revokes a key: refused from now on (by every instance within a second); its subscriptions end. " +
      "A key already revoked is answered as it is. The last active admin key is CONFLICT unless QUALIFY_ADMIN_KEY is set.",
  })
  revokeApiKey(@Arg("id", () => ID) id: string, @Ctx() ctx: RequestContext) {
    return ctx.services.apiKeys.revoke(ctx, id);
  }
}
