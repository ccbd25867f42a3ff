import { Column, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from "typeorm";
import { LeadEntity } from "./lead.entity";

/**
 * The columns every per-lead table shares: its own id and `lead_id`, which cascades from the
 * lead (erasure) and is the distribution column when the tables are sharded (docs/architecture.md).
 */
export abstract class LeadOwnedEntity {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column({ name: "lead_id", type: "uuid" })
  leadId: string;

  @ManyToOne(() => LeadEntity, { onDelete: "CASCADE" })
  @JoinColumn({ name: "lead_id" })
  lead?: LeadEntity;
}
