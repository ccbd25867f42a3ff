import DataLoader from "dataloader";
import type { EntityManager } from "typeorm";

/** How many interactions each lead has, one query per batch. */
export function createInteractionCountByLeadLoader(db: EntityManager): DataLoader<string, number> {
  return new DataLoader(async (leadIds) => {
    const rows: Array<{ lead_id: string; n: string }> = await db.query(
      `SELECT lead_id, count(*) AS n FROM interaction WHERE lead_id = ANY($1::uuid[]) GROUP BY lead_id`,
      [leadIds],
    );
    const counts = new Map(rows.map((row) => [row.lead_id, Number(row.n)]));
    return leadIds.map((id) => counts.get(id) ?? 0);
  });
}
