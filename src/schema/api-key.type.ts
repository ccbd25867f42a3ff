import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import type { Scope } from "../entities/api-key.entity";
import { Node } from "./node.type";

/**
 * The scopes as GraphQL names them (upper case, like every enum of the API); the values are the
 * lower-case scopes the database stores and `qualify keys create --scopes` takes.
 */
export enum ScopeName {
  READ = "read",
  INGEST = "ingest",
  SALES = "sales",
  ADMIN = "admin",
}
registerEnumType(ScopeName, {
  name: "Scope",
  description: "What an API key may do.",
  valuesConfig: {
    READ: { description: "Queries and subscriptions, and the lead data in any answer (mutation payloads included)." },
    INGEST: { description: "upsertLead, recordInteraction, recordInteractions; without READ their answers show only ids, duplicate and pointsAwarded." },
    SALES: { description: "setLeadStage; without READ its answer shows only the lead's id." },
    ADMIN: { description: "Everything: the other scopes, models, API keys, deleteLead." },
  },
});

@ObjectType({
  simpleResolvers: true,
  description:
    "What an API key may spend per window (HTTP 429 RATE_LIMITED past either budget): its own budgets where an admin set them, else the service's settings (QUALIFY_RATE_LIMIT_*).",
})
export class RateLimit {
  @Field(() => Int, { description: "Requests per window (HTTP requests and subscribe operations); 0: no limit." })
  requests: number;

  @Field(() => Int, { description: "Cost points per window: each operation is charged its cost, computed before it runs; 0: no limit." })
  cost: number;

  @Field(() => Int, { description: "The window's length in seconds: both budgets are whole again when it ends." })
  windowSeconds: number;

  @Field({ description: "Whether an admin set this key's budgets (setApiKeyRateLimit); false: the service's settings." })
  custom: boolean;
}

@InputType({ description: "A key's own budgets per window. Each one omitted or null follows the service's setting; 0 is no limit." })
export class RateLimitInput {
  @Field(() => Int, { nullable: true, description: "Requests per window, 0 to 1,000,000,000 (0: no limit)." })
  requests?: number | null;

  @Field(() => Int, { nullable: true, description: "Cost points per window, 0 to 1,000,000,000 (0: no limit)." })
  cost?: number | null;

  @Field(() => Int, { nullable: true, description: "The window's length, 1 to 86,400 seconds." })
  windowSeconds?: number | null;
}

@ObjectType({ simpleResolvers: true, implements: Node, description: "An API key as listings show it. The key itself is shown only once, by createApiKey." })
export class ApiKey implements Node {
  @Field(() => ID)
  id: string;

  @Field()
  name: string;

  @Field({ description: "The key's first 10 characters (qk_ and 7 more), to tell keys apart." })
  prefix: string;

  @Field(() => [ScopeName])
  scopes: Scope[];

  @Field()
  createdAt: Date;

  @Field(() => String, {
    nullable: true,
    description: "Who created it: the name of the key that did, `QUALIFY_ADMIN_KEY`, or `qualify keys (database)`; null for the first-start admin key.",
  })
  createdBy: string | null;

  @Field(() => Date, { nullable: true, description: "When it was revoked; null: active." })
  revokedAt: Date | null;

  @Field(() => String, { nullable: true, description: "Who revoked it (as createdBy)." })
  revokedBy: string | null;

  @Field(() => Date, {
    nullable: true,
    description: "When it was last presented, to the minute (recorded at most once a minute per key); null: not used yet.",
  })
  lastUsedAt: Date | null;
}

@ObjectType({ simpleResolvers: true, description: "A new API key: `key` is the secret, shown only in this answer (only its hash is stored)." })
export class CreatedApiKey {
  @Field(() => ApiKey)
  apiKey: ApiKey;

  @Field({ description: "Send it as `Authorization: Bearer <key>`. Keep it: it cannot be shown again." })
  key: string;
}
