import { Field, Float, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { Lead } from "./lead.type";

export enum StageCause {
  RULE = "RULE",
  MANUAL = "MANUAL",
}
registerEnumType(StageCause, { name: "StageCause", description: "Why a lead changed stage." });

@ObjectType({ description: "One move of a lead between funnel stages." })
export class StageTransition {
  @Field(() => String, { name: "from", nullable: true, description: "Null for the lead's first stage." })
  fromStage: string | null;

  @Field(() => String, { name: "to" })
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

@ObjectType({ description: "A lead moved between stages." })
export class LeadStageChanged {
  @Field(() => Lead, { description: "The lead as it is when the event is delivered." })
  lead: Lead;

  @Field(() => StageTransition)
  transition: StageTransition;

  @Field(() => ID)
  leadId: string;
}
