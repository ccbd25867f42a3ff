import { Column, Entity, Index, JoinColumn, ManyToOne } from "typeorm";
import { InteractionEntity } from "./interaction.entity";
import { LeadOwnedEntity } from "./lead-owned.entity";

/**
 * The ledger: one award of one rule of one model version. An activity award belongs to an
 * interaction (`(interaction_id, model_version, rule_index)` is unique); a fit award has none.
 * Awards that have expired stay (they explain the history); they just no longer count.
 * A lead's awards are always all of its `model_version`: a rescore replaces them in one transaction.
 */
@Entity("score_award")
@Index("score_award_interaction", ["interactionId", "modelVersion", "ruleIndex"], { unique: true })
@Index("score_award_lead", ["leadId", "modelVersion"])
export class ScoreAwardEntity extends LeadOwnedEntity {
  @Column({ name: "interaction_id", type: "uuid", nullable: true })
  interactionId: string | null;

  @ManyToOne(() => InteractionEntity, { onDelete: "CASCADE", nullable: true })
  @JoinColumn({ name: "interaction_id" })
  interaction?: InteractionEntity | null;

  /** The rule's name: its `rule "…":` name, or its source text with whitespace collapsed. */
  @Column({ type: "text" })
  rule: string;

  /** The rule's place in its model version (orders the breakdown like the model's text). */
  @Column({ name: "rule_index", type: "integer" })
  ruleIndex: number;

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
