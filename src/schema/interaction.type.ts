import { Field, ID, Int, ObjectType } from "type-graphql";
import { connectionOf } from "./connection.type";
import { Lead } from "./lead.type";
import { Node } from "./node.type";
import { JSONObjectScalar } from "./scalars";
import { StageTransition } from "./stage.type";

@ObjectType({ simpleResolvers: true, implements: Node, description: "Something a lead did." })
export class Interaction implements Node {
  @Field(() => ID)
  id: string;

  @Field()
  type: string;

  @Field(() => String, { nullable: true })
  target: string | null;

  @Field(() => String, { nullable: true })
  source: string | null;

  @Field(() => JSONObjectScalar)
  properties: Record<string, unknown>;

  @Field()
  occurredAt: Date;

  @Field()
  receivedAt: Date;

  @Field(() => String, { nullable: true })
  externalId: string | null;
}

@ObjectType({ simpleResolvers: true, description: "An interaction type as seen in the data (`interactionTypes`): how often, and when last." })
export class InteractionTypeStats {
  @Field({ description: "The type, as recorded (`visit`, `demo_request`…)." })
  type: string;

  @Field(() => Int, { description: "How many interactions of this type are stored (occurred at or after `since`, when given)." })
  interactions: number;

  @Field({ description: "The latest `occurredAt` among them." })
  lastSeenAt: Date;
}

@ObjectType({ simpleResolvers: true })
export class InteractionConnection extends connectionOf("Interaction", Interaction) {}

@ObjectType({ simpleResolvers: true })
export class RecordInteractionPayload {
  @Field(() => Interaction)
  interaction: Interaction;

  @Field(() => Lead)
  lead: Lead;

  @Field(() => Int, { description: "The change of the lead's score caused by this call." })
  pointsAwarded: number;

  @Field(() => StageTransition, { nullable: true })
  stageChange: StageTransition | null;

  @Field({ description: "True when (source, externalId) was already recorded; nothing changed." })
  duplicate: boolean;
}
