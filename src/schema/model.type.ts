import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { connectionOf } from "./connection.type";
import { Node } from "./node.type";
import { ScoreCategory } from "./score.type";

export enum Severity {
  ERROR = "ERROR",
  WARNING = "WARNING",
}
registerEnumType(Severity, { name: "Severity", description: "An ERROR keeps a model from being published; a WARNING does not." });

@ObjectType({ simpleResolvers: true, description: "Something the compiler has to say about a model's source. Lines and columns are 1-based; the end is exclusive." })
export class Diagnostic {
  @Field(() => Severity)
  severity: Severity;

  @Field({ description: "Stable code, e.g. SYNTAX, UNKNOWN_FIELD (see the language reference)." })
  code: string;

  @Field()
  message: string;

  @Field(() => Int)
  line: number;

  @Field(() => Int)
  column: number;

  @Field(() => Int)
  endLine: number;

  @Field(() => Int)
  endColumn: number;
}

@ObjectType({ simpleResolvers: true, description: "A group of a model's score rules (`group \"Name\" max N { … }`): a score of its own within the lead's score." })
export class ModelGroup {
  @Field({ description: "As the model writes it." })
  name: string;

  @Field(() => ScoreCategory, { description: "ENGAGEMENT for a group of activity rules, FIT for one of fit rules." })
  category: ScoreCategory;

  @Field(() => Int, { nullable: true, description: "The most the group is worth; null: uncapped." })
  max: number | null;
}

@ObjectType({ simpleResolvers: true, implements: Node, description: "A published version of the scoring rules; one is active." })
export class ScoringModel implements Node {
  @Field(() => ID)
  id: string;

  @Field(() => Int)
  version: number;

  @Field()
  source: string;

  @Field()
  active: boolean;

  @Field()
  publishedAt: Date;

  @Field(() => [String], { description: "The funnel's stages in order (a new lead starts at the first)." })
  funnel: string[];

  @Field(() => String, {
    nullable: true,
    description: "Who published this version: the API key's name, or QUALIFY_ADMIN_KEY. Null for the seed model of the first start.",
  })
  publishedBy: string | null;

  @Field(() => ID, { nullable: true, description: "The id of the API key that published this version (null for QUALIFY_ADMIN_KEY and the seed model)." })
  publishedById: string | null;

  @Field(() => String, { nullable: true, description: "The publisher's note (publishModel's or republishModel's `comment`)." })
  comment: string | null;

  @Field(() => Int, { nullable: true, description: "The version whose source this one published again (republishModel: a rollback); null for a publishModel." })
  republishedFrom: number | null;
}

@ObjectType({ simpleResolvers: true })
export class ScoringModelConnection extends connectionOf("ScoringModel", ScoringModel) {}

@ObjectType({ simpleResolvers: true })
export class PublishModelPayload {
  @Field(() => ScoringModel, { description: "The version published (active unless a later publish overtook it)." })
  model: ScoringModel;

  @Field(() => Int, { description: "Leads this call rescored to the new version." })
  leadsRescored: number;

  @Field(() => Int, { description: "Stage moves the rescore made (stage rules, forward only)." })
  stageChanges: number;
}

@ObjectType({ simpleResolvers: true, description: "Leads in one stage now, and with the previewed model." })
export class StagePreview {
  @Field()
  stage: string;

  @Field(() => Int)
  now: number;

  @Field(() => Int, { description: "Leads in this stage once the model's stage rules have moved them (forward only), as publishing would." })
  withModel: number;

  @Field(() => Int, {
    description: "Leads in this stage if each were qualified afresh under the model, from the first stage (a raised threshold shows here).",
  })
  fromScratch: number;
}

@ObjectType({ simpleResolvers: true, description: "One lead's score and stage now and with the previewed model, and why." })
export class LeadScoreChange {
  @Field(() => Int)
  scoreNow: number;

  @Field(() => Int)
  scoreWithModel: number;

  @Field(() => Int, { description: "scoreWithModel − scoreNow." })
  change: number;

  @Field()
  stageNow: string;

  @Field({ description: "Its stage once the model's stage rules have moved it (forward only), as publishing would." })
  stageWithModel: string;

  @Field(() => [String], { description: "The rules whose points for this lead change: the model's in its order, then rules it no longer has, by name." })
  rulesChanged: string[];

  /** Resolved by the resolver (`lead`). */
  leadId: string;
}

@ObjectType({ simpleResolvers: true, description: "What publishing a model would do to the current leads. Computing it writes nothing." })
export class ModelPreview {
  @Field(() => [Diagnostic], { description: "With an ERROR among them, the rest is empty." })
  diagnostics: Diagnostic[];

  @Field(() => Int, { description: "Leads whose score or stage would differ." })
  leadsChanged: number;

  @Field(() => [StagePreview], { description: "Per stage: the model's funnel, then any other stage a lead is in." })
  stages: StagePreview[];

  /** All the movers the service kept (up to 100); `topMovers(first)` takes the first of them. */
  movers: LeadScoreChange[];
}

export enum RescoreState {
  RUNNING = "RUNNING",
  DONE = "DONE",
}
registerEnumType(RescoreState, {
  name: "RescoreState",
  description: "RUNNING: leads are left below the version (a rescore works through them, or will at the next start); DONE: none is.",
});

@ObjectType({
  simpleResolvers: true,
  description:
    "The active version's rescore, read from the leads: the same answer from every instance, whichever one rescores. A publish rescores every lead to the new version in batches; `done` counts the leads already at the version.",
})
export class RescoreStatus {
  @Field(() => Int, { description: "The active version." })
  version: number;

  @Field(() => RescoreState)
  state: RescoreState;

  @Field(() => Int, { description: "Leads at the version: rescored, or written since the publish (a write to a lead behind rescores it)." })
  done: number;

  @Field(() => Int, { description: "Every lead now (leads created during the rescore count in both)." })
  total: number;

  @Field({ description: "When the version was published (its rescore began)." })
  startedAt: Date;

  @Field(() => Date, { nullable: true, description: "When a rescore found no lead left below the version; null while RUNNING." })
  finishedAt: Date | null;
}
