/**
 * The loaders of one request. Created per request (never shared: their caches would serve one
 * caller's data to another and go stale), one per relation.
 */
import type { EntityManager } from "typeorm";
import { createInteractionCountByLeadLoader } from "./interaction-count-by-lead.loader";
import { createInteractionsByLeadLoader } from "./interactions-by-lead.loader";
import { createLeadByIdLoader } from "./lead-by-id.loader";
import { createStageHistoryByLeadLoader } from "./stage-history-by-lead.loader";

export function createLoaders(db: EntityManager) {
  return {
    leadById: createLeadByIdLoader(db),
    interactionsByLead: createInteractionsByLeadLoader(db),
    interactionCountByLead: createInteractionCountByLeadLoader(db),
    stageHistoryByLead: createStageHistoryByLeadLoader(db),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
