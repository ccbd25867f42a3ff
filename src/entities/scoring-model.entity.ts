import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/** A published version of the scoring rules; at most one is active. */
@Entity("scoring_model")
@Index("scoring_model_one_active", ["active"], { unique: true, where: "active" })
export class ScoringModelEntity {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column({ type: "integer", unique: true })
  version: number;

  @Column({ type: "text" })
  source: string;

  @Column({ type: "boolean", default: false })
  active: boolean;

  @Column({ name: "published_at", type: "timestamptz", precision: 3 })
  publishedAt: Date;

  @Column({ type: "jsonb", default: () => "'[]'::jsonb" })
  funnel: string[];
}
