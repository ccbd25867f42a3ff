/**
 * The domain services, created once per process and reached through the context
 * (`ctx.services`). They hold configuration, never request state.
 */
import type { Config } from "../config";
import { ApiKeyService } from "./api-key.service";
import type { EventBus } from "./event-bus";
import { InteractionService } from "./interaction.service";
import { LeadService } from "./lead.service";
import { ModelService } from "./model.service";
import { ScoringService } from "./scoring.service";
import { StageService } from "./stage.service";

export interface Services {
  leads: LeadService;
  interactions: InteractionService;
  stages: StageService;
  scoring: ScoringService;
  models: ModelService;
  apiKeys: ApiKeyService;
  events: EventBus;
}

export function createServices(config: Pick<Config, "adminKey" | "limits"> & Partial<Pick<Config, "rescoreWorkers">>, events: EventBus): Services {
  const leads = new LeadService(config.limits.maxJsonBytes);
  return {
    leads,
    interactions: new InteractionService(leads, config.limits.maxJsonBytes),
    stages: new StageService(),
    scoring: new ScoringService(),
    models: new ModelService(config.rescoreWorkers ?? 1),
    apiKeys: new ApiKeyService(config.adminKey),
    events,
  };
}
