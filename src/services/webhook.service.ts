/**
 * Webhooks, the admin side: the subscriptions (list, create with a secret shown once, update,
 * delete), a webhook's deliveries page by page, and redelivery. Delivering is the outbox's and
 * the dispatcher's (`webhooks/`). Every method takes the service context first.
 */
import { randomBytes } from "node:crypto";
import type { ServiceContext } from "../context";
import { type CountedPage, decodeCursor, encodeCursor, pageSize, toPage, withCount } from "../database/cursor";
import { didYouMean } from "../dsl/did-you-mean";
import { badInput, DomainError, notFound } from "../errors";
import { destinationProblem } from "../webhooks/destination";
import type { WebhookOutbox } from "../webhooks/outbox";
import {
  countDeliveries,
  deleteWebhook,
  type DeliveryRow,
  type DeliveryStatus,
  findDelivery,
  findWebhook,
  insertWebhook,
  listDeliveries,
  listWebhooks,
  requeueDelivery,
  updateWebhook,
  WEBHOOK_EVENTS,
  type WebhookEvent,
  type WebhookFields,
  type WebhookRow,
} from "../webhooks/webhook-rows";
import type { StageService } from "./stage.service";
import { checkText, isUuid, Problems } from "./validation";

export interface WebhookInputData {
  url: string;
  events: WebhookEvent[];
  stages?: string[] | null;
  active?: boolean | null;
  description?: string | null;
}

export const MAX_DESCRIPTION_LENGTH = 500;

export class WebhookService {
  constructor(
    private readonly stages: StageService,
    private readonly outbox: WebhookOutbox,
    private readonly settings: { allowPrivate: boolean; retryForMs: number },
  ) {}

  /** Every webhook, newest first (never their secrets). */
  list(ctx: ServiceContext): Promise<WebhookRow[]> {
    return listWebhooks(ctx);
  }

  /** Creates a webhook; its signing secret is in this answer only. */
  async create(ctx: ServiceContext, input: WebhookInputData): Promise<{ webhook: WebhookRow; secret: string }> {
    const fields = await this.validate(ctx, input);
    const secret = `whsec_${randomBytes(32).toString("base64url")}`;
    const webhook = await insertWebhook(ctx, fields, secret);
    await this.outbox.refresh();
    return { webhook, secret };
  }

  /** Replaces a webhook's settings (its secret stays); NOT_FOUND for an unknown id. */
  async update(ctx: ServiceContext, id: string, input: WebhookInputData): Promise<WebhookRow> {
    const fields = await this.validate(ctx, input);
    const webhook = isUuid(id) ? await updateWebhook(ctx, id, fields) : null;
    if (!webhook) throw notFound(`Webhook ${id}`);
    await this.outbox.refresh();
    return webhook;
  }

  /** Deletes a webhook and its deliveries (pending ones are never sent); false for an unknown id. */
  async delete(ctx: ServiceContext, id: string): Promise<boolean> {
    const deleted = isUuid(id) && (await deleteWebhook(ctx, id));
    if (deleted) await this.outbox.refresh();
    return deleted;
  }

  /** A page of a webhook's deliveries, newest first, `status` narrowing them. */
  async deliveries(
    ctx: ServiceContext,
    webhookId: string,
    first: number | null | undefined,
    after: string | null | undefined,
    status: DeliveryStatus | null | undefined,
  ): Promise<CountedPage<DeliveryRow>> {
    const limit = pageSize(first);
    let before: string | null = null;
    if (after) {
      const cursor = decodeCursor(after, "after");
      if (typeof cursor.value !== "string" || !/^[0-9]{1,18}$/.test(cursor.value)) throw badInput("after", "is a cursor of another list");
      before = cursor.value;
    }
    const rows = limit === 0 ? [] : await listDeliveries(ctx, webhookId, status ?? null, before, limit);
    const page = toPage(rows, limit, (row) => encodeCursor(row.seq, row.id), !!after);
    return withCount(page, () => countDeliveries(ctx, webhookId, status ?? null));
  }

  /**
   * Sends a delivered or failed delivery again (due now, a new retry window, the same event id so
   * receivers can tell); a pending one is answered as it is. NOT_FOUND for an unknown id;
   * CONFLICT when its payload was erased (past the retention, or its lead deleted).
   */
  async redeliver(ctx: ServiceContext, id: string): Promise<DeliveryRow> {
    const found = isUuid(id) ? await findDelivery(ctx, id) : null;
    if (!found) throw notFound(`Webhook delivery ${id}`);
    if (found.status === "PENDING") return found;
    if (found.payloadErased) throw new DomainError("CONFLICT", "This delivery's payload was erased (past the retention, or its lead was deleted): it cannot be sent again");
    const requeued = await requeueDelivery(ctx, id, this.settings.retryForMs);
    // A concurrent redelivery made it pending first.
    const row = requeued ?? (await findDelivery(ctx, id));
    if (!row) throw notFound(`Webhook delivery ${id}`);
    this.outbox.enqueuedNow();
    return row;
  }

  /** The webhook with this id, or null. */
  find(ctx: ServiceContext, id: string): Promise<WebhookRow | null> {
    return isUuid(id) ? findWebhook(ctx, id) : Promise.resolve(null);
  }

  /** The delivery with this id, or null. */
  findDelivery(ctx: ServiceContext, id: string): Promise<DeliveryRow | null> {
    return isUuid(id) ? findDelivery(ctx, id) : Promise.resolve(null);
  }

  private async validate(ctx: ServiceContext, input: WebhookInputData): Promise<WebhookFields> {
    const problems = new Problems();
    const urlProblem = textProblemOf(input.url) ?? (await destinationProblem(input.url, this.settings.allowPrivate));
    if (urlProblem) problems.add("input.url", urlProblem);
    const events = [...new Set(input.events)];
    if (events.length === 0) problems.add("input.events", `must name at least one event (${WEBHOOK_EVENTS.join(", ")})`);
    let stages: string[] | null = null;
    if (input.stages !== null && input.stages !== undefined) {
      if (input.stages.length === 0) problems.add("input.stages", "must name at least one stage (or be null: every stage)");
      else if (!events.includes("LEAD_STAGE_CHANGED")) problems.add("input.stages", "narrows LEAD_STAGE_CHANGED, which events does not include");
      else stages = await this.funnelStages(ctx, input.stages, problems);
    }
    const description = checkText(problems, "input.description", input.description, MAX_DESCRIPTION_LENGTH);
    problems.throwIfAny();
    return { url: input.url.trim(), events, stages, active: input.active ?? true, description: description || null };
  }

  /** `names` as the funnel in force spells them (each unknown one a problem, with a suggestion). */
  private async funnelStages(ctx: ServiceContext, names: string[], problems: Problems): Promise<string[]> {
    const funnel = await this.stages.funnel(ctx);
    const all = [...funnel.stages, ...funnel.offPath];
    const found: string[] = [];
    names.forEach((name, i) => {
      const stage = all.find((s) => s.toLowerCase() === name.trim().toLowerCase());
      if (stage !== undefined) {
        if (!found.includes(stage)) found.push(stage);
        return;
      }
      const suggestion = didYouMean(name.trim(), all);
      problems.add(`input.stages.${i}`, `is no stage of the funnel${suggestion ? `: did you mean ${suggestion}?` : ""} (the stages: ${all.join(", ")})`);
    });
    return found;
  }
}

/** Text PostgreSQL cannot store, checked before the URL is parsed. */
function textProblemOf(url: string): string | null {
  const problems = new Problems();
  checkText(problems, "url", url, Number.MAX_SAFE_INTEGER);
  return problems.list[0]?.message ?? null;
}
