import DataLoader from "dataloader";
import type { EntityManager } from "typeorm";
import type { InteractionFacts } from "../../dsl/model";

/**
 * Each lead's interactions as `has TYPE "pattern"` reads them: one per distinct type and target
 * (the stage outlook needs no more), one query per batch. The other facts are left empty: only
 * `has` reads these.
 */
export function createInteractionKindsByLeadLoader(db: EntityManager): DataLoader<string, InteractionFacts[]> {
  return new DataLoader(async (leadIds) => {
    const rows: Array<{ lead_id: string; type: string; target: string | null }> = await db.query(
      `SELECT DISTINCT lead_id, type, target FROM interaction WHERE lead_id = ANY($1::uuid[])`,
      [leadIds],
    );
    const byLead = new Map<string, InteractionFacts[]>(leadIds.map((id) => [id, []]));
    for (const row of rows) {
      const kinds = byLead.get(row.lead_id)!;
      kinds.push({ id: `${row.lead_id}:${kinds.length}`, seq: kinds.length, type: row.type, target: row.target, source: null, properties: {}, occurredAt: new Date(0) });
    }
    return leadIds.map((id) => byLead.get(id) ?? []);
  });
}
