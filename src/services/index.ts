/**
 * The domain services and the scoring pipeline's parts, created once per process, each given its
 * collaborators here (the one place that knows the construction order). They hold configuration,
 * never request state; resolvers reach them through the request context (`RequestContext.services`).
 */
import { type Config, DEFAULT_WARM_LEADS, DEFAULT_WEBHOOKS } from "../config";
import type { ServiceContext } from "../context";
import { LeadGate } from "../database/lead-gate";
import { bulkWorkBounds } from "../database/timeouts";
import { Announcements } from "../events/announce";
import type { EventBus } from "../events/event-bus";
import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import { BackgroundRescore } from "../scoring/background-rescore";
import { ExpirySweeper } from "../scoring/expiry-sweeper";
import { HistoryRetention } from "../scoring/history-retention";
import { ModelVersions } from "../scoring/model-versions";
import { Rescorer } from "../scoring/rescore";
import { Scorer } from "../scoring/scorer";
import { WarmLedgers } from "../scoring/warm-ledgers";
import { WebhookDispatcher } from "../webhooks/dispatcher";
import { WebhookOutbox } from "../webhooks/outbox";
import { WebhookSender } from "../webhooks/sender";
import { ApiKeyService } from "./api-key.service";
import { InteractionService } from "./interaction.service";
import { LeadService } from "./lead.service";
import { ModelService } from "./model.service";
import { NodeService } from "./node.service";
import { StageService } from "./stage.service";
import { WebhookService } from "./webhook.service";

export interface Services {
  leads: LeadService;
  interactions: InteractionService;
  stages: StageService;
  models: ModelService;
  apiKeys: ApiKeyService;
  /** `node(id)`: an object by its id, whatever its type. */
  nodes: NodeService;
  /** The compiled scoring models of this process, by version. */
  modelVersions: ModelVersions;
  /** Scoring state of the leads this process wrote last (see scoring/warm-ledgers.ts). */
  warmLedgers: WarmLedgers;
  /** Takes expired points out of scores (on an interval once started; tests call `sweepOnce`). */
  sweeper: ExpirySweeper;
  /** Deletes score history past its retention (on an interval once started; tests call `pruneOnce`). */
  historyRetention: HistoryRetention;
  /** Finishes rescores in the background (once enabled by the serving process). */
  backgroundRescore: BackgroundRescore;
  /** How many connections the requests for one lead hold at once (see database/lead-gate.ts). */
  leadGate: LeadGate;
  webhooks: WebhookService;
  /** Stores webhook deliveries with the changes they report (`refresh` before the first write). */
  webhookOutbox: WebhookOutbox;
  /** Sends the stored deliveries (once started by the serving process). */
  webhookDispatcher: WebhookDispatcher;
}

export type ServiceSettings = Pick<Config, "adminKey" | "limits" | "databaseTimeouts" | "leadGate"> &
  Partial<Pick<Config, "rescoreWorkers" | "warmLeads" | "expirySweepSeconds" | "scoreHistoryRetentionMs" | "rateLimits" | "webhooks">>;

export interface ServiceEnvironment {
  events: EventBus;
  logger: Logger;
  /** This process's metrics (the scoring pipeline reports its time). */
  metrics: Metrics;
  /** A fresh context for work outside a request (background jobs). */
  context: () => ServiceContext;
  /** This process's warm ledgers (a test stands up a second instance with its own). */
  warmLedgers?: WarmLedgers;
}

export function createServices(settings: ServiceSettings, env: ServiceEnvironment): Services {
  const { events, logger, context, metrics } = env;
  const workers = settings.rescoreWorkers ?? 1;
  const modelVersions = new ModelVersions();
  const warmLedgers = env.warmLedgers ?? new WarmLedgers(settings.warmLeads ?? DEFAULT_WARM_LEADS);
  const webhookSettings = settings.webhooks ?? DEFAULT_WEBHOOKS;
  const webhookOutbox = new WebhookOutbox(context, webhookSettings.retryForMs, logger.child({ component: "webhooks" }));
  const webhookDispatcher = new WebhookDispatcher(
    context,
    new WebhookSender(webhookSettings.allowPrivate),
    { pollMs: webhookSettings.pollMs, perWebhook: webhookSettings.concurrency, retryBaseMs: webhookSettings.retryBaseMs, retentionMs: webhookSettings.retentionMs },
    logger.child({ component: "webhooks" }),
    (maxAgeMs) => webhookOutbox.anyActive(maxAgeMs),
  );
  webhookOutbox.onEnqueued(() => webhookDispatcher.wake());
  const announce = new Announcements(events, webhookOutbox);
  const leadGate = new LeadGate(settings.leadGate);
  // A publish's rescore batches and a preview work over many leads at once, under their own bound.
  const bulkBounds = bulkWorkBounds(settings.databaseTimeouts);
  const scorer = new Scorer({ models: modelVersions, warmLedgers, announce, metrics });
  const rescorer = new Rescorer({ models: modelVersions, announce, bulkBounds, metrics });
  const backgroundRescore = new BackgroundRescore(rescorer, context, workers, logger.child({ component: "rescore" }));
  const sweeper = new ExpirySweeper(announce, modelVersions, context, (settings.expirySweepSeconds ?? 0) * 1000, logger.child({ component: "expiry" }));
  const historyRetention = new HistoryRetention(settings.scoreHistoryRetentionMs ?? null, context, logger.child({ component: "history" }));
  const leads = new LeadService(scorer, announce, leadGate, settings.limits.maxJsonBytes, modelVersions);
  const stages = new StageService(modelVersions, leads, announce, leadGate, scorer);
  const interactions = new InteractionService(leads, scorer, leadGate, settings.limits.maxJsonBytes);
  const models = new ModelService(modelVersions, rescorer, backgroundRescore, bulkBounds, workers);
  const apiKeys = new ApiKeyService(settings.adminKey, settings.rateLimits);
  const webhooks = new WebhookService(stages, webhookOutbox, webhookSettings);
  return {
    leads,
    interactions,
    stages,
    models,
    apiKeys,
    nodes: new NodeService(leads, interactions, models, apiKeys, webhooks),
    modelVersions,
    warmLedgers,
    sweeper,
    historyRetention,
    backgroundRescore,
    leadGate,
    webhooks,
    webhookOutbox,
    webhookDispatcher,
  };
}
