/**
 * One unit of work = one database transaction. Serialization failures and deadlocks are retried a
 * bounded number of times (a retry re-runs the whole unit, so it must have no effect outside the
 * database: events go through `afterCommit`, which only runs once the commit succeeded).
 */
import type { ServiceContext } from "../context";

const RETRYABLE_SQLSTATES = new Set(["40001", "40P01"]);
const MAX_ATTEMPTS = 5;

/** Thrown inside a unit of work to roll it back and run it again (e.g. a lost insert race). */
export class RetryTransaction extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "RetryTransaction";
  }
}

function isRetryable(err: unknown): boolean {
  if (err instanceof RetryTransaction) return true;
  const code = (err as { driverError?: { code?: string }; code?: string })?.driverError?.code ??
    (err as { code?: string })?.code;
  return typeof code === "string" && RETRYABLE_SQLSTATES.has(code);
}

/**
 * Runs `work` in a transaction with a context whose `db` is the transaction's manager. Joins the
 * caller's transaction when there already is one. Rolls back on any error.
 *
 * @example
 * const lead = await inTransaction(ctx, (tx) => ctx.services.leads.lockById(tx, id));
 */
export async function inTransaction<T>(ctx: ServiceContext, work: (tx: ServiceContext) => Promise<T>): Promise<T> {
  if (ctx.db.queryRunner?.isTransactionActive) return work(ctx);
  for (let attempt = 1; ; attempt++) {
    const callbacks: Array<() => void | Promise<void>> = [];
    try {
      // READ COMMITTED, PostgreSQL's default: naming it would cost a SET TRANSACTION round trip.
      const result = await ctx.db.transaction((manager) =>
        work({ ...ctx, db: manager, afterCommit: (callback) => callbacks.push(callback) }),
      );
      for (const callback of callbacks) await callback();
      return result;
    } catch (err) {
      if (!isRetryable(err) || attempt >= MAX_ATTEMPTS) throw err;
      ctx.logger.debug("retrying transaction", { attempt, reason: String(err) });
    }
  }
}
