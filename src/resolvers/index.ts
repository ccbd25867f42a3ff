import { ApiKeyResolver } from "./api-key.resolver";
import { InteractionConnectionResolver, LeadConnectionResolver, ScoringModelConnectionResolver, ScorePointConnectionResolver, WebhookDeliveryConnectionResolver } from "./connection.resolver";
import { InteractionResolver } from "./interaction.resolver";
import { LeadResolver } from "./lead.resolver";
import { LeadScoreChangeResolver, ModelPreviewResolver, ModelResolver } from "./model.resolver";
import { NodeResolver } from "./node.resolver";
import { ScoringResolver } from "./scoring.resolver";
import { StageResolver } from "./stage.resolver";
import { ViewerResolver } from "./viewer.resolver";
import { WebhookResolver } from "./webhook.resolver";

export const RESOLVERS = [
  LeadResolver,
  InteractionResolver,
  StageResolver,
  ModelResolver,
  ModelPreviewResolver,
  LeadScoreChangeResolver,
  ScoringResolver,
  LeadConnectionResolver,
  InteractionConnectionResolver,
  ScoringModelConnectionResolver,
  ScorePointConnectionResolver,
  ApiKeyResolver,
  WebhookResolver,
  WebhookDeliveryConnectionResolver,
  ViewerResolver,
  NodeResolver,
] as const;
