import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";

export enum ScoreCategory {
  FIT = "FIT",
  ENGAGEMENT = "ENGAGEMENT",
}
registerEnumType(ScoreCategory, {
  name: "ScoreCategory",
  description: "FIT: who the lead is (profile rules); ENGAGEMENT: what the lead did (activity rules).",
});

@ObjectType({ description: "One award of one rule, as the ledger holds it." })
export class ScoreAward {
  @Field({ description: "The rule: its `rule \"…\":` name, or its source text with spaces collapsed." })
  rule: string;

  @Field(() => ScoreCategory)
  category: ScoreCategory;

  @Field(() => Int)
  points: number;

  @Field({ description: "When it was awarded: the interaction's occurredAt (fit: when the rule was last evaluated)." })
  awardedAt: Date;

  @Field(() => Date, { nullable: true, description: "When it stops counting; null: never." })
  expiresAt: Date | null;

  @Field({ description: "Whether it counts now (has not expired)." })
  counting: boolean;
}

@ObjectType({ description: "What one rule contributes to a lead's score now." })
export class RuleContribution {
  @Field({ description: "The rule: its `rule \"…\":` name, or its source text with spaces collapsed." })
  rule: string;

  @Field(() => ScoreCategory)
  category: ScoreCategory;

  @Field(() => Int, { description: "The sum of its awards still counting." })
  points: number;

  @Field(() => Int, { description: "How many of its awards still count (a fit rule that holds: 1)." })
  count: number;
}

@ObjectType({ description: "A lead was scored: an interaction of it, a change of its profile, or points that expired." })
export class LeadScored {
  @Field(() => ID)
  leadId: string;

  @Field(() => Int, { description: "The change of the lead's score." })
  pointsAwarded: number;

  @Field(() => Int, { description: "The lead's score after the change." })
  score: number;

  /** Resolved by the resolver (`lead`, `interaction`). */
  interactionId: string | null;
}
