/**
 * The outbox's read side: every instance runs a dispatcher. It works in rounds, one at a time:
 * a round records, in one statement, the outcomes of every attempt that ended since the last
 * round (`finishAttempts`), then claims, in one statement, what is due (`claimDeliveries`: `FOR
 * UPDATE SKIP LOCKED`, a lead's deliveries to one webhook one at a time and in order, at most
 * `perWebhook × CLAIM_AHEAD` of a webhook claimed across instances), and sends them, at most
 * `perWebhook` of a webhook at once (`sender.ts`): a claimed delivery goes as soon as a place is
 * free, without waiting for the next round.
 * Under load, the attempts that end while a round's statements run are recorded together by the
 * next: the statements per delivery fall as the rate rises. An outcome is delivered (2xx),
 * retried after an exponential backoff with jitter (anything else, or no answer) until the
 * delivery's retry window closes, then FAILED; FAILED at once on `410 Gone`, which deactivates the
 * webhook.
 *
 * A round runs when a transaction of this instance stored deliveries (`wake`), when an attempt
 * ended, when a retry this instance scheduled is due, and every `pollMs` (deliveries stored by
 * other instances, their retries, claims left by a dead one), though the poll only while this
 * instance knows of an active webhook (`listening`, re-read every `IDLE_CHECK_MS` at most): an
 * instance without webhooks sends no statement for them. Delivered and failed deliveries past the
 * retention are deleted once a minute (or sooner, for a shorter retention). `stop` waits for the
 * attempts in flight (each bounded by the sender's timeout) and records them; a claim a crash
 * abandons is taken over once its lease ends: at least once, never lost.
 */
import { randomUUID } from "node:crypto";
import type { ServiceContext } from "../context";
import type { Logger } from "../logger";
import { errorFields } from "../logger";
import { TIMEOUT_MS, type WebhookSender } from "./sender";
import { type AttemptOutcome, claimDeliveries, type ClaimedDelivery, type FinishedAttempt, finishAttempts, pruneDeliveries } from "./webhook-rows";

export interface DispatcherSettings {
  /** How often to look for due deliveries regardless (ms). */
  pollMs: number;
  /** Attempts of one webhook in flight at once on this instance (its claims across instances: `CLAIM_AHEAD` times this). */
  perWebhook: number;
  /** The first retry's delay (ms); each next one doubles, up to `MAX_BACKOFF_MS`, with jitter. */
  retryBaseMs: number;
  /** How long delivered and failed deliveries are kept (ms). */
  retentionMs: number;
}

/** The longest delay between two attempts. */
export const MAX_BACKOFF_MS = 3_600_000;
/** Deliveries this instance holds claimed at once, all webhooks together. */
const MAX_CLAIMED = 128;
/**
 * A webhook's claims are up to this many times its concurrency: the next deliveries wait here,
 * claimed, and go as soon as an attempt ends, without waiting for a round of statements.
 */
export const CLAIM_AHEAD = 2;
/** A claim outlives its wait behind the attempts before it and its own attempt, with margin for recording the outcome. */
const LEASE_MS = TIMEOUT_MS * (CLAIM_AHEAD + 1);
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
  /** Claimed deliveries waiting for one of their webhook's `perWebhook` places, per webhook. */
  private readonly waiting = new Map<string, ClaimedDelivery[]>();
  /** Attempts in flight per webhook. */
  private readonly sending = new Map<string, number>();
  private waitingCount = 0;
  /** Attempts that ended, waiting for the next round to record them. */
  private finished: Array<FinishedAttempt & { webhookId: string }> = [];
  private round: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private poll: NodeJS.Timeout | null = null;
  private due: { timer: NodeJS.Timeout; at: number } | null = null;
  private lastPrune = 0;
  /** When the retries this instance scheduled are due (ms since the epoch), sooner than the next poll. */
  private retriesAt: number[] = [];

  /**
   * `listening` tells whether any webhook is active (a cheap, cached answer): the poll runs a
   * round only then.
   */
  constructor(
    private readonly context: () => ServiceContext,
    private readonly sender: WebhookSender,
    private readonly settings: DispatcherSettings,
    private readonly logger: Logger,
    private readonly listening: (maxAgeMs: number) => Promise<boolean> = async () => true,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.poll = setInterval(() => void this.onPoll(), this.settings.pollMs);
    this.poll.unref();
    this.wake();
  }

  /** Runs a round now (or once the current round is over). */
  wake(): void {
    if (this.stopped) return;
    if (this.round) {
      this.again = true;
      return;
    }
    this.round = this.dispatch()
      .catch((err: unknown) => this.logger.warn("webhooks: dispatching failed; trying again at the next poll", errorFields(err)))
      .finally(() => {
        this.round = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Stops claiming, waits for the attempts in flight, and records their outcomes. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    if (this.due) clearTimeout(this.due.timer);
    while (this.inFlight.size > 0 || this.waitingCount > 0 || this.round) await Promise.allSettled([...this.inFlight, this.round]);
    await this.record(this.context()).catch((err: unknown) =>
      // The claims' leases run out and other attempts follow: at least once.
      this.logger.warn("webhooks: could not record delivery attempts", { deliveries: this.finished.length, ...errorFields(err) }),
    );
    this.sender.close();
  }

  private async onPoll(): Promise<void> {
    if (this.stopped || this.round) return;
    try {
      if (await this.listening(IDLE_CHECK_MS)) this.wake();
    } catch (err) {
      this.logger.warn("webhooks: could not tell whether a webhook is active", errorFields(err));
    }
  }

  /** One round: records what ended, claims and starts what is due; returns once the claims are made (the attempts go on). */
  private async dispatch(): Promise<void> {
    const ctx = this.context();
    await this.record(ctx);
    for (;;) {
      const room = MAX_CLAIMED - this.inFlight.size - this.waitingCount;
      if (room <= 0 || this.stopped) break;
      const claimed = await claimDeliveries(ctx, this.claimer, room, this.settings.perWebhook * CLAIM_AHEAD, LEASE_MS);
      for (const delivery of claimed) {
        const queue = this.waiting.get(delivery.webhookId) ?? [];
        queue.push(delivery);
        this.waiting.set(delivery.webhookId, queue);
        this.waitingCount++;
      }
      for (const webhookId of new Set(claimed.map((d) => d.webhookId))) this.sendNext(webhookId);
      if (claimed.length < room) break;
    }
    await this.prune(ctx);
  }

  /** Records the outcomes waiting, in one statement, and sets a timer for the soonest retry. */
  private async record(ctx: ServiceContext): Promise<void> {
    if (this.finished.length === 0) return;
    const batch = this.finished;
    this.finished = [];
    let recorded: Set<string>;
    try {
      recorded = await finishAttempts(ctx, this.claimer, batch);
    } catch (err) {
      // Kept for the next round (a busy pool, a lost connection): dropped, they would wait for
      // their leases to run out and be sent again. A claim lost meanwhile is no longer recorded.
      this.finished.unshift(...batch);
      throw err;
    }
    for (const { id, outcome, webhookId } of batch) {
      if (!recorded.has(id)) continue;
      if (outcome.kind === "gone") this.logger.warn("webhooks: a receiver answered 410 Gone; webhook deactivated", { webhookId });
      if (outcome.kind === "retry") this.wakeIn(outcome.retryInMs);
    }
  }

  /** Starts the webhook's waiting deliveries while it has fewer than `perWebhook` in flight (each a different lead: the claim takes one per lead). */
  private sendNext(webhookId: string): void {
    const queue = this.waiting.get(webhookId);
    while (queue && queue.length > 0 && (this.sending.get(webhookId) ?? 0) < this.settings.perWebhook) {
      const delivery = queue.shift()!;
      this.waitingCount--;
      this.sending.set(webhookId, (this.sending.get(webhookId) ?? 0) + 1);
      const attempt = this.attempt(delivery).finally(() => {
        this.inFlight.delete(attempt);
        this.sending.set(webhookId, this.sending.get(webhookId)! - 1);
        this.sendNext(webhookId);
        // Its outcome is recorded by the next round, which may claim the lead's next delivery.
        this.wake();
      });
      this.inFlight.add(attempt);
    }
    if (queue?.length === 0) this.waiting.delete(webhookId);
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
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
    this.finished.push({ id: delivery.id, outcome, webhookId: delivery.webhookId });
  }

  private async prune(ctx: ServiceContext): Promise<void> {
    if (Date.now() - this.lastPrune < Math.min(PRUNE_EVERY_MS, this.settings.retentionMs)) return;
    this.lastPrune = Date.now();
    const pruned = await pruneDeliveries(ctx, this.settings.retentionMs);
    if (pruned > 0) this.logger.debug("webhooks: deleted deliveries past their retention", { pruned });
  }

  /** Runs a round in `ms` (a retry this instance scheduled); the poll covers anything later than it. */
  private wakeIn(ms: number): void {
    if (this.stopped || ms >= this.settings.pollMs) return;
    this.retriesAt.push(Date.now() + ms);
    this.scheduleRetry();
  }

  /** One timer, for the soonest retry this instance scheduled. */
  private scheduleRetry(): void {
    const now = Date.now();
    this.retriesAt = this.retriesAt.filter((at) => at > now);
    if (this.retriesAt.length === 0 || this.stopped) return;
    const at = Math.min(...this.retriesAt);
    if (this.due && this.due.at <= at) return;
    if (this.due) clearTimeout(this.due.timer);
    const timer = setTimeout(() => {
      this.due = null;
      this.wake();
      this.scheduleRetry();
    }, Math.max(at - now, 5));
    timer.unref();
    this.due = { timer, at };
  }
}
