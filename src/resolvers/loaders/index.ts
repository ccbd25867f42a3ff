/**
 * The loaders of one request. Created per request (never shared: their caches would serve one
 * caller's data to another and go stale), one per relation.
 */
import type { EntityManager } from "typeorm";
import { type Clock, systemClock } from "../../context";
import { createAwardsByInteractionLoader } from "./awards-by-interaction.loader";
import { createInteractionCountByLeadLoader } from "./interaction-count-by-lead.loader";
import { createInteractionsByLeadLoader } from "./interactions-by-lead.loader";
import { createLeadByIdLoader } from "./lead-by-id.loader";
import { createScoreBreakdownByLeadLoader } from "./score-breakdown-by-lead.loader";
import { createScoreAtByLeadLoader, createScoreHistoryByLeadLoader, createScorePointCountByLeadLoader } from "./score-history-by-lead.loader";
import { createStageHistoryByLeadLoader } from "./stage-history-by-lead.loader";

/** `clock` decides which awards still count (the demo runs on a simulated clock). */
export function createLoaders(db: EntityManager, clock: Clock = systemClock) {
  return {
    leadById: createLeadByIdLoader(db),
    interactionsByLead: createInteractionsByLeadLoader(db),
    interactionCountByLead: createInteractionCountByLeadLoader(db),
    stageHistoryByLead: createStageHistoryByLeadLoader(db),
    scoreBreakdownByLead: createScoreBreakdownByLeadLoader(db, clock),
    awardsByInteraction: createAwardsByInteractionLoader(db),
    scoreHistoryByLead: createScoreHistoryByLeadLoader(db),
    scorePointCountByLead: createScorePointCountByLeadLoader(db),
    scoreAtByLead: createScoreAtByLeadLoader(db),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
