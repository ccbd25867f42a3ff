import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { RequestContext } from "./request-context";
import type { ScoringModelEntity } from "../entities/scoring-model.entity";
import type { ConnectionResult } from "../schema/connection.type";
import { Lead } from "../schema/lead.type";
import {
  Diagnostic,
  LeadScoreChange,
  ModelGroup,
  ModelPreview,
  PublishModelPayload,
  RescoreStatus,
  ScoringModel,
  ScoringModelConnection,
} from "../schema/model.type";
import { pageSize, withCount } from "../database/cursor";
import { MAX_MOVERS, type PreviewResult, type ScoreChange } from "../scoring/preview";
import { MAX_COMMENT_LENGTH } from "../services/validation";

const COMMENT_DESCRIPTION = `Why this version is published, kept with it (trimmed; at most ${MAX_COMMENT_LENGTH} characters).`;

@Resolver(() => ScoringModel)
export class ModelResolver {
  @Authorized("read")
  @Query(() => ScoringModel, { nullable: true, description: "The version that scores every interaction now." })
  activeModel(@Ctx() ctx: RequestContext) {
    return ctx.services.models.activeRow(ctx);
  }

  @Authorized("read")
  @Query(() => ScoringModelConnection, { description: "Published versions, newest first. `first` defaults to 20, at most 100." })
  async models(
    @Ctx() ctx: RequestContext,
    @Arg("first", () => Int, { nullable: true }) first?: number,
    @Arg("after", () => String, { nullable: true }) after?: string,
  ): Promise<ConnectionResult<ScoringModelEntity>> {
    const page = await ctx.services.models.list(ctx, first, after);
    return withCount(page, () => ctx.services.models.count(ctx));
  }

  @Authorized("read")
  @Query(() => RescoreStatus, {
    nullable: true,
    description: "How far the active version's rescore is: leads done of total, RUNNING or DONE (poll it while a publish runs; `qualify publish` does).",
  })
  rescoreStatus(@Ctx() ctx: RequestContext) {
    return ctx.services.models.rescoreStatus(ctx);
  }

  @Authorized("read")
  @Query(() => [Diagnostic], { description: "Compiles a model's source and returns what the compiler says (for editors); publishes nothing." })
  checkModel(@Arg("source") source: string, @Ctx() ctx: RequestContext) {
    return ctx.services.models.check(source);
  }

  @Authorized("admin")
  @Mutation(() => PublishModelPayload, {
    description: "Makes `source` the active model and rescores every lead to it; the version records who published it (publishedBy, publishedById) and `comment`. An invalid model is RULES_INVALID (with extensions.diagnostics) and nothing changes.",
  })
  publishModel(
    @Arg("source") source: string,
    @Ctx() ctx: RequestContext,
    @Arg("comment", () => String, { nullable: true, description: COMMENT_DESCRIPTION }) comment?: string | null,
  ) {
    return ctx.services.models.publish(ctx, source, comment);
  }

  @Authorized("admin")
  @Mutation(() => PublishModelPayload, {
    description:
      "A rollback: publishes the source of an earlier `version` again, as a new version (`republishedFrom` names the old one), and rescores every lead to it, as publishModel does. A version never published is BAD_USER_INPUT and nothing changes.",
  })
  republishModel(
    @Arg("version", () => Int) version: number,
    @Ctx() ctx: RequestContext,
    @Arg("comment", () => String, { nullable: true, description: COMMENT_DESCRIPTION }) comment?: string | null,
  ) {
    return ctx.services.models.republish(ctx, version, comment);
  }

  @Authorized("admin")
  @Mutation(() => ModelPreview, { description: "What publishing `source` would do to the current leads; writes nothing." })
  async previewModel(@Arg("source") source: string, @Ctx() ctx: RequestContext): Promise<Omit<ModelPreview, "movers"> & { movers: ScoreChange[] }> {
    const preview: PreviewResult = await ctx.services.models.preview(ctx, source);
    return { ...preview, diagnostics: preview.diagnostics as ModelPreview["diagnostics"], movers: preview.topMovers };
  }

  @FieldResolver(() => [ModelGroup], { description: "Its groups that have rules, in the model's order (an empty group counts for nothing and is left out)." })
  groups(@Root() row: ScoringModelEntity, @Ctx() ctx: RequestContext): ModelGroup[] {
    const model = ctx.services.modelVersions.ofRow(row);
    return model.groups.map((g) => ({ name: g.name, category: (g.category ?? "ENGAGEMENT") as ModelGroup["category"], max: g.max }));
  }

  @FieldResolver(() => [String], { description: "The funnel's off-path stages (after `|`): set only by hand." })
  offPath(@Root() row: ScoringModelEntity, @Ctx() ctx: RequestContext): string[] {
    return ctx.services.modelVersions.ofRow(row).funnel.offPath;
  }
}

@Resolver(() => ModelPreview)
export class ModelPreviewResolver {
  @FieldResolver(() => [LeadScoreChange], { description: `The leads whose score changes most (by size of the change), at most ${MAX_MOVERS}.` })
  topMovers(
    @Root() preview: { movers: ScoreChange[] },
    @Arg("first", () => Int, { defaultValue: 10 }) first: number,
  ): ScoreChange[] {
    return preview.movers.slice(0, pageSize(first));
  }
}

@Resolver(() => LeadScoreChange)
export class LeadScoreChangeResolver {
  @FieldResolver(() => Lead)
  lead(@Root() change: ScoreChange, @Ctx() ctx: RequestContext) {
    return ctx.loaders.leadById.load(change.leadId);
  }
}
