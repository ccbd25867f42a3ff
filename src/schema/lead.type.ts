import { Field, ID, Int, ObjectType } from "type-graphql";
import { connectionOf } from "./connection.type";
import { Node } from "./node.type";
import { JSONObjectScalar } from "./scalars";

@ObjectType({ simpleResolvers: true, implements: Node, description: "A person in the funnel, keyed by email." })
export class Lead implements Node {
  @Field(() => ID)
  id: string;

  @Field({ description: "Trimmed and lowercase; unique." })
  email: string;

  @Field(() => String, { nullable: true })
  firstName: string | null;

  @Field(() => String, { nullable: true })
  lastName: string | null;

  @Field(() => String, { nullable: true })
  role: string | null;

  @Field(() => String, { nullable: true })
  company: string | null;

  @Field(() => String, { nullable: true })
  industry: string | null;

  @Field(() => Int, { nullable: true })
  companySize: number | null;

  @Field(() => String, { nullable: true })
  country: string | null;

  @Field(() => String, { nullable: true })
  source: string | null;

  @Field(() => JSONObjectScalar)
  attributes: Record<string, unknown>;

  @Field(() => Int)
  score: number;

  @Field(() => Int)
  fit: number;

  @Field(() => Int)
  engagement: number;

  @Field(() => Date, {
    nullable: true,
    description: "The last engagement reset (setLeadStage with resetEngagement): interactions that occurred before it earn nothing. Null: never reset.",
  })
  engagementSince: Date | null;

  @Field()
  stage: string;

  @Field()
  createdAt: Date;

  @Field()
  updatedAt: Date;
}

@ObjectType({ simpleResolvers: true })
export class LeadConnection extends connectionOf("Lead", Lead) {}
