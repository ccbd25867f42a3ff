/**
 * One unit of work = one database transaction. Serialization failures and deadlocks are retried a
 * bounded number of times (a retry re-runs the whole unit, so it must have no effect outside the
 * database: events go through `afterCommit`, which only runs once the commit succeeded).
 *
 * Round trips: `BEGIN` travels with the unit's first statement and `COMMIT` with its last write
 * (`deferQuery`): the statements of one trip are pipelined in the extended protocol (each parsed,
 * bound and executed, one Sync at the end), so their parameters stay bound parameters and a hot
 * statement stays prepared. A unit of work that reads, writes and commits costs one round trip
 * per statement it needs a result of, plus one. After an error the server skips the rest of the
 * trip (so a failed statement never reaches its COMMIT).
 */
import type { EntityManager, QueryRunner } from "typeorm";
import type { ServiceContext } from "../context";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pgUtils = require("pg/lib/utils") as { prepareValue(value: unknown): unknown };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const PgQuery = require("pg/lib/query") as new (config: { text: string; name?: string; callback: (err: Error | null, results: unknown) => void }) => PgQueryInstance;

interface PgQueryInstance {
  text: string;
  name?: string;
}

interface PgConnection {
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
  parse(message: { text: string; name?: string; types?: unknown[] }): void;
  bind(message: { statement?: string; values?: readonly unknown[]; valueMapper: (value: unknown) => unknown }): void;
  describe(message: { type: "P"; name: string }): void;
  execute(message: { portal?: string }): void;
  sync(): void;
}

const RETRYABLE_SQLSTATES = new Set(["40001", "40P01"]);
const MAX_ATTEMPTS = 5;

/** Thrown inside a unit of work to roll it back and run it again (e.g. a lost insert race). */
export class RetryTransaction extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "RetryTransaction";
  }
}

/** The SQLSTATE of a database error, as TypeORM (`driverError`) or pg reports it. */
export function sqlState(err: unknown): string | undefined {
  return (err as { driverError?: { code?: string } } | undefined)?.driverError?.code ?? (err as { code?: string } | undefined)?.code;
}

function isRetryable(err: unknown): boolean {
  if (err instanceof RetryTransaction) return true;
  const code = sqlState(err);
  return typeof code === "string" && RETRYABLE_SQLSTATES.has(code);
}

interface PgClient {
  query(text: unknown, values?: unknown, callback?: unknown): unknown;
}

type PgResult = { rows: unknown[]; rowCount: number | null; command: string };

const NEEDS_ESCAPE = /[\\"]/;

/**
 * `values` as a PostgreSQL array literal, or undefined when it holds anything but strings,
 * numbers, booleans and nulls (pg's own encoding then). What pg's encoder produces, without its
 * per-element string building: a batch binds tens of thousands of elements.
 */
function arrayLiteral(values: readonly unknown[]): string | undefined {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) parts[i] = "NULL";
    else if (typeof v === "string") parts[i] = NEEDS_ESCAPE.test(v) ? `"${v.replace(/[\\"]/g, "\\$&")}"` : `"${v}"`;
    else if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") parts[i] = String(v);
    else return undefined;
  }
  return `{${parts.join(",")}}`;
}

/** A parameter as sent: arrays of plain values encoded here, anything else by pg. */
function prepareValue(value: unknown): unknown {
  return Array.isArray(value) ? (arrayLiteral(value) ?? pgUtils.prepareValue(value)) : pgUtils.prepareValue(value);
}

/** Parameters for pg's own query path (which leaves strings as they are). */
const encodeArrays = (values: readonly unknown[]): unknown[] => values.map((v) => (Array.isArray(v) ? (arrayLiteral(v) ?? v) : v));

/** One statement of a round trip; `name`: prepared once per connection under that name. */
interface Step {
  text: string;
  values: readonly unknown[];
  name?: string;
  /** For a deferred write whose rows are wanted: called with them once its trip is answered. */
  onRows?: (rows: unknown[]) => void;
}

/**
 * Several statements in one round trip of the extended protocol: each is parsed (a named one
 * only the first time on a connection), bound, described and executed, then one Sync. The
 * callback gets one result per statement.
 */
function pipelinedQuery(steps: readonly Step[], callback: (err: Error | null, results: PgResult[]) => void): PgQueryInstance {
  const last = steps[steps.length - 1];
  // `text` and `name` are what the client reads of its active query (a named statement is marked parsed).
  const query = new PgQuery({
    text: last.text,
    name: last.name,
    callback: (err, results) => callback(err, Array.isArray(results) ? results : [results as PgResult]),
  });
  Object.assign(query, {
    requiresPreparation: () => true,
    prepare(connection: PgConnection) {
      for (const step of steps) {
        const parsed = step.name !== undefined && (connection.parsedStatements[step.name] ?? connection.submittedNamedStatements[step.name]) === step.text;
        if (!parsed) {
          connection.parse({ text: step.text, name: step.name ?? "", types: [] });
          if (step.name !== undefined) connection.submittedNamedStatements[step.name] = step.text;
        }
        connection.bind({ statement: step.name ?? "", values: step.values, valueMapper: prepareValue });
        connection.describe({ type: "P", name: "" });
        connection.execute({ portal: "" });
      }
      connection.sync();
    },
  });
  return query;
}

/**
 * A transaction on one connection of the pool whose `BEGIN` waits for the first statement, and
 * whose deferred writes wait for the next statement or the `COMMIT`.
 */
class Transaction {
  private begun = false;
  private readonly deferred: Step[] = [];
  private readonly query: PgClient["query"];

  constructor(
    readonly runner: QueryRunner,
    private readonly client: PgClient,
  ) {
    this.query = client.query;
    const send = this.query.bind(client);
    // Every statement of the transaction passes here (TypeORM's own included).
    client.query = (text: unknown, values?: unknown, callback?: unknown) => {
      if (typeof text !== "string" || callback !== undefined) {
        if (!this.begun) throw new Error("a statement bypassed the transaction's BEGIN");
        return send(text, values, callback);
      }
      const name = PREPARED.get(text);
      const parameters = (values as unknown[] | undefined) ?? [];
      if (this.begun && this.deferred.length === 0) {
        // A hot statement is parsed once per connection.
        if (name !== undefined) return send({ name, text, values: encodeArrays(parameters) });
        return send(text, values === undefined ? values : encodeArrays(parameters));
      }
      return this.trip([...this.pending(), { text, values: parameters, name }]);
    };
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
  private trip(steps: Step[]): Promise<PgResult> {
    return new Promise((resolve, reject) => {
      const query = pipelinedQuery(steps, (err, results) => {
        if (err) return reject(err);
        steps.forEach((step, i) => step.onRows?.(results[i].rows));
        resolve(results[results.length - 1]);
      });
      this.query.call(this.client, query);
    });
  }

  defer(sql: string, parameters: unknown[], onRows?: (rows: unknown[]) => void): void {
    this.deferred.push({ text: sql, values: parameters, name: PREPARED.get(sql), onRows });
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
 * Runs a write whose result is not awaited: inside a transaction of `inTransaction`, it is sent
 * with the next statement or with the `COMMIT` (its failure fails the transaction then), and
 * `onRows` gets its rows when they come back; elsewhere, now (there is no commit to wait for, and
 * `onRows` is not called).
 */
export async function deferQuery(tx: ServiceContext, sql: string, parameters: unknown[], onRows?: (rows: unknown[]) => void): Promise<void> {
  const transaction = tx.db.queryRunner ? open.get(tx.db.queryRunner) : undefined;
  if (transaction) transaction.defer(sql, parameters, onRows);
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
