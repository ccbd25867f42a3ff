/**
 * Every wait on the database is bounded. This module holds both halves of that:
 * - the bounds each connection carries (`connectionBounds`: PostgreSQL's `statement_timeout`,
 *   `lock_timeout` and `idle_in_transaction_session_timeout` as startup parameters, and pg-pool's
 *   wait for a connection), and the longer ones of work over many leads (`bulkWorkBounds`);
 * - the one place that recognises an error meaning a bound was hit (`timeoutOf`), which
 *   `errors.ts` turns into `UNAVAILABLE`.
 *
 * The embedded database (PGlite) accepts these parameters and `SET`s of them but enforces none:
 * measured with pglite 0.5.14, `pg_sleep(2)` ran its 2 s under a 300 ms `statement_timeout`,
 * set either way. Its one session never waits for a lock of another session either. There, the
 * bounds that act are the wait for the one pooled connection and the per-lead gate (`lead-gate.ts`).
 */
import type { DatabaseTimeouts } from "../config";

/** Why a request could not be served in time; every one is worth retrying. */
export type TimeoutKind =
  /** A statement ran longer than `statement_timeout`. */
  | "STATEMENT_TIMEOUT"
  /** A lock (a lead's row, mostly) was held elsewhere longer than `lock_timeout`. */
  | "LOCK_TIMEOUT"
  /** The session sat in a transaction, idle, longer than `idle_in_transaction_session_timeout`. */
  | "IDLE_IN_TRANSACTION_TIMEOUT"
  /** No pooled connection came free (or a new one did not connect) in time. */
  | "ACQUIRE_TIMEOUT"
  /** Too many requests for one lead were waiting already, or one waited too long (`lead-gate.ts`). */
  | "LEAD_BUSY";

/** The SQLSTATE of a database error, as TypeORM (`driverError`) or pg reports it. */
export function sqlState(err: unknown): string | undefined {
  return (err as { driverError?: { code?: string } } | undefined)?.driverError?.code ?? (err as { code?: string } | undefined)?.code;
}

/** What pg-pool's errors say (it gives them no code): no connection came free, or a new one did not connect, in time. */
const ACQUIRE_TIMEOUT_MESSAGES = new Set(["timeout exceeded when trying to connect", "Connection terminated due to connection timeout"]);

/**
 * The bound `err` says was hit, or null. 57014 is also any other cancel (`pg_cancel_backend`,
 * "due to user request"): only PostgreSQL's statement-timeout cancel counts, told apart by its
 * message (the server's `lc_messages` must be English, PostgreSQL's default).
 */
export function timeoutOf(err: unknown): TimeoutKind | null {
  switch (sqlState(err)) {
    case "55P03":
      return "LOCK_TIMEOUT";
    case "25P03":
      return "IDLE_IN_TRANSACTION_TIMEOUT";
    case "57014":
      return /statement timeout/.test(messageOf(err)) ? "STATEMENT_TIMEOUT" : null;
  }
  return err instanceof Error && ACQUIRE_TIMEOUT_MESSAGES.has(err.message) ? "ACQUIRE_TIMEOUT" : null;
}

function messageOf(err: unknown): string {
  const source = (err as { driverError?: unknown } | undefined)?.driverError ?? err;
  return source instanceof Error ? source.message : "";
}

/** The bounds of every connection: pg client parameters, and pg-pool's wait for a connection. */
export function connectionBounds(timeouts: DatabaseTimeouts) {
  return {
    statement_timeout: timeouts.statementMs,
    lock_timeout: timeouts.lockMs,
    idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
    // pg-pool: the longest `connect()` waits for a free connection, or for a new one to connect.
    connectionTimeoutMillis: timeouts.acquireMs,
  };
}

/**
 * The statement that gives the rest of a transaction the bounds of bulk work (statements and the
 * in-process replay between them may take longer); `SET LOCAL`, so they end with it. The lock
 * bound stays: bulk work that waits for a lead a write holds is as stuck as a request would be.
 */
export function bulkWorkBounds(timeouts: Pick<DatabaseTimeouts, "bulkStatementMs">): string {
  const ms = Math.trunc(timeouts.bulkStatementMs);
  return `SELECT set_config('statement_timeout', '${ms}', true), set_config('idle_in_transaction_session_timeout', '${ms}', true)`;
}
