/**
 * The seam where scoring plugs in. Both hooks run inside the transaction that changed the lead,
 * with the lead row locked, so the ledger, the lead's totals and its stage change atomically with
 * the interaction or profile change that caused them.
 *
 * Until a scoring model can be published (the scoring issue), no model is active: the hooks
 * award nothing and move no stage.
 */
import type { ServiceContext } from "../context";
import type { InteractionEntity } from "../entities/interaction.entity";
import type { LeadEntity } from "../entities/lead.entity";
import type { StageTransitionEntity } from "../entities/stage-transition.entity";

/** What scoring did for one change. */
export interface ScoringEffect {
  /** The change of the lead's score caused by this change. */
  pointsAwarded: number;
  /** The stage move it caused, already stored; published by the caller after the commit. */
  stageChange: StageTransitionEntity | null;
}

export const NO_EFFECT: ScoringEffect = Object.freeze({ pointsAwarded: 0, stageChange: null });

export class ScoringService {
  /**
   * Scores a just-inserted interaction of a locked lead (inside the caller's transaction):
   * writes the ledger rows, updates `lead.score/fit/engagement` and `interaction.points`, then
   * evaluates the stage rules once.
   */
  async onInteraction(tx: ServiceContext, lead: LeadEntity, interaction: InteractionEntity): Promise<ScoringEffect> {
    void tx;
    void lead;
    void interaction;
    return NO_EFFECT;
  }

  /** Re-evaluates fit and stages of a locked lead whose profile fields changed (inside the transaction). */
  async onLeadChanged(tx: ServiceContext, lead: LeadEntity): Promise<ScoringEffect> {
    void tx;
    void lead;
    return NO_EFFECT;
  }
}
