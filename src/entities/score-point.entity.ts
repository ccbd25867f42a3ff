import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { LeadEntity } from "./lead.entity";

/** Why a lead's stored score changed (`ScorePoint.cause`). */
export type ScoreCause = "CREATED" | "IMPORTED" | "INTERACTION" | "PROFILE" | "EXPIRY" | "DECAY" | "MODEL" | "RESET";

/**
 * One point of a lead's score history: its stored totals right after a change, at the instant the
 * change took effect (the write's time; an expiry's or decay step's own instant). Append-only; a
 * lead's history is its points by `(at, seq)`. Keyed by `(lead_id, seq)` so the table distributes
 * by lead like the others (docs/architecture.md).
 */
@Entity("score_point")
@Index("score_point_lead_history", ["leadId", "at", "seq"])
export class ScorePointEntity {
  @PrimaryColumn({ name: "lead_id", type: "uuid" })
  leadId: string;

  /** Insertion order: breaks ties between points of the same instant. */
  @PrimaryColumn({ type: "bigint", insert: false, update: false, generatedIdentity: "ALWAYS", generated: "identity" })
  seq: string;

  @ManyToOne(() => LeadEntity, { onDelete: "CASCADE" })
  @JoinColumn({ name: "lead_id" })
  lead?: LeadEntity;

  @Column({ type: "timestamptz", precision: 3 })
  at: Date;

  @Column({ type: "int" })
  score: number;

  @Column({ type: "int" })
  fit: number;

  @Column({ type: "int" })
  engagement: number;

  @Column({ type: "varchar", length: 16 })
  cause: ScoreCause;

  /** The interaction whose arrival made the change (cause INTERACTION). */
  @Column({ name: "interaction_id", type: "uuid", nullable: true })
  interactionId: string | null;
}
