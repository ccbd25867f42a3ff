/**
 * Scoring models: the registry of published versions, and publishing, previewing and checking a
 * model's source.
 *
 * The service is stateless across instances: which version is active lives only in the database
 * (`scoring_model.active`). Every write transaction reads it (one indexed query, folded into the
 * statement that loads the lead's history) and asks this registry for that version's compiled
 * model, which is compiled once per process and kept.
 *
 * The seed model (`examples/seed-model.rules`) is published as version 1 when the service first
 * starts on a database without any model, so `npm start` scores from the first interaction.
 */
import fs from "node:fs";
import path from "node:path";
import { LessThan } from "typeorm";
import type { ServiceContext } from "../context";
import { DEFAULT_INTERACTION_TYPES } from "../dsl/catalog";
import { compile } from "../dsl/compiler";
import type { Diagnostic } from "../dsl/diagnostics";
import { type CompiledModel, DEFAULT_FUNNEL } from "../dsl/model";
import { ScoringModelEntity } from "../entities/scoring-model.entity";
import { badInput, DomainError } from "../errors";
import { errorFields } from "../logger";
import { decodeCursor, encodeCursor, type Page, pageSize, toPage } from "./cursor";
import { previewModel, type PreviewResult, rescoreStale, type RescoreTotals } from "./rescore";
import { inTransaction } from "./transaction";

/** Where the default model lives, relative to the project root. */
export const SEED_MODEL_PATH = path.join("examples", "seed-model.rules");

/** The project root: the nearest directory above `start` holding `package.json` (from `src/` or `dist/src/`). */
export function projectRoot(start: string = __dirname): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json in or above ${start}`);
  }
}

let seedSource: string | null = null;

/** The seed model's source text (read once). */
export function seedModelSource(): string {
  seedSource ??= fs.readFileSync(path.join(projectRoot(), SEED_MODEL_PATH), "utf8");
  return seedSource;
}

/**
 * SQL for the first stage of the active model's funnel, for inserting a new lead in the same
 * statement (no extra round trip). Stage names are identifiers, so the fallback is safe to inline.
 */
export const FIRST_STAGE_SQL = `coalesce((SELECT funnel->>0 FROM scoring_model WHERE active), '${DEFAULT_FUNNEL.stages[0]}')`;

/** A diagnostic as the API shows it (`severity` in capitals, as the GraphQL enum). */
export interface DiagnosticView extends Omit<Diagnostic, "severity"> {
  severity: "ERROR" | "WARNING";
}

export interface ActiveModel {
  version: number;
  model: CompiledModel;
}

export interface PublishResult extends RescoreTotals {
  model: ScoringModelEntity;
}

/** How many compiled versions a process keeps (the active one and a few it may still meet). */
const CACHE_SIZE = 8;

export class ModelService {
  private readonly compiled = new Map<number, CompiledModel>();
  /**
   * Set by the running service: finishes an interrupted rescore in the background (true when it
   * will). A process without one (the CLI) leaves it to the service's next start.
   */
  resumeRescore: (() => boolean) | null = null;

  /**
   * @param rescoreWorkers batches a publish rescores at once (see `rescoreStale`)
   * @param catalog the interaction types models are checked against
   */
  constructor(
    private readonly rescoreWorkers = 1,
    private readonly catalog: readonly string[] = DEFAULT_INTERACTION_TYPES,
  ) {}

  /** Compiles `source` against the interaction-type catalog. */
  compile(source: string): { model: CompiledModel | null; diagnostics: DiagnosticView[] } {
    const { model, diagnostics } = compile(source, { catalog: this.catalog });
    return { model, diagnostics: diagnostics.map(toView) };
  }

  /** Diagnostics only (`checkModel`, for editors). */
  check(source: string): DiagnosticView[] {
    return this.compile(source).diagnostics;
  }

  /** The active version (0 when no model was ever published: only before `ensureDefault`). */
  async activeVersion(ctx: ServiceContext): Promise<number> {
    const rows: Array<{ version: number }> = await ctx.db.query(`SELECT version FROM scoring_model WHERE active`);
    return rows[0]?.version ?? 0;
  }

  /** The active version and its compiled model. */
  async active(ctx: ServiceContext): Promise<ActiveModel> {
    const version = await this.activeVersion(ctx);
    return { version, model: await this.version(ctx, version) };
  }

  /** The compiled model of `version` (compiled once per process). Version 0 is the seed model. */
  async version(ctx: ServiceContext, version: number): Promise<CompiledModel> {
    const cached = this.compiled.get(version);
    if (cached) return cached;
    let source = seedModelSource();
    if (version !== 0) {
      const rows: Array<{ source: string }> = await ctx.db.query(`SELECT source FROM scoring_model WHERE version = $1`, [version]);
      if (rows.length === 0) throw new Error(`scoring model version ${version} does not exist`);
      source = rows[0].source;
    }
    const { model, diagnostics } = this.compile(source);
    if (!model) {
      // A published model that no longer compiles: the language changed under it. Fail loudly.
      throw new Error(`scoring model version ${version} does not compile: ${JSON.stringify(diagnostics.filter((d) => d.severity === "ERROR"))}`);
    }
    this.remember(version, model);
    return model;
  }

  /** The rule name at `index` of a version already compiled in this process. */
  ruleName(version: number, index: number): string {
    return this.compiled.get(version)?.rules[index]?.name ?? `rule ${index + 1}`;
  }

  /**
   * Publishes the seed model as version 1 when there is no model at all (first start). Safe when
   * several instances start at once: only one insert wins.
   */
  async ensureDefault(ctx: ServiceContext): Promise<boolean> {
    const source = seedModelSource();
    const { model } = this.compile(source);
    if (!model) throw new Error(`the seed model ${SEED_MODEL_PATH} does not compile`);
    const inserted: unknown[] = await ctx.db.query(
      `INSERT INTO scoring_model (version, source, active, published_at, funnel)
       SELECT 1, $1, true, $2, $3::jsonb WHERE NOT EXISTS (SELECT 1 FROM scoring_model)
       ON CONFLICT DO NOTHING RETURNING version`,
      [source, ctx.clock.now(), JSON.stringify(model.funnel.stages)],
    );
    if (inserted.length > 0) this.remember(1, model);
    return inserted.length > 0;
  }

  /**
   * Publishes `source` as the next version and rescores every lead to it. An invalid model is
   * `RULES_INVALID` with its diagnostics, and nothing changes. Publishes are serialised by a
   * table lock held only while the new version is switched in; the rescore runs in batches of
   * leads, each its own transaction, alongside ongoing writes (see `rescore.ts`).
   *
   * The counts are what this call did: when publishes overlap, the later version wins and the
   * leads are rescored once to it, by whichever call reaches them first.
   */
  async publish(ctx: ServiceContext, source: string): Promise<PublishResult> {
    const { model, diagnostics } = this.compile(source);
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
      });
      return tx.db.save(ScoringModelEntity, entity);
    });
    this.remember(row.version, model);
    let totals: RescoreTotals;
    try {
      totals = await rescoreStale(ctx, { workers: this.rescoreWorkers });
    } catch (err) {
      // The version is published; the leads not yet rescored are behind it, and every write to
      // one of them replays it to the new version meanwhile.
      ctx.logger.error("rescoring to a published model stopped", { version: row.version, ...errorFields(err) });
      const resumed = this.resumeRescore?.() ?? false;
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
    const { model, diagnostics } = this.compile(source);
    if (!model) return { diagnostics, leadsChanged: 0, stages: [], topMovers: [] };
    return { ...(await previewModel(ctx, model)), diagnostics };
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

  private remember(version: number, model: CompiledModel): void {
    this.compiled.delete(version);
    this.compiled.set(version, model);
    while (this.compiled.size > CACHE_SIZE) this.compiled.delete(this.compiled.keys().next().value as number);
  }
}

function toView(d: Diagnostic): DiagnosticView {
  return { ...d, severity: d.severity === "error" ? "ERROR" : "WARNING" };
}
