/**
 * One unit of work = one database transaction. Serialization failures and deadlocks are retried a
 * bounded number of times (a retry re-runs the whole unit, so it must have no effect outside the
 * database: events go through `afterCommit`, which only runs once the commit succeeded).
 *
 * Round trips: `BEGIN` travels with the unit's first statement and `COMMIT` with its last write
 * (`deferQuery`), each pair sent as one simple-protocol query (the parameters inlined as quoted
 * literals, typed by the same context that types a bound parameter). A unit of work that reads,
 * writes and commits costs one round trip per statement it needs a result of, plus one.
 */
import type { EntityManager, QueryRunner } from "typeorm";
import type { ServiceContext } from "../context";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pgUtils = require("pg/lib/utils") as { prepareValue(value: unknown): unknown; escapeLiteral(value: string): string };

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

/** `sql` with its `$n` parameters replaced by literals: what the server would bind, as text. */
export function inlineParameters(sql: string, parameters: readonly unknown[] | undefined): string {
  if (!parameters || parameters.length === 0) return sql;
  return sql.replace(/\$(\d+)(?!\d)/g, (match, n: string) => {
    const index = Number(n) - 1;
    if (index < 0 || index >= parameters.length) throw new Error(`no value for ${match}`);
    const value = pgUtils.prepareValue(parameters[index]);
    if (value === null || value === undefined) return "NULL";
    if (typeof value !== "string") throw new Error(`cannot inline a ${typeof value} parameter`);
    return pgUtils.escapeLiteral(value);
  });
}

interface PgClient {
  query(text: unknown, values?: unknown, callback?: unknown): unknown;
}

type PgResult = { rows: unknown[]; rowCount: number | null; command: string };

/**
 * A transaction on one connection of the pool whose `BEGIN` waits for the first statement, and
 * whose deferred writes wait for the next statement or the `COMMIT`.
 */
class Transaction {
  private begun = false;
  private readonly deferred: Array<{ sql: string; parameters: unknown[] }> = [];
  private readonly query: PgClient["query"];

  constructor(
    readonly runner: QueryRunner,
    private readonly client: PgClient,
  ) {
    this.query = client.query;
    const send = this.query.bind(client);
    // Every statement of the transaction passes here (TypeORM's own included).
    client.query = (text: unknown, values?: unknown, callback?: unknown) => {
      if (typeof text !== "string" || callback !== undefined || (this.begun && this.deferred.length === 0)) {
        if (!this.begun && typeof text === "string") throw new Error("a statement bypassed the transaction's BEGIN");
        const name = typeof text === "string" && callback === undefined ? PREPARED.get(text) : undefined;
        // A hot statement is parsed once per connection.
        if (name !== undefined) return send({ name, text, values });
        return send(text, values, callback);
      }
      const statements = this.pending();
      statements.push(inlineParameters(text, values as unknown[] | undefined));
      return this.sendAll(statements);
    };
  }

  /** `BEGIN` if not yet sent and the deferred writes, inlined, in order (and forgets them). */
  private pending(): string[] {
    const statements: string[] = [];
    const logger = this.runner.connection.logger;
    if (!this.begun) {
      logger.logQuery("BEGIN", [], this.runner);
      statements.push("BEGIN");
    }
    this.begun = true;
    for (const { sql, parameters } of this.deferred.splice(0)) {
      logger.logQuery(sql, parameters, this.runner);
      statements.push(inlineParameters(sql, parameters));
    }
    return statements;
  }

  /** Sends `statements` as one query; the last statement's result. */
  private async sendAll(statements: string[]): Promise<PgResult> {
    const results = (await this.query.call(this.client, statements.join(";\n"))) as PgResult | PgResult[];
    return Array.isArray(results) ? results[results.length - 1] : results;
  }

  defer(sql: string, parameters: unknown[]): void {
    this.deferred.push({ sql, parameters });
  }

  async commit(): Promise<void> {
    if (!this.begun && this.deferred.length === 0) return; // no statement: nothing to commit
    // Through TypeORM, so that it is logged and its errors are QueryFailedErrors like any other.
    await this.runner.query("COMMIT");
  }

  /** Rolls back (when anything was sent) and gives the connection back to the pool. */
  async release(failed: boolean): Promise<void> {
    this.client.query = this.query;
    try {
      if (failed && this.begun) await this.query.call(this.client, "ROLLBACK");
    } finally {
      open.delete(this.runner);
      (this.runner as { isTransactionActive: boolean }).isTransactionActive = false;
      await this.runner.release();
    }
  }
}

const PREPARED = new Map<string, string>();

/** Marks `sql` as a statement of the hot path: prepared once per connection rather than parsed each time. */
export function hotStatement(sql: string): string {
  if (!PREPARED.has(sql)) PREPARED.set(sql, `qualify_${PREPARED.size + 1}`);
  return sql;
}

const open = new WeakMap<QueryRunner, Transaction>();

/**
 * Runs a write whose result is not needed: inside a transaction of `inTransaction`, it is sent with
 * the next statement or with the `COMMIT` (its failure fails the transaction then); elsewhere, now.
 */
export async function deferQuery(tx: ServiceContext, sql: string, parameters: unknown[]): Promise<void> {
  const transaction = tx.db.queryRunner ? open.get(tx.db.queryRunner) : undefined;
  if (transaction) transaction.defer(sql, parameters);
  else await tx.db.query(sql, parameters);
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
    // READ COMMITTED, PostgreSQL's default: naming it would cost a SET TRANSACTION round trip.
    const runner = ctx.db.connection.createQueryRunner("master");
    let transaction: Transaction;
    try {
      transaction = new Transaction(runner, (await runner.connect()) as PgClient);
    } catch (err) {
      await runner.release();
      throw err;
    }
    // TypeORM's own operations (save, insert…) join it rather than start one.
    (runner as { isTransactionActive: boolean }).isTransactionActive = true;
    open.set(runner, transaction);
    let failed = true;
    try {
      const manager: EntityManager = runner.manager;
      const result = await work({
        ...ctx,
        db: manager,
        afterCommit: (callback) => callbacks.push(callback),
      });
      await transaction.commit();
      failed = false;
      await transaction.release(false);
      for (const callback of callbacks) {
        const pending = callback();
        if (pending) await pending;
      }
      return result;
    } catch (err) {
      if (failed) await transaction.release(true).catch(() => undefined);
      if (failed && (!isRetryable(err) || attempt >= MAX_ATTEMPTS)) throw err;
      if (!failed) throw err;
      ctx.logger.debug("retrying transaction", { attempt, reason: String(err) });
    }
  }
}
