import { describe, expect, it } from "vitest";
import { mergeTimeline, type TimelineInteraction, type TimelineTransition } from "./timeline";

const interaction = (id: string, occurredAt: string): TimelineInteraction => ({ id, type: "visit", target: "/pricing", source: null, occurredAt, points: 15 });
const move = (from: string | null, to: string, at: string): TimelineTransition => ({ from, to, at, cause: "RULE", rule: null, actor: null, reason: null });

describe("mergeTimeline", () => {
  it("merges interactions and stage moves newest first, a move before the interaction of the same instant", () => {
    const entries = mergeTimeline({
      interactions: [interaction("2", "2026-03-02T10:00:00.000Z"), interaction("1", "2026-03-01T10:00:00.000Z")],
      allInteractions: true,
      stageHistory: [move(null, "Subscriber", "2026-02-28T09:00:00.000Z"), move("Subscriber", "MQL", "2026-03-02T10:00:00.000Z")],
      engagementSince: null,
    });
    expect(entries.map((e) => e.key)).toEqual(["s1-2026-03-02T10:00:00.000Z", "i2", "i1", "s0-2026-02-28T09:00:00.000Z"]);
  });

  it("holds back moves older than the oldest loaded interaction while older interactions are not loaded", () => {
    const entries = mergeTimeline({
      interactions: [interaction("9", "2026-03-05T00:00:00.000Z")],
      allInteractions: false,
      stageHistory: [move(null, "Subscriber", "2026-03-01T00:00:00.000Z"), move("Subscriber", "Lead", "2026-03-06T00:00:00.000Z")],
      engagementSince: "2026-03-04T00:00:00.000Z",
    });
    expect(entries.map((e) => e.kind)).toEqual(["stage", "interaction"]);
  });

  it("shows the last engagement reset at its instant", () => {
    const entries = mergeTimeline({
      interactions: [interaction("1", "2026-03-01T00:00:00.000Z")],
      allInteractions: true,
      stageHistory: [],
      engagementSince: "2026-03-02T00:00:00.000Z",
    });
    expect(entries.map((e) => e.kind)).toEqual(["reset", "interaction"]);
  });
});
