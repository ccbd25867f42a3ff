import { Field, ID, ObjectType } from "type-graphql";
import type { Scope } from "../entities/api-key.entity";
import { RateLimit, ScopeName } from "./api-key.type";

@ObjectType({
  simpleResolvers: true,
  description:
    "The API key of the request, as it may know itself: any valid key may ask (`viewer`), so a client can show what the key may do " +
    "(no Publish without ADMIN, no stage move without SALES). QUALIFY_ADMIN_KEY is not stored: its id, prefix and createdAt are null.",
})
export class Viewer {
  @Field(() => ID, { nullable: true, description: "The key's id (as `apiKeys` lists it); null for QUALIFY_ADMIN_KEY." })
  id: string | null;

  @Field({ description: "The key's name; `QUALIFY_ADMIN_KEY` for the environment's admin key." })
  name: string;

  @Field(() => String, { nullable: true, description: "The key's first 10 characters (qk_ and 7 more); null for QUALIFY_ADMIN_KEY." })
  prefix: string | null;

  @Field(() => [ScopeName], { description: "The scopes the key was given (as `apiKeys` lists them)." })
  scopes: Scope[];

  @Field(() => [ScopeName], {
    description: "Every scope the key may use: its own, and all of them for an ADMIN key (ADMIN implies the others). What a client shows or hides by.",
  })
  effectiveScopes: Scope[];

  @Field(() => Date, { nullable: true, description: "When the key was created; null for QUALIFY_ADMIN_KEY." })
  createdAt: Date | null;

  @Field(() => RateLimit, { description: "The budgets in force for this key per window (HTTP 429 RATE_LIMITED past either)." })
  rateLimit: RateLimit;
}
