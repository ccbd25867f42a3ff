/**
 * The outbox's write side: the events of a change are buffered with its transaction and, just
 * before its COMMIT, inserted as deliveries for every active webhook that hears them, in one
 * statement sent with the COMMIT (`webhook-rows.ts`). A change that rolls back inserts nothing; a
 * change that commits has its deliveries stored, whatever happens to the process afterwards.
 *
 * Which events any webhook hears is cached per instance, so that a change nobody listens to costs
 * nothing: refreshed when this instance changes a webhook, when another says it did (`changed`,
 * through the event bus), and at least every `CACHE_TTL_MS`. The insert itself reads the webhooks
 * in the transaction, so the cache only decides whether to buffer.
 */
import { randomUUID } from "node:crypto";
import type { ServiceContext } from "../context";
import type { Logger } from "../logger";
import { errorFields } from "../logger";
import { eraseLeadDeliveries, insertDeliveries, type OutboxEvent, subscribedEvents, type WebhookEvent } from "./webhook-rows";

/** The longest the cache of subscribed events is trusted without news of a change. */
export const CACHE_TTL_MS = 2000;

export class WebhookOutbox {
  private subscribed = new Set<WebhookEvent>();
  private loadedAt = -Infinity;
  private loading: Promise<void> | null = null;
  private readonly buffers = new WeakMap<object, OutboxEvent[]>();
  private readonly enqueued: Array<() => void> = [];

  constructor(
    private readonly context: () => ServiceContext,
    private readonly retryForMs: number,
    private readonly logger: Logger,
  ) {}

  /** Reads which events active webhooks hear (at start-up, and after a change of any webhook). */
  refresh(): Promise<void> {
    this.loading ??= subscribedEvents(this.context())
      .then((events) => {
        this.subscribed = events;
        this.loadedAt = Date.now();
      })
      .catch((err: unknown) => this.logger.warn("webhooks: could not read the subscribed events", errorFields(err)))
      .finally(() => (this.loading = null));
    return this.loading;
  }

  /**
   * Whether any webhook is active, as this instance knows it (re-read when older than `maxAgeMs`):
   * the dispatcher's poll asks it, so that an instance without webhooks does not look for
   * deliveries. Every active webhook hears at least one event.
   */
  async anyActive(maxAgeMs: number): Promise<boolean> {
    if (Date.now() - this.loadedAt > maxAgeMs) await this.refresh();
    return this.subscribed.size > 0;
  }

  /** Calls `listener` after a transaction that stored deliveries has committed (the dispatcher wakes). */
  onEnqueued(listener: () => void): void {
    this.enqueued.push(listener);
  }

  /** Tells the listeners deliveries were stored (or made due again). */
  enqueuedNow(): void {
    for (const listener of this.enqueued) listener();
  }

  /**
   * Buffers an event of the change `tx` makes, if an active webhook hears its kind; its
   * deliveries are inserted just before the COMMIT.
   */
  add(tx: ServiceContext, event: WebhookEvent, leadId: string, data: Record<string, unknown>, stage: string | null = null): void {
    if (Date.now() - this.loadedAt > CACHE_TTL_MS) void this.refresh();
    if (!this.subscribed.has(event)) return;
    if (!tx.beforeCommit) throw new Error("a webhook event needs a transaction");
    let buffer = this.buffers.get(tx.db);
    if (!buffer) {
      const events: OutboxEvent[] = (buffer = []);
      this.buffers.set(tx.db, events);
      tx.beforeCommit(() => insertDeliveries(tx, events, this.retryForMs));
      tx.afterCommit?.(() => this.enqueuedNow());
    }
    buffer.push({ eventId: randomUUID(), event, leadId, stage, data, at: tx.clock.now() });
  }

  /**
   * A lead deleted in `tx`: its pending deliveries are dropped and the payloads of the others
   * erased, before its `LEAD_DELETED` (only its id and email) is buffered.
   */
  async deleted(tx: ServiceContext, lead: { id: string; email: string }): Promise<void> {
    await eraseLeadDeliveries(tx, [lead.id]);
    this.add(tx, "LEAD_DELETED", lead.id, { lead: { id: lead.id, email: lead.email } });
  }
}
