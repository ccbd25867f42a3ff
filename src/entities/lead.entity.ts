import type { JsonObject } from "./json";
import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/**
 * A person in the funnel. `email` is the natural key (stored trimmed and lowercase). The score
 * columns, `modelVersion` and `nextExpiryAt` are maintained by the scoring service.
 */
@Entity("lead")
@Index("lead_score_order", ["score", "id"])
@Index("lead_created_order", ["createdAt", "id"])
@Index("lead_updated_order", ["updatedAt", "id"])
@Index("lead_email_order", ["email", "id"])
@Index("lead_fit_order", ["fit", "id"])
@Index("lead_engagement_order", ["engagement", "id"])
@Index("lead_source", ["source"])
@Index("lead_model_version", ["modelVersion"])
export class LeadEntity {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column({ type: "varchar", length: 254, unique: true })
  email: string;

  @Column({ name: "first_name", type: "varchar", length: 200, nullable: true })
  firstName: string | null;

  @Column({ name: "last_name", type: "varchar", length: 200, nullable: true })
  lastName: string | null;

  @Column({ type: "varchar", length: 200, nullable: true })
  role: string | null;

  @Column({ type: "varchar", length: 200, nullable: true })
  company: string | null;

  @Column({ type: "varchar", length: 200, nullable: true })
  industry: string | null;

  @Column({ name: "company_size", type: "integer", nullable: true })
  companySize: number | null;

  @Column({ type: "varchar", length: 100, nullable: true })
  country: string | null;

  @Column({ type: "varchar", length: 100, nullable: true })
  source: string | null;

  @Column({ type: "jsonb", default: () => "'{}'::jsonb" })
  attributes: JsonObject;

  @Column({ type: "integer", default: 0 })
  score: number;

  @Column({ type: "integer", default: 0 })
  fit: number;

  @Column({ type: "integer", default: 0 })
  engagement: number;

  @Column({ type: "varchar", length: 100 })
  stage: string;

  /** The scoring model version of the lead's ledger and totals (0: not scored yet). */
  @Column({ name: "model_version", type: "integer", default: 0 })
  modelVersion: number;

  /** The earliest expiry among the lead's awards still counting: when the sweeper must look again. */
  /** The last engagement reset (recycling): interactions that occurred before it earn nothing. */
  @Column({ name: "engagement_since", type: "timestamptz", precision: 3, nullable: true })
  engagementSince: Date | null;

  @Column({ name: "next_expiry_at", type: "timestamptz", precision: 3, nullable: true })
  nextExpiryAt: Date | null;

  // Millisecond precision: a JavaScript Date round-trips exactly, so keyset cursors are exact.
  @Column({ name: "created_at", type: "timestamptz", precision: 3 })
  createdAt: Date;

  @Column({ name: "updated_at", type: "timestamptz", precision: 3 })
  updatedAt: Date;
}
