import { Column, Entity, Index, JoinColumn, ManyToOne } from "typeorm";
import { InteractionEntity } from "./interaction.entity";
import { LeadOwnedEntity } from "./lead-owned.entity";

/**
 * The ledger: one award of one rule of one model version. An activity award belongs to an
 * interaction (`(interaction_id, rule, model_version)` is unique); a fit award has none.
 */
@Entity("score_award")
@Index("score_award_interaction_rule", ["interactionId", "rule", "modelVersion"], { unique: true })
@Index("score_award_lead", ["leadId", "modelVersion"])
export class ScoreAwardEntity extends LeadOwnedEntity {
  @Column({ name: "interaction_id", type: "uuid", nullable: true })
  interactionId: string | null;

  @ManyToOne(() => InteractionEntity, { onDelete: "CASCADE", nullable: true })
  @JoinColumn({ name: "interaction_id" })
  interaction?: InteractionEntity | null;

  @Column({ type: "varchar", length: 500 })
  rule: string;

  @Column({ type: "varchar", length: 16 })
  category: "FIT" | "ENGAGEMENT";

  @Column({ type: "integer" })
  points: number;

  @Column({ name: "awarded_at", type: "timestamptz", precision: 3 })
  awardedAt: Date;

  @Column({ name: "expires_at", type: "timestamptz", precision: 3, nullable: true })
  expiresAt: Date | null;

  @Column({ name: "model_version", type: "integer" })
  modelVersion: number;
}
