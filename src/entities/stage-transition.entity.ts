import { Column, Entity, Index } from "typeorm";
import { LeadOwnedEntity } from "./lead-owned.entity";

export type StageCause = "RULE" | "MANUAL";

/** One move of a lead between funnel stages; a lead's history is its transitions by `at`. */
@Entity("stage_transition")
@Index("stage_transition_lead_history", ["leadId", "at", "seq"])
@Index("stage_transition_to_stage", ["toStage", "at"])
export class StageTransitionEntity extends LeadOwnedEntity {
  /** Insertion order: breaks ties between transitions in the same millisecond. */
  @Column({ type: "bigint", insert: false, update: false, generatedIdentity: "ALWAYS", generated: "identity" })
  seq: string;

  /** Null for the lead's first stage. */
  @Column({ name: "from_stage", type: "varchar", length: 100, nullable: true })
  fromStage: string | null;

  @Column({ name: "to_stage", type: "varchar", length: 100 })
  toStage: string;

  @Column({ type: "timestamptz", precision: 3 })
  at: Date;

  @Column({ type: "varchar", length: 16 })
  cause: StageCause;

  /** The stage rule that moved the lead (cause RULE). */
  @Column({ type: "text", nullable: true })
  rule: string | null;

  /** Who moved the lead (cause MANUAL): the API key's name. */
  @Column({ type: "varchar", length: 200, nullable: true })
  actor: string | null;

  @Column({ type: "varchar", length: 1000, nullable: true })
  reason: string | null;
}
