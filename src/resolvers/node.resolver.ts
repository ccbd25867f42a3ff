import { Arg, Authorized, Ctx, ID, Query, Resolver } from "type-graphql";
import { hasScope } from "../context";
import { asNode, Node } from "../schema/node.type";
import { NODE_TYPES } from "../services/node.service";
import { typeScope } from "./field-scopes";
import type { RequestContext } from "./request-context";

@Resolver(() => Node)
export class NodeResolver {
  // Any valid key may ask: it is answered only from the types it may read (field-scopes.ts).
  @Authorized()
  @Query(() => Node, {
    nullable: true,
    description:
      "The object with this id, whatever its type, among the types this key may read (leads, interactions and models: READ; API keys, webhooks and deliveries: ADMIN). " +
      "Null for an id of nothing, and for an id of something this key may not read.",
  })
  async node(@Arg("id", () => ID) id: string, @Ctx() ctx: RequestContext): Promise<Node | null> {
    const readable = NODE_TYPES.filter((type) => hasScope(ctx.caller, typeScope(type)));
    const found = await ctx.services.nodes.find(ctx, id, readable);
    if (!found) return null;
    // A `lead` below it (an interaction's) is then read from the request's loader, as after `leads`.
    if (found.type === "Lead") ctx.loaders.leadById.prime(found.value.id, found.value);
    return asNode(found.type, found.value);
  }
}
