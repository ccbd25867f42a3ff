import DataLoader from "dataloader";
import type { EntityManager } from "typeorm";
import { InteractionEntity } from "../../entities/interaction.entity";
import { badInput } from "../../errors";
import { cursorTime, decodeCursor, encodeCursor, type Page, toPage } from "../../database/cursor";
import { byGroup } from "./by-group";

/** One lead's page of interactions, newest first: `first` after the cursor `after`. */
export interface InteractionPageKey {
  leadId: string;
  first: number;
  after: string | null;
}

/** The cursor of an interaction in newest-first order: `(occurredAt, seq)` plus its id. */
export const interactionCursor = (i: InteractionEntity): string =>
  encodeCursor(`${i.occurredAt.toISOString()}|${i.seq}`, i.id);

function parseAfter(after: string): { occurredAt: Date; seq: string } {
  const { value } = decodeCursor(after, "after");
  const [iso, seq] = typeof value === "string" ? value.split("|") : [];
  // `seq` is a bigint: at most 18 digits always fit.
  if (!iso || !seq || !/^\d{1,18}$/.test(seq)) throw badInput("after", "is not a valid cursor");
  return { occurredAt: cursorTime(iso, "after"), seq };
}

/** Maps a raw `interaction` row (from SQL that TypeORM did not build) to the entity. */
function toEntity(row: Record<string, unknown>): InteractionEntity {
  return Object.assign(new InteractionEntity(), {
    id: row.id,
    leadId: row.lead_id,
    seq: String(row.seq),
    type: row.type,
    target: row.target,
    source: row.source,
    externalId: row.external_id,
    properties: row.properties,
    occurredAt: new Date(row.occurred_at as string),
    receivedAt: new Date(row.received_at as string),
  });
}

/**
 * Pages of interactions for many leads at once: one query per distinct `(first, after)` in the
 * batch (a list of leads asks the same page of each, so that is one query), using a window
 * function to take the newest `first + 1` of each lead.
 */
export function createInteractionsByLeadLoader(db: EntityManager): DataLoader<InteractionPageKey, Page<InteractionEntity>, string> {
  return new DataLoader(
    (keys) =>
      byGroup(
        keys,
        (key) => `${key.first}:${key.after ?? ""}`,
        async (group) => {
          const { first, after } = group[0];
          const cursor = after ? parseAfter(after) : null;
          const rows: Array<Record<string, unknown>> =
            first === 0
              ? []
              : await db.query(
                  `SELECT * FROM (
                     SELECT i.*, row_number() OVER (PARTITION BY i.lead_id ORDER BY i.occurred_at DESC, i.seq DESC) AS rn
                       FROM interaction i
                      WHERE i.lead_id = ANY($1::uuid[])
                        AND ($2::timestamptz IS NULL OR (i.occurred_at, i.seq) < ($2::timestamptz, $3::bigint))
                   ) ranked WHERE rn <= $4 ORDER BY lead_id, rn`,
                  [group.map((k) => k.leadId), cursor?.occurredAt ?? null, cursor?.seq ?? null, first + 1],
                );
          const byLead = new Map<string, InteractionEntity[]>();
          for (const row of rows) {
            const entity = toEntity(row);
            byLead.set(entity.leadId, [...(byLead.get(entity.leadId) ?? []), entity]);
          }
          return new Map(group.map((key) => [key, toPage(byLead.get(key.leadId) ?? [], first, interactionCursor, !!after)]));
        },
      ),
    { cacheKeyFn: (key) => `${key.leadId}:${key.first}:${key.after ?? ""}` },
  );
}
