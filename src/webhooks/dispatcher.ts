/**
 * The outbox's read side: every instance runs a dispatcher. It claims due deliveries
 * (`claimDeliveries`: `FOR UPDATE SKIP LOCKED`, a lead's deliveries to one webhook one at a
 * time and in order, at most `perWebhook` of a webhook in flight across instances), sends each
 * (`sender.ts`), and records the outcome: delivered (2xx); retried after an exponential backoff
 * with jitter (anything else, or no answer) until the delivery's retry window closes, then
 * FAILED; FAILED at once on `410 Gone`, which deactivates the webhook.
 *
 * It runs when a transaction of this instance stored deliveries (`wake`), when the next retry is
 * due, and every `pollMs` (deliveries stored by other instances, claims left by a dead one), though
 * the poll only while this instance knows of an active webhook (`listening`, re-read every
 * `IDLE_CHECK_MS` at most): an instance without webhooks sends no statement for them.
 * Delivered and failed deliveries past the retention are deleted once a minute (or sooner, for a
 * shorter retention). `stop` waits for
 * the attempts in flight (each bounded by the sender's timeout); a claim a crash abandons is taken
 * over once its lease ends: at least once, never lost.
 */
import { randomUUID } from "node:crypto";
import type { ServiceContext } from "../context";
import type { Logger } from "../logger";
import { errorFields } from "../logger";
import { TIMEOUT_MS, type WebhookSender } from "./sender";
import { type AttemptOutcome, claimDeliveries, type ClaimedDelivery, finishAttempt, nextDueInMs, pruneDeliveries } from "./webhook-rows";

export interface DispatcherSettings {
  /** How often to look for due deliveries regardless (ms). */
  pollMs: number;
  /** Deliveries of one webhook in flight at once, across instances. */
  perWebhook: number;
  /** The first retry's delay (ms); each next one doubles, up to `MAX_BACKOFF_MS`, with jitter. */
  retryBaseMs: number;
  /** How long delivered and failed deliveries are kept (ms). */
  retentionMs: number;
}

/** The longest delay between two attempts. */
export const MAX_BACKOFF_MS = 3_600_000;
/** Deliveries this instance has in flight at once, all webhooks together. */
const MAX_IN_FLIGHT = 64;
/** A claim outlives the longest attempt, with margin for recording its outcome. */
const LEASE_MS = TIMEOUT_MS * 3;
const PRUNE_EVERY_MS = 60_000;
/** How stale "no active webhook" may be before the poll reads the webhooks again. */
export const IDLE_CHECK_MS = 10_000;

/** The delay before retry number `attempts` (1: after the first attempt): base × 2^(attempts − 1), capped, times a jitter of 0.5 to 1. */
export function backoffMs(base: number, attempts: number, random: () => number = Math.random): number {
  const exponential = Math.min(MAX_BACKOFF_MS, base * 2 ** Math.min(attempts - 1, 30));
  return Math.round(exponential * (0.5 + random() / 2));
}

export class WebhookDispatcher {
  /** This instance's name on its claims. */
  readonly claimer = `${process.pid}-${randomUUID()}`;
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  private again = false;
  private stopped = true;
  private poll: NodeJS.Timeout | null = null;
  private due: NodeJS.Timeout | null = null;
  private lastPrune = 0;

  constructor(
    private readonly context: () => ServiceContext,
    private readonly sender: WebhookSender,
    private readonly settings: DispatcherSettings,
    private readonly logger: Logger,
    /** Whether any webhook is active (a cheap, cached answer): the poll looks for deliveries only then. */
    private readonly listening: (maxAgeMs: number) => Promise<boolean> = async () => true,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.poll = setInterval(() => void this.onPoll(), this.settings.pollMs);
    this.poll.unref();
    this.wake();
  }

  /** Looks for due deliveries now (or once the current look is over). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.dispatch()
      .catch((err: unknown) => this.logger.warn("webhooks: dispatching failed; trying again at the next poll", errorFields(err)))
      .finally(() => {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async onPoll(): Promise<void> {
    if (this.stopped || this.running) return;
    try {
      if (await this.listening(IDLE_CHECK_MS)) this.wake();
    } catch (err) {
      this.logger.warn("webhooks: could not tell whether a webhook is active", errorFields(err));
    }
  }

  /** Stops claiming, and waits for the attempts in flight to be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    if (this.due) clearTimeout(this.due);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    this.sender.close();
  }

  /** Claims and starts what is due; returns once the claims are made (the attempts go on). */
  private async dispatch(): Promise<void> {
    const ctx = this.context();
    for (;;) {
      const room = MAX_IN_FLIGHT - this.inFlight.size;
      if (room <= 0 || this.stopped) return;
      const claimed = await claimDeliveries(ctx, this.claimer, room, this.settings.perWebhook, LEASE_MS);
      for (const delivery of claimed) {
        const attempt = this.attempt(ctx, delivery).finally(() => {
          this.inFlight.delete(attempt);
          // A lead's next delivery may wait for this one: look again.
          this.wake();
        });
        this.inFlight.add(attempt);
      }
      if (claimed.length < room) break;
    }
    await this.prune(ctx);
    await this.scheduleNextDue(ctx);
  }

  private async attempt(ctx: ServiceContext, delivery: ClaimedDelivery): Promise<void> {
    // The envelope's fields first, whatever order jsonb keeps them in.
    const { id, type, occurredAt, data } = delivery.payload as Record<string, unknown>;
    const body = JSON.stringify({ id, type, occurredAt, data });
    const result = await this.sender.send({ url: delivery.url, secret: delivery.secret, eventId: delivery.eventId, body });
    let outcome: AttemptOutcome;
    if ("statusCode" in result && result.statusCode >= 200 && result.statusCode < 300) outcome = { kind: "delivered", statusCode: result.statusCode };
    else if ("statusCode" in result && result.statusCode === 410) outcome = { kind: "gone", statusCode: 410, error: "410 Gone: the webhook is deactivated" };
    else {
      const retryInMs = backoffMs(this.settings.retryBaseMs, delivery.attempts);
      const error = "statusCode" in result ? `HTTP ${result.statusCode}` : result.error;
      outcome = { kind: "retry", statusCode: "statusCode" in result ? result.statusCode : null, error, retryInMs };
    }
    try {
      await finishAttempt(ctx, delivery.id, this.claimer, outcome);
      if (outcome.kind === "gone") this.logger.warn("webhooks: a receiver answered 410 Gone; webhook deactivated", { webhookId: delivery.webhookId });
    } catch (err) {
      // The claim's lease runs out and another attempt follows: at least once.
      this.logger.warn("webhooks: could not record a delivery attempt", { deliveryId: delivery.id, ...errorFields(err) });
    }
  }

  private async prune(ctx: ServiceContext): Promise<void> {
    if (Date.now() - this.lastPrune < Math.min(PRUNE_EVERY_MS, this.settings.retentionMs)) return;
    this.lastPrune = Date.now();
    const pruned = await pruneDeliveries(ctx, this.settings.retentionMs);
    if (pruned > 0) this.logger.debug("webhooks: deleted deliveries past their retention", { pruned });
  }

  /** Wakes up when the next retry is due, if sooner than the next poll. */
  private async scheduleNextDue(ctx: ServiceContext): Promise<void> {
    const ms = await nextDueInMs(ctx);
    if (ms === null || ms >= this.settings.pollMs || this.stopped) return;
    if (this.due) clearTimeout(this.due);
    this.due = setTimeout(() => this.wake(), Math.max(ms, 5));
    this.due.unref();
  }
}
