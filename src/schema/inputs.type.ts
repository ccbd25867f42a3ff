import { Field, ID, InputType, Int, registerEnumType } from "type-graphql";
import { JSONObjectScalar } from "./scalars";

// Input fields have no initialisers: an omitted field must stay `undefined` (kept on upsert),
// distinct from an explicit `null` (cleared).

@InputType({ description: "Profile fields, merged into the lead keyed by email: omitted keeps, null clears." })
export class LeadInput {
  @Field()
  email: string;

  @Field(() => String, { nullable: true })
  firstName?: string | null;

  @Field(() => String, { nullable: true })
  lastName?: string | null;

  @Field(() => String, { nullable: true })
  role?: string | null;

  @Field(() => String, { nullable: true })
  company?: string | null;

  @Field(() => String, { nullable: true })
  industry?: string | null;

  @Field(() => Int, { nullable: true })
  companySize?: number | null;

  @Field(() => String, { nullable: true })
  country?: string | null;

  @Field(() => String, { nullable: true })
  source?: string | null;

  @Field(() => JSONObjectScalar, { nullable: true, description: "Merged key by key; a null value deletes the key." })
  attributes?: Record<string, unknown> | null;
}

@InputType()
export class InteractionInput {
  @Field(() => ID, { nullable: true, description: "The lead; or give email / lead." })
  leadId?: string | null;

  @Field(() => String, { nullable: true, description: "An unknown email creates the lead at the first funnel stage." })
  email?: string | null;

  @Field(() => LeadInput, { nullable: true, description: "Profile fields to merge into the lead first." })
  lead?: LeadInput | null;

  @Field({ description: "A lowercase identifier: visit, download, email_open, demo_request, …" })
  type: string;

  @Field(() => String, { nullable: true })
  target?: string | null;

  @Field(() => String, { nullable: true })
  source?: string | null;

  @Field(() => JSONObjectScalar, { nullable: true })
  properties?: Record<string, unknown> | null;

  @Field(() => Date, { nullable: true, description: "Default: now. May be in the past; at most 5 minutes ahead." })
  occurredAt?: Date | null;

  @Field(() => String, { nullable: true, description: "Idempotency: recorded once per source." })
  externalId?: string | null;
}

@InputType({ description: "A lead's points in one group of the active model (name ignoring case), between min and max (inclusive)." })
export class GroupFilter {
  @Field()
  group: string;

  @Field(() => Int, { nullable: true })
  min?: number | null;

  @Field(() => Int, { nullable: true })
  max?: number | null;
}

@InputType()
export class LeadFilter {
  @Field(() => [String], { nullable: true, description: "Any of these stages, matched ignoring case." })
  stage?: string[] | null;

  @Field(() => Int, { nullable: true })
  minScore?: number | null;

  @Field(() => Int, { nullable: true })
  maxScore?: number | null;

  @Field(() => String, { nullable: true })
  source?: string | null;

  @Field(() => String, { nullable: true, description: "Substring of email, first/last name or company." })
  search?: string | null;

  @Field(() => Date, { nullable: true })
  updatedSince?: Date | null;

  @Field(() => String, { nullable: true, description: "Equal, ignoring case and surrounding spaces." })
  role?: string | null;

  @Field(() => String, { nullable: true, description: "Equal, ignoring case and surrounding spaces." })
  industry?: string | null;

  @Field(() => String, { nullable: true, description: "Equal, ignoring case and surrounding spaces." })
  country?: string | null;

  @Field(() => String, { nullable: true, description: "Equal, ignoring case and surrounding spaces." })
  company?: string | null;

  @Field(() => Int, { nullable: true })
  minFit?: number | null;

  @Field(() => Int, { nullable: true })
  maxFit?: number | null;

  @Field(() => Int, { nullable: true })
  minEngagement?: number | null;

  @Field(() => Int, { nullable: true })
  maxEngagement?: number | null;

  @Field(() => Int, { nullable: true })
  minCompanySize?: number | null;

  @Field(() => Int, { nullable: true })
  maxCompanySize?: number | null;

  @Field(() => JSONObjectScalar, {
    nullable: true,
    description: "Every key's value equals the lead's attribute as text, ignoring case (a null value: the attribute is absent or null).",
  })
  attributes?: Record<string, unknown> | null;

  @Field(() => [GroupFilter], { nullable: true, description: "Points in groups of the active model; all must hold." })
  groups?: GroupFilter[] | null;
}

export enum LeadOrderField {
  SCORE = "SCORE",
  FIT = "FIT",
  ENGAGEMENT = "ENGAGEMENT",
  CREATED_AT = "CREATED_AT",
  UPDATED_AT = "UPDATED_AT",
  EMAIL = "EMAIL",
  GROUP = "GROUP",
}
registerEnumType(LeadOrderField, { name: "LeadOrderField" });

export enum OrderDirection {
  ASC = "ASC",
  DESC = "DESC",
}
registerEnumType(OrderDirection, { name: "OrderDirection" });

@InputType({ description: "Ties are broken by id, so the order is total and cursors are stable." })
export class LeadOrder {
  @Field(() => LeadOrderField, { defaultValue: LeadOrderField.SCORE })
  field: LeadOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.DESC })
  direction: OrderDirection;

  @Field(() => String, { nullable: true, description: "With field GROUP (and only then): the group of the active model whose points order the leads." })
  group?: string | null;
}
