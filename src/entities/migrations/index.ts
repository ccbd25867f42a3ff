import { InitialSchema1763800000000 } from "./1763800000000-initial-schema";
import { Scoring1764000000000 } from "./1764000000000-scoring";
import { ApiKeyAudit1764200000000 } from "./1764200000000-api-key-audit";
import { ModelAudit1764300000000 } from "./1764300000000-model-audit";
import { RateLimits1764400000000 } from "./1764400000000-rate-limits";
import { ScoreHistory1764500000000 } from "./1764500000000-score-history";
import { LeadFilters1764600000000 } from "./1764600000000-lead-filters";
import { GroupsAndRecycling1764700000000 } from "./1764700000000-groups-and-recycling";
import { RescoreProgress1764750000000 } from "./1764750000000-rescore-progress";
import { Webhooks1764800000000 } from "./1764800000000-webhooks";
import { InteractionTypes1764900000000 } from "./1764900000000-interaction-types";

/** Every migration, oldest first. They run automatically when the service starts. */
export const MIGRATIONS = [
  InitialSchema1763800000000,
  Scoring1764000000000,
  ApiKeyAudit1764200000000,
  ModelAudit1764300000000,
  RateLimits1764400000000,
  ScoreHistory1764500000000,
  LeadFilters1764600000000,
  GroupsAndRecycling1764700000000,
  RescoreProgress1764750000000,
  Webhooks1764800000000,
  InteractionTypes1764900000000,
];
