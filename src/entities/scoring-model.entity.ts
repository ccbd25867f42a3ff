import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/**
 * A published version of the scoring rules; at most one is active. Once inserted, a version is
 * never changed but for `active`, and never deleted: the database refuses it (the trigger of
 * migration 1764300000000-model-audit).
 */
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

  /** Who published it: the caller's name (null: the seed model, or a version from before this was recorded). */
  @Column({ name: "published_by", type: "varchar", length: 200, nullable: true })
  publishedBy: string | null;

  /** The publishing API key's id (null for the environment's admin key, which has none). */
  @Column({ name: "published_by_key_id", type: "uuid", nullable: true })
  publishedById: string | null;

  /** The publisher's note. */
  @Column({ type: "text", nullable: true })
  comment: string | null;

  /** The version whose source this one published again (`republishModel`), else null. */
  @Column({ name: "republished_from", type: "integer", nullable: true })
  republishedFrom: number | null;
}
