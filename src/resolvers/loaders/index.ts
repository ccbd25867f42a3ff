/**
 * The loaders of one request. Created per request (never shared: their caches would serve one
 * caller's data to another and go stale), one per relation.
 */
import type { EntityManager } from "typeorm";
import type { Clock } from "../../context";
import type { ModelVersions } from "../../scoring/model-versions";
import { createAwardsByInteractionLoader } from "./awards-by-interaction.loader";
import { createInteractionCountByLeadLoader } from "./interaction-count-by-lead.loader";
import { createInteractionsByLeadLoader } from "./interactions-by-lead.loader";
import { createLeadByIdLoader } from "./lead-by-id.loader";
import { createInteractionKindsByLeadLoader } from "./interaction-kinds-by-lead.loader";
import { createLedgerByLeadLoader } from "./ledger-by-lead.loader";
import { createScoreAtByLeadLoader, createScoreHistoryByLeadLoader, createScorePointCountByLeadLoader } from "./score-history-by-lead.loader";
import { createStageHistoryByLeadLoader } from "./stage-history-by-lead.loader";

/**
 * `clock` decides which awards still count and what they are worth (the demo runs on a simulated
 * clock); `models` compiles the versions the ledgers were scored with.
 */
export function createLoaders(db: EntityManager, clock: Clock, models: ModelVersions) {
  const awardsByInteraction = createAwardsByInteractionLoader(db, models);
  return {
    leadById: createLeadByIdLoader(db),
    interactionsByLead: createInteractionsByLeadLoader(db, awardsByInteraction, models),
    interactionCountByLead: createInteractionCountByLeadLoader(db),
    stageHistoryByLead: createStageHistoryByLeadLoader(db),
    ledgerByLead: createLedgerByLeadLoader(db, clock, models),
    interactionKindsByLead: createInteractionKindsByLeadLoader(db),
    awardsByInteraction,
    scoreHistoryByLead: createScoreHistoryByLeadLoader(db),
    scorePointCountByLead: createScorePointCountByLeadLoader(db),
    scoreAtByLead: createScoreAtByLeadLoader(db),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
