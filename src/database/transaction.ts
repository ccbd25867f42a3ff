/**
 * One unit of work = one database transaction. Serialization failures and deadlocks are retried a
 * bounded number of times (a retry re-runs the whole unit, so it must have no effect outside the
 * database: events go through `afterCommit`, which only runs once the commit succeeded).
 *
 * Two ways to run one, chosen per DataSource when it opens (`QUALIFY_DB_PIPELINING`):
 * - **pipelined** (the default): `BEGIN` travels with the unit's first statement and `COMMIT` with
 *   its last write (`deferQuery`); the statements of one trip are pipelined in the extended
 *   protocol, parameters stay bound and hot statements (`hotStatement`) are prepared once per
 *   connection. A unit that reads, writes and commits costs one round trip per statement it needs
 *   a result of, plus one. After an error the server skips the rest of the trip, so a failed
 *   statement never reaches its COMMIT. The driver internals this needs live in `pg-pipeline.ts`.
 * - **public**: TypeORM's own `startTransaction` / `commitTransaction`; each statement is its own
 *   round trip and `deferQuery` runs at once. Slower, and independent of any driver internal.
 */
import type { DataSource, EntityManager, QueryRunner } from "typeorm";
import type { ServiceContext } from "../context";
import {
  encodeArrays,
  interceptQueries,
  markTransactionActive,
  type PgClient,
  type PgResult,
  sendPipelined,
  settlePrepared,
  type Step,
} from "./pg-pipeline";
import { sqlState } from "./timeouts";

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
  const code = sqlState(err);
  return typeof code === "string" && RETRYABLE_SQLSTATES.has(code);
}

export type TransactionMode = "pipelined" | "public";

const modes = new WeakMap<DataSource, TransactionMode>();

/** How `inTransaction` runs units of work on `dataSource` (pipelined unless told otherwise). */
export function setTransactionMode(dataSource: DataSource, mode: TransactionMode): void {
  modes.set(dataSource, mode);
}

const modeOf = (db: EntityManager): TransactionMode => modes.get(db.connection) ?? "pipelined";

/** The hot statements, numbered in the order they were marked. */
const PREPARED = new Map<string, number>();

/** Marks `sql` as a statement of the hot path: prepared once per connection rather than parsed each time. */
export function hotStatement(sql: string): string {
  if (!PREPARED.has(sql)) PREPARED.set(sql, PREPARED.size + 1);
  return sql;
}

/** Each client connection's prefix for the names of its prepared statements. */
const prefixes = new WeakMap<PgClient, string>();
let clients = 0;

/**
 * The name `sql` is prepared under on `client` (undefined: not a hot statement). Names are unique
 * per client connection, not only per statement: on the embedded database every connection shares
 * one backend session (pglite-socket), where a statement a closed connection prepared still exists,
 * so a new connection reusing its name would be refused ("prepared statement … already exists").
 */
function statementName(client: PgClient, sql: string): string | undefined {
  const n = PREPARED.get(sql);
  if (n === undefined) return undefined;
  let prefix = prefixes.get(client);
  if (prefix === undefined) prefixes.set(client, (prefix = `qualify_${process.pid.toString(36)}_${(++clients).toString(36)}_`));
  return prefix + n;
}

/** A pooled pg client: it queries, and reports the server ending its session between queries as an `error` event. */
type PooledClient = PgClient & {
  on(event: "error", listener: (err: Error) => void): unknown;
  removeListener(event: "error", listener: (err: Error) => void): unknown;
};

/** A unit of work's transaction: how its statements travel, and how it ends. */
interface Transaction {
  readonly runner: QueryRunner;
  readonly client: PooledClient;
  /** Sends `sql` with the next statement or the COMMIT (pipelined), or now (public). */
  defer(sql: string, parameters: unknown[], onRows?: (rows: unknown[]) => void): Promise<void>;
  commit(): Promise<void>;
  /** Rolls back (when anything was sent) and gives the connection back to the pool. */
  release(failed: boolean): Promise<void>;
}

/**
 * A transaction on one connection whose `BEGIN` waits for the first statement, and whose deferred
 * writes wait for the next statement or the `COMMIT`.
 */
class PipelinedTransaction implements Transaction {
  private begun = false;
  private readonly deferred: Step[] = [];
  /** Named statements of a failed trip: prepared or not, the server alone knows (settled on release). */
  private readonly uncertain = new Map<string, string>();
  private readonly original: PgClient["query"];
  private readonly restore: () => void;

  constructor(
    readonly runner: QueryRunner,
    readonly client: PooledClient,
  ) {
    // Every statement of the transaction passes here (TypeORM's own included).
    ({ original: this.original, restore: this.restore } = interceptQueries(client, (send, text, values, callback) => {
      if (typeof text !== "string" || callback !== undefined) {
        if (!this.begun) throw new Error("a statement bypassed the transaction's BEGIN");
        return send(text, values, callback);
      }
      const name = statementName(client, text);
      const parameters = (values as unknown[] | undefined) ?? [];
      if (this.begun && this.deferred.length === 0) {
        // A hot statement is parsed once per connection.
        if (name !== undefined) return send({ name, text, values: encodeArrays(parameters) });
        return send(text, values === undefined ? values : encodeArrays(parameters));
      }
      return this.trip([...this.pending(), { text, values: parameters, name }]);
    }));
    // TypeORM's own operations (save, insert…) join it rather than start one.
    markTransactionActive(runner, true);
  }

  /** `BEGIN` if not yet sent and the deferred writes, in order (and forgets them). */
  private pending(): Step[] {
    const steps: Step[] = [];
    const logger = this.runner.connection.logger;
    if (!this.begun) {
      logger.logQuery("BEGIN", [], this.runner);
      steps.push({ text: "BEGIN", values: [] });
    }
    this.begun = true;
    for (const step of this.deferred.splice(0)) {
      logger.logQuery(step.text, [...step.values], this.runner);
      steps.push(step);
    }
    return steps;
  }

  /** Sends `steps` in one round trip; the last statement's result. */
  private async trip(steps: Step[]): Promise<PgResult> {
    const results = await sendPipelined(this.client, this.original, steps, (names) => {
      for (const [name, text] of names) this.uncertain.set(name, text);
    });
    steps.forEach((step, i) => step.onRows?.(results[i].rows));
    return results[results.length - 1];
  }

  async defer(sql: string, parameters: unknown[], onRows?: (rows: unknown[]) => void): Promise<void> {
    this.deferred.push({ text: sql, values: parameters, name: statementName(this.client, sql), onRows });
  }

  async commit(): Promise<void> {
    if (!this.begun && this.deferred.length === 0) return; // no statement: nothing to commit
    // Through TypeORM, so that it is logged and its errors are QueryFailedErrors like any other.
    await this.runner.query("COMMIT");
  }

  async release(failed: boolean): Promise<void> {
    this.restore();
    try {
      if (failed && this.begun) await this.original.call(this.client, "ROLLBACK");
      if (this.uncertain.size > 0) await settlePrepared(this.client, this.original, this.uncertain);
    } finally {
      markTransactionActive(this.runner, false);
      await this.runner.release();
    }
  }
}

/** TypeORM's public transaction API: every statement its own round trip. */
class PublicTransaction implements Transaction {
  constructor(
    readonly runner: QueryRunner,
    readonly client: PooledClient,
  ) {}

  async defer(sql: string, parameters: unknown[], onRows?: (rows: unknown[]) => void): Promise<void> {
    const result = await this.runner.query(sql, parameters, true);
    onRows?.(result.records);
  }

  commit(): Promise<void> {
    return this.runner.commitTransaction();
  }

  async release(failed: boolean): Promise<void> {
    try {
      if (failed && this.runner.isTransactionActive) await this.runner.rollbackTransaction();
    } finally {
      await this.runner.release();
    }
  }
}

async function begin(db: EntityManager): Promise<Transaction> {
  // READ COMMITTED, PostgreSQL's default: naming it would cost a SET TRANSACTION round trip.
  const runner = db.connection.createQueryRunner("master");
  try {
    // Waits at most QUALIFY_DB_ACQUIRE_TIMEOUT_MS for a pooled connection (pg-pool's connectionTimeoutMillis).
    const client = (await runner.connect()) as PooledClient;
    if (modeOf(db) === "pipelined") return new PipelinedTransaction(runner, client);
    await runner.startTransaction();
    return new PublicTransaction(runner, client);
  } catch (err) {
    await runner.release();
    throw err;
  }
}

const open = new WeakMap<QueryRunner, Transaction>();

/**
 * Runs a write whose result is not awaited: inside a transaction of `inTransaction`, it is sent
 * with the next statement or with the `COMMIT` (its failure fails the transaction then), and
 * `onRows` gets its rows when they come back; elsewhere, now (there is no commit to wait for, and
 * `onRows` is not called).
 */
export async function deferQuery(tx: ServiceContext, sql: string, parameters: unknown[], onRows?: (rows: unknown[]) => void): Promise<void> {
  const transaction = tx.db.queryRunner ? open.get(tx.db.queryRunner) : undefined;
  if (transaction) await transaction.defer(sql, parameters, onRows);
  else await tx.db.query(sql, parameters);
}

export interface TransactionOptions {
  /**
   * A statement that sets this transaction's own bounds (`bulkWorkBounds` in `timeouts.ts`): sent
   * with its first statement (pipelined) or first of all (public).
   */
  bounds?: string;
}

/**
 * Runs `work` in a transaction with a context whose `db` is the transaction's manager. Joins the
 * caller's transaction when there already is one. Rolls back on any error. Serialization failures
 * and deadlocks run it again; a bound hit (`timeouts.ts`: a lock held elsewhere, a statement too
 * long) does not: the caller answers UNAVAILABLE at once.
 *
 * @example
 * const lead = await inTransaction(ctx, (tx) => lockLeadById(tx, id));
 */
export async function inTransaction<T>(ctx: ServiceContext, work: (tx: ServiceContext) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  if (ctx.db.queryRunner?.isTransactionActive) return work(ctx);
  for (let attempt = 1; ; attempt++) {
    const callbacks: Array<() => void | Promise<void>> = [];
    const finishing: Array<() => Promise<void>> = [];
    const transaction = await begin(ctx.db);
    open.set(transaction.runner, transaction);
    // The server ends a session that sat idle in its transaction too long (25P03) between two
    // statements: the client hears it as an event, and the next statement fails without saying why.
    let ended: Error | undefined;
    const onEnded = (err: Error) => void (ended ??= err);
    transaction.client.on("error", onEnded);
    const release = (failed: boolean) => {
      open.delete(transaction.runner);
      transaction.client.removeListener("error", onEnded);
      return transaction.release(failed);
    };
    let failed = true;
    try {
      if (options.bounds) await transaction.defer(options.bounds, []);
      const result = await work({
        ...ctx,
        db: transaction.runner.manager,
        afterCommit: (callback) => callbacks.push(callback),
        beforeCommit: (callback) => finishing.push(callback),
      });
      for (const callback of finishing) await callback();
      await transaction.commit();
      failed = false;
      await release(false);
      for (const callback of callbacks) {
        const pending = callback();
        if (pending) await pending;
      }
      return result;
    } catch (caught) {
      const err = (failed && ended) || caught;
      if (failed) await release(true).catch(() => undefined);
      if (failed && (!isRetryable(err) || attempt >= MAX_ATTEMPTS)) throw err;
      if (!failed) throw err;
      ctx.logger.debug("retrying transaction", { attempt, reason: String(err) });
    }
  }
}
