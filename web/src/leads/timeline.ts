/**
 * One lead's timeline: its interactions and its stage moves (and its last engagement reset)
 * merged, newest first. Interactions arrive newest first in pages; while older ones are not
 * loaded yet, stage moves older than the oldest loaded interaction are held back too, so the
 * timeline never shows a gap as if nothing had happened there.
 */
import type { LeadDetailQuery } from "../gql/graphql";

type LeadDetail = NonNullable<LeadDetailQuery["lead"]>;
export type TimelineInteraction = LeadDetail["interactions"]["edges"][number]["node"];
export type TimelineTransition = LeadDetail["stageHistory"][number];

export type TimelineEntry =
  | { kind: "interaction"; at: string; key: string; interaction: TimelineInteraction }
  | { kind: "stage"; at: string; key: string; transition: TimelineTransition }
  | { kind: "reset"; at: string; key: string };

// Newer first; at the same instant a stage move (which an interaction caused) comes before it.
const RANK: Record<TimelineEntry["kind"], number> = { stage: 0, reset: 1, interaction: 2 };

export interface TimelineInput {
  /** Newest first, as the API gives them. */
  interactions: readonly TimelineInteraction[];
  /** Whether `interactions` holds all of them (no older page left). */
  allInteractions: boolean;
  /** Oldest first, as the API gives them. */
  stageHistory: readonly TimelineTransition[];
  engagementSince: string | null;
}

export function mergeTimeline({ interactions, allInteractions, stageHistory, engagementSince }: TimelineInput): TimelineEntry[] {
  const oldestShown = allInteractions || interactions.length === 0 ? -Infinity : Math.min(...interactions.map((i) => Date.parse(i.occurredAt)));
  const keep = (at: string) => Date.parse(at) >= oldestShown;
  const entries: TimelineEntry[] = [
    ...interactions.map((interaction): TimelineEntry => ({ kind: "interaction", at: interaction.occurredAt, key: `i${interaction.id}`, interaction })),
    ...stageHistory.filter((t) => keep(t.at)).map((transition, n): TimelineEntry => ({ kind: "stage", at: transition.at, key: `s${n}-${transition.at}`, transition })),
  ];
  if (engagementSince && keep(engagementSince)) entries.push({ kind: "reset", at: engagementSince, key: `r${engagementSince}` });
  return entries.sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || RANK[a.kind] - RANK[b.kind]);
}
