import { Field, Float, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { Lead } from "./lead.type";

export enum StageCause {
  RULE = "RULE",
  MANUAL = "MANUAL",
}
registerEnumType(StageCause, { name: "StageCause", description: "Why a lead changed stage." });

@ObjectType({ simpleResolvers: true, description: "One condition of a stage rule (an operand of its top-level `and`) for a lead, as of now." })
export class ConditionCheck {
  @Field({ description: "Its canonical text: `score >= 100`, `group \"Product A\" >= 30`, `has demo_request`." })
  condition: string;

  @Field()
  holds: boolean;

  @Field(() => String, {
    nullable: true,
    description: "What it reads, with the lead's values: `score is 85`, `role is not set`, `no demo_request interaction`.",
  })
  detail: string | null;
}

@ObjectType({ simpleResolvers: true, description: "A stage ahead of a lead that has a rule: whether the rule holds now, and condition by condition, why not." })
export class StageCheck {
  @Field()
  stage: string;

  @Field({ description: "The stage rule's canonical text: `stage SQL when score >= 100 and has demo_request`." })
  rule: string;

  @Field({ description: "Whether its rule holds now: the lead moves there at its next change of score or profile." })
  holds: boolean;

  @Field(() => [ConditionCheck])
  conditions: ConditionCheck[];
}

@ObjectType({ simpleResolvers: true, description: "One move of a lead between funnel stages." })
export class StageTransition {
  // Named apart from their properties: type-graphql's own resolver reads the property (a simple one would read `from`).
  @Field(() => String, { name: "from", simple: false, nullable: true, description: "Null for the lead's first stage." })
  fromStage: string | null;

  @Field(() => String, { name: "to", simple: false })
  toStage: string;

  @Field()
  at: Date;

  @Field(() => StageCause)
  cause: StageCause;

  @Field(() => String, { nullable: true, description: "The stage rule that moved the lead (cause RULE)." })
  rule: string | null;

  @Field(() => String, { nullable: true, description: "Who moved the lead (the API key's name)." })
  actor: string | null;

  @Field(() => String, { nullable: true })
  reason: string | null;
}

@ObjectType({
  simpleResolvers: true,
  description:
    "Funnel statistics of one stage, for the cohort of leads created in the requested window. " +
    "Path stages come first, in order, then off-path stages (reached = ever in it; no conversion).",
})
export class FunnelStageStats {
  @Field()
  stage: string;

  @Field(() => Int, { description: "Leads of the cohort currently in this stage." })
  leads: number;

  @Field(() => Int, { description: "Leads of the cohort whose history reached this stage or a later one." })
  reached: number;

  @Field(() => Float, { nullable: true, description: "reached(next stage) / reached(this stage)." })
  conversionToNext: number | null;
}

@ObjectType({ simpleResolvers: true, description: "A lead moved between stages." })
export class LeadStageChanged {
  @Field(() => Lead, { description: "The lead as it is when the event is delivered." })
  lead: Lead;

  @Field(() => StageTransition)
  transition: StageTransition;

  @Field(() => ID)
  leadId: string;
}
