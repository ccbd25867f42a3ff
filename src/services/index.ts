/**
 * The domain services, created once per process and reached through the context
 * (`ctx.services`). They hold configuration, never request state.
 */
import { type Config, DEFAULT_WARM_LEADS } from "../config";
import { ApiKeyService } from "./api-key.service";
import type { EventBus } from "./event-bus";
import { InteractionService } from "./interaction.service";
import { LeadService } from "./lead.service";
import { ModelService } from "./model.service";
import { ScoringService } from "./scoring.service";
import { StageService } from "./stage.service";
import { WarmLedgers } from "./warm-ledgers";

export interface Services {
  leads: LeadService;
  interactions: InteractionService;
  stages: StageService;
  scoring: ScoringService;
  models: ModelService;
  apiKeys: ApiKeyService;
  events: EventBus;
  /** Scoring state of the leads this process wrote last (see warm-ledgers.ts). */
  warmLedgers: WarmLedgers;
}

export function createServices(config: Pick<Config, "adminKey" | "limits"> & Partial<Pick<Config, "rescoreWorkers" | "warmLeads">>, events: EventBus): Services {
  const leads = new LeadService(config.limits.maxJsonBytes);
  return {
    leads,
    interactions: new InteractionService(leads, config.limits.maxJsonBytes),
    stages: new StageService(),
    scoring: new ScoringService(),
    models: new ModelService(config.rescoreWorkers ?? 1),
    apiKeys: new ApiKeyService(config.adminKey),
    events,
    warmLedgers: new WarmLedgers(config.warmLeads ?? DEFAULT_WARM_LEADS),
  };
}
