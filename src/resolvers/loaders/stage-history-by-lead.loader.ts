import DataLoader from "dataloader";
import { type EntityManager, In } from "typeorm";
import { StageTransitionEntity } from "../../entities/stage-transition.entity";

/** Each lead's stage transitions, oldest first, one query per batch. */
export function createStageHistoryByLeadLoader(db: EntityManager): DataLoader<string, StageTransitionEntity[]> {
  return new DataLoader(async (leadIds) => {
    const rows = await db.find(StageTransitionEntity, {
      where: { leadId: In([...leadIds]) },
      order: { at: "ASC", seq: "ASC" },
    });
    const byLead = new Map<string, StageTransitionEntity[]>(leadIds.map((id) => [id, []]));
    for (const row of rows) byLead.get(row.leadId)?.push(row);
    return leadIds.map((id) => byLead.get(id) ?? []);
  });
}
