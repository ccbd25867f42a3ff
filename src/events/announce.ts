/**
 * The last step of every change: what it did is announced once its transaction has committed.
 * Inside a transaction, each call queues an event (`afterCommit`); nothing is published for a
 * change that rolls back. Publishing is not awaited: a slow event bus never holds a request (the
 * bus logs its own failures, and events still leave in the order they were queued).
 *
 * Webhooks hear the same calls (and lead creation and deletion), through the outbox: their
 * deliveries are stored in the change's own transaction (`webhooks/outbox.ts`), not after it.
 */
import type { ServiceContext } from "../context";
import type { StageTransitionEntity } from "../entities/stage-transition.entity";
import type { WebhookOutbox } from "../webhooks/outbox";
import type { EventBus } from "./event-bus";
import { LEAD_SCORED, LEAD_STAGE_CHANGED, type LeadScoredEvent, type LeadStageChangedEvent } from "./events";

/** What a stage move's event carries of the stored transition. */
export type StoredMove = Pick<StageTransitionEntity, "id" | "fromStage" | "toStage" | "at" | "cause" | "rule" | "actor" | "reason">;

export class Announcements {
  constructor(
    private readonly events: EventBus,
    private readonly outbox: WebhookOutbox | null = null,
  ) {}

  /** A lead was created (webhooks' `LEAD_CREATED`; announced before anything else of the change). */
  created(tx: ServiceContext, leadId: string): void {
    this.outbox?.add(tx, "LEAD_CREATED", leadId, {});
  }

  /** A lead was deleted (webhooks' `LEAD_DELETED`, carrying only its id and email); its pending deliveries are erased. */
  async deleted(tx: ServiceContext, lead: { id: string; email: string }): Promise<void> {
    await this.outbox?.deleted(tx, lead);
  }

  /** `leadStageChanged` for a stored move of the lead `leadId`. */
  stageChanged(tx: ServiceContext, leadId: string, transition: StoredMove): void {
    const event: LeadStageChangedEvent = {
      leadId,
      transition: {
        id: transition.id,
        fromStage: transition.fromStage,
        toStage: transition.toStage,
        at: transition.at.toISOString(),
        cause: transition.cause,
        rule: transition.rule,
        actor: transition.actor,
        reason: transition.reason,
      },
    };
    this.outbox?.add(tx, "LEAD_STAGE_CHANGED", leadId, { transition: event.transition }, transition.toStage);
    this.queue(tx, () => this.events.publish(LEAD_STAGE_CHANGED, event));
  }

  /**
   * `leadScored`: for every interaction scored, and for any other change of the score (a
   * profile change, expired points). Nothing for a change that moved no point and scored no
   * interaction.
   */
  scored(tx: ServiceContext, event: LeadScoredEvent): void {
    if (event.interactionId === null && event.pointsAwarded === 0) return;
    const { interactionId, pointsAwarded, score } = event;
    this.outbox?.add(tx, "LEAD_SCORED", event.leadId, { interactionId, pointsAwarded, score });
    this.queue(tx, () => this.events.publish(LEAD_SCORED, event));
  }

  private queue(tx: ServiceContext, publish: () => Promise<void>): void {
    if (!tx.afterCommit) throw new Error("an announcement needs a transaction");
    tx.afterCommit(() => void publish());
  }
}
