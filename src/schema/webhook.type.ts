import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { connectionOf } from "./connection.type";
import { Node } from "./node.type";

export enum WebhookEventName {
  LEAD_CREATED = "LEAD_CREATED",
  LEAD_STAGE_CHANGED = "LEAD_STAGE_CHANGED",
  LEAD_SCORED = "LEAD_SCORED",
  LEAD_DELETED = "LEAD_DELETED",
}
registerEnumType(WebhookEventName, {
  name: "WebhookEvent",
  description: "What a webhook hears (the payload of each: the README's Webhooks section).",
  valuesConfig: {
    LEAD_CREATED: { description: "A lead was created (by an interaction, upsertLead or a batch)." },
    LEAD_STAGE_CHANGED: { description: "A lead moved to another stage (by a rule, by hand, or a publish's rescore); `stages` narrows it." },
    LEAD_SCORED: { description: "An interaction was scored, or the lead's score changed otherwise (a profile change, expired points)." },
    LEAD_DELETED: { description: "A lead was deleted; the payload carries only its id and email." },
  },
});

export enum DeliveryStatusName {
  PENDING = "PENDING",
  DELIVERED = "DELIVERED",
  FAILED = "FAILED",
}
registerEnumType(DeliveryStatusName, {
  name: "DeliveryStatus",
  valuesConfig: {
    PENDING: { description: "Waiting for its first attempt, its next retry, or an earlier delivery of the same lead." },
    DELIVERED: { description: "The receiver answered 2xx." },
    FAILED: { description: "Not delivered within the retry window, or answered 410 Gone; redeliverable." },
  },
});

@InputType({ description: "A webhook's settings." })
export class WebhookInput {
  @Field({ description: "Where to POST: an http(s) URL of at most 2,048 characters, no credentials, on a public address." })
  url: string;

  @Field(() => [WebhookEventName], { description: "The events to hear: at least one." })
  events: WebhookEventName[];

  @Field(() => [String], { nullable: true, description: "Narrows LEAD_STAGE_CHANGED to moves into these stages of the funnel; null: every stage." })
  stages?: string[] | null;

  @Field(() => Boolean, { nullable: true, defaultValue: true, description: "Inactive: no delivery is stored for it, and its pending ones wait." })
  active?: boolean | null;

  @Field(() => String, { nullable: true, description: "At most 500 characters." })
  description?: string | null;
}

@ObjectType({ simpleResolvers: true, implements: Node, description: "One event for one webhook, and how its delivery went." })
export class WebhookDelivery implements Node {
  @Field(() => ID)
  id: string;

  @Field(() => ID, { description: "The event's id: the request's Qualify-Event-Id (the same on every attempt and redelivery)." })
  eventId: string;

  @Field(() => WebhookEventName)
  event: WebhookEventName;

  @Field(() => ID, { description: "The lead the event is about." })
  leadId: string;

  @Field(() => DeliveryStatusName)
  status: DeliveryStatusName;

  @Field(() => Int, { description: "Attempts made (a redelivery starts again from 0)." })
  attempts: number;

  @Field(() => Int, { nullable: true, description: "The HTTP status of the last answer; null: none yet, or no answer (see lastError)." })
  lastStatusCode: number | null;

  @Field(() => String, { nullable: true, description: "Why the last attempt did not deliver." })
  lastError: string | null;

  @Field(() => Date, { nullable: true, description: "When the next attempt is due (PENDING only)." })
  nextAttemptAt: Date | null;

  @Field()
  createdAt: Date;

  @Field(() => Date, { nullable: true })
  deliveredAt: Date | null;
}

@ObjectType({ simpleResolvers: true })
export class WebhookDeliveryConnection extends connectionOf("WebhookDelivery", WebhookDelivery) {}

@ObjectType({ simpleResolvers: true, implements: Node, description: "A destination that hears lead events (admin only). Its signing secret is shown once, by createWebhook." })
export class Webhook implements Node {
  @Field(() => ID)
  id: string;

  @Field()
  url: string;

  @Field(() => [WebhookEventName])
  events: WebhookEventName[];

  @Field(() => [String], { nullable: true })
  stages: string[] | null;

  @Field({ description: "False after updateWebhook(active: false) or a 410 Gone (see deactivatedReason)." })
  active: boolean;

  @Field(() => String, { nullable: true })
  description: string | null;

  @Field()
  createdAt: Date;

  @Field(() => Date, { nullable: true, description: "When it was last deactivated (null while active)." })
  deactivatedAt: Date | null;

  @Field(() => String, { nullable: true, description: "Why (null while active)." })
  deactivatedReason: string | null;
}

@ObjectType({ simpleResolvers: true, description: "A new webhook and its signing secret, shown in this answer only." })
export class CreatedWebhook {
  @Field(() => Webhook)
  webhook: Webhook;

  @Field({ description: "Signs every request (Qualify-Signature); keep it where the receiver verifies." })
  secret: string;
}
