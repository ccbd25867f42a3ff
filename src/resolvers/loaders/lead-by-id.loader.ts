import DataLoader from "dataloader";
import { type EntityManager, In } from "typeorm";
import { LeadEntity } from "../../entities/lead.entity";
import { isUuid } from "../../services/validation";

/** Leads by id (null for unknown ids), one query per batch. */
export function createLeadByIdLoader(db: EntityManager): DataLoader<string, LeadEntity | null> {
  return new DataLoader(async (ids) => {
    const valid = ids.filter(isUuid);
    const rows = valid.length ? await db.findBy(LeadEntity, { id: In(valid) }) : [];
    const byId = new Map(rows.map((lead) => [lead.id, lead]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}
