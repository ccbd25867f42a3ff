/**
 * A lead's score history (`Lead.scoreHistory`, `Lead.scoreAt`, `totalCount`): three loaders, each
 * one query per batch of leads asking the same thing (a page of leads asks the same of each).
 */
import DataLoader from "dataloader";
import type { EntityManager } from "typeorm";
import { decodeCursor, encodeCursor, type Page, toPage } from "../../database/cursor";
import type { ScoreCause } from "../../entities/score-point.entity";
import { badInput } from "../../errors";
import { byGroup } from "./by-group";

/** A point as the API answers it (`seq` orders points of the same instant). */
export interface ScorePointRecord {
  leadId: string;
  seq: string;
  at: Date;
  score: number;
  fit: number;
  engagement: number;
  cause: ScoreCause;
  interactionId: string | null;
}

/** One lead's page of points, oldest first, within `[since, until]` (open ends: all). */
export interface ScoreHistoryKey {
  leadId: string;
  first: number;
  after: string | null;
  since: Date | null;
  until: Date | null;
}

/** The cursor of a point in oldest-first order: `(at, seq)` plus the lead's id. */
const pointCursor = (p: ScorePointRecord): string => encodeCursor(`${p.at.toISOString()}|${p.seq}`, p.leadId);

function parseAfter(after: string): { at: Date; seq: string } {
  const { value } = decodeCursor(after, "after");
  const [iso, seq] = typeof value === "string" ? value.split("|") : [];
  if (!iso || !seq || !/^\d{1,18}$/.test(seq) || Number.isNaN(Date.parse(iso))) throw badInput("after", "is not a valid cursor");
  return { at: new Date(iso), seq };
}

function toRecord(row: Record<string, unknown>): ScorePointRecord {
  return {
    leadId: row.lead_id as string,
    seq: String(row.seq),
    at: new Date(row.at as string),
    score: row.score as number,
    fit: row.fit as number,
    engagement: row.engagement as number,
    cause: row.cause as ScoreCause,
    interactionId: (row.interaction_id as string | null) ?? null,
  };
}

const iso = (d: Date | null) => d?.toISOString() ?? "";

/** Pages of score points, oldest first: a window function takes `first + 1` of each lead. */
export function createScoreHistoryByLeadLoader(db: EntityManager): DataLoader<ScoreHistoryKey, Page<ScorePointRecord>, string> {
  return new DataLoader(
    (keys) =>
      byGroup(
        keys,
        (k) => `${k.first}|${k.after ?? ""}|${iso(k.since)}|${iso(k.until)}`,
        async (group) => {
          const { first, after, since, until } = group[0];
          const cursor = after ? parseAfter(after) : null;
          const rows: Array<Record<string, unknown>> =
            first === 0
              ? []
              : await db.query(
                  `SELECT * FROM (
                     SELECT p.*, row_number() OVER (PARTITION BY p.lead_id ORDER BY p.at, p.seq) AS rn
                       FROM score_point p
                      WHERE p.lead_id = ANY($1::uuid[])
                        AND ($2::timestamptz IS NULL OR p.at >= $2) AND ($3::timestamptz IS NULL OR p.at <= $3)
                        AND ($4::timestamptz IS NULL OR (p.at, p.seq) > ($4::timestamptz, $5::bigint))
                   ) ranked WHERE rn <= $6 ORDER BY lead_id, rn`,
                  [group.map((k) => k.leadId), since, until, cursor?.at ?? null, cursor?.seq ?? null, first + 1],
                );
          const byLead = new Map<string, ScorePointRecord[]>();
          for (const row of rows) {
            const point = toRecord(row);
            byLead.set(point.leadId, [...(byLead.get(point.leadId) ?? []), point]);
          }
          return new Map(group.map((k) => [k, toPage(byLead.get(k.leadId) ?? [], first, pointCursor, !!after)]));
        },
      ),
    { cacheKeyFn: (k) => `${k.leadId}|${k.first}|${k.after ?? ""}|${iso(k.since)}|${iso(k.until)}` },
  );
}

/** How many points each lead has within `[since, until]`. */
export function createScorePointCountByLeadLoader(db: EntityManager): DataLoader<Omit<ScoreHistoryKey, "first" | "after">, number, string> {
  return new DataLoader(
    (keys) =>
      byGroup(
        keys,
        (k) => `${iso(k.since)}|${iso(k.until)}`,
        async (group) => {
          const { since, until } = group[0];
          const rows: Array<{ lead_id: string; n: string }> = await db.query(
            `SELECT lead_id, count(*) AS n FROM score_point
              WHERE lead_id = ANY($1::uuid[]) AND ($2::timestamptz IS NULL OR at >= $2) AND ($3::timestamptz IS NULL OR at <= $3)
              GROUP BY lead_id`,
            [group.map((k) => k.leadId), since, until],
          );
          const counts = new Map(rows.map((r) => [r.lead_id, Number(r.n)]));
          return new Map(group.map((k) => [k, counts.get(k.leadId) ?? 0]));
        },
      ),
    { cacheKeyFn: (k) => `${k.leadId}|${iso(k.since)}|${iso(k.until)}` },
  );
}

/** Each lead's last point at or before `at` (null: none, the lead did not exist or its history did not go back that far). */
export function createScoreAtByLeadLoader(db: EntityManager): DataLoader<{ leadId: string; at: Date }, ScorePointRecord | null, string> {
  return new DataLoader(
    (keys) =>
      byGroup(
        keys,
        (k) => k.at.toISOString(),
        async (group) => {
          const rows: Array<Record<string, unknown>> = await db.query(
            `SELECT DISTINCT ON (lead_id) * FROM score_point
              WHERE lead_id = ANY($1::uuid[]) AND at <= $2
              ORDER BY lead_id, at DESC, seq DESC`,
            [group.map((k) => k.leadId), group[0].at],
          );
          const points = new Map(rows.map((r) => [r.lead_id as string, toRecord(r)]));
          return new Map(group.map((k) => [k, points.get(k.leadId) ?? null]));
        },
      ),
    { cacheKeyFn: (k) => `${k.leadId}|${k.at.toISOString()}` },
  );
}
