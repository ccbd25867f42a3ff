/**
 * The compiled scoring models of this process, by published version. Which version is active lives
 * only in the database (`scoring_model.active`): every write reads it under its lead's lock (folded
 * into the statement that loads the lead's history) and asks here for that version's compiled
 * model, compiled once per process and kept (a few versions at most).
 *
 * Version 0 is the seed model (`examples/seed-model.rules`), which the service publishes as
 * version 1 on a database that has no model yet.
 */
import fs from "node:fs";
import path from "node:path";
import type { ServiceContext } from "../context";
import { DEFAULT_INTERACTION_TYPES } from "../dsl/catalog";
import { compile } from "../dsl/compiler";
import type { Diagnostic } from "../dsl/diagnostics";
import type { CompiledModel } from "../dsl/model";
import { projectRoot } from "../project-root";

/** Where the default model lives, relative to the project root. */
export const SEED_MODEL_PATH = path.join("examples", "seed-model.rules");

let seedSource: string | null = null;

/** The seed model's source text (read once). */
export function seedModelSource(): string {
  seedSource ??= fs.readFileSync(path.join(projectRoot(), SEED_MODEL_PATH), "utf8");
  return seedSource;
}

/** A diagnostic as the API shows it (`severity` in capitals, as the GraphQL enum). */
export interface DiagnosticView extends Omit<Diagnostic, "severity"> {
  severity: "ERROR" | "WARNING";
}

export interface ActiveModel {
  version: number;
  model: CompiledModel;
}

/** How many compiled versions a process keeps (the active one and a few it may still meet). */
const CACHE_SIZE = 8;

export class ModelVersions {
  private readonly compiled = new Map<number, CompiledModel>();

  /** @param catalog the interaction types models are checked against */
  constructor(private readonly catalog: readonly string[] = DEFAULT_INTERACTION_TYPES) {}

  /** Compiles `source` against the interaction-type catalog. */
  compile(source: string): { model: CompiledModel | null; diagnostics: DiagnosticView[] } {
    const { model, diagnostics } = compile(source, { catalog: this.catalog });
    return { model, diagnostics: diagnostics.map(toView) };
  }

  /** The active version (0 when no model was ever published: only before the first start's seed). */
  async activeVersion(ctx: Pick<ServiceContext, "db">): Promise<number> {
    const rows: Array<{ version: number }> = await ctx.db.query(`SELECT version FROM scoring_model WHERE active`);
    return rows[0]?.version ?? 0;
  }

  /** The active version and its compiled model. */
  async active(ctx: ServiceContext): Promise<ActiveModel> {
    const version = await this.activeVersion(ctx);
    return { version, model: await this.version(ctx, version) };
  }

  /** The compiled model of `version` (compiled once per process). Version 0 is the seed model. */
  async version(ctx: Pick<ServiceContext, "db">, version: number): Promise<CompiledModel> {
    const cached = this.compiled.get(version);
    if (cached) return cached;
    let source = seedModelSource();
    if (version !== 0) {
      const rows: Array<{ source: string }> = await ctx.db.query(`SELECT source FROM scoring_model WHERE version = $1`, [version]);
      if (rows.length === 0) throw new Error(`scoring model version ${version} does not exist`);
      source = rows[0].source;
    }
    return this.ofRow({ version, source });
  }

  /** The compiled model of a published version whose row is at hand (no query; compiled once per process). */
  ofRow(row: { version: number; source: string }): CompiledModel {
    const cached = this.compiled.get(row.version);
    if (cached) return cached;
    const { model, diagnostics } = this.compile(row.source);
    // A published model that no longer compiles: the language changed under it. Fail loudly.
    if (!model) throw new Error(`scoring model version ${row.version} does not compile: ${JSON.stringify(diagnostics.filter((d) => d.severity === "ERROR"))}`);
    this.remember(row.version, model);
    return model;
  }

  /** Keeps `model` as the compiled `version` (just published: no need to compile it again). */
  remember(version: number, model: CompiledModel): void {
    this.compiled.delete(version);
    this.compiled.set(version, model);
    while (this.compiled.size > CACHE_SIZE) this.compiled.delete(this.compiled.keys().next().value as number);
  }
}

function toView(d: Diagnostic): DiagnosticView {
  return { ...d, severity: d.severity === "error" ? "ERROR" : "WARNING" };
}
