/**
 * What every service call receives first: who is calling, the database handle to use (the
 * request's manager, or a transaction's once inside `inTransaction`), the clock, the logger, and
 * where to queue work that must wait for the commit. Data only: services reach their
 * collaborators through their constructors (`services/index.ts` wires them), never through here.
 */
import type { EntityManager } from "typeorm";
import type { Scope } from "./entities/api-key.entity";
import type { Logger } from "./logger";

/** The authenticated caller: an API key, or the admin key from the environment. */
export interface Caller {
  keyId: string | null;
  /** Shown as `actor` on manual stage moves. */
  name: string;
  scopes: ReadonlySet<Scope>;
  /** The key's own budgets per window, where an admin set them (null fields: the service's settings). */
  rateLimit?: KeyRateLimit;
}

/** Budgets an admin set for one key; null: the service's setting; 0: no limit. */
export interface KeyRateLimit {
  requests: number | null;
  cost: number | null;
  windowSeconds: number | null;
}

/** A time source; the demo runs the service on a simulated clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface ServiceContext {
  caller: Caller | null;
  /** All database work goes through this manager (a transaction's, inside `inTransaction`). */
  db: EntityManager;
  clock: Clock;
  logger: Logger;
  /** Present inside a transaction: callbacks run after a successful commit, in order. */
  afterCommit?: (callback: () => void | Promise<void>) => void;
  /**
   * Present inside a transaction: callbacks run once the unit of work is done, just before the
   * COMMIT, in order; what they write commits (or rolls back) with the rest (the webhook outbox).
   */
  beforeCommit?: (callback: () => Promise<void>) => void;
}

/** Whether `caller` may use `scope` (`admin` implies every scope). */
export function hasScope(caller: Caller | null, scope: Scope): boolean {
  return !!caller && (caller.scopes.has(scope) || caller.scopes.has("admin"));
}
