import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";

export enum ScoreCategory {
  FIT = "FIT",
  ENGAGEMENT = "ENGAGEMENT",
}
registerEnumType(ScoreCategory, {
  name: "ScoreCategory",
  description: "FIT: who the lead is (profile rules); ENGAGEMENT: what the lead did (activity rules).",
});

@ObjectType({ simpleResolvers: true, description: "One award of one rule, as the ledger holds it, valued as of now." })
export class ScoreAward {
  @Field({ description: "The rule: its `rule \"…\":` name, or its source text with spaces collapsed." })
  rule: string;

  @Field(() => String, { nullable: true, description: "The rule's group; null when the rule is in none." })
  group: string | null;

  @Field(() => ScoreCategory)
  category: ScoreCategory;

  @Field(() => Int, {
    description:
      "What it is worth now: initialPoints decayed to now (`decays`). An expired award keeps the value it had when it expired (counting: false).",
  })
  points: number;

  @Field(() => Int, { description: "What the rule awarded, before any decay." })
  initialPoints: number;

  @Field({ description: "When it was awarded: the interaction's occurredAt (fit: when the rule was last evaluated)." })
  awardedAt: Date;

  @Field(() => Date, { nullable: true, description: "When it stops counting; null: never." })
  expiresAt: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: "When its value next shrinks (its next decay step); null when its rule does not decay, it is worth 0, or it expires first.",
  })
  nextDecayAt: Date | null;

  @Field({ description: "Whether it counts now: not expired and not decayed to 0." })
  counting: boolean;
}

@ObjectType({ simpleResolvers: true, description: "What one rule contributes to a lead's score now." })
export class RuleContribution {
  @Field({ description: "The rule: its `rule \"…\":` name, or its source text with spaces collapsed." })
  rule: string;

  @Field(() => String, { nullable: true, description: "The rule's group; null when the rule is in none." })
  group?: string | null;

  @Field(() => ScoreCategory)
  category: ScoreCategory;

  @Field(() => Int, { description: "The sum of the values now (decayed) of its awards still counting; before its group's cap." })
  points: number;

  @Field(() => Int, { description: "How many of its awards still count (a fit rule that holds: 1)." })
  count: number;
}

@ObjectType({ simpleResolvers: true, description: "A lead's points in one group of the model, as of now." })
export class GroupScore {
  @Field({ description: "The group's name, as the model writes it." })
  group: string;

  @Field(() => ScoreCategory, { description: "ENGAGEMENT for a group of activity rules, FIT for one of fit rules." })
  category: ScoreCategory;

  @Field(() => Int, { description: "The sum of its rules' points now, capped by its max (no floor)." })
  points: number;

  @Field(() => Int, { description: "The same sum without the cap." })
  uncappedPoints: number;

  @Field(() => Int, { nullable: true, description: "The group's max; null: uncapped." })
  max: number | null;
}

@ObjectType({ simpleResolvers: true, description: "A lead was scored: an interaction of it, a change of its profile, or points that expired." })
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
