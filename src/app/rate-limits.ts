/**
 * Rate limits per API key: each key has a budget of requests and a budget of cost per window
 * (its own where an admin set them, else `QUALIFY_RATE_LIMIT_*`). A request is charged one
 * request point once its key is known, before its body is read (`authentication.ts`); an
 * operation is charged its cost once it is validated, before it runs (`chargeCostPlugin`); a
 * subscribe operation over WebSocket is charged both (`subscriptions.ts`). Past either budget the
 * answer is `RATE_LIMITED` (HTTP 429, `Retry-After`), until the key's window ends.
 *
 * The counts live where every instance sees them (rate-limiter-flexible): in Redis when
 * `REDIS_URL` is set, else in the PostgreSQL server's `rate_limit` table (made by a migration),
 * else (the embedded database: one process) in memory. Should the store fail, the counts go on in
 * this process's memory (one warning per minute) rather than failing the requests.
 *
 * `QUALIFY_ADMIN_KEY` is the operator's own secret, held by no integration: it is not limited.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import { Redis } from "ioredis";
import type { Pool } from "pg";
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Config, RateLimitSettings } from "../config";
import type { Caller } from "../context";
import { DomainError, domainErrorOf, type RateLimitRefusal, toGraphQLError } from "../errors";
import type { Logger } from "../logger";
import type { RequestContext } from "../resolvers/request-context";
import { effectiveRateLimit } from "../services/api-key.service";

export type RateLimitStore = "redis" | "postgres" | "memory";

/** The budget's counter never refuses by itself: the key's own budget is compared here (budgets differ per key). */
const UNBOUNDED_POINTS = 2 ** 31 - 1;
/** How often a failing store is reported (it fails for every request meanwhile). */
const STORE_WARNING_INTERVAL_MS = 60_000;
/** Keys refused in memory at most (a bound, not a working size: one entry per key over budget). */
const MAX_BLOCKED = 10_000;
/** How long a start waits for Redis before counting in memory until it answers. */
const REDIS_CONNECT_MS = 2000;
/** The table the PostgreSQL store counts in (migration 1764400000000). */
const TABLE = "rate_limit";

type Budget = "REQUESTS" | "COST";

/** Where the counts live, given the settings and the database in use. */
export function rateLimitStore(config: Config): RateLimitStore {
  if (config.redisUrl) return "redis";
  return config.database.kind === "postgres" && !config.database.embedded ? "postgres" : "memory";
}

export class RateLimits {
  /** Per budget and window length, the store's counter and the in-memory one it falls back on. */
  private readonly counters = new Map<string, { store: RateLimiterAbstract; fallback: RateLimiterMemory }>();
  /** Budgets found spent, until their window ends: refused without asking the store again. */
  private readonly spent = new Map<string, number>();
  private lastStoreWarning = -Infinity;

  private constructor(
    readonly store: RateLimitStore,
    private readonly settings: RateLimitSettings,
    private readonly logger: Logger,
    private readonly storeClient: Pool | Redis | null,
  ) {}

  /**
   * The rate limits of `config`; `pool` is the database's (the PostgreSQL store counts through it).
   * With Redis, resolves once it is connected, or after `REDIS_CONNECT_MS` (counting in memory
   * until it is: a Redis out of reach does not stop the service).
   */
  static async create(config: Config, logger: Logger, pool: Pool | null): Promise<RateLimits> {
    const store = rateLimitStore(config);
    if (store !== "redis") return new RateLimits(store, config.rateLimits, logger, store === "postgres" ? pool : null);
    // No offline queue: while Redis is unreachable a count fails at once (and falls back to memory).
    const redis = new Redis(config.redisUrl as string, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    redis.on("error", (err: Error) => logger.debug("redis: connection error", { error: err.message }));
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), REDIS_CONNECT_MS);
      redis.once("ready", () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    const limits = new RateLimits(store, config.rateLimits, logger, redis);
    if (!ready) limits.storeFailed(new Error(`Redis did not answer within ${REDIS_CONNECT_MS} ms`));
    return limits;
  }

  /** Charges `caller` one request; throws `RATE_LIMITED` when its request budget is spent. */
  async chargeRequest(caller: Caller): Promise<void> {
    const limit = this.limitOf(caller);
    if (limit) await this.charge(caller.keyId as string, "REQUESTS", limit.requests, limit.windowSeconds, 1);
  }

  /**
   * Charges `caller` an operation's `cost` (at least 1 point); throws `RATE_LIMITED` when that is
   * more than what is left of its cost budget, charging nothing then: the operation does not run.
   */
  async chargeCost(caller: Caller, cost: number): Promise<void> {
    const limit = this.limitOf(caller);
    if (limit) await this.charge(caller.keyId as string, "COST", limit.cost, limit.windowSeconds, cost);
  }

  /**
   * Apollo's side: each operation is charged its cost (`RequestContext.operationCost`, computed
   * during validation; 1 when there is none) once it is resolved, before it runs. An operation
   * refused by validation (the cost limit per operation included) is not charged.
   */
  readonly chargeCostPlugin: ApolloServerPlugin<RequestContext> = {
    requestDidStart: async () => ({
      didResolveOperation: async ({ contextValue }) => {
        if (!contextValue.caller) return;
        await this.chargeCost(contextValue.caller, contextValue.operationCost ?? 1).catch((err: unknown) => {
          // Apollo answers with the status and headers a GraphQL error carries (429, Retry-After).
          const domain = domainErrorOf(err);
          throw domain ? toGraphQLError(domain) : err;
        });
      },
    }),
  };

  /** Closes the connection to Redis, if any (the database's pool belongs to the database). */
  async close(): Promise<void> {
    if (this.storeClient instanceof Redis) await this.storeClient.quit().catch(() => this.storeClient && (this.storeClient as Redis).disconnect());
  }

  /** The budgets in force for `caller`, or null when it is not limited (`QUALIFY_ADMIN_KEY`). */
  private limitOf(caller: Caller): RateLimitSettings | null {
    return caller.keyId === null ? null : effectiveRateLimit(this.settings, caller.rateLimit);
  }

  private async charge(keyId: string, budget: Budget, allowed: number, windowSeconds: number, points: number): Promise<void> {
    if (allowed === 0) return;
    const charge = Math.max(1, Math.ceil(points));
    const refusal = (msBeforeNext: number): DomainError => rateLimited(budget, allowed, windowSeconds, msBeforeNext, budget === "COST" ? points : undefined);
    // More than the whole budget: no window would let it through (nothing to count).
    if (charge > allowed) throw refusal(windowSeconds * 1000);
    // The budget's amount is part of the key: an admin raising it lifts the block at once.
    const spentKey = `${budget}:${windowSeconds}:${allowed}:${keyId}`;
    const spentUntil = this.spent.get(spentKey);
    if (spentUntil !== undefined) {
      if (spentUntil > Date.now()) throw refusal(spentUntil - Date.now());
      this.spent.delete(spentKey);
    }
    const counter = this.counter(budget, windowSeconds);
    const res = await this.consume(counter, keyId, charge);
    if (res.consumedPoints <= allowed) return;
    // A refused request does not run, so it is not counted: what is left stays for cheaper operations.
    await this.refund(counter, keyId, charge);
    if (res.consumedPoints - charge >= allowed) this.block(spentKey, res.msBeforeNext);
    throw refusal(res.msBeforeNext);
  }

  private block(spentKey: string, msBeforeNext: number): void {
    if (this.spent.size >= MAX_BLOCKED) this.spent.clear();
    this.spent.set(spentKey, Date.now() + msBeforeNext);
  }

  /** Counts `points` in the store, or in memory while the store fails. */
  private async consume(counter: { store: RateLimiterAbstract; fallback: RateLimiterMemory }, keyId: string, points: number): Promise<RateLimiterRes> {
    try {
      return await counter.store.consume(keyId, points);
    } catch (err) {
      this.storeFailed(err);
      return counter.fallback.consume(keyId, points);
    }
  }

  private async refund(counter: { store: RateLimiterAbstract; fallback: RateLimiterMemory }, keyId: string, points: number): Promise<void> {
    await counter.store.reward(keyId, points).catch((err: unknown) => {
      this.storeFailed(err);
      return counter.fallback.reward(keyId, points);
    });
  }

  private storeFailed(err: unknown): void {
    if (err instanceof RateLimiterRes) return;
    const now = Date.now();
    if (now - this.lastStoreWarning < STORE_WARNING_INTERVAL_MS) return;
    this.lastStoreWarning = now;
    this.logger.warn("rate limits: the store failed; counting in this process until it answers", {
      store: this.store,
      error: err instanceof Error ? err.message : String(err),
    });
  }

  /** The counter of `budget` over windows of `windowSeconds` (keys with the same window share it). */
  private counter(budget: Budget, windowSeconds: number): { store: RateLimiterAbstract; fallback: RateLimiterMemory } {
    const keyPrefix = `qualify:${budget.toLowerCase()}:${windowSeconds}`;
    let counter = this.counters.get(keyPrefix);
    if (!counter) {
      const options = { points: UNBOUNDED_POINTS, duration: windowSeconds, keyPrefix };
      const fallback = new RateLimiterMemory(options);
      let store: RateLimiterAbstract;
      if (this.storeClient instanceof Redis) {
        store = new RateLimiterRedis({ ...options, storeClient: this.storeClient });
      } else if (this.storeClient) {
        // The table exists (a migration made it): the library runs no DDL.
        store = new RateLimiterPostgres({ ...options, storeClient: this.storeClient, storeType: "pool", tableName: TABLE, tableCreated: true });
      } else {
        store = fallback;
      }
      counter = { store, fallback };
      this.counters.set(keyPrefix, counter);
    }
    return counter;
  }
}

function rateLimited(limit: Budget, budget: number, windowSeconds: number, msBeforeNext: number, cost?: number): DomainError {
  const refusal: RateLimitRefusal = {
    retryAfter: Math.max(1, Math.ceil(msBeforeNext / 1000)),
    limit,
    budget,
    windowSeconds,
    ...(cost !== undefined ? { cost } : {}),
  };
  const message =
    limit === "REQUESTS"
      ? `This API key has used its ${budget} requests per ${windowSeconds} s; retry in ${refusal.retryAfter} s`
      : cost !== undefined && cost > budget
        ? `This operation costs ${cost}, more than this API key's budget of ${budget} per ${windowSeconds} s: ask for a smaller page or a larger budget`
        : `This operation costs ${cost}, more than what is left of this API key's budget of ${budget} per ${windowSeconds} s; retry in ${refusal.retryAfter} s`;
  return new DomainError("RATE_LIMITED", message, { rateLimit: refusal });
}
