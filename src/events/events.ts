/**
 * The events the service publishes after a commit (`announce.ts`), and their payloads: what
 * subscriptions (`leadStageChanged`, `leadScored`) deliver.
 */
export const LEAD_STAGE_CHANGED = "LEAD_STAGE_CHANGED";
export const LEAD_SCORED = "LEAD_SCORED";

/** The payload of `leadStageChanged`. */
export interface LeadStageChangedEvent {
  leadId: string;
  transition: {
    id: string;
    fromStage: string | null;
    toStage: string;
    at: string;
    cause: "RULE" | "MANUAL";
    rule: string | null;
    actor: string | null;
    reason: string | null;
  };
}

/** The payload of `leadScored`: a lead's score changed (or an interaction of it was scored). */
export interface LeadScoredEvent {
  leadId: string;
  /** The interaction that was scored; null for a profile change or expired points. */
  interactionId: string | null;
  pointsAwarded: number;
  score: number;
}

export type Events = {
  [LEAD_STAGE_CHANGED]: [LeadStageChangedEvent];
  [LEAD_SCORED]: [LeadScoredEvent];
};

export type Topic = keyof Events;
