/**
 * The active model's stages (funnel, then off-path) and groups, for the filters, the sort by
 * group and the stage select. Asked once per page visit; a failure is returned in words (the
 * pages still work with the stages they already know).
 */
import { useEffect, useState } from "react";
import { describeError, request } from "../api/client";
import type { LeadsModelShapeQuery } from "../gql/graphql";
import { MODEL_SHAPE } from "./operations";

export type ModelShape = NonNullable<LeadsModelShapeQuery["activeModel"]>;

export function useModelShape(): { model: ModelShape | null; error: string | null } {
  const [model, setModel] = useState<ModelShape | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    request(MODEL_SHAPE)
      .then((data) => live && setModel(data.activeModel ?? null))
      .catch((err: unknown) => live && setError(`The model's stages could not be read: ${describeError(err)}`));
    return () => {
      live = false;
    };
  }, []);
  return { model, error };
}

/** Every stage of the model, path first; `extra` stages (from a URL, a lead) are kept after them. */
export function stagesOf(model: ModelShape | null, extra: readonly string[] = []): string[] {
  const stages = model ? [...model.funnel, ...model.offPath] : [];
  for (const stage of extra) if (!stages.some((s) => s.toLowerCase() === stage.toLowerCase())) stages.push(stage);
  return stages;
}
