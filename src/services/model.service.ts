/**
 * Scoring models: checking a model's source, publishing it (then every lead is rescored to it),
 * previewing it, and the history of published versions. Compiled versions are kept by
 * `scoring/model-versions.ts`; the rescore and the preview are `scoring/rescore.ts` and
 * `scoring/preview.ts`.
 */
import { LessThan } from "typeorm";
import type { ServiceContext } from "../context";
import { decodeCursor, encodeCursor, type Page, pageSize, toPage } from "../database/cursor";
import { inTransaction } from "../database/transaction";
import { ScoringModelEntity } from "../entities/scoring-model.entity";
import { badInput, DomainError } from "../errors";
import { errorFields } from "../logger";
import type { BackgroundRescore } from "../scoring/background-rescore";
import type { DiagnosticView, ModelVersions } from "../scoring/model-versions";
import { SEED_MODEL_PATH, seedModelSource } from "../scoring/model-versions";
import { previewModel, type PreviewResult } from "../scoring/preview";
import type { Rescorer, RescoreTotals } from "../scoring/rescore";
import { readRescoreProgress, type RescoreProgress } from "../scoring/rescore-progress";
import { checkText, isUuid, MAX_COMMENT_LENGTH, Problems } from "./validation";

export interface PublishResult extends RescoreTotals {
  model: ScoringModelEntity;
}

export class ModelService {
  /**
   * @param rescoreWorkers batches a publish rescores at once (see `Rescorer`)
   * @param background finishes a rescore that stopped midway (when this process runs one)
   * @param bulkBounds the statement giving a preview's transaction the bounds of bulk work
   */
  constructor(
    private readonly versions: ModelVersions,
    private readonly rescorer: Rescorer,
    private readonly background: BackgroundRescore,
    private readonly bulkBounds: string,
    private readonly rescoreWorkers = 1,
  ) {}

  /** Diagnostics only (`checkModel`, for editors). */
  check(source: string): DiagnosticView[] {
    return this.versions.compile(source).diagnostics;
  }

  /**
   * Publishes the seed model as version 1 when there is no model at all (first start). Safe when
   * several instances start at once: only one insert wins.
   */
  async ensureDefault(ctx: ServiceContext): Promise<boolean> {
    const source = seedModelSource();
    const { model } = this.versions.compile(source);
    if (!model) throw new Error(`the seed model ${SEED_MODEL_PATH} does not compile`);
    const inserted: unknown[] = await ctx.db.query(
      `INSERT INTO scoring_model (version, source, active, published_at, funnel)
       SELECT 1, $1, true, $2, $3::jsonb WHERE NOT EXISTS (SELECT 1 FROM scoring_model)
       ON CONFLICT DO NOTHING RETURNING version`,
      [source, ctx.clock.now(), JSON.stringify(model.funnel.stages)],
    );
    if (inserted.length > 0) this.versions.remember(1, model);
    return inserted.length > 0;
  }

  /**
   * Publishes `source` as the next version and rescores every lead to it. An invalid model is
   * `RULES_INVALID` with its diagnostics, and nothing changes. The version records the caller
   * (name and key id) and `comment` (trimmed; blank is none; too long is `BAD_USER_INPUT`).
   * Publishes are serialised by a table lock held only while the new version is switched in; the
   * rescore runs in batches of leads, each its own transaction, alongside ongoing writes (see
   * `rescore.ts`).
   *
   * The counts are what this call did: when publishes overlap, the later version wins and the
   * leads are rescored once to it, by whichever call reaches them first.
   */
  async publish(ctx: ServiceContext, source: string, comment?: string | null): Promise<PublishResult> {
    const problems = new Problems();
    const note = checkComment(problems, comment);
    problems.throwIfAny();
    return this.publishSource(ctx, source, { comment: note, republishedFrom: null });
  }

  /**
   * A rollback: publishes the source of `version` again, as a new version (rescored like any
   * publish, recording the caller, `comment` and `republishedFrom`). A version that was never
   * published is `BAD_USER_INPUT` on `version`, and nothing changes.
   */
  async republish(ctx: ServiceContext, version: number, comment?: string | null): Promise<PublishResult> {
    const problems = new Problems();
    const note = checkComment(problems, comment);
    const rows: Array<{ source: string }> =
      version >= 1 ? await ctx.db.query(`SELECT source FROM scoring_model WHERE version = $1`, [version]) : [];
    if (rows.length === 0) {
      const [{ latest }]: Array<{ latest: number }> = await ctx.db.query(`SELECT coalesce(max(version), 0) AS latest FROM scoring_model`);
      problems.add("version", `version ${version} was never published (the versions are 1 to ${latest})`);
    }
    problems.throwIfAny();
    // Published versions never change (a trigger sees to it), so the source read here is the one
    // published, whatever happens meanwhile.
    return this.publishSource(ctx, rows[0].source, { comment: note, republishedFrom: version });
  }

  private async publishSource(ctx: ServiceContext, source: string, audit: { comment: string | null; republishedFrom: number | null }): Promise<PublishResult> {
    const { model, diagnostics } = this.versions.compile(source);
    if (!model) {
      const errors = diagnostics.filter((d) => d.severity === "ERROR").length;
      throw new DomainError("RULES_INVALID", `The model has ${errors} error${errors === 1 ? "" : "s"}; the active model is unchanged`, {
        diagnostics,
      });
    }
    const row = await inTransaction(ctx, async (tx) => {
      // Conflicts with itself and with writes to the table, not with the writers' reads.
      await tx.db.query(`LOCK TABLE scoring_model IN SHARE ROW EXCLUSIVE MODE`);
      const [{ next }]: Array<{ next: number }> = await tx.db.query(`SELECT coalesce(max(version), 0) + 1 AS next FROM scoring_model`);
      await tx.db.query(`UPDATE scoring_model SET active = false WHERE active`);
      const entity = tx.db.create(ScoringModelEntity, {
        version: next,
        source,
        active: true,
        publishedAt: tx.clock.now(),
        funnel: model.funnel.stages,
        publishedBy: tx.caller?.name ?? null,
        publishedById: tx.caller?.keyId ?? null,
        ...audit,
      });
      return tx.db.save(ScoringModelEntity, entity);
    });
    this.versions.remember(row.version, model);
    let totals: RescoreTotals;
    try {
      totals = await this.rescorer.rescoreStale(ctx, { workers: this.rescoreWorkers });
    } catch (err) {
      // The version is published; the leads not yet rescored are behind it, and every write to
      // one of them replays it to the new version meanwhile.
      ctx.logger.error("rescoring to a published model stopped", { version: row.version, ...errorFields(err) });
      const resumed = this.background.start();
      throw new DomainError(
        "RESCORE_INCOMPLETE",
        `Version ${row.version} is active, but rescoring the leads to it stopped; the leads left are rescored ${resumed ? "in the background" : "when the service next starts"}, and each write to one of them rescores it meanwhile`,
        { version: row.version },
      );
    }
    const current = await ctx.db.findOneBy(ScoringModelEntity, { id: row.id });
    return { model: current ?? row, ...totals };
  }

  /** The what-if of `source` on every lead, writing nothing. */
  async preview(ctx: ServiceContext, source: string): Promise<PreviewResult> {
    const { model, diagnostics } = this.versions.compile(source);
    if (!model) return { diagnostics, leadsChanged: 0, stages: [], topMovers: [] };
    return { ...(await previewModel(ctx, this.versions, model, this.bulkBounds)), diagnostics };
  }

  /** The active version's rescore: leads done of total (`rescore-progress.ts`); null before any publish. */
  async rescoreStatus(ctx: ServiceContext): Promise<(RescoreProgress & { state: "RUNNING" | "DONE" }) | null> {
    const progress = await readRescoreProgress(ctx);
    if (progress === null) return null;
    const running = progress.done < progress.total;
    return { ...progress, state: running ? "RUNNING" : "DONE", finishedAt: running ? null : progress.finishedAt };
  }

  /** The version with this id, or null. */
  async findById(ctx: ServiceContext, id: string): Promise<ScoringModelEntity | null> {
    return isUuid(id) ? ctx.db.findOneBy(ScoringModelEntity, { id }) : null;
  }

  /** The active model's row, or null. */
  async activeRow(ctx: ServiceContext): Promise<ScoringModelEntity | null> {
    return ctx.db.findOneBy(ScoringModelEntity, { active: true });
  }

  /** Published versions, newest first, `first` after the cursor `after`. */
  async list(ctx: ServiceContext, first: number | null | undefined, after: string | null | undefined): Promise<Page<ScoringModelEntity>> {
    const limit = pageSize(first);
    let before: number | null = null;
    if (after) {
      const { value } = decodeCursor(after, "after");
      if (typeof value !== "number") throw badInput("after", "is not a valid cursor");
      before = value;
    }
    const rows =
      limit === 0
        ? []
        : await ctx.db.find(ScoringModelEntity, {
            where: before === null ? {} : { version: LessThan(before) },
            order: { version: "DESC" },
            take: limit + 1,
          });
    return toPage(rows, limit, (m) => encodeCursor(m.version, m.id), !!after);
  }

  /** How many versions were published. */
  async count(ctx: ServiceContext): Promise<number> {
    return ctx.db.count(ScoringModelEntity);
  }
}

/** A publish's `comment`: trimmed, blank is none, at most `MAX_COMMENT_LENGTH` characters. */
function checkComment(problems: Problems, comment: string | null | undefined): string | null {
  return checkText(problems, "comment", comment, MAX_COMMENT_LENGTH) ?? null;
}
