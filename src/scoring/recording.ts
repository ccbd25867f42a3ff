/**
 * What the recording paths (`scorer.ts` for one interaction, `record-batch.ts` for a batch) take
 * and give: a validated interaction, the row to insert, and what scoring did.
 */
import type { Award, InteractionFacts } from "../dsl/model";
import type { InteractionEntity } from "../entities/interaction.entity";
import type { LeadEntity } from "../entities/lead.entity";
import type { Metrics } from "../metrics";
import type { StageTransitionEntity } from "../entities/stage-transition.entity";
import type { Announcements } from "../events/announce";
import type { LeadPatch } from "./lead-profile";
import type { ModelVersions } from "./model-versions";
import type { WarmLedgers } from "./warm-ledgers";

/** What the recording paths work with: the compiled models, this process's warm ledgers, the announcements, the metrics. */
export interface ScoringDeps {
  models: ModelVersions;
  warmLedgers: WarmLedgers;
  announce: Announcements;
  metrics: Metrics;
}

/** An input that passed validation: who it is about, and the interaction's values. */
export interface ValidInteraction {
  /** The argument path of the input, for errors (`input`, `inputs.3`). */
  prefix: string;
  who: { leadId: string } | { email: string; lead: { email: string; patch: LeadPatch } | null };
  values: Pick<InteractionEntity, "type" | "target" | "source" | "properties" | "occurredAt" | "externalId">;
}

/** The columns of an interaction to record. */
export type NewInteraction = Pick<
  InteractionEntity,
  "leadId" | "type" | "target" | "source" | "properties" | "occurredAt" | "externalId" | "receivedAt"
>;

/** What scoring did for one change. */
export interface ScoringEffect {
  /** The change of the lead's score caused by this change (new score − score as of now before it). */
  pointsAwarded: number;
  /** The stage move it caused, already stored and announced. */
  stageChange: StageTransitionEntity | null;
  /** For a new interaction: its awards (what `Interaction.awards` will read), null otherwise. */
  interactionAwards: Award[] | null;
}

/** The answer to recording one interaction. */
export interface RecordResult {
  interaction: InteractionEntity;
  lead: LeadEntity;
  pointsAwarded: number;
  stageChange: StageTransitionEntity | null;
  duplicate: boolean;
  /** The interaction's awards when it was just scored (null for a duplicate: read from the ledger). */
  awards: Award[] | null;
}

/** The answer to a re-sent interaction: the original, the lead as it is now, nothing scored. */
export const duplicateResult = (interaction: InteractionEntity, lead: LeadEntity): RecordResult => ({
  interaction,
  lead,
  pointsAwarded: 0,
  stageChange: null,
  duplicate: true,
  awards: null,
});

/** An interaction as the rules see it. */
export function factsOf(interaction: InteractionEntity): InteractionFacts {
  return {
    id: interaction.id,
    seq: Number(interaction.seq),
    type: interaction.type,
    target: interaction.target,
    source: interaction.source,
    properties: interaction.properties,
    occurredAt: interaction.occurredAt,
  };
}
