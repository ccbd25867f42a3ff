import { Authorized, Ctx, Query, Resolver } from "type-graphql";
import type { RequestContext } from "./request-context";
import { Viewer } from "../schema/viewer.type";

@Resolver(() => Viewer)
export class ViewerResolver {
  // No scope named: any valid key may ask who it is.
  @Authorized()
  @Query(() => Viewer, { description: "The API key of this request: who it is, its scopes and budgets. Any valid key may ask." })
  viewer(@Ctx() ctx: RequestContext): Promise<Viewer> {
    return ctx.services.apiKeys.viewer(ctx);
  }
}
