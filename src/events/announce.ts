/**
 * The last step of every change: what it did is announced once its transaction has committed.
 * Inside a transaction, each call queues an event (`afterCommit`); nothing is published for a
 * change that rolls back. Publishing is not awaited: a slow event bus never holds a request (the
 * bus logs its own failures, and events still leave in the order they were queued).
 */
import type { ServiceContext } from "../context";
import type { StageTransitionEntity } from "../entities/stage-transition.entity";
import type { EventBus } from "./event-bus";
import { LEAD_SCORED, LEAD_STAGE_CHANGED, type LeadScoredEvent, type LeadStageChangedEvent } from "./events";

/** What a stage move's event carries of the stored transition. */
export type StoredMove = Pick<StageTransitionEntity, "id" | "fromStage" | "toStage" | "at" | "cause" | "rule" | "actor" | "reason">;

export class Announcements {
  constructor(private readonly events: EventBus) {}

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
    this.queue(tx, () => this.events.publish(LEAD_STAGE_CHANGED, event));
  }

  /**
   * `leadScored`: for every interaction scored, and for any other change of the score (a
   * profile change, expired points). Nothing for a change that moved no point and scored no
   * interaction.
   */
  scored(tx: ServiceContext, event: LeadScoredEvent): void {
    if (event.interactionId === null && event.pointsAwarded === 0) return;
    this.queue(tx, () => this.events.publish(LEAD_SCORED, event));
  }

  private queue(tx: ServiceContext, publish: () => Promise<void>): void {
    if (!tx.afterCommit) throw new Error("an announcement needs a transaction");
    tx.afterCommit(() => void publish());
  }
}
