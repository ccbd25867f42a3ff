import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import type { RequestContext } from "./request-context";
import { ApiKey, CreatedApiKey, ScopeName } from "../schema/api-key.type";

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
  ): Promise<CreatedApiKey> {
    const { key, record } = await ctx.services.apiKeys.create(ctx, name, scopes);
    return { key, apiKey: record };
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
