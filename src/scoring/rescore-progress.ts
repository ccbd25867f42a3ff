/**
 * A rescore's progress, read from the database so that every instance answers the same whichever
 * one runs the rescore (or several share it): the leads at the active version (`done`) of all
 * leads (`total`), the version's publish instant, and when its rescore finished (the one table
 * this module writes, `model_rescore`: a row per version, recorded by the pass that found no lead
 * left below it).
 */
import type { ServiceContext } from "../context";

/** The active version's rescore. */
export interface RescoreProgress {
  version: number;
  /** Leads at the version (rescored, or written since the publish). */
  done: number;
  /** Every lead. */
  total: number;
  startedAt: Date;
  /** When a rescore found no lead left below the version; null while leads are left. */
  finishedAt: Date | null;
}

const PROGRESS_SQL = `
  SELECT m.version, m.published_at AS started_at, r.finished_at,
         (SELECT count(*) FROM lead)::int AS total,
         (SELECT count(*) FROM lead WHERE model_version < m.version)::int AS behind
    FROM scoring_model m LEFT JOIN model_rescore r ON r.version = m.version
   WHERE m.active`;

/**
 * The active version's progress (null before any version is published). One statement, so `done`
 * and `total` come from one snapshot. A version whose leads are all rescored but whose finish was
 * not recorded yet (a rescore between its last batch and its last check) reports `finishedAt` null
 * with `done == total` for that instant.
 */
export async function readRescoreProgress(ctx: ServiceContext): Promise<RescoreProgress | null> {
  const rows: Array<{ version: number; started_at: Date; finished_at: Date | null; total: number; behind: number }> = await ctx.db.query(PROGRESS_SQL);
  if (rows.length === 0) return null;
  const [row] = rows;
  return { version: row.version, done: row.total - row.behind, total: row.total, startedAt: row.started_at, finishedAt: row.finished_at };
}

/**
 * The end of a rescore pass: whether any lead is left below the active version, and when none is,
 * the version's finish recorded (once: the first pass to find none wins). One statement.
 */
export async function leadsLeftBehind(ctx: ServiceContext): Promise<boolean> {
  const [{ any_left }]: Array<{ any_left: boolean }> = await ctx.db.query(
    `WITH active AS (SELECT version FROM scoring_model WHERE active),
          behind AS (SELECT EXISTS (SELECT 1 FROM lead WHERE model_version < (SELECT version FROM active)) AS any_left),
          finished AS (
            INSERT INTO model_rescore (version, finished_at)
            SELECT version, $1 FROM active WHERE NOT (SELECT any_left FROM behind)
            ON CONFLICT (version) DO NOTHING)
     SELECT any_left FROM behind`,
    [ctx.clock.now()],
  );
  return any_left;
}
